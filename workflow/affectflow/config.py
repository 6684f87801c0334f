"""Load and validate the workflow configuration against the package's JSON schema.

Snakemake validates the same schema in rules/common.smk; this module serves code and tests
that run without Snakemake.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

import jsonschema
import yaml

SCHEMA_PATH = Path(str(resources.files("affectflow") / "schemas" / "config.schema.yaml"))


class ConfigError(ValueError):
    pass


def schema() -> dict:
    return yaml.safe_load(SCHEMA_PATH.read_text())


def _with_defaults(validator_class):
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, sch):
        if isinstance(instance, dict):
            for prop, sub in properties.items():
                if "default" in sub:
                    instance.setdefault(prop, sub["default"])
        yield from validate_properties(validator, properties, instance, sch)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


def validate(cfg: dict, source: str = "config") -> dict:
    """Validate in place (filling defaults) and check cross-references; return ``cfg``."""
    validator = _with_defaults(jsonschema.Draft202012Validator)(schema())
    errors = sorted(validator.iter_errors(cfg), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"  at {'/'.join(map(str, e.absolute_path)) or '(top level)'}: {e.message}" for e in errors]
        raise ConfigError(f"{source}: invalid configuration\n" + "\n".join(lines))
    check_references(cfg, source)
    return cfg


def check_references(cfg: dict, source: str = "config") -> None:
    """Names used in datasets/models must be defined."""
    problems = []
    for ds, d in cfg["datasets"].items():
        for f in d.get("features", []):
            if f not in cfg["features"]:
                problems.append(f"datasets/{ds}/features: '{f}' is not defined under features")
        for g in d.get("segments", []):
            if g not in cfg.get("segmenters", {}):
                problems.append(f"datasets/{ds}/segments: '{g}' is not defined under segmenters")
        for m in d.get("models", []):
            if m not in cfg["models"]:
                problems.append(f"datasets/{ds}/models: '{m}' is not defined under models")
            else:
                for f in cfg["models"][m]["features"]:
                    if f not in d.get("features", []):
                        problems.append(f"datasets/{ds}/models: model '{m}' needs feature '{f}', which dataset '{ds}' does not list")
        for t in d.get("temporal_aggregation", []):
            if t not in cfg.get("temporal_aggregation", {}):
                problems.append(f"datasets/{ds}/temporal_aggregation: '{t}' is not defined under temporal_aggregation")
    for name, t in cfg.get("temporal_aggregation", {}).items():
        if t["detector"] not in cfg.get("face_detectors", {}):
            problems.append(f"temporal_aggregation/{name}/detector: '{t['detector']}' is not defined under face_detectors")
    for name, f in cfg["features"].items():
        if "detector" in f and f["detector"] not in cfg.get("face_detectors", {}):
            problems.append(f"features/{name}/detector: '{f['detector']}' is not defined under face_detectors")
    if problems:
        raise ConfigError(f"{source}: invalid configuration\n" + "\n".join("  " + p for p in problems))


def load(path: str | Path) -> dict:
    path = Path(path)
    with open(path) as f:
        cfg = yaml.safe_load(f) or {}
    return validate(cfg, source=str(path))
