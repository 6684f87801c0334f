"""Waligora et al.'s branches and their fusion as sequence-core kinds, on raw inputs (``sequence.raw``).

- ``waligora_visual``: ``branches.VisualBranch`` over clips of ``clip_frames`` aligned face crops
  (the face cache's crops loaded at ``crop_from`` pixels; training takes a random ``image_size``
  window and flips it horizontally with probability ½, evaluation the centre window). Kinetics-normalised
  as the published weights expect, or, with ``standardise: session`` (a departure for networks trained
  from scratch on few speakers, e.g. the CPU demo), z-scored per pixel within each session
  (``sequence.raw.standardise_faces``): the session's look (colour, brightness, zoom, a mirrored face)
  is removed and the network sees only how the face moves. Default ``none``: published weights were
  trained on Kinetics-normalised pixels, which a per-session z-score would not give them.
- ``waligora_audio``: ``branches.AudioBranch`` over one 64 × 107 log-mel spectrogram per clip
  (``sequence.clips``) of a ``waveform_chunks`` store (the paper's 44.1 kHz: its ``sample_rate: 44100``).
- ``waligora_jmt``: ``pretrained: [visual, audio]``, the two branch models; their checkpoints of the
  same fold and repeat are loaded (strictly), frozen (weights and BatchNorm statistics) and their
  clip features (512-d each) fused by ``network.JointMultimodalTransformer`` over the clips of a
  sub-sequence. Without checkpoints (a dry build) the branches keep their initial weights.

One prediction per clip, given to each of its frames (the core's per-frame CCC loss then weighs each
clip by its valid frames). A clip with no face (no frame with a face) or without audio is masked: a
branch zeroes its features before its head (and, for audio, before the GRU), so its prediction does
not depend on the black frames or zeros standing in; the fusion never attends to it (``network``).
Frames without a face inside a clip that has one are black, as in the paper.

Widths: ``width`` 64 is the paper's (torchvision's) backbone; a smaller one, for CPU runs, cannot
load the published weights (``weights``: a local torchvision Kinetics-400 / ImageNet ``.pth``).
"""
from __future__ import annotations

import logging

import torch
from torch import nn

from ..sequence import clips as clipdata
from ..sequence.base import SequenceModel
from ..sequence.train import TrainConfig, load_checkpoint, one_network
from .branches import AudioBranch, VisualBranch, normalise_clips, random_crop_flip
from .network import JointMultimodalTransformer

log = logging.getLogger(__name__)

VISUAL, AUDIO, FUSION = "waligora_visual", "waligora_audio", "waligora_jmt"
KINDS = (VISUAL, AUDIO, FUSION)
MODALITY = {VISUAL: "visual", AUDIO: "audio"}


def crop_from(cfg: dict) -> int:
    """The size crops are loaded at, that the random ``image_size`` window is taken from (256 for 224)."""
    size = cfg.get("image_size", 224)
    return int(cfg.get("crop_from") or round(size * 8 / 7))


def raw_spec(name: str, models: dict) -> dict[str, dict]:
    """The raw inputs (``sequence.raw`` specs by modality) model ``name`` reads."""
    cfg = models[name]
    if cfg["kind"] == VISUAL:
        return {"visual": {"faces": cfg["faces"], "image_size": crop_from(cfg), "standardise": cfg.get("standardise", "none")}}
    if cfg["kind"] == AUDIO:
        return {"audio": {"spectrogram": cfg["waveform"], "clip_frames": cfg.get("clip_frames", 8)}}
    if cfg["kind"] == FUSION:
        visual, audio = members(name, models)
        return {**raw_spec(visual, models), **raw_spec(audio, models)}
    raise ValueError(f"model '{name}': kind '{cfg['kind']}' is not one of {KINDS}")


def members(name: str, models: dict) -> tuple[str, str]:
    """(visual, audio): the branch models a ``waligora_jmt`` fuses, checked against its clip layout."""
    cfg = models[name]
    given = list(cfg.get("pretrained", []))
    kinds = {models.get(p, {}).get("kind"): p for p in given}
    if len(given) != 2 or set(kinds) != {VISUAL, AUDIO}:
        raise ValueError(f"model '{name}' ({FUSION}): 'pretrained' must name one {VISUAL} and one {AUDIO} model, got {given}")
    for p in given:
        for key, default in (("clip_frames", 8), ("sequence_length", 64)):
            if models[p].get(key, default) != cfg.get(key, default):
                raise ValueError(f"model '{name}': {key} {cfg.get(key, default)} differs from its branch '{p}''s "
                                 f"{models[p].get(key, default)} (the branches' clip features must line up with the fusion's clips)")
    return kinds[VISUAL], kinds[AUDIO]


