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

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version, validate

import affectflow.core.config
from affectflow.datasets import DatasetError, build_manifest, check_files
from affectflow.evaluation import folds, report_categories
from affectflow.extractors import modality_of
from affectflow.models import E2E_KINDS, FOLD_KINDS, FRAME_KINDS, SEQUENCE_KINDS, WALIGORA_KINDS
from affectflow.models.late_fusion import inputs as late_fusion_inputs_mod
from affectflow.models.late_fusion import combinations as late_fusion_combos

min_version("9.0")


affectflow.core.config.drop_empty_sections(config)
try:
    validate(config, schema=str(affectflow.core.config.SCHEMA_PATH))
except WorkflowError:
    # snakemake's message dumps the whole schema (thousands of lines) under the real problem:
    # one line per problem, naming the key, instead
    raise WorkflowError("invalid configuration\n" + "\n".join(
        "  " + p for p in affectflow.core.config.schema_problems(config))) from None
affectflow.core.config.check_references(config, source="config")

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


def session_media(wildcards):
    # only what an extractor reads: a changed speaker or partition must not re-run extraction
    row = session_row(wildcards)
    return {k: row[k] for k in ("dataset", "session", "video", "audio", "transcript")}


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


def dataset_frame_models(dataset):
    return [m for m in dataset_models(dataset) if config["models"][m]["kind"] in FRAME_KINDS]


def sequence_models():
    return [m for m, c in config["models"].items() if c["kind"] in SEQUENCE_KINDS]


def with_pretrained(names):
    """``names`` and, before each, the pre-trained networks it fuses (each once, in order)."""
    out = []
    for m in names:
        out += [n for n in with_pretrained(config["models"][m].get("pretrained", [])) if n not in out]
        if m not in out:
            out.append(m)
    return out


LUCAS_KINDS = ("dlstm", "dlstm_fusion", "dlstm_av")


def dataset_sequence_models(dataset, kinds=SEQUENCE_KINDS):
    return with_pretrained([m for m in dataset_models(dataset) if config["models"][m]["kind"] in kinds])


def sequence_model_configs(model):
    return {m: config["models"][m] for m in with_pretrained([model])}


def sequence_runs(dataset, kinds=SEQUENCE_KINDS):
    return [[m, r] for m in dataset_sequence_models(dataset, kinds) for r in range(config["models"][m]["repeats"])]


def fold_models():
    return [m for m, c in config["models"].items() if c["kind"] in FOLD_KINDS]


def dataset_fold_models(dataset):
    """The dataset's models trained per fold, each after the unimodal networks it is initialised from."""
    return with_pretrained([m for m in dataset_models(dataset) if config["models"][m]["kind"] in FOLD_KINDS])


def fold_runs(dataset):
    """[model, fold, repeat] of every job of ``dataset`` trained per fold × repeat (``FOLD_KINDS``)."""
    return [[m, f, r] for m in dataset_fold_models(dataset) for f in folds.folds(config["models"][m])
            for r in range(config["models"][m]["repeats"])]


def attention_plot_models(dataset):
    return [m for m in dataset_fold_models(dataset)
            if config["models"][m]["kind"] == "attention_fusion" and config["models"][m]["strategy"] != "concatenation"]


def fold_model_targets(dataset):
    kinds = {config["models"][m]["kind"] for m in dataset_fold_models(dataset)}
    targets = [f"{RESULTS}/tables/{dataset}/fusion_models.md"]
    if "attention_fusion" in kinds:
        targets.append(f"{RESULTS}/tables/{dataset}/tzirakis_table6.md")
    if kinds & {"jmt", *WALIGORA_KINDS}:
        targets.append(f"{RESULTS}/tables/{dataset}/waligora_table1.md")
    if kinds & set(E2E_KINDS):
        targets.append(f"{RESULTS}/tables/{dataset}/tzirakis_table2.md")
    if attention_plot_models(dataset):
        targets += [f"{RESULTS}/plots/{dataset}/tzirakis_attention.png", f"{RESULTS}/tables/{dataset}/tzirakis_attention_content.md"]
    return targets


def fold_partitions(wildcards):
    cfg = config["models"][wildcards.model]
    table = MANIFESTS[wildcards.dataset].table[["session", "speaker", "partition"]]
    return folds.fold_manifest(table, wildcards.fold, cfg["folds"], cfg["fold_by"]).to_dict(orient="list")


