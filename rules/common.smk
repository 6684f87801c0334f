# Config validation, dataset manifests and the helpers every rule file uses.
import os
import re
import sys
from pathlib import Path

# The package is importable in every job (conda envs carry third-party packages only) and here.
_PACKAGE_ROOT = str(Path(workflow.basedir) / "workflow")
sys.path.insert(0, _PACKAGE_ROOT)
# (optional, so not asserted with `envvars:`: an existing PYTHONPATH is extended, never required)
os.environ.update(PYTHONPATH=os.pathsep.join(p for p in (_PACKAGE_ROOT, os.environ.get("PYTHONPATH")) if p))

from snakemake.utils import min_version, validate

import affectflow.config
from affectflow.datasets import DatasetError, build_manifest, check_files
from affectflow.extractors import modality_of

min_version("9.0")


validate(config, schema=str(affectflow.config.SCHEMA_PATH))
affectflow.config.check_references(config, source="config")

RESULTS = "results"
MANIFESTS = {}
for _ds, _dcfg in config["datasets"].items():
    MANIFESTS[_ds] = build_manifest(_ds, _dcfg)
    if _dcfg["adapter"] != "demo":  # demo files are outputs of the demo rule
        check_files(MANIFESTS[_ds])


def sessions(dataset):
    return MANIFESTS[dataset].sessions


def session_row(wildcards):
    return MANIFESTS[wildcards.dataset].row(wildcards.session)


def extractors_of(modality):
    return [n for n, p in config["features"].items() if modality_of(p["kind"]) == modality]


def name_regex(names):
    # a regex that matches none of the real names when the list is empty
    return "|".join(map(re.escape, names)) if names else "(?!x)x"


def dataset_features(dataset):
    return config["datasets"][dataset]["features"]


def dataset_segmenters(dataset):
    return config["datasets"][dataset].get("segments", [])


def dataset_models(dataset):
    return config["datasets"][dataset]["models"]


def media_input(column):
    def _input(wildcards):
        path = session_row(wildcards)[column]
        if not path:
            raise DatasetError(f"dataset '{wildcards.dataset}', session '{wildcards.session}': no {column} file")
        return path

    return _input


def all_targets():
    targets = []
    for ds in config["datasets"]:
        targets.append(f"{RESULTS}/manifest/{ds}.csv")
        if dataset_models(ds):
            targets += [f"{RESULTS}/tables/{ds}/models.md", f"{RESULTS}/tables/{ds}/models.csv", f"{RESULTS}/plots/{ds}/models_test_ccc.png"]
            targets += [f"{RESULTS}/plots/{ds}/{m}_test_traces.png" for m in dataset_models(ds)]
        # every listed extractor and segmenter, also those no model consumes yet
        targets += [f"{RESULTS}/features/{ds}/{ex}/{s}.parquet" for ex in dataset_features(ds) for s in sessions(ds)]
        targets += [f"{RESULTS}/segments/{ds}/{g}/{s}.parquet" for g in dataset_segmenters(ds) for s in sessions(ds)]
        targets += temporal_targets(ds)
    return targets


def face_detectors():
    return list(config.get("face_detectors", {}))


def face_cache(wildcards):
    """The detection cache (Parquet + crops) a face extractor reads."""
    detector = config["features"][wildcards.extractor]["detector"]
    stem = f"{RESULTS}/faces/{wildcards.dataset}/{detector}/{wildcards.session}"
    return {"faces": f"{stem}.parquet", "crops": f"{stem}.crops.npz"}


def face_detector_gpu(wildcards):
    # MediaPipe runs on CPU; the torch backends use a GPU when one is there
    return 0 if config["face_detectors"][wildcards.detector]["backend"] == "mediapipe" else 1


def demo_options():
    for d in config["datasets"].values():
        if d["adapter"] == "demo":
            return d["options"]
    return {}


# Extractor kinds that run a neural network: their jobs request a GPU unless the instance sets `gpu`.
NEURAL_KINDS = {"vggish", "wav2vec2", "wav2vec2_dimensions", "whisper_encoder"}


def extractor_gpus(wildcards):
    params = config["features"][wildcards.extractor]
    return int(params.get("gpu", 1 if params["kind"] in NEURAL_KINDS else 0))


def extractor_threads(wildcards):
    # neural extractors on CPU parallelise inside one session; the rest scale by running sessions in parallel
    return 2 if config["features"][wildcards.extractor]["kind"] in NEURAL_KINDS else 1


