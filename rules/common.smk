# Config validation, dataset manifests and the helpers every rule file uses.
import re
from pathlib import Path

from snakemake.utils import min_version, validate

import affectflow.config
from affectflow.models import FRAME_KINDS, SEQUENCE_KINDS
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


LUCAS_KINDS = ("dlstm", "dlstm_fusion", "dlstm_av")


def dataset_sequence_models(dataset, kinds=SEQUENCE_KINDS):
    return with_pretrained([m for m in dataset_models(dataset) if config["models"][m]["kind"] in kinds])


def sequence_model_configs(model):
    return {m: config["models"][m] for m in with_pretrained([model])}


def sequence_runs(dataset, kinds=SEQUENCE_KINDS):
    return [[m, r] for m in dataset_sequence_models(dataset, kinds) for r in range(config["models"][m]["repeats"])]


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
            targets.append(f"{RESULTS}/tables/{ds}/sequence_models.md")
        if dataset_sequence_models(ds, LUCAS_KINDS):
            targets += [f"{RESULTS}/tables/{ds}/lucas_table1.md", f"{RESULTS}/tables/{ds}/lucas_table2.md"]
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


def sequence_table_inputs(wildcards, kinds=SEQUENCE_KINDS):
    runs = sequence_runs(wildcards.dataset, kinds)
    return {
        "predictions": [f"{RESULTS}/predictions/{wildcards.dataset}/{m}/repeat{r}.parquet" for m, r in runs],
        "info": [f"{RESULTS}/models/{wildcards.dataset}/{m}/repeat{r}/training.json" for m, r in runs],
    }


wildcard_constraints:
    dataset=name_regex(list(config["datasets"])),
    session=r"[A-Za-z0-9][A-Za-z0-9_.-]*",