def fold_run_paths(dataset, runs, kind):
    if kind == "predictions":
        return [f"{RESULTS}/predictions/{dataset}/{m}/fold{f}/repeat{r}.parquet" for m, f, r in runs]
    return [f"{RESULTS}/models/{dataset}/{m}/fold{f}/repeat{r}/training.json" for m, f, r in runs]


def attention_fusion_table_inputs(wildcards):
    runs = fold_runs(wildcards.dataset)
    return {"predictions": fold_run_paths(wildcards.dataset, runs, "predictions"), "info": fold_run_paths(wildcards.dataset, runs, "info")}


def attention_plot_inputs(wildcards):
    runs = [[m, folds.OFFICIAL, 0] for m in attention_plot_models(wildcards.dataset)]
    return fold_run_paths(wildcards.dataset, runs, "predictions")


def media_input(column):
    def _input(wildcards):
        row = session_row(wildcards)
        path = row[column]
        if not path:
            why = f" ({row['audio_note']})" if column == "audio" and row.get("audio_note") else ""
            raise DatasetError(f"dataset '{wildcards.dataset}', session '{wildcards.session}': no {column} file{why}")
        return path

    return _input


def all_targets():
    targets = []
    for ds in config["datasets"]:
        targets.append(f"{RESULTS}/manifest/{ds}.csv")
        if dataset_frame_models(ds):
            targets += [f"{RESULTS}/tables/{ds}/models.md", f"{RESULTS}/tables/{ds}/models.csv", f"{RESULTS}/plots/{ds}/models_test_ccc.png"]
            targets += [f"{RESULTS}/plots/{ds}/{m}_test_traces.png" for m in dataset_frame_models(ds)]
        if dataset_sequence_models(ds):
            targets.append(f"{RESULTS}/tables/{ds}/sequence_models.md")
        if dataset_sequence_models(ds, LUCAS_KINDS):
            targets += [f"{RESULTS}/tables/{ds}/lucas_table1.md", f"{RESULTS}/tables/{ds}/lucas_table2.md"]
        # every listed extractor and segmenter, also those no model consumes yet
        targets += [f"{RESULTS}/features/{ds}/{ex}/{s}.parquet" for ex in dataset_features(ds) for s in sessions(ds)]
        targets += [f"{RESULTS}/segments/{ds}/{g}/{s}.parquet" for g in dataset_segmenters(ds) for s in sessions(ds)]
        if dataset_fold_models(ds):
            targets += fold_model_targets(ds)
        for fu in dataset_late_fusions(ds):
            targets += late_fusion_table_outputs(ds, fu)
        targets += temporal_targets(ds)
        if len(leaderboard_inputs(ds)) > 1:  # one family's own table already ranks its models
            targets += [f"{RESULTS}/tables/{ds}/leaderboard.md", f"{RESULTS}/plots/{ds}/leaderboard.png"]
    return targets


def leaderboard_inputs(wildcards_or_dataset):
    """The tables the leaderboard ranks: every family's that the dataset runs."""
    ds = getattr(wildcards_or_dataset, "dataset", wildcards_or_dataset)
    inputs = {}
    if dataset_frame_models(ds):
        inputs["frame"] = f"{RESULTS}/tables/{ds}/models.csv"
    if dataset_sequence_models(ds):
        inputs["sequence"] = f"{RESULTS}/tables/{ds}/sequence_models.csv"
    if dataset_fold_models(ds):
        inputs["fold"] = f"{RESULTS}/tables/{ds}/fusion_models.csv"
    for fu in dataset_late_fusions(ds):
        inputs[f"late_{fu}"] = f"{RESULTS}/tables/{ds}/fusion_{fu}_table1.csv"
    return inputs


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


def report_category(wildcards):
    # report items are grouped by the paper whose model produced them (affectflow.evaluation.report_categories)
    return report_categories.category_of_model(wildcards.model, config["models"][wildcards.model])


def dataset_late_fusions(dataset):
    return config["datasets"][dataset].get("fusions", [])


def late_fusion_combinations(fusion):
    cfg = config["fusions"][fusion]
    return late_fusion_combos.combinations(list(cfg["modalities"]), cfg.get("combinations", "all"))


def late_fusion_shift_searched(fusion):
    """A list of candidate label shifts: one shift job per (dataset, fusion) chooses them for every combination."""
    return isinstance(config["fusions"][fusion].get("unit", {}).get("label_shift_s"), list)


