"""Waligora et al.'s backbones as branches, and the end-to-end model that fuses them with the JMT.

- ``VisualBranch``: R(2+1)D-18 (Kinetics-400 weights) over clips of 8 aligned face crops of
  224 × 224 (§4.2), one 512-d feature per clip; head dropout 0.8 → linear (the paper's "dropout of
  0.8 in the linear layers"). Fine-tuned with SGD, lr 1e-3, batch 8, random crop and horizontal
  flip (``random_crop_flip``), at most 50 epochs with early stopping.
- ``AudioBranch``: ResNet18 (ImageNet weights; first convolution adapted to one channel by
  summing its RGB kernels, ``backbones.resnet.adapt_first_conv``) over one 64 × 107 log-mel
  spectrogram per clip (``spectrogram.log_mel``), then a GRU over the clips of a sub-sequence,
  512-d per clip; head: linear. Fine-tuned with Adam (the paper: Adam for the audio network,
  lr 1e-2, batch 64).
- ``WaligoraJMT``: both branches, frozen (the paper freezes them while training the fusion), their
  512-d clip features fused by ``network.JointMultimodalTransformer`` (d_model 512) over the
  8 clips of a sub-sequence; one prediction per clip.

Not given in the paper, chosen here: the GRU (one layer, 512 units, unidirectional), the audio
head's dropout (none), the visual head as a single linear layer after the dropout, the size the
random crop is taken from (``random_crop_flip`` crops ``size`` out of whatever larger crop it is
given), and how a clip's label is formed (``clip_targets``: the mean of its frames' valid labels).

Inputs are tensors here; ``waligora`` wraps the branches as sequence-core kinds on the raw loader's
face crops and per-clip spectrograms (``sequence.raw``, ``sequence.clips``) and fuses them in the DAG.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from ..backbones.r2plus1d import KINETICS_MEAN, KINETICS_STD, r2plus1d_18
from ..backbones.resnet import resnet18
from .network import JointMultimodalTransformer

CLIP_FRAMES, CLIPS_PER_SUBSEQUENCE, FACE_SIZE = 8, 8, 224
FEATURE_DIM = 512

# Fine-tuning of each branch as §4.2 gives it, in the sequence core's TrainConfig keys. Momentum and
# weight decay of the visual SGD are not given (0 here; the authors' public config has 0.9 and 1e-4
# for the fusion); neither is the audio network's epoch budget (50 as the visual one here).
VISUAL_FINETUNE = {"optimiser": "sgd", "learning_rate": 1e-3, "batch_size": 8, "max_epochs": 50, "loss": "ccc"}
AUDIO_FINETUNE = {"optimiser": "adam", "learning_rate": 1e-2, "batch_size": 64, "max_epochs": 50, "loss": "ccc"}


def normalise_clips(clips: torch.Tensor) -> torch.Tensor:
    """RGB in [0, 1], (..., 3, T, H, W) → Kinetics-normalised (torchvision's video transforms)."""
    mean = torch.tensor(KINETICS_MEAN, dtype=clips.dtype, device=clips.device).view(3, 1, 1, 1)
    std = torch.tensor(KINETICS_STD, dtype=clips.dtype, device=clips.device).view(3, 1, 1, 1)
    return (clips - mean) / std


def random_crop_flip(clips: torch.Tensor, size: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """The paper's visual augmentation: per clip, one random ``size`` × ``size`` window (the same for
    all its frames) and a horizontal flip with probability ½. clips (..., 3, T, H, W)."""
    *lead, C, T, H, W = clips.shape
    if H < size or W < size:
        raise ValueError(f"cannot crop {size}×{size} from {H}×{W} clips")
    flat = clips.reshape(-1, C, T, H, W)
    out = torch.empty((flat.shape[0], C, T, size, size), dtype=clips.dtype, device=clips.device)
    tops = torch.randint(0, H - size + 1, (len(flat),), generator=generator)
    lefts = torch.randint(0, W - size + 1, (len(flat),), generator=generator)
    flips = torch.rand(len(flat), generator=generator) < 0.5
    for i in range(len(flat)):
        crop = flat[i, ..., tops[i]:tops[i] + size, lefts[i]:lefts[i] + size]
        out[i] = crop.flip(-1) if flips[i] else crop
    return out.reshape(*lead, C, T, size, size)


def clip_targets(y: torch.Tensor, valid: torch.Tensor, clip_frames: int = CLIP_FRAMES) -> tuple[torch.Tensor, torch.Tensor]:
    """Frame labels (B, L, D) with validity (B, L) → clip labels (B, L / clip_frames, D), the mean of
    each clip's valid frames, and the clips' validity (at least one valid frame)."""
    B, L, D = y.shape
    if L % clip_frames:
        raise ValueError(f"{L} frames are not a whole number of {clip_frames}-frame clips")
    w = valid.reshape(B, L // clip_frames, clip_frames, 1).to(y.dtype)
    n = w.sum(2)
    return (y.reshape(B, L // clip_frames, clip_frames, D) * w).sum(2) / n.clamp(min=1), n[..., 0] > 0


class VisualBranch(nn.Module):
    """``width``: the backbone's (64, the paper's; a reduced one for CPU runs cannot load published weights)."""

    def __init__(self, n_outputs: int, weights: str | Path | None = None, dropout: float = 0.8, width: int = 64):
        super().__init__()
        self.backbone = r2plus1d_18(weights, width=width)
        self.backbone.fc = nn.Identity()  # the Kinetics classifier is not used
        self.feature_dim = self.backbone.feature_dim
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(self.feature_dim, n_outputs))

    def features(self, clips: torch.Tensor) -> torch.Tensor:
        """clips (B, N, 3, T, H, W), Kinetics-normalised → (B, N, 512) (8 × width)."""
        B, N = clips.shape[:2]
        return self.backbone.features(clips.flatten(0, 1)).view(B, N, self.feature_dim)

    def forward(self, clips: torch.Tensor) -> dict[str, torch.Tensor]:
        f = self.features(clips)
        return {"features": f, "pred": self.head(f)}


class AudioBranch(nn.Module):
    """``width``: the backbone's (64, the paper's; a reduced one for CPU runs cannot load published weights)."""

    def __init__(self, n_outputs: int, weights: str | Path | None = None, gru_layers: int = 1, width: int = 64):
        super().__init__()
        self.backbone = resnet18(weights, in_channels=1, width=width)
        self.backbone.fc = nn.Identity()  # the ImageNet classifier is not used
        self.feature_dim = self.backbone.feature_dim
        self.gru = nn.GRU(self.feature_dim, self.feature_dim, num_layers=gru_layers, batch_first=True)
        self.head = nn.Linear(self.feature_dim, n_outputs)

    def clip_features(self, spectrograms: torch.Tensor) -> torch.Tensor:
        """spectrograms (B, N, 64, 107) → the backbone's (B, N, 512) per clip, before the GRU."""
        B, N, F, T = spectrograms.shape
        return self.backbone.features(spectrograms.reshape(B * N, 1, F, T)).view(B, N, self.feature_dim)

    def features(self, spectrograms: torch.Tensor) -> torch.Tensor:
        """spectrograms (B, N, 64, 107) (one per clip) → (B, N, 512) (8 × width) after the GRU over the N clips."""
        return self.gru(self.clip_features(spectrograms))[0]

    def forward(self, spectrograms: torch.Tensor) -> dict[str, torch.Tensor]:
        f = self.features(spectrograms)
        return {"features": f, "pred": self.head(f)}


class WaligoraJMT(nn.Module):
    """Frozen branches → clip features → JMT over the clips. ``fusion`` takes
    ``JointMultimodalTransformer``'s keyword arguments (d_model 512 and the paper's head by default)."""

    def __init__(self, visual: VisualBranch, audio: AudioBranch, n_outputs: int, freeze_backbones: bool = True, **fusion):
        super().__init__()
        self.visual, self.audio = visual, audio
        self.freeze_backbones = freeze_backbones
        if freeze_backbones:
            for p in [*visual.parameters(), *audio.parameters()]:
                p.requires_grad_(False)
        self.fusion = JointMultimodalTransformer({"audio": "audio", "visual": "visual"},
                                                 {"audio": audio.feature_dim, "visual": visual.feature_dim},
                                                 n_outputs, **{"d_model": FEATURE_DIM, **fusion})

    def train(self, mode: bool = True):
        super().train(mode)
        if self.freeze_backbones:  # frozen backbones keep their BatchNorm statistics too
            self.visual.eval()
            self.audio.eval()
        return self

    def forward(self, clips: torch.Tensor, spectrograms: torch.Tensor, visual_mask: torch.Tensor,
                audio_mask: torch.Tensor) -> dict[str, torch.Tensor]:
        """clips (B, N, 3, T, H, W), spectrograms (B, N, 64, 107), masks (B, N) → pred (B, N, n_outputs)."""
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.freeze_backbones):
            fv, fa = self.visual.features(clips), self.audio.features(spectrograms)
        return self.fusion({"audio": fa, "visual": fv}, {"audio": audio_mask, "visual": visual_mask})
