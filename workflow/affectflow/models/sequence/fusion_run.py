"""Configured attention-fusion models (Tzirakis et al., Waligora et al.) and their folds.

Kinds (``FUSION_KINDS``) and the config keys they read (defaults in the config schema):

``attention_fusion``  Tzirakis et al.: ``modalities`` {name: [extractors]} (any subset of text,
                      audio, visual), ``strategy`` (see ``fusion_attention.STRATEGIES``),
                      ``projection_size`` (D_u), ``head_size`` (D_s), ``heads`` (p),
                      ``hidden_size`` (LSTM units, 256), ``dropout``.
``jmt``               Waligora et al.: ``modalities`` {audio: […], visual: […]}, ``d_model``,
                      ``heads``, ``encoder_layers``, ``attention`` (sigmoid | softmax),
                      ``fc_sizes`` ([1024, 128]), ``dropout``, and ``folds``.

Folds (``affectflow.evaluation.folds``): each (model, fold, repeat) is one training job.
"""
from __future__ import annotations

from .. import FUSION_KINDS
from .base import SequenceModel
from .fusion_attention import AttentionFusionModel
from .jmt import JointMultimodalTransformer


def build(name: str, cfg: dict, input_dims: dict[str, int], n_outputs: int) -> SequenceModel:
    kind = cfg["kind"]
    if kind == "attention_fusion":
        return AttentionFusionModel(list(cfg["modalities"]), input_dims, n_outputs, cfg.get("strategy", "hierarchical"),
                                    projection_size=cfg.get("projection_size", 256), head_size=cfg.get("head_size", 64),
                                    heads=cfg.get("heads", 4), hidden_size=cfg.get("hidden_size", 256), dropout=cfg.get("dropout", 0.5))
    if kind == "jmt":
        return JointMultimodalTransformer({m: m for m in cfg["modalities"]}, input_dims, n_outputs, d_model=cfg.get("d_model", 512),
                                          heads=cfg.get("heads", 8), encoder_layers=cfg.get("encoder_layers", 1),
                                          attention=cfg.get("attention", "sigmoid"), fc_sizes=tuple(cfg.get("fc_sizes", (1024, 128))),
                                          dropout=cfg.get("dropout", 0.1))
    raise ValueError(f"model '{name}': kind '{kind}' is not an attention-fusion model ({FUSION_KINDS})")