def late_fusion_manifest(wildcards):
    """session, speaker, partition (and group, when the manifest has one) of the dataset's sessions."""
    table = MANIFESTS[wildcards.dataset].table
    return table[["session", "speaker", "partition", *(["group"] if "group" in table.columns else [])]].to_dict(orient="list")


def late_fusion_table_outputs(dataset, fusion):
    stem = f"{RESULTS}/tables/{dataset}/fusion_{fusion}"
    return [f"{stem}_table1.md", f"{stem}_table1.csv", f"{stem}_table1.tex", f"{stem}_grid.csv", f"{RESULTS}/plots/{dataset}/fusion_{fusion}.png"]


def late_fusion_params(wildcards):
    """The fusion config restricted to one combination's modalities: other modalities' edits do not re-run it."""
    cfg = dict(config["fusions"][wildcards.fusion])
    cfg["modalities"] = {m: cfg["modalities"][m] for m in wildcards.combination.split(late_fusion_combos.SEP)}
    return cfg


def late_fusion_inputs(wildcards, modalities=None):
    """Files one combination reads (``modalities``: all of the fusion's, for the shift job), and the shared label shift."""
    ss = sessions(wildcards.dataset)
    files = [f"{RESULTS}/labels/{wildcards.dataset}/{s}.parquet" for s in ss]
    specs_of = modalities if modalities is not None else late_fusion_params(wildcards)["modalities"]
    for specs in specs_of.values():
        for spec in specs:
            files += late_fusion_inputs_mod.input_files(spec, wildcards.dataset, ss)
    unit = config["fusions"][wildcards.fusion].get("unit", {})
    if unit.get("kind") == "table":
        files.append(unit["path"])
    elif unit.get("kind") == "segmenter":
        files += [f"{RESULTS}/segments/{wildcards.dataset}/{unit['name']}/{s}.parquet" for s in ss]
    out = {"files": list(dict.fromkeys(files))}
    if modalities is None and late_fusion_shift_searched(wildcards.fusion):
        out["shift"] = f"{RESULTS}/fusion/{wildcards.dataset}/{wildcards.fusion}/label_shift.json"
    return out


def late_fusion_shift_inputs(wildcards):
    return late_fusion_inputs(wildcards, config["fusions"][wildcards.fusion]["modalities"])


def demo_options():
    for d in config["datasets"].values():
        if d["adapter"] == "demo":
            return d["options"]
    return {}


# Audio kinds that run a neural network: their jobs request a GPU unless the instance sets `gpu`.
NEURAL_KINDS = {"vggish", "wav2vec2", "wav2vec2_dimensions", "whisper_encoder"}


def extractor_gpus(wildcards):
    """GPUs of one extractor job: the instance's `gpu` when set (any kind: audio, face, text), else
    1 for neural audio kinds and face kinds, 1 for text kinds pinned to `device: cuda`, else 0."""
    params = config["features"][wildcards.extractor]
    if params.get("gpu") is not None:
        return int(params["gpu"])
    kind = params["kind"]
    if kind in NEURAL_KINDS or kind.startswith("face_"):
        return 1
    if kind.startswith("text_") or kind == "word_embeddings":
        return gpu_for(params.get("device"))
    return 0


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
    """The session's media (its duration sets the grid) when it has any, and its label file."""
    row = session_row(wildcards)
    media = row["video"] or row["audio"]
    inputs = {"media": media} if media else {}
    if not media and row["label_kind"] not in ("continuous", "clip"):
        raise ValueError(f"dataset '{wildcards.dataset}' session {wildcards.session}: no media and no continuous labels: "
                         "nothing gives the time grid its length")
    if row["label_kind"] == "continuous":
        inputs["labels"] = row["labels"]
    return inputs


def model_inputs(wildcards):
    ss = sessions(wildcards.dataset)
    return {
        "labels": [f"{RESULTS}/labels/{wildcards.dataset}/{s}.parquet" for s in ss],
        "features": [f"{RESULTS}/features/{wildcards.dataset}/{ex}/{s}.parquet"
                     for ex in affectflow.core.config.model_features(config, wildcards.model) for s in ss],
    }


