"""One training job: build a configured sequence model, train one repeat, export everything.

Kinds and the config keys they read (defaults in the config schema):

``dlstm``         ``modalities`` {name: [extractors]} (several = early fusion by concatenation),
                  ``hidden_size``, ``num_layers``, ``dropout``, ``embedding_attention``,
                  ``attention_window``, ``attention_bypass_epochs``.
``dlstm_fusion``  ``pretrained`` [dlstm model names], ``method`` (attention | olb | hlb),
                  ``pretrained_repeat``: the frozen networks are that repeat's checkpoints, so
                  every fusion repeat fuses the same networks (as in the paper).
``dlstm_av``      ``modalities`` {audio: […], video: […]}; one DLSTM per modality plus one on
                  their concatenation (``early``), sizes from ``hidden_sizes``, embedding
                  attention on the modalities in ``embedding_attention``, fused by ``method``
                  and trained end to end.

Repeat ``r`` uses seed ``seed + r``.
"""
from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Callable

import pandas as pd
import torch

from ...core import store
from ...core.store import atomic_path
from .. import FUSION_KINDS, SEQUENCE_KINDS
from . import data as seqdata
from . import fusion_run
from .base import SequenceModel
from .dlstm import DLSTM, DLSTMFusion
from .train import TrainConfig, fit, load_checkpoint, predict, prediction_table, seed_everything

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


def _dlstm(cfg: dict, modalities: list[str], input_dims: dict[str, int], n_outputs: int, hidden_size: int,
           embedding_attention: bool) -> DLSTM:
    return DLSTM(modalities, input_dims, n_outputs, hidden_size=hidden_size, num_layers=cfg.get("num_layers", 2),
                 dropout=cfg.get("dropout", 0.2), embedding_attention=embedding_attention,
                 attention_window=cfg.get("attention_window", 13), bypass_epochs=cfg.get("attention_bypass_epochs", 5))


def _build_dlstm(name, models, input_dims, n_outputs, pretrained_checkpoints):
    cfg = models[name]
    return _dlstm(cfg, list(cfg["modalities"]), input_dims, n_outputs, cfg.get("hidden_size", 64), cfg.get("embedding_attention", False))


def _build_dlstm_av(name, models, input_dims, n_outputs, pretrained_checkpoints):
    cfg = models[name]
    mods = list(cfg["modalities"])
    sizes = cfg.get("hidden_sizes", {})
    attend = set(cfg.get("embedding_attention", []))
    unknown = attend - set(mods)
    if unknown:
        raise ValueError(f"model '{name}': embedding_attention names {sorted(unknown)}, not among its modalities {mods}")
    nets = {m: _dlstm(cfg, [m], input_dims, n_outputs, sizes.get(m, 64), m in attend) for m in mods}
    nets["early"] = _dlstm(cfg, mods, input_dims, n_outputs, sizes.get("early", 64), False)
    return DLSTMFusion(nets, cfg.get("method", "attention"), n_outputs, freeze=False)


def _build_dlstm_fusion(name, models, input_dims, n_outputs, pretrained_checkpoints):
    cfg = models[name]
    nets = {}
    for p in cfg["pretrained"]:
        if models[p]["kind"] != "dlstm":
            raise ValueError(f"model '{name}': pretrained network '{p}' is a '{models[p]['kind']}', not a dlstm")
        path = (pretrained_checkpoints or {}).get(p)
        if path is None:
            raise ValueError(f"model '{name}': no checkpoint given for pretrained network '{p}'")
        nets[p] = build(p, models, input_dims, n_outputs)
        load_checkpoint(path, nets[p])
    return DLSTMFusion(nets, cfg.get("method", "attention"), n_outputs, freeze=True)


# kind -> builder(name, models, input_dims, n_outputs, pretrained_checkpoints). A new kind adds its
# builder here, its name to affectflow.models.SEQUENCE_KINDS and its block to the config schema.
BUILDERS: dict[str, Callable[..., SequenceModel]] = {
    "dlstm": _build_dlstm,
    "dlstm_fusion": _build_dlstm_fusion,
    "dlstm_av": _build_dlstm_av,
    # Tzirakis et al.'s attention fusions and Waligora et al.'s JMT (models/sequence/fusion_run.py)
    **{kind: (lambda name, models, input_dims, n_outputs, _pretrained=None: fusion_run.build(name, models[name], input_dims, n_outputs))
       for kind in FUSION_KINDS},
}


def build(name: str, models: dict, input_dims: dict[str, int], n_outputs: int,
          pretrained_checkpoints: dict[str, str | Path] | None = None) -> SequenceModel:
    """The untrained model ``name`` (fusion: with its pre-trained networks loaded and frozen)."""
    kind = models[name]["kind"]
    if kind not in BUILDERS:
        raise ValueError(f"model '{name}': kind '{kind}' is not a sequence model ({sorted(BUILDERS)})")
    return BUILDERS[kind](name, models, input_dims, n_outputs, pretrained_checkpoints)


def train_repeat(*, dataset: str, name: str, models: dict, manifest: pd.DataFrame, dims: list[str], repeat: int, seed: int,
                 predictions: str | Path, checkpoint: str | Path, history: str | Path, info: str | Path,
                 pretrained_checkpoints: dict[str, str | Path] | None = None, labels_root: str | Path = "results/labels",
                 features_root: str | Path = "results/features") -> dict:
    """Train repeat ``repeat`` of model ``name`` and write predictions, checkpoint, history and info."""
    cfg = models[name]
    train_cfg = TrainConfig.from_dict(cfg, seed=seed + repeat)
    seed_everything(train_cfg.seed)
    modalities = model_modalities(name, models)
    data = seqdata.load(dataset, manifest, modalities, dims, cfg.get("standardise", "speaker"), labels_root, features_root)
    model = build(name, models, data.input_dims, len(dims), pretrained_checkpoints)
    log.info("model %s (%s), repeat %d, seed %d, modalities %s, input dims %s", name, cfg["kind"], repeat, train_cfg.seed,
             modalities, data.input_dims)
    started = time.perf_counter()
    result = fit(model, data, train_cfg, checkpoint,
                 checkpoint_info={"model_name": name, "config": cfg, "input_dims": data.input_dims, "dims": dims, "repeat": repeat})
    outputs = predict(model, data.sessions, train_cfg, extras=True)
    table = prediction_table(data, outputs)
    summary = {
        "model": name, "kind": cfg["kind"], "repeat": repeat, "seed": train_cfg.seed, "device": result.device,
        "best_epoch": result.best_epoch + 1, "epochs_run": len(result.history), "dev_score": result.best_score,
        "seconds_per_epoch": result.seconds_per_epoch,
        "cpu_seconds_per_epoch": result.cpu_seconds_per_epoch, "seconds_total": time.perf_counter() - started,
        "parameters": sum(p.numel() for p in model.parameters()),
        "trainable_parameters": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "modalities": modalities, "input_dims": data.input_dims, "torch_threads": torch.get_num_threads(),
    }
    record = store.provenance(extractor=f"model:{name}", extractor_version=f"{cfg['kind']}/1", dataset=dataset, session="*",
                              params={**cfg, "repeat": repeat, "seed": train_cfg.seed}, packages=("torch",),
                              extra={"training": summary})
    store.write(table, predictions, record)
    with atomic_path(history) as tmp:
        result.history.to_csv(tmp, index=False, float_format="%.6f")
    with atomic_path(info) as tmp:
        tmp.write_text(json.dumps(summary, indent=2, default=str))
    return summary
