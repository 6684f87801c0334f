# Config validation, dataset manifests and the helpers every rule file uses.
import re
from pathlib import Path

from snakemake.utils import min_version, validate

import affectflow.config
from affectflow.datasets import DatasetError, build_manifest, check_files
from affectflow.extractors import modality_of
from affectflow.fusion import inputs as fusion_inputs_mod
from affectflow.fusion import report as fusion_report

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
        for fu in dataset_fusions(ds):
            targets += fusion_table_outputs(ds, fu)
    return targets


def dataset_fusions(dataset):
    return config["datasets"][dataset].get("fusions", [])


def fusion_combinations(fusion):
    return fusion_report.combinations(list(config["fusions"][fusion]["modalities"]))


def fusion_table_outputs(dataset, fusion):
    stem = f"{RESULTS}/tables/{dataset}/fusion_{fusion}"
    return [f"{stem}_table1.md", f"{stem}_table1.csv", f"{stem}_table1.tex", f"{stem}_grid.csv", f"{RESULTS}/plots/{dataset}/fusion_{fusion}.png"]


def fusion_params(wildcards):
    """The fusion config restricted to one combination's modalities: other modalities' edits do not re-run it."""
    cfg = dict(config["fusions"][wildcards.fusion])
    cfg["modalities"] = {m: cfg["modalities"][m] for m in wildcards.combination.split(fusion_report.SEP)}
    return cfg


def fusion_inputs(wildcards):
    ss = sessions(wildcards.dataset)
    files = [f"{RESULTS}/labels/{wildcards.dataset}/{s}.parquet" for s in ss]
    for specs in fusion_params(wildcards)["modalities"].values():
        for spec in specs:
            files += fusion_inputs_mod.input_files(spec, wildcards.dataset, ss)
    unit = config["fusions"][wildcards.fusion].get("unit", {})
    if unit.get("kind") == "table":
        files.append(unit["path"])
    return {"files": list(dict.fromkeys(files))}


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
    fusion=name_regex(list(config.get("fusions", {}))),
    standin=name_regex(list(config.get("standins", {}))),
    combination=r"[A-Za-z0-9][A-Za-z0-9_-]*(\+[A-Za-z0-9][A-Za-z0-9_-]*)*",
