"""One training job: build a configured sequence model, train one repeat, export everything.

``BUILDERS`` dispatches on the model's kind to the builder of its family, which lists the config
keys it reads (defaults in the config schema):

- ``dlstm``, ``dlstm_fusion``, ``dlstm_av``: Lucas et al.'s DLSTM family (``affectflow.models.dlstm.network``);
- ``attention_fusion``: Tzirakis et al.'s fusion strategies (``affectflow.models.attention_fusion.network``);
- ``jmt``: Waligora et al.'s joint multimodal transformer (``affectflow.models.jmt.network``);
- ``tzirakis_e2e_text|audio|visual|fusion``: Tzirakis et al.'s end-to-end networks on raw inputs
  (``affectflow.models.tzirakis_e2e.model``; data from ``sequence.raw``, no input reduction);
- ``waligora_visual|audio|jmt``: Waligora et al.'s branches and the JMT over them, on raw inputs
  (``affectflow.models.jmt.waligora``).

The DLSTM kinds train one job per repeat; the other two one job per (fold, repeat), each fold's
partitions given in ``manifest`` (``affectflow.evaluation.folds``). Repeat ``r`` uses seed ``seed + r``.
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np
import pandas as pd
import torch

from ...core import store
from ...core.store import atomic_path
from ..attention_fusion import network as attention_fusion
from ..dlstm import network as dlstm
from ..jmt import network as jmt
from ..jmt import waligora
from ..tzirakis_e2e import model as tzirakis_e2e
from . import data as seqdata
from . import raw as seqraw
from .base import SequenceModel
from .train import TrainConfig, TrainResult, fit, predict, prediction_table, save_per_dimension_checkpoint, seed_everything

log = logging.getLogger(__name__)


def model_modalities(name: str, models: dict) -> seqdata.Modalities:
    """The modalities (name → extractors) a configured sequence model reads: its ``modalities``,
    or the union of those of the ``pretrained`` models it fuses."""
    cfg = models[name]
    if "modalities" in cfg:
        return {m: list(exs) for m, exs in cfg["modalities"].items()}
    merged: seqdata.Modalities = {}
    for p in cfg.get("pretrained", []):
        for m, exs in model_modalities(p, models).items():
            if merged.get(m, exs) != exs:
                raise ValueError(f"model '{name}': modality '{m}' is {merged[m]} in one pretrained network and {exs} in another")
            merged[m] = exs
    if not merged:
        raise ValueError(f"model '{name}': neither modalities nor pretrained networks configured")
    return merged


# kind -> builder(name, models, input_dims, n_outputs, pretrained_checkpoints, hop_s=…). A new kind adds its
# builder to its family's BUILDERS, its name to a kind list of affectflow.models and its block to the config schema.
BUILDERS: dict[str, Callable[..., SequenceModel]] = {**dlstm.BUILDERS, **attention_fusion.BUILDERS, **jmt.BUILDERS,
                                                   **tzirakis_e2e.BUILDERS, **waligora.BUILDERS}
# kinds on raw inputs (sequence.raw): kind -> raw_spec(name, models)
RAW_SPECS: dict[str, Callable[[str, dict], dict]] = {**{k: tzirakis_e2e.raw_spec for k in tzirakis_e2e.E2E_KINDS},
                                                     **{k: waligora.raw_spec for k in waligora.KINDS}}


def build(name: str, models: dict, input_dims: dict[str, int], n_outputs: int,
          pretrained_checkpoints: dict[str, str | Path] | None = None, hop_s: float = 0.1) -> SequenceModel:
    """The untrained model ``name`` (``dlstm_fusion``: with its pre-trained networks loaded and frozen) for
    data on a grid of ``hop_s`` seconds (settings given in seconds become frames)."""
    kind = models[name]["kind"]
    if kind not in BUILDERS:
        raise ValueError(f"model '{name}': kind '{kind}' is not a sequence model ({sorted(BUILDERS)})")
    return BUILDERS[kind](name, models, input_dims, n_outputs, pretrained_checkpoints, hop_s=hop_s)


def reduction_partitions(name: str, models: dict) -> list[str]:
    """The partitions the input reduction is fitted on: the model's training partitions, or, for a fusion
    of pre-trained networks, theirs (the frozen networks must see the inputs they were trained on)."""
    cfg = models[name]
    if cfg.get("pretrained"):
        parts = {tuple(reduction_partitions(p, models)) for p in cfg["pretrained"]}
        if len(parts) > 1:
            raise ValueError(f"model '{name}': its pretrained networks were trained on different partitions {sorted(parts)}")
        return list(parts.pop())
    return list(cfg.get("train_partitions", ["train"]))


def train_repeat(*, dataset: str, name: str, models: dict, manifest: pd.DataFrame, dims: list[str], repeat: int, seed: int,
                 predictions: str | Path, checkpoint: str | Path, history: str | Path, info: str | Path,
                 pretrained_checkpoints: dict[str, str | Path] | None = None, labels_root: str | Path = "results/labels",
                 features_root: str | Path = "results/features", faces_root: str | Path = "results/faces") -> dict:
    """Train repeat ``repeat`` of model ``name`` and write predictions, checkpoint, history and info."""
    cfg = models[name]
    train_cfg = TrainConfig.from_dict(cfg, seed=seed + repeat)
    seed_everything(train_cfg.seed)
    if cfg["kind"] in RAW_SPECS:
        specs = RAW_SPECS[cfg["kind"]](name, models)
        modalities = {m: [str(v) for k, v in s.items() if k in seqraw.SOURCES] for m, s in specs.items()}
        data, reductions = seqraw.load(dataset, manifest, specs, dims, labels_root, features_root, faces_root), []
    else:
        modalities = model_modalities(name, models)
        data = seqdata.load(dataset, manifest, modalities, dims, cfg.get("standardise", "speaker"), labels_root, features_root)
        data, reductions = seqdata.reduce_wide_extractors(data, cfg.get("input_components", 16), reduction_partitions(name, models),
                                                          cfg.get("input_components_above", 128))
    for red in reductions:
        log.info("input reduction: %s", red.summary())
    # one network for every dimension, or (separate_dimensions) one per dimension, each early-stopped on its own dev CCC
    groups = [[d] for d in dims] if cfg.get("separate_dimensions") else [list(dims)]
    about = {"model_name": name, "config": cfg, "input_dims": data.input_dims, "repeat": repeat}
    started = time.perf_counter()
    fits = []
    for group in groups:
        if len(groups) > 1:
            seed_everything(train_cfg.seed)  # each dimension's network as it would start alone
        part = data if group == list(dims) else data.with_dims(group)
        model = build(name, models, data.input_dims, len(group), pretrained_checkpoints, hop_s=data.hop_s)
        log.info("model %s (%s), repeat %d, seed %d, dimensions %s, modalities %s, input dims %s", name, cfg["kind"], repeat,
                 train_cfg.seed, group, modalities, data.input_dims)
        result = fit(model, part, train_cfg, checkpoint if len(groups) == 1 else None, checkpoint_info={**about, "dims": group})
        fits.append(_Fit(group, model, result, predict(model, part.sessions, train_cfg, extras=True)))
    if len(groups) > 1:
        save_per_dimension_checkpoint(checkpoint, {f.dims[0]: (f.model, f.result) for f in fits}, **about, dims=dims,
                                      train_config=asdict(train_cfg))
    table = prediction_table(data, _merge_outputs(fits))
    results = [f.result for f in fits]
    history_table = (results[0].history if len(fits) == 1 else
                     pd.concat([f.result.history.assign(dimension=f.dims[0]) for f in fits], ignore_index=True))
    summary = {
        "model": name, "kind": cfg["kind"], "repeat": repeat, "seed": train_cfg.seed, "device": results[0].device,
        "best_epoch": results[0].best_epoch + 1 if len(results) == 1 else float(np.mean([r.best_epoch + 1 for r in results])),
        "epochs_run": len(history_table),
        "dev_score": float(np.mean([r.best_score for r in results])),
        "seconds_per_epoch": float(history_table["seconds"].mean()), "cpu_seconds_per_epoch": float(history_table["cpu_seconds"].mean()),
        "seconds_total": time.perf_counter() - started,
        "parameters": sum(p.numel() for f in fits for p in f.model.parameters()),
        "trainable_parameters": sum(p.numel() for f in fits for p in f.model.parameters() if p.requires_grad),
        "modalities": modalities, "input_dims": data.input_dims, "torch_threads": torch.get_num_threads(),
        "input_reductions": [red.summary() for red in reductions],
    }
    if len(fits) > 1:
        summary["best_epochs"] = {f.dims[0]: f.result.best_epoch + 1 for f in fits}
    record = store.provenance(extractor=f"model:{name}", extractor_version=f"{cfg['kind']}/1", dataset=dataset, session="*",
                              params={**cfg, "repeat": repeat, "seed": train_cfg.seed}, packages=("torch",),
                              extra={"training": summary})
    store.write(table, predictions, record)
    with atomic_path(history) as tmp:
        history_table.to_csv(tmp, index=False, float_format="%.6f")
    with atomic_path(info) as tmp:
        tmp.write_text(json.dumps(summary, indent=2, default=str))
    return summary


class _Fit(NamedTuple):
    """One network of a job: the dimensions it predicts, the trained model, its training result and its outputs."""
    dims: list[str]
    model: SequenceModel
    result: TrainResult
    outputs: list[dict]


def _merge_outputs(fits: list[_Fit]) -> list[dict]:
    """Per session, the predictions of every network side by side in the order of the dimensions; a network per
    dimension's further outputs (attention weights…) are named ``{output}_{dimension}``."""
    if len(fits) == 1:
        return fits[0].outputs
    merged = []
    for per_network in zip(*(f.outputs for f in fits)):
        session = {"pred": np.concatenate([o["pred"] for o in per_network], axis=1)}
        for f, o in zip(fits, per_network):
            session.update({f"{key}_{f.dims[0]}": value for key, value in o.items() if key != "pred"})
        merged.append(session)
    return merged