def _check_clips(name: str, cfg: dict) -> int:
    k, length = cfg.get("clip_frames", 8), cfg.get("sequence_length", 64)
    if length % k:
        raise ValueError(f"model '{name}': sequence_length {length} is not a whole number of {k}-frame clips")
    hop = TrainConfig.from_dict(cfg).training_hop
    if hop % k:
        raise ValueError(f"model '{name}': a training hop of {hop} frames does not start training sequences on clip boundaries "
                         f"(set train_hop to a multiple of clip_frames {k})")
    return k


def _per_frame(pred: torch.Tensor, k: int) -> torch.Tensor:
    return pred.repeat_interleave(k, dim=1)


class VisualModel(SequenceModel):
    """``VisualBranch`` on the core's per-frame face crops (B, L, 3, S, S) uint8."""

    def __init__(self, n_outputs: int, image_size: int = 224, clip_frames: int = 8, width: int = 64, dropout: float = 0.8,
                 weights=None, standardised: bool = False):
        super().__init__()
        self.image_size, self.clip_frames, self.standardised = image_size, clip_frames, standardised
        self.branch = VisualBranch(n_outputs, weights, dropout=dropout, width=width)

    def clip_features(self, x: dict, mask: dict) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, L / k, F) features with masked clips zeroed, and clip presence (B, L / k)."""
        if (x["visual"].dtype == torch.uint8) == self.standardised:
            raise ValueError(f"face crops of dtype {x['visual'].dtype}, but the model expects "
                             f"{'session-standardised (float)' if self.standardised else 'uint8'} crops (its 'standardise' setting)")
        clips = clipdata.frame_clips(x["visual"], self.clip_frames)
        S = clips.shape[-1]
        if S < self.image_size:
            raise ValueError(f"face crops of {S} px are smaller than image_size {self.image_size}")
        if self.training:
            clips = random_crop_flip(clips, self.image_size)
        else:
            o = (S - self.image_size) // 2
            clips = clips[..., o:o + self.image_size, o:o + self.image_size]
        keep = clipdata.clip_mask(mask["visual"], self.clip_frames)
        f = self.branch.features(clips if self.standardised else normalise_clips(clips))
        return f * keep.unsqueeze(-1).to(f.dtype), keep

    def forward(self, x, mask):
        f, _ = self.clip_features(x, mask)
        return {"pred": _per_frame(self.branch.head(f), self.clip_frames)}


class AudioModel(SequenceModel):
    """``AudioBranch`` on the core's per-frame spectrogram slices (B, L, 64, c) (``sequence.clips``)."""

    def __init__(self, n_outputs: int, clip_frames: int = 8, width: int = 64, gru_layers: int = 1, weights=None):
        super().__init__()
        self.clip_frames = clip_frames
        self.branch = AudioBranch(n_outputs, weights, gru_layers=gru_layers, width=width)

    def clip_features(self, x: dict, mask: dict) -> tuple[torch.Tensor, torch.Tensor]:
        spectrograms = clipdata.assemble(x["audio"], self.clip_frames)
        keep = clipdata.clip_mask(mask["audio"], self.clip_frames).unsqueeze(-1)
        f = self.branch.clip_features(spectrograms) * keep.to(spectrograms.dtype)
        f = self.branch.gru(f)[0] * keep.to(spectrograms.dtype)
        return f, keep.squeeze(-1)

    def forward(self, x, mask):
        f, _ = self.clip_features(x, mask)
        return {"pred": _per_frame(self.branch.head(f), self.clip_frames)}


