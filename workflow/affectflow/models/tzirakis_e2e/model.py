"""Tzirakis et al.'s end-to-end networks as sequence-core models (kinds ``E2E_KINDS``).

``TzirakisE2E`` = one network per modality (``networks``) on the frames' raw inputs, then the
feature-level model of ``attention_fusion`` (a fusion strategy, the 1-layer LSTM of 256 units,
a linear head). A unimodal kind (``tzirakis_e2e_text|audio|visual``) is its network with the
LSTM stacked on top (section 5.3: concatenation of one modality = its features and presence flag).
``tzirakis_e2e_fusion`` names its three unimodal models in ``pretrained``: its networks are built
from their configs and, when their checkpoints are given (the same fold and repeat, rules in
``rules/attention_fusion.smk``), initialised with their trained weights; its LSTM and head start
from Glorot, as in the paper. Every network is trained end to end, as in the paper, after a
warm-up the paper does not describe (``TzirakisE2E.fine_tune``): the initialised networks stay
frozen for ``frozen_epochs`` while the new layers learn to read them, then learn at
``pretrained_lr_scale`` × the rate, their BatchNorm statistics kept (``pretrained_batchnorm``).
"""
from __future__ import annotations

import logging
from pathlib import Path

import torch
from torch import nn

from .. import E2E_KINDS
from ..attention_fusion.network import AttentionFusionModel
from .networks import AudioNet, FrameEncoder, TextNet, VisualNet

log = logging.getLogger(__name__)

UNIMODAL = {"tzirakis_e2e_text": "text", "tzirakis_e2e_audio": "audio", "tzirakis_e2e_visual": "visual"}
FUSION = "tzirakis_e2e_fusion"
assert set(E2E_KINDS) == {*UNIMODAL, FUSION}


def raw_spec(name: str, models: dict) -> dict[str, dict]:
    """The raw inputs (``sequence.raw`` specs by modality) model ``name`` reads."""
    cfg = models[name]
    kind = cfg["kind"]
    if kind == "tzirakis_e2e_text":
        return {"text": {"words": cfg["words"], "delay_s": cfg.get("delay_s", 0.5), "max_words": cfg.get("max_words", 16)}}
    if kind == "tzirakis_e2e_audio":
        return {"audio": {"waveform": cfg["waveform"]}}
    if kind == "tzirakis_e2e_visual":
        return {"visual": {"faces": cfg["faces"], "image_size": cfg.get("image_size", 112)}}
    if kind == FUSION:
        spec: dict[str, dict] = {}
        for p in unimodal_members(name, models):
            for m, s in raw_spec(p, models).items():
                if m in spec:
                    raise ValueError(f"model '{name}': two pretrained networks read modality '{m}'")
                spec[m] = s
        return spec
    raise ValueError(f"model '{name}': kind '{kind}' is not one of {E2E_KINDS}")


def unimodal_members(name: str, models: dict) -> list[str]:
    members = list(models[name].get("pretrained", []))
    if not members:
        raise ValueError(f"model '{name}' ({FUSION}): 'pretrained' must name its unimodal networks")
    bad = [p for p in members if models.get(p, {}).get("kind") not in UNIMODAL]
    if bad:
        raise ValueError(f"model '{name}': pretrained {bad} are not unimodal end-to-end models ({sorted(UNIMODAL)})")
    return members


def make_network(cfg: dict, shape: tuple[int, ...]) -> nn.Module:
    """The network of a unimodal config for inputs of per-frame ``shape`` (``sequence.raw``)."""
    kind = cfg["kind"]
    if kind == "tzirakis_e2e_text":
        return TextNet(shape[-1] - 1, ngrams=cfg.get("ngrams", [2, 3, 4]), projections=cfg.get("projections", 4),
                       projection_size=cfg.get("projection_size", 128), context_size=cfg.get("context_size", 64),
                       word_dropout=cfg.get("word_dropout", 0.1), projection_dropout=cfg.get("projection_dropout", 0.2),
                       context_dropout=cfg.get("context_dropout", 0.3))
    if kind == "tzirakis_e2e_audio":
        return AudioNet(shape[-1], in_channels=shape[0], conv_channels=cfg.get("conv_channels", [50, 125, 250]),
                        kernels=cfg.get("kernels", [8, 6, 6]), pools=cfg.get("pools", [10, 5, 5]), dropout=cfg.get("conv_dropout", 0.5))
    if kind == "tzirakis_e2e_visual":
        return VisualNet(width=cfg.get("width", 18), blocks=cfg.get("blocks", 4))
    raise ValueError(f"kind '{kind}' has no unimodal network")


