"""Clip-level visual backbones: a clip of T aligned face crops → one embedding (the visual slot of
models that take 8-frame clips).

Interface: ``ClipBackbone.embed(clips)`` with ``clips`` a float tensor ``(n, T, 3, H, W)`` of
crops already normalised for ``input_size``/``mean``/``std``, returning ``(n, dim)``; a mask
``(n, T)`` marks the frames that hold a face. Backends register in ``BACKBONES``.

Offline implementation ``lite0_tsn``: a temporal-segment-network-style encoder — the ImageNet
EfficientNet-Lite0 applied to every frame, then the mean and standard deviation over the clip's
face frames (appearance and its change within the clip).
"""
from __future__ import annotations

import torch

from . import efficientnet_lite


class ClipBackbone:
    input_size = 224
    mean = std = (0.5, 0.5, 0.5)
    dim = 0

    def embed(self, clips: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def to(self, device) -> "ClipBackbone":
        return self

    def weights_path(self) -> str | None:
        return None


class Lite0TSN(ClipBackbone):
    input_size = efficientnet_lite.INPUT_SIZE
    mean, std = efficientnet_lite.MEAN, efficientnet_lite.STD
    dim = 2 * 1280

    def __init__(self, weights: str | None = None):
        self._path = str(weights or efficientnet_lite.default_weights())
        self.net = efficientnet_lite.load(self._path)

    def to(self, device):
        self.net.to(device)
        return self

    def weights_path(self):
        return self._path

    def embed(self, clips, mask):
        n, t = clips.shape[:2]
        frames = self.net.features(clips.flatten(0, 1)).view(n, t, -1)
        w = mask.to(frames.dtype).unsqueeze(-1)
        count = w.sum(1).clamp(min=1.0)
        mean = (frames * w).sum(1) / count
        var = (((frames - mean.unsqueeze(1)) ** 2) * w).sum(1) / count
        return torch.cat([mean, var.sqrt()], dim=1)


BACKBONES = {"lite0_tsn": Lite0TSN}
