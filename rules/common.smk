# Config validation, dataset manifests and the helpers every rule file uses.
import re
from pathlib import Path

from snakemake.utils import min_version, validate

import affectflow.config
from affectflow.models import FRAME_KINDS, FUSION_KINDS, SEQUENCE_KINDS, folds
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


def dataset_sequence_models(dataset):
    return with_pretrained([m for m in dataset_models(dataset) if config["models"][m]["kind"] in SEQUENCE_KINDS])


def sequence_model_configs(model):
    return {m: config["models"][m] for m in with_pretrained([model])}


def sequence_runs(dataset):
    return [[m, r] for m in dataset_sequence_models(dataset) for r in range(config["models"][m]["repeats"])]


def fusion_models():
    return [m for m, c in config["models"].items() if c["kind"] in FUSION_KINDS]


def dataset_fusion_models(dataset):
    return [m for m in dataset_models(dataset) if config["models"][m]["kind"] in FUSION_KINDS]


def fusion_runs(dataset):
    """[model, fold, repeat] of every attention-fusion training job of ``dataset``."""
    return [[m, f, r] for m in dataset_fusion_models(dataset) for f in folds.folds(config["models"][m])
            for r in range(config["models"][m]["repeats"])]


def attention_plot_models(dataset):
    return [m for m in dataset_fusion_models(dataset)
            if config["models"][m]["kind"] == "attention_fusion" and config["models"][m]["strategy"] != "concatenation"]


def fusion_targets(dataset):
    kinds = {config["models"][m]["kind"] for m in dataset_fusion_models(dataset)}
    targets = [f"{RESULTS}/tables/{dataset}/fusion_models.md"]
    if "attention_fusion" in kinds:
        targets.append(f"{RESULTS}/tables/{dataset}/tzirakis_table6.md")
    if "jmt" in kinds:
        targets.append(f"{RESULTS}/tables/{dataset}/waligora_table1.md")
    if attention_plot_models(dataset):
        targets.append(f"{RESULTS}/plots/{dataset}/tzirakis_attention.png")
    return targets


def fusion_manifest(wildcards):
    cfg = config["models"][wildcards.model]
    table = MANIFESTS[wildcards.dataset].table[["session", "speaker", "partition"]]
    return folds.fold_manifest(table, wildcards.fold, cfg["folds"], cfg["fold_by"]).to_dict(orient="list")


def fusion_run_paths(dataset, runs, kind):
    if kind == "predictions":
        return [f"{RESULTS}/predictions/{dataset}/{m}/fold{f}/repeat{r}.parquet" for m, f, r in runs]
    return [f"{RESULTS}/models/{dataset}/{m}/fold{f}/repeat{r}/training.json" for m, f, r in runs]


def fusion_table_inputs(wildcards):
    runs = fusion_runs(wildcards.dataset)
    return {"predictions": fusion_run_paths(wildcards.dataset, runs, "predictions"), "info": fusion_run_paths(wildcards.dataset, runs, "info")}


def attention_plot_inputs(wildcards):
    runs = [[m, folds.OFFICIAL, 0] for m in attention_plot_models(wildcards.dataset)]
    return fusion_run_paths(wildcards.dataset, runs, "predictions")


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
        if dataset_frame_models(ds):
            targets += [f"{RESULTS}/tables/{ds}/models.md", f"{RESULTS}/tables/{ds}/models.csv", f"{RESULTS}/plots/{ds}/models_test_ccc.png"]
            targets += [f"{RESULTS}/plots/{ds}/{m}_test_traces.png" for m in dataset_frame_models(ds)]
        if dataset_sequence_models(ds):
            targets += [f"{RESULTS}/tables/{ds}/{t}" for t in ("sequence_models.md", "lucas_table1.md", "lucas_table2.md")]
        if dataset_fusion_models(ds):
            targets += fusion_targets(ds)
        if not dataset_models(ds):
            targets += [f"{RESULTS}/features/{ds}/{ex}/{s}.parquet" for ex in dataset_features(ds) for s in sessions(ds)]
    return targets


def demo_options():
    for d in config["datasets"].values():
        if d["adapter"] == "demo":
            return d["options"]
    return {}


def label_inputs(wildcards):
    row = session_row(wildcards)
    inputs = {"media": row["video"] or row["audio"]}
    if row["label_kind"] == "continuous":
        inputs["labels"] = row["labels"]
    return inputs


def model_inputs(wildcards):
    ss = sessions(wildcards.dataset)
    return {
        "labels": [f"{RESULTS}/labels/{wildcards.dataset}/{s}.parquet" for s in ss],
        "features": [f"{RESULTS}/features/{wildcards.dataset}/{ex}/{s}.parquet"
                     for ex in affectflow.config.model_features(config, wildcards.model) for s in ss],
    }


def sequence_model_inputs(wildcards):
    cfg = config["models"][wildcards.model]
    checkpoints = [f"{RESULTS}/models/{wildcards.dataset}/{p}/repeat{cfg['pretrained_repeat']}/checkpoint.pt" for p in cfg.get("pretrained", [])]
    return {**model_inputs(wildcards), "pretrained": checkpoints}


def sequence_table_inputs(wildcards):
    runs = sequence_runs(wildcards.dataset)
    return {
        "predictions": [f"{RESULTS}/predictions/{wildcards.dataset}/{m}/repeat{r}.parquet" for m, r in runs],
        "info": [f"{RESULTS}/models/{wildcards.dataset}/{m}/repeat{r}/training.json" for m, r in runs],
    }


wildcard_constraints:
    dataset=name_regex(list(config["datasets"])),
    session=r"[A-Za-z0-9][A-Za-z0-9_.-]*",