def segment_inputs(wildcards):
    row = session_row(wildcards)
    kind = config["segmenters"][wildcards.segmenter]["kind"]
    column = "transcript" if kind == "utterances" or (kind == "rolling" and not row["audio"]) else "audio"
    if not row[column]:
        raise DatasetError(f"dataset '{wildcards.dataset}', session '{wildcards.session}': segmenter '{wildcards.segmenter}' needs a {column} file")
    return {column: row[column]}


def label_inputs(wildcards):
    row = session_row(wildcards)
    inputs = {"media": row["video"] or row["audio"]}
    if row["label_kind"] == "continuous":
        inputs["labels"] = row["labels"]
    return inputs


def model_inputs(wildcards):
    model = config["models"][wildcards.model]
    ss = sessions(wildcards.dataset)
    return {
        "labels": [f"{RESULTS}/labels/{wildcards.dataset}/{s}.parquet" for s in ss],
        "features": [f"{RESULTS}/features/{wildcards.dataset}/{ex}/{s}.parquet" for ex in model["features"] for s in ss],
    }


wildcard_constraints:
    dataset=name_regex(list(config["datasets"])),
    session=r"[A-Za-z0-9][A-Za-z0-9_.-]*",


# Temporal aggregation (birhala-…): clips with categorical labels, actor folds fixed at parse time.
def temporal_models(dataset):
    return config["datasets"][dataset].get("temporal_aggregation", [])


def temporal_clips(dataset, tagg):
    from affectflow.temporal_cv import clip_table

    return clip_table(MANIFESTS[dataset].table, config["temporal_aggregation"][tagg]["target"], dataset)


def temporal_folds(dataset, tagg):
    from affectflow.temporal_cv import actor_folds

    return actor_folds(temporal_clips(dataset, tagg)["speaker"], config["temporal_aggregation"][tagg]["folds"])


def temporal_classes(dataset, tagg):
    return config["temporal_aggregation"][tagg].get("classes") or sorted(temporal_clips(dataset, tagg)["label"].unique())


def temporal_fold_inputs(wildcards):
    detector = config["temporal_aggregation"][wildcards.tagg]["detector"]
    clips = temporal_clips(wildcards.dataset, wildcards.tagg)
    # clips without video are sampled audio-only (black, flagged crops); they have no face cache
    stems = [f"{RESULTS}/faces/{wildcards.dataset}/{detector}/{s}" for s in clips.loc[clips["video"] != "", "session"]]
    return {"faces": [f"{s}.parquet" for s in stems], "crops": [f"{s}.crops.npz" for s in stems], "audio": clips["audio"].tolist()}


def temporal_fold_params(wildcards):
    cfg = config["temporal_aggregation"][wildcards.tagg]
    return {"sampling": {**cfg["sampling"], "segments": int(wildcards.segments)}, "network": cfg["network"],
            "sample_rate": cfg["sample_rate"], "audio_only_fps": cfg["audio_only_fps"],
            "crop_size": config["face_detectors"][cfg["detector"]]["size"]}


def temporal_fold_files(wildcards):
    n = len(set(temporal_folds(wildcards.dataset, wildcards.tagg).values()))
    stem = f"{RESULTS}/temporal_aggregation/{wildcards.dataset}/{wildcards.tagg}/N{wildcards.segments}"
    return [f"{stem}/fold{k}.parquet" for k in range(n)]


def temporal_summaries(wildcards):
    return [f"{RESULTS}/tables/{wildcards.dataset}/{wildcards.tagg}/N{n}/summary.csv"
            for n in config["temporal_aggregation"][wildcards.tagg]["segments"]]


def temporal_gpus(wildcards):
    return int(config["temporal_aggregation"][wildcards.tagg]["gpu"])


def temporal_targets(dataset):
    targets = []
    for t in temporal_models(dataset):
        ns = config["temporal_aggregation"][t]["segments"]
        for n in ns:
            stem = f"{RESULTS}/tables/{dataset}/{t}/N{n}"
            targets += [f"{stem}/accuracy.md", f"{stem}/summary.csv", f"{stem}/confusion.csv", f"{RESULTS}/plots/{dataset}/{t}/N{n}_confusion.png"]
        if len(ns) > 1:
            targets += [f"{RESULTS}/tables/{dataset}/{t}/accuracy_vs_segments.csv", f"{RESULTS}/plots/{dataset}/{t}/accuracy_vs_segments.png"]
    return targets