def model_face_caches(dataset, model):
    """The face detection caches (Parquet + crops) an end-to-end visual network reads, itself or through ``pretrained``."""
    detectors = [config["models"][m]["faces"] for m in with_pretrained([model]) if "faces" in config["models"][m]]
    return [f"{RESULTS}/faces/{dataset}/{d}/{s}.{ext}" for d in dict.fromkeys(detectors) for s in sessions(dataset)
            for ext in ("parquet", "crops.npz")]


def fold_pretrained_names(wildcards):
    """The models whose checkpoints of the same fold and repeat a fold job loads: a ``tzirakis_e2e_fusion``'s
    unimodal networks (unless it starts from scratch), a ``waligora_jmt``'s two branches (always)."""
    cfg = config["models"][wildcards.model]
    if cfg["kind"] == "tzirakis_e2e_fusion" and cfg["init_from_pretrained"] or cfg["kind"] == "waligora_jmt":
        return list(cfg["pretrained"])
    return []


def fold_model_inputs(wildcards):
    """A fold job's inputs, with the checkpoints of ``fold_pretrained_names`` (same fold and repeat)."""
    checkpoints = [f"{RESULTS}/models/{wildcards.dataset}/{p}/fold{wildcards.fold}/repeat{wildcards.repeat}/checkpoint.pt"
                   for p in fold_pretrained_names(wildcards)]
    return {**model_inputs(wildcards), "faces": model_face_caches(wildcards.dataset, wildcards.model), "pretrained": checkpoints}


def sequence_model_inputs(wildcards):
    cfg = config["models"][wildcards.model]
    checkpoints = [f"{RESULTS}/models/{wildcards.dataset}/{p}/repeat{cfg['pretrained_repeat']}/checkpoint.pt" for p in cfg.get("pretrained", [])]
    return {**model_inputs(wildcards), "pretrained": checkpoints}


def sequence_table_inputs(wildcards, kinds=SEQUENCE_KINDS):
    runs = sequence_runs(wildcards.dataset, kinds)
    return {
        "predictions": [f"{RESULTS}/predictions/{wildcards.dataset}/{m}/repeat{r}.parquet" for m, r in runs],
        "info": [f"{RESULTS}/models/{wildcards.dataset}/{m}/repeat{r}/training.json" for m, r in runs],
    }


wildcard_constraints:
    dataset=name_regex(list(config["datasets"])),
    session=r"[A-Za-z0-9][A-Za-z0-9_.-]*",
    fusion=name_regex(list(config.get("fusions", {}))),
    combination=r"[A-Za-z0-9][A-Za-z0-9_-]*(\+[A-Za-z0-9][A-Za-z0-9_-]*)*",


# ---- text branch (rules/text.smk, rules/text_finetune.smk)


def text_transcript(wildcards):
    """The transcript a text extractor reads: the manifest's, or the ASR rule's output."""
    if config["datasets"][wildcards.dataset].get("transcripts", "given") == "asr":
        return f"{RESULTS}/transcripts/{wildcards.dataset}/{wildcards.session}.words.json"
    path = session_row(wildcards)["transcript"]
    if not path:
        raise DatasetError(f"dataset '{wildcards.dataset}', session '{wildcards.session}': no transcript file "
                           "(set the dataset's `transcripts: asr` to transcribe its audio)")
    return path


def text_session_media(wildcards):
    # the transcript a text extractor reads: the given one, or the ASR output
    return {**session_media(wildcards), "transcript": text_transcript(wildcards)}


def finetuned_dir(name):
    return f"{RESULTS}/text_models/{name}"


def text_extractor_params(wildcards):
    params = dict(config["features"][wildcards.extractor])
    if params.get("finetuned"):
        params["model"] = f"{finetuned_dir(params['finetuned'])}/checkpoint"
    return params


def text_inputs(wildcards):
    row = session_row(wildcards)
    inputs = {"transcript": text_transcript(wildcards)}
    if row["audio"] or row["video"]:  # the grid spans the media's duration
        inputs["media"] = row["audio"] or row["video"]
    finetuned = config["features"][wildcards.extractor].get("finetuned")
    if finetuned:
        inputs["label_map"] = f"{finetuned_dir(finetuned)}/label_map.json"
    return inputs


def gpu_for(device):
    """GPU slots a job asks the scheduler for: only when the config pins it to cuda."""
    return 1 if device == "cuda" else 0


