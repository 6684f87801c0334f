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


# a schema message quotes the offending value; a whole section quoted is no help, so it is cut
MESSAGE_CHARS = 240


def drop_empty_sections(cfg: dict) -> dict:
    """A section written but left empty (``features:`` with nothing under it reads as null) is the
    same as one left out: removed in place, so that the schema's default (``{}``/``[]``) applies."""
    for key in [k for k, v in cfg.items() if v is None]:
        del cfg[key]
    for d in (cfg.get("datasets") or {}).values():
        if isinstance(d, dict):
            for key in [k for k, v in d.items() if v is None]:
                del d[key]
    return cfg


def _message(error) -> str:
    text = error.message
    return text if len(text) <= MESSAGE_CHARS else text[:MESSAGE_CHARS] + " …"


def schema_problems(cfg: dict) -> list[str]:
    """One line per schema violation: ``at key/path: problem`` (defaults filled in place)."""
    validator = _with_defaults(jsonschema.Draft202012Validator)(schema())
    errors = sorted(validator.iter_errors(cfg), key=lambda e: list(map(str, e.absolute_path)))
    lines = []
    for e in errors:
        error = e
        # an anyOf or oneOf failure: its most relevant sub-error names the real key
        while error.context:
            error = jsonschema.exceptions.best_match(error.context)
        where = "/".join(map(str, error.absolute_path)) or "(top level)"
        line = f"at {where}: {_message(error)}"
        if line not in lines:
            lines.append(line)
    return lines


def validate(cfg: dict, source: str = "config") -> dict:
    """Validate in place (filling defaults) and check cross-references; return ``cfg``."""
    drop_empty_sections(cfg)
    problems = schema_problems(cfg)
    if problems:
        raise ConfigError(f"{source}: invalid configuration\n" + "\n".join("  " + p for p in problems))
    check_references(cfg, source)
    return cfg


def _entry_defaults(entry: dict, definition: str, source: str) -> dict:
    # one entry of a section validated against its $defs block alone, defaults filled in place
    sch = schema()
    validator = _with_defaults(jsonschema.Draft202012Validator)({"$defs": sch["$defs"], "$ref": f"#/$defs/{definition}"})
    problems = [f"at {'/'.join(map(str, e.absolute_path)) or '(top level)'}: {_message(e)}" for e in validator.iter_errors(entry)]
    if problems:
        raise ConfigError(f"{source}: invalid {definition}\n" + "\n".join("  " + p for p in problems))
    return entry


def fusion_defaults(fusion: dict, source: str = "fusion") -> dict:
    """One ``fusions:`` entry validated on its own, with the schema's defaults filled in place (what the
    late-fusion rules receive), for code that runs a fusion without a whole config (benchmarks)."""
    return _entry_defaults(fusion, "fusion", source)


def model_defaults(model: dict, source: str = "model") -> dict:
    """One ``models:`` entry validated on its own, with the schema's defaults filled in place (the sizes a
    DAG job would get), for code that builds a model without a whole config (benchmarks)."""
    return _entry_defaults(model, "model", source)


def model_features(cfg: dict, name: str) -> list[str]:
    """Extractor names a model reads: ``features``, the extractors of its ``modalities``, or those
    of the ``pretrained`` models it fuses (end-to-end models: their word or waveform store)."""
    model = cfg["models"][name]
    if "features" in model:
        return list(model["features"])
    if model["kind"] in ("tzirakis_e2e_text", "tzirakis_e2e_audio"):  # raw inputs from a store (the visual one reads face caches)
        return [model["words"] if "words" in model else model["waveform"]]
    if model["kind"] == "waligora_audio":  # per-clip spectrograms from a waveform store
        return [model["waveform"]]
    if model["kind"] in ("tzirakis_e2e_visual", "waligora_visual"):  # face caches, not a store
        return []
    if "modalities" in model:
        return list(dict.fromkeys(ex for exs in model["modalities"].values() for ex in exs))
    return list(dict.fromkeys(ex for p in model.get("pretrained", []) if p in cfg["models"] for ex in model_features(cfg, p)))


def fold_fusion_problems(cfg: dict, name: str, model: dict) -> list[str]:
    """What a fold model that loads other models' checkpoints of the same fold and repeat needs of them:
    as many repeats (else the DAG trains repeats their own tables never count) and, for the JMT over
    Waligora's branches, one branch of each kind cutting the same clips."""
    if model["kind"] not in ("tzirakis_e2e_fusion", "waligora_jmt"):
        return []
    members = {p: cfg["models"][p] for p in model.get("pretrained", []) if p in cfg["models"]}
    problems = [f"models/{name}/repeats: {model.get('repeats')} repeats, but '{p}' has {c.get('repeats')} (repeat r of "
                f"'{name}' loads repeat r of '{p}')" for p, c in members.items() if c.get("repeats", 1) < model.get("repeats", 1)]
    if model["kind"] == "waligora_jmt":
        kinds = sorted(c["kind"] for c in members.values())
        if kinds != ["waligora_audio", "waligora_visual"]:
            problems.append(f"models/{name}/pretrained: needs one waligora_visual and one waligora_audio model, got {kinds}")
        for key in ("clip_frames", "sequence_length"):
            values = {p: c.get(key) for p, c in {name: model, **members}.items()}
            if len(set(values.values())) > 1:
                problems.append(f"models/{name}: {key} differs between the JMT and its branches {values} (they must cut the same clips)")
    return problems


