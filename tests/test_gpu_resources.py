"""`gpu:` on a features instance sets the GPUs its jobs request, for every extractor kind
(audio, face, text); without it the kind's default applies. Checked on a dry run's job list."""
import yaml
from conftest import skeleton_config, snakemake

from affectflow.core.plan import planned_jobs

EXTRACTORS = {
    "whisper_default": ({"kind": "whisper_encoder", "speech_flag": False}, "1"),
    "whisper_cpu": ({"kind": "whisper_encoder", "speech_flag": False, "gpu": 0}, "0"),
    "egemaps_two": ({"kind": "opensmile", "feature_set": "eGeMAPSv02", "level": "lld", "gpu": 2}, "2"),
    "fer_default": ({"kind": "face_expression", "detector": "blazeface"}, "1"),
    "fer_cpu": ({"kind": "face_expression", "detector": "blazeface", "gpu": 0}, "0"),
    "vader_default": ({"kind": "vader"}, "0"),
    "minilm_cuda": ({"kind": "text_embedding", "model": "all-MiniLM-L6-v2", "device": "cuda"}, "1"),
    "minilm_cuda_but_0": ({"kind": "text_embedding", "model": "all-MiniLM-L6-v2", "device": "cuda", "gpu": 0}, "0"),
}


def test_gpu_override_works_for_audio_face_and_text_extractors(tmp_path):
    cfg = skeleton_config(n_sessions=1, duration_s=10)
    cfg["features"].update({name: params for name, (params, _) in EXTRACTORS.items()})
    cfg["datasets"]["demo"].update(features=list(EXTRACTORS), models=[])
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    out = snakemake(tmp_path, "-n", *[f"results/features/demo/{name}/demo01.parquet" for name in EXTRACTORS]).stdout
    gpus = {j.output.split("/")[-2]: j.resources.get("gpu") for j in planned_jobs(out) if j.rule.startswith("extract_")}
    assert gpus == {name: expected for name, (_, expected) in EXTRACTORS.items()}
