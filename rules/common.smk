# Config validation, dataset manifests and the helpers every rule file uses.
import re
from pathlib import Path

from snakemake.utils import min_version, validate

import affectflow.config
import affectflow.reporting
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
        else:
            targets += [f"{RESULTS}/features/{ds}/{ex}/{s}.parquet" for ex in dataset_features(ds) for s in sessions(ds)]
    return targets


def report_category(wildcards):
    # report items are grouped by the paper whose model produced them (affectflow.reporting)
    return affectflow.reporting.category_of_model(wildcards.model, config["models"][wildcards.model])


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
    model = config["models"][wildcards.model]
    ss = sessions(wildcards.dataset)
    return {
        "labels": [f"{RESULTS}/labels/{wildcards.dataset}/{s}.parquet" for s in ss],
        "features": [f"{RESULTS}/features/{wildcards.dataset}/{ex}/{s}.parquet" for ex in model["features"] for s in ss],
    }


wildcard_constraints:
    dataset=name_regex(list(config["datasets"])),
    session=r"[A-Za-z0-9][A-Za-z0-9_.-]*",