# Temporal aggregation (birhala-…): clips with categorical labels, actor folds fixed at parse time.
def temporal_models(dataset):
    return config["datasets"][dataset].get("temporal_aggregation", [])


def temporal_clips(dataset, tagg):
    from affectflow.models.temporal_aggregation.cv import clip_table

    return clip_table(MANIFESTS[dataset].table, config["temporal_aggregation"][tagg]["target"], dataset)


def temporal_folds(dataset, tagg):
    from affectflow.models.temporal_aggregation.cv import actor_folds

    return actor_folds(temporal_clips(dataset, tagg)["speaker"], config["temporal_aggregation"][tagg]["folds"])


def temporal_classes(dataset, tagg):
    return config["temporal_aggregation"][tagg].get("classes") or sorted(temporal_clips(dataset, tagg)["label"].unique())


def temporal_clip_inputs(wildcards):
    """Every clip's face cache (Parquet + crops) and audio: the inputs of the clip index that the
    fold jobs read, so that each of the (N × folds) jobs names one file instead of three per clip."""
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


def temporal_history_files(wildcards):
    return [p.replace(".parquet", "_history.csv") for p in temporal_fold_files(wildcards)]


def temporal_table1_segments(tagg):
    """Table I's rows: the single-segment baseline N = 1 (same folds) and every configured N."""
    return sorted({1, *config["temporal_aggregation"][tagg]["segments"]})


def temporal_table1_summaries(wildcards):
    return [f"{RESULTS}/tables/{wildcards.dataset}/{wildcards.tagg}/N{n}/summary.csv" for n in temporal_table1_segments(wildcards.tagg)]


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
            targets += [f"{stem}/accuracy.md", f"{stem}/summary.csv", f"{stem}/confusion.csv", f"{RESULTS}/plots/{dataset}/{t}/N{n}_confusion.png",
                        f"{stem}/curves.csv", f"{RESULTS}/plots/{dataset}/{t}/N{n}_curves.png"]
        targets += [f"{RESULTS}/tables/{dataset}/{t}/table1.md", f"{RESULTS}/tables/{dataset}/{t}/table1.csv"]
        if len(ns) > 1:
            targets += [f"{RESULTS}/tables/{dataset}/{t}/accuracy_vs_segments.csv", f"{RESULTS}/plots/{dataset}/{t}/accuracy_vs_segments.png"]
    return targets


# ---- shards of short sessions (affectflow.core.shards; rules/shards.smk)
#
# Each sharded per-session rule has a branch function below. For one dataset it gives the sessions
# it can shard (those the per-session rule would accept; a session it would refuse keeps its own job
# and its error) and, per shard, a job (name, input, output, params, log, threads, resources, local,
# env, script) that rules/shards.smk turns into a rule.

from types import SimpleNamespace

from affectflow.core import shards as shards_mod


def shard_options(dataset):
    """The dataset's shard settings (schema defaults filled in), or None when `shards: false`."""
    value = config["datasets"][dataset].get("shards", True)
    if value is False:
        return None
    return {**shards_mod.DEFAULTS, **(value if isinstance(value, dict) else {})}


_DURATIONS = {}


def session_durations(dataset):
    """Session -> seconds, for sharding: the manifest's duration_s (the demo's gives its options'),
    else the dataset's `shards: {assume_duration_s}`, else the media's header; None when none is known.
    Generated media (the demo's rule writes them) are never probed, so a plan does not change once they exist."""
    from affectflow.core import media as media_io

    if dataset in _DURATIONS:
        return _DURATIONS[dataset]
    table = MANIFESTS[dataset].table
    generated = config["datasets"][dataset]["adapter"] == "demo"
    assumed = (shard_options(dataset) or {}).get("assume_duration_s")
    given = table["duration_s"] if "duration_s" in table.columns else None
    out = {}
    for i, row in enumerate(table.to_dict(orient="records")):
        value = str(given.iloc[i]).strip() if given is not None else ""
        path = row.get("audio") or row.get("video")
        if value:
            out[row["session"]] = float(value)
        elif generated or not path:
            out[row["session"]] = None
        elif assumed is not None:
            out[row["session"]] = float(assumed)
        else:
            try:
                out[row["session"]] = media_io.probe(path).duration_s if os.path.exists(path) else None
            except media_io.MediaError:
                out[row["session"]] = None
    _DURATIONS[dataset] = out
    return out