class TzirakisE2E(AttentionFusionModel):
    """Networks per modality (``encoders``) → fusion strategy → LSTM → head.

    ``fine_tune(modalities, …)`` sets how the networks initialised from unimodal checkpoints
    train (the paper says only that the multimodal network is trained end to end):

    - ``frozen_epochs``: for the epochs before it only the fusion, LSTM and head learn; the
      pre-trained networks are fixed and in eval mode (no dropout, BatchNorm statistics kept), so
      the new layers learn to read the unimodal features before any gradient reaches them. These
      epochs are the model's ``warmup_epochs``: early stopping never ends one, and selects one
      only with ``select_warmup`` (such an epoch is a legitimate model: the pre-trained networks
      and a trained head), so by default the network it returns has been trained end to end.
    - ``lr_scale``: afterwards the pre-trained networks learn at this fraction of the rate.
    - ``batchnorm``: ``"frozen"`` keeps their BatchNorm layers in eval mode throughout (the
      unimodal statistics), ``"train"`` lets them update as usual.
    """

    def __init__(self, networks: dict[str, nn.Module], n_outputs: int, strategy: str, **fusion):
        encoders = {m: FrameEncoder(net) for m, net in networks.items()}
        super().__init__(list(encoders), {m: e.output_size for m, e in encoders.items()}, n_outputs, strategy, **fusion)
        self.encoders = nn.ModuleDict(encoders)
        self.fine_tune([])

    def fine_tune(self, modalities: list[str], frozen_epochs: int = 0, lr_scale: float = 1.0, batchnorm: str = "train",
                  select_warmup: bool = False) -> None:
        unknown = [m for m in modalities if m not in self.encoders]
        if unknown:
            raise ValueError(f"fine_tune: no network for {unknown} (have {sorted(self.encoders)})")
        if batchnorm not in ("train", "frozen"):
            raise ValueError(f"fine_tune: batchnorm must be 'train' or 'frozen', not '{batchnorm}'")
        self.pretrained_modalities = list(modalities)
        self.frozen_epochs, self.pretrained_lr_scale, self.pretrained_batchnorm = int(frozen_epochs), float(lr_scale), batchnorm
        self.warmup_selectable = bool(select_warmup)
        self.branches_frozen = False

    @property
    def warmup_epochs(self) -> int:
        return self.frozen_epochs if self.pretrained_modalities else 0

    def on_epoch_start(self, epoch: int) -> None:
        self.branches_frozen = bool(self.pretrained_modalities) and epoch < self.frozen_epochs
        for m in self.pretrained_modalities:
            self.encoders[m].requires_grad_(not self.branches_frozen)

    def train(self, mode: bool = True):
        super().train(mode)
        if mode:
            for m in self.pretrained_modalities:
                if self.branches_frozen:
                    self.encoders[m].eval()
                elif self.pretrained_batchnorm == "frozen":
                    for module in self.encoders[m].modules():
                        if isinstance(module, nn.modules.batchnorm._BatchNorm):
                            module.eval()
        return self

    def parameter_groups(self) -> list[dict]:
        pretrained = {id(p) for m in self.pretrained_modalities for p in self.encoders[m].parameters()}
        own = [p for p in self.parameters() if id(p) not in pretrained]
        groups = [{"params": own}]
        if pretrained:
            groups.append({"params": [p for m in self.pretrained_modalities for p in self.encoders[m].parameters()],
                           "lr_scale": self.pretrained_lr_scale})
        return groups

    def forward(self, x, mask):
        feats = {m: enc(x[m], mask[m]) for m, enc in self.encoders.items()}
        return super().forward(feats, mask)