def check_references(cfg: dict, source: str = "config") -> None:
    """Names used in datasets/models must be defined."""
    problems = []
    for m, model in cfg["models"].items():
        for p in model.get("pretrained", []):
            if p not in cfg["models"]:
                problems.append(f"models/{m}/pretrained: '{p}' is not defined under models")
            elif model["kind"] == "tzirakis_e2e_fusion":
                if not cfg["models"][p]["kind"].startswith("tzirakis_e2e_") or cfg["models"][p]["kind"] == "tzirakis_e2e_fusion":
                    problems.append(f"models/{m}/pretrained: '{p}' is a '{cfg['models'][p]['kind']}' model; a tzirakis_e2e_fusion fuses "
                                    "tzirakis_e2e_text/audio/visual models")
                elif (cfg["models"][p].get("folds", 0), cfg["models"][p].get("fold_by", "speaker")) != (model.get("folds", 0), model.get("fold_by", "speaker")):
                    problems.append(f"models/{m}/pretrained: '{p}' has other folds than '{m}' (its checkpoints of the same fold initialise '{m}')")
            elif model["kind"] == "waligora_jmt":
                if cfg["models"][p]["kind"] not in ("waligora_visual", "waligora_audio"):
                    problems.append(f"models/{m}/pretrained: '{p}' is a '{cfg['models'][p]['kind']}' model; a waligora_jmt fuses "
                                    "one waligora_visual and one waligora_audio model")
                elif (cfg["models"][p].get("folds", 5), cfg["models"][p].get("fold_by", "speaker")) != (model.get("folds", 5), model.get("fold_by", "speaker")):
                    problems.append(f"models/{m}/pretrained: '{p}' has other folds than '{m}' (its checkpoints of the same fold are loaded into '{m}')")
            elif cfg["models"][p]["kind"] != "dlstm":
                problems.append(f"models/{m}/pretrained: '{p}' is a '{cfg['models'][p]['kind']}' model; only dlstm networks can be fused")
            if p in cfg["models"] and cfg["models"][p].get("separate_dimensions"):
                problems.append(f"models/{m}/pretrained: '{p}' trains a network per dimension (separate_dimensions); "
                                f"'{m}' loads one network")
        if model.get("separate_dimensions") and model["kind"] == "dlstm_fusion":
            problems.append(f"models/{m}/separate_dimensions: a dlstm_fusion fuses its networks' predictions of every dimension")
        problems += fold_fusion_problems(cfg, m, model)
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
                for f in model_features(cfg, m):
                    if f not in d.get("features", []):
                        problems.append(f"datasets/{ds}/models: model '{m}' needs feature '{f}', which dataset '{ds}' does not list")
        for t in d.get("temporal_aggregation", []):
            if t not in cfg.get("temporal_aggregation", {}):
                problems.append(f"datasets/{ds}/temporal_aggregation: '{t}' is not defined under temporal_aggregation")
        for fu in d.get("fusions", []):
            if fu not in cfg.get("fusions", {}):
                problems.append(f"datasets/{ds}/fusions: '{fu}' is not defined under fusions")
                continue
            for modality, specs in cfg["fusions"][fu]["modalities"].items():
                for spec in specs:
                    where = f"fusions/{fu}/modalities/{modality}"
                    if "store" in spec and spec["store"] not in d.get("features", []):
                        problems.append(f"{where}: extractor '{spec['store']}' is not among dataset '{ds}' features")
                    if "predictions" in spec and spec["predictions"] not in d.get("models", []):
                        problems.append(f"{where}: model '{spec['predictions']}' is not among dataset '{ds}' models")
            unit = cfg["fusions"][fu].get("unit", {})
            if unit.get("kind") == "segmenter" and unit["name"] not in d.get("segments", []):
                problems.append(f"fusions/{fu}/unit: segmenter '{unit['name']}' is not among dataset '{ds}' segments")
    for name, t in cfg.get("temporal_aggregation", {}).items():
        if t["detector"] not in cfg.get("face_detectors", {}):
            problems.append(f"temporal_aggregation/{name}/detector: '{t['detector']}' is not defined under face_detectors")
    for m, model in cfg["models"].items():
        if "faces" in model and model["faces"] not in cfg.get("face_detectors", {}):
            problems.append(f"models/{m}/faces: '{model['faces']}' is not defined under face_detectors")
        for key, kind in (("words", "word_embeddings"), ("waveform", "waveform_chunks")):
            if key in model and cfg["features"].get(model[key], {}).get("kind") != kind:
                problems.append(f"models/{m}/{key}: '{model[key]}' is not a {kind} extractor under features")
    for name, f in cfg["features"].items():
        if "detector" in f and f["detector"] not in cfg.get("face_detectors", {}):
            problems.append(f"features/{name}/detector: '{f['detector']}' is not defined under face_detectors")
    for name, f in cfg.get("features", {}).items():
        if f.get("kind") == "text_logits":
            if bool(f.get("model")) == bool(f.get("finetuned")):
                problems.append(f"features/{name}: text_logits needs exactly one of 'model' (hub id or folder) or 'finetuned'")
            elif f.get("finetuned") and f["finetuned"] not in cfg.get("text_models", {}):
                problems.append(f"features/{name}: finetuned '{f['finetuned']}' is not defined under text_models")
    if problems:
        raise ConfigError(f"{source}: invalid configuration\n" + "\n".join("  " + p for p in problems))


def load(path: str | Path) -> dict:
    path = Path(path)
    with open(path) as f:
        cfg = yaml.safe_load(f) or {}
    return validate(cfg, source=str(path))