def session_wc(dataset, session, **more):
    # the wildcards a per-session rule's input and params functions receive
    return SimpleNamespace(dataset=dataset, session=session, **more)


def shard_plan(dataset, eligible):
    """Shard index -> sessions, among the ``eligible`` sessions of ``dataset``; {} when sharding is off."""
    opts = shard_options(dataset)
    if opts is None:
        return {}
    durations = session_durations(dataset)
    return shards_mod.plan({s: durations[s] for s in sessions(dataset) if s in eligible},
                           opts["max_session_s"], opts["target_s"])


def _rows(dataset):
    return MANIFESTS[dataset].table.to_dict(orient="records")


def _extractor_shard(ds, ex, k, members, branch, files, media, mem_mb, params=None):
    # one extractor on the sessions of one shard: scripts/extract_shard.py (the extractor loaded once)
    wc = SimpleNamespace(dataset=ds, extractor=ex)
    return SimpleNamespace(
        name=f"extract_{branch}_shard_{ds}_{ex}_{k}", dataset=ds, sessions=list(members), input=files,
        output=[f"{RESULTS}/features/{ds}/{ex}/{s}.parquet" for s in members],
        params={"extractor_name": ex, "extractor": params if params is not None else config["features"][ex],
                "hop_s": config["datasets"][ds]["hop_s"], "media": media},
        log=[f"{RESULTS}/logs/features/{ds}/{ex}/shard{k}.log"], threads=extractor_threads(wc),
        resources={"mem_mb": mem_mb, "gpu": extractor_gpus(wc)}, local=False, script="../scripts/extract_shard.py",
        env=f"../envs/{branch}.yaml")


def audio_shard_jobs(ds):
    audio = [ex for ex in dataset_features(ds) if ex in extractors_of("audio")]
    plan = shard_plan(ds, {r["session"] for r in _rows(ds) if r["audio"]}) if audio else {}
    return [_extractor_shard(ds, ex, k, members, "audio",
                             files={"audio": [MANIFESTS[ds].row(s)["audio"] for s in members]},
                             media=[session_media(session_wc(ds, s)) for s in members], mem_mb=4000)
            for ex in audio for k, members in plan.items()]


def dataset_face_detectors(ds):
    """Detectors whose caches the dataset needs: its face extractors', its temporal aggregations' and
    its end-to-end visual networks' (``faces:``)."""
    names = [config["features"][ex]["detector"] for ex in dataset_features(ds) if ex in extractors_of("video")]
    names += [config["temporal_aggregation"][t]["detector"] for t in temporal_models(ds)]
    names += [config["models"][m]["faces"] for m in dataset_fold_models(ds) if "faces" in config["models"][m]]
    return list(dict.fromkeys(names))


def face_shard_jobs(ds):
    with_video = {r["session"] for r in _rows(ds) if r["video"]}
    detectors = dataset_face_detectors(ds)
    plan = shard_plan(ds, with_video) if detectors else {}
    jobs = []
    for det in detectors:
        for k, members in plan.items():
            stems = [f"{RESULTS}/faces/{ds}/{det}/{s}" for s in members]
            jobs.append(SimpleNamespace(
                name=f"detect_faces_shard_{ds}_{det}_{k}", dataset=ds, sessions=list(members), input={"video": [MANIFESTS[ds].row(s)["video"] for s in members]},
                output=[f for stem in stems for f in (f"{stem}.parquet", f"{stem}.crops.npz")],
                params={"detector_name": det, "detector": config["face_detectors"][det], "hop_s": config["datasets"][ds]["hop_s"],
                        "media": [session_media(session_wc(ds, s)) for s in members]},
                log=[f"{RESULTS}/logs/faces/{ds}/{det}/shard{k}.log"], threads=1,
                resources={"mem_mb": 3000, "gpu": face_detector_gpu(SimpleNamespace(detector=det))}, local=False,
                env="../envs/face.yaml", script="../scripts/detect_faces_shard.py"))
    for ex in [ex for ex in dataset_features(ds) if ex in extractors_of("video")]:
        for k, members in plan.items():
            caches = [face_cache(session_wc(ds, s, extractor=ex)) for s in members]
            jobs.append(_extractor_shard(
                ds, ex, k, members, "face",
                files={"faces": [c["faces"] for c in caches], "crops": [c["crops"] for c in caches],
                       "video": [MANIFESTS[ds].row(s)["video"] for s in members]},
                media=[{**session_media(session_wc(ds, s)), "faces": c["faces"]} for s, c in zip(members, caches)], mem_mb=4000))
    return jobs