class FusionModel(SequenceModel):
    """The frozen branch models' clip features → ``JointMultimodalTransformer`` over the clips (one token each)."""

    def __init__(self, visual: VisualModel, audio: AudioModel, n_outputs: int, **fusion):
        super().__init__()
        if visual.clip_frames != audio.clip_frames:
            raise ValueError(f"the branches' clips differ: visual {visual.clip_frames}, audio {audio.clip_frames} frames")
        self.visual, self.audio, self.clip_frames = visual, audio, visual.clip_frames
        for p in [*visual.parameters(), *audio.parameters()]:
            p.requires_grad_(False)
        dims = {"audio": audio.branch.feature_dim, "visual": visual.branch.feature_dim}
        self.fusion = JointMultimodalTransformer({"audio": "audio", "visual": "visual"}, dims, n_outputs, clip_frames=1, **fusion)

    def train(self, mode: bool = True):
        super().train(mode)
        self.visual.eval()  # frozen: no dropout, BatchNorm statistics kept, centre crops
        self.audio.eval()
        return self

    def forward(self, x, mask):
        with torch.no_grad():
            fv, kv = self.visual.clip_features(x, mask)
            fa, ka = self.audio.clip_features(x, mask)
        pred = self.fusion({"audio": fa, "visual": fv}, {"audio": ka, "visual": kv})["pred"]
        return {"pred": _per_frame(pred, self.clip_frames)}


def _branch(name: str, models: dict, n_outputs: int) -> SequenceModel:
    cfg = models[name]
    k = _check_clips(name, cfg)
    if cfg["kind"] == VISUAL:
        if crop_from(cfg) < cfg.get("image_size", 224):
            raise ValueError(f"model '{name}': crop_from {crop_from(cfg)} is smaller than image_size {cfg.get('image_size', 224)}")
        return VisualModel(n_outputs, cfg.get("image_size", 224), k, cfg.get("width", 64), cfg.get("dropout", 0.8), cfg.get("weights"),
                           standardised=cfg.get("standardise", "none") == "session")
    return AudioModel(n_outputs, k, cfg.get("width", 64), cfg.get("gru_layers", 1), cfg.get("weights"))


def loaded_branch(name: str, models: dict, checkpoint, n_outputs: int) -> SequenceModel:
    """Branch ``name`` built to fit its checkpoint and loaded strictly (its whole state: backbone, GRU, head). Its head
    has as many outputs as the dimensions it was trained on (the checkpoint's ``dims``, else ``n_outputs``): a fusion
    network per dimension (``separate_dimensions``) has one; the fusion never uses the branch's head."""
    ckpt = load_checkpoint(checkpoint)
    state = one_network(ckpt, checkpoint)
    model = _branch(name, models, len(ckpt["dims"]) if ckpt.get("dims") else n_outputs)
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise ValueError(f"{checkpoint}: the checkpoint of '{name}' does not fit its configured network ({exc})") from exc
    return model


def build(name: str, models: dict, input_dims: dict, n_outputs: int, pretrained_checkpoints=None, hop_s: float = 0.1) -> SequenceModel:
    """Branches: ``faces`` / ``waveform``, ``image_size``, ``crop_from``, ``standardise``, ``width``, ``dropout``, ``gru_layers``,
    ``weights``, ``clip_frames``. ``waligora_jmt``: ``pretrained`` [visual, audio] and the ``jmt`` fusion keys;
    ``pretrained_checkpoints`` {model: checkpoint} (both or none) load the branches."""
    cfg = models[name]
    if cfg["kind"] in MODALITY:
        m = MODALITY[cfg["kind"]]
        if m not in input_dims:
            raise ValueError(f"model '{name}': no raw '{m}' input in the data (have {sorted(input_dims)})")
        return _branch(name, models, n_outputs)
    _check_clips(name, cfg)
    visual_name, audio_name = members(name, models)
    checkpoints = pretrained_checkpoints or {}
    given = [p for p in (visual_name, audio_name) if p in checkpoints]
    if given and len(given) != 2:
        raise ValueError(f"model '{name}': a checkpoint for {given} but not for the other branch")
    visual, audio = (loaded_branch(p, models, checkpoints[p], n_outputs) if p in checkpoints else _branch(p, models, n_outputs)
                     for p in (visual_name, audio_name))
    for p in given:
        log.info("loaded and froze branch '%s' from %s", p, checkpoints[p])
    return FusionModel(visual, audio, n_outputs, d_model=cfg.get("d_model", 512), heads=cfg.get("heads", 8),
                       encoder_layers=cfg.get("encoder_layers", 1), attention=cfg.get("attention", "sigmoid"),
                       fc_sizes=tuple(cfg.get("fc_sizes", (1024, 128))), dropout=cfg.get("dropout", 0.1))


# for the sequence core's dispatcher (affectflow.models.sequence.run.BUILDERS)
BUILDERS = {kind: build for kind in KINDS}