def load_pretrained_encoder(model: TzirakisE2E, modality: str, checkpoint: str | Path) -> None:
    """Copy the ``encoders.{modality}`` weights of a unimodal checkpoint into ``model``."""
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)["state_dict"]
    prefix = f"encoders.{modality}."
    sub = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    if not sub:
        raise ValueError(f"{checkpoint}: no '{prefix}*' weights (is it a unimodal {modality} end-to-end model?)")
    try:
        model.encoders[modality].load_state_dict(sub)
    except RuntimeError as exc:
        raise ValueError(f"{checkpoint}: its {modality} network does not match this model's ({exc})") from exc


def _fusion_options(cfg: dict) -> dict:
    return dict(projection_size=cfg.get("projection_size", 256), head_size=cfg.get("head_size", 64), heads=cfg.get("heads", 4),
                hidden_size=cfg.get("hidden_size", 256), dropout=cfg.get("dropout", 0.5))


def build(name: str, models: dict, input_dims: dict, n_outputs: int, pretrained_checkpoints=None, hop_s: float = 0.1) -> TzirakisE2E:
    """Unimodal kinds: the network (config keys in the schema) and ``hidden_size``, ``dropout`` of
    its LSTM. ``tzirakis_e2e_fusion``: ``pretrained`` (its unimodal models), ``strategy`` and the
    fusion sizes of ``attention_fusion``; ``pretrained_checkpoints`` {model: checkpoint} initialise
    its networks (all or none: a partial initialisation is refused) and then train as
    ``frozen_epochs``, ``select_warmup_epochs``, ``pretrained_lr_scale`` and ``pretrained_batchnorm``
    say (``fine_tune``)."""
    cfg = models[name]
    if cfg["kind"] in UNIMODAL:
        m = UNIMODAL[cfg["kind"]]
        if m not in input_dims:
            raise ValueError(f"model '{name}': no raw '{m}' input in the data (have {sorted(input_dims)})")
        return TzirakisE2E({m: make_network(cfg, tuple(input_dims[m]))}, n_outputs, "concatenation", **_fusion_options(cfg))
    members = unimodal_members(name, models)
    networks = {UNIMODAL[models[p]["kind"]]: make_network(models[p], tuple(input_dims[UNIMODAL[models[p]["kind"]]])) for p in members}
    model = TzirakisE2E(networks, n_outputs, cfg.get("strategy", "hierarchical"), **_fusion_options(cfg))
    checkpoints = pretrained_checkpoints or {}
    given = [p for p in members if p in checkpoints]
    if given and len(given) != len(members):
        raise ValueError(f"model '{name}': checkpoints for {given} but not for {[p for p in members if p not in given]}")
    for p in given:
        load_pretrained_encoder(model, UNIMODAL[models[p]["kind"]], checkpoints[p])
        log.info("initialised the %s network from %s", UNIMODAL[models[p]["kind"]], checkpoints[p])
    if given:
        model.fine_tune([UNIMODAL[models[p]["kind"]] for p in given], frozen_epochs=cfg.get("frozen_epochs", 10),
                        lr_scale=cfg.get("pretrained_lr_scale", 0.1), batchnorm=cfg.get("pretrained_batchnorm", "frozen"),
                        select_warmup=cfg.get("select_warmup_epochs", False))
        log.info("fine-tuning: networks frozen for %d epochs (selectable: %s), then at %g x the learning rate, BatchNorm %s",
                 model.frozen_epochs, model.warmup_selectable, model.pretrained_lr_scale, model.pretrained_batchnorm)
    return model


# for the sequence core's dispatcher (affectflow.models.sequence.run.BUILDERS)
BUILDERS = {kind: build for kind in E2E_KINDS}