def text_shard_jobs(ds):
    text = [ex for ex in dataset_features(ds) if ex in extractors_of("text")]
    asr = config["datasets"][ds].get("transcripts", "given") == "asr"
    readable = {r["session"] for r in _rows(ds) if (r["audio"] if asr else r["transcript"])}
    plan = shard_plan(ds, readable) if text or asr else {}
    jobs = []
    if asr:
        jobs += per_session_shards(ds, "transcribe", "transcribe.py", plan, "text", threads=2, mem_mb=3000,
                                   gpu=gpu_for(config["datasets"][ds]["asr"].get("device")))
    for ex in text:
        for k, members in plan.items():
            wcs = [session_wc(ds, s, extractor=ex) for s in members]
            inputs = [text_inputs(wc) for wc in wcs]
            jobs.append(_extractor_shard(
                ds, ex, k, members, "text", files={key: [i[key] for i in inputs if key in i] for key in ("transcript", "media", "label_map")},
                media=[text_session_media(wc) for wc in wcs], params=text_extractor_params(wcs[0]), mem_mb=3000))
    return jobs


def label_shard_jobs(ds):
    labelled = {r["session"] for r in _rows(ds)
                if (r["video"] or r["audio"] or r["label_kind"] in ("continuous", "clip"))
                and (r["label_kind"] != "continuous" or r["labels"])}
    return per_session_shards(ds, "grid_labels", "grid_labels.py", shard_plan(ds, labelled), "core", local=True)


def demo_shard_jobs(ds):
    # the demo's generated sessions (rules/demo.smk), batched like the jobs that read them
    if config["datasets"][ds]["adapter"] != "demo":
        return []
    return per_session_shards(ds, "demo_session", "demo_session.py", shard_plan(ds, set(sessions(ds))), "core")


def segment_shard_jobs(ds):
    jobs = []
    for seg in dataset_segmenters(ds):
        def readable(row):
            try:
                return bool(segment_inputs(session_wc(ds, row["session"], segmenter=seg)))
            except DatasetError:  # the per-session rule reports it
                return False

        plan = shard_plan(ds, {r["session"] for r in _rows(ds) if readable(r)})
        jobs += per_session_shards(ds, "segment_session", "segment_session.py", plan, "audio", unit=seg, mem_mb=1000)
    return jobs


# what one session's job of each per-session rule run by scripts/session_shard.py gets
PER_SESSION = {
    "transcribe": lambda wc: SimpleNamespace(
        input={"media": media_input("audio")(wc)}, output=[f"{RESULTS}/transcripts/{wc.dataset}/{wc.session}.words.json"],
        params={"asr": config["datasets"][wc.dataset]["asr"]}, log=[f"{RESULTS}/logs/transcripts/{wc.dataset}/{wc.session}.log"]),
    "grid_labels": lambda wc: SimpleNamespace(
        input=label_inputs(wc), output=[f"{RESULTS}/labels/{wc.dataset}/{wc.session}.parquet"],
        params={"row": session_row(wc), "hop_s": config["datasets"][wc.dataset]["hop_s"],
                "delay_s": config["datasets"][wc.dataset]["annotation_delay_s"], "dimensions": config["datasets"][wc.dataset]["dimensions"]},
        log=[f"{RESULTS}/logs/labels/{wc.dataset}/{wc.session}.log"]),
    "demo_session": lambda wc: SimpleNamespace(
        input={}, output=dict(zip(("media", "transcript", "labels"), [f"{RESULTS}/demo/{wc.session}/{wc.session}.{ext}" for ext in ("mp4", "words.json", "labels.csv")])),
        params={"options": demo_options()}, log=[f"{RESULTS}/logs/demo/{wc.session}.log"]),
    "segment_session": lambda wc: SimpleNamespace(
        input=segment_inputs(wc), output=[f"{RESULTS}/segments/{wc.dataset}/{wc.segmenter}/{wc.session}.parquet"],
        params={"segmenter": config["segmenters"][wc.segmenter], "row": session_row(wc)},
        log=[f"{RESULTS}/logs/segments/{wc.dataset}/{wc.segmenter}/{wc.session}.log"]),
}


def per_session_shards(ds, rule, script, plan, env, unit=None, threads=1, mem_mb=1000, gpu=0, local=False):
    """Shard jobs that run a per-session rule's own ``script`` once per session, in one process
    (scripts/session_shard.py): each session's inputs, output, params and log as its own job's."""
    import hashlib

    # the code trigger sees the shard rule's script, not the per-session script it runs: its hash is a param
    script_sha = hashlib.sha256((Path(workflow.basedir) / "scripts" / script).read_bytes()).hexdigest()
    extra = {"segmenter": unit} if unit else {}
    jobs = []
    unit_part = f"{unit}_" if unit else ""
    for k, members in plan.items():
        wcs = [session_wc(ds, s, **extra) for s in members]
        jobs_of = [PER_SESSION[rule](wc) for wc in wcs]
        jobs.append(SimpleNamespace(
            name=f"{rule}_shard_{ds}_{unit_part}{k}", dataset=ds, sessions=list(members),
            input={"files": [f for j in jobs_of for f in j.input.values()]}, output=[f for j in jobs_of for f in (j.output.values() if isinstance(j.output, dict) else j.output)],
            params={"script": script, "script_sha256": script_sha,
                    "members": [{"input": j.input, "output": j.output, "params": j.params, "wildcards": vars(wc), "log": j.log}
                                for j, wc in zip(jobs_of, wcs)]},
            log=[f for j in jobs_of for f in j.log], threads=threads, resources={"mem_mb": mem_mb, "gpu": gpu}, local=local,
            env=f"../envs/{env}.yaml", script="../scripts/session_shard.py"))
    return jobs


_SHARD_JOBS = []


def all_shard_jobs():
    if not _SHARD_JOBS:
        for ds in config["datasets"]:
            if shard_options(ds) is not None:
                for branch in (demo_shard_jobs, audio_shard_jobs, face_shard_jobs, text_shard_jobs, label_shard_jobs, segment_shard_jobs):
                    _SHARD_JOBS.extend(branch(ds))
    return _SHARD_JOBS


def shard_jobs(script):
    """The shard jobs of every dataset that run ``script`` (rules/shards.smk makes each a rule)."""
    return [j for j in all_shard_jobs() if j.script == f"../scripts/{script}"]


_SHARD_OUTPUTS = {}


def shard_output_index():
    """Output file -> (shard rule, position in its output list), over every shard job."""
    if not _SHARD_OUTPUTS:
        for job in all_shard_jobs():
            outputs = job.output.values() if isinstance(job.output, dict) else job.output
            _SHARD_OUTPUTS.update((f, (job.name, i)) for i, f in enumerate(outputs))
    return _SHARD_OUTPUTS


def wired(files):
    """``files`` with every output of an already defined shard rule replaced by that rule's own
    output (``rules.<shard>.output[i]``). Snakemake then knows the producer of such an input when the
    rule is defined; otherwise it matches every requested file against every candidate rule's outputs,
    compiling a regular expression per declared output: ~a quarter of a 10,000-clip dry run
    (docs/benchmarks.md)."""
    index = shard_output_index()
    out = []
    for f in files:
        producer = index.get(f)
        out.append(getattr(rules, producer[0]).output[producer[1]] if producer and rules.has(producer[0]) else f)
    return out


def shard_inputs(job):
    """A shard rule's input files, one flat unnamed list, wired. Flat because Snakemake keeps an
    input's producer rule only for unnamed inputs (not for the items of a named list); the shard
    scripts take each session's files from their params."""
    files = []
    for value in job.input.values():
        files += value if isinstance(value, list) else [value]
    return wired(files)


def unsharded_sessions(rule):
    """The `session` wildcard constraint of a per-session rule: the sessions no shard job of it covers.
    Without it Snakemake builds, for every file of a sharded session, the per-session job too before
    preferring the shard's (10,000 clips x 6 rules: ~60,000 discarded jobs, half of a dry run's time).
    Unconstrained when nothing is sharded, or when the list would be too long to match quickly (the
    shard rule still wins then, as before)."""
    sharded = {(j.dataset, s) for j in all_shard_jobs() if j.name.startswith(f"{rule}_shard_") for s in j.sessions}
    if not sharded:
        return ".+"
    allowed = sorted({s for ds in config["datasets"] for s in sessions(ds) if (ds, s) not in sharded})
    return ".+" if len(allowed) > 500 else name_regex(allowed)
