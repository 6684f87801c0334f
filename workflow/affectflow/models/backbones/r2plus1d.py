"""R(2+1)D-18 (Tran et al., "A Closer Look at Spatiotemporal Convolutions for Action Recognition",
CVPR 2018) as torchvision's ``r2plus1d_18``, in plain torch with the same state-dict keys and shapes.

Each 3×3×3 convolution is factorised into a spatial 1×3×3 convolution to ``mid`` channels, BN,
ReLU and a temporal 3×1×1 convolution, with ``mid = ⌊27·in·out / (9·in + 3·out)⌋`` so that the
pair has about the parameters of the full 3-D kernel (the paper's eq. for M_i). As in
torchvision, both convolutions of a block use the ``mid`` of its first (in → out) and the stem
goes 3 → 45 (1×7×7, spatial stride 2) → 64 (3×1×1). Layers 2–4 halve time and space; the
downsampling shortcut is a 1×1×1 convolution with stride 2 in all three axes.

Input (B, 3, T, H, W), RGB normalised with the Kinetics mean/std (``KINETICS_MEAN``/``KINETICS_STD``,
torchvision's video transforms); ``features`` gives the 512-d vector after the global average
pool, ``forward`` the ``fc`` output (400 Kinetics classes by default).
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from .weights import check_width_for_weights, init_like_torchvision, load_weights

KINETICS_MEAN = (0.43216, 0.394666, 0.37645)
KINETICS_STD = (0.22803, 0.22145, 0.216989)


def midplanes(inplanes: int, planes: int) -> int:
    return (inplanes * planes * 3 * 3 * 3) // (inplanes * 3 * 3 + 3 * planes)


class Conv2Plus1D(nn.Sequential):
    """Spatial 1×k×k conv → BN → ReLU → temporal k×1×1 conv (keys 0, 1, 3)."""

    def __init__(self, inplanes: int, planes: int, mid: int, stride: int = 1):
        super().__init__(
            nn.Conv3d(inplanes, mid, kernel_size=(1, 3, 3), stride=(1, stride, stride), padding=(0, 1, 1), bias=False),
            nn.BatchNorm3d(mid),
            nn.ReLU(inplace=True),
            nn.Conv3d(mid, planes, kernel_size=(3, 1, 1), stride=(stride, 1, 1), padding=(1, 0, 0), bias=False),
        )


class BasicBlock(nn.Module):
    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        mid = midplanes(inplanes, planes)
        self.conv1 = nn.Sequential(Conv2Plus1D(inplanes, planes, mid, stride), nn.BatchNorm3d(planes), nn.ReLU(inplace=True))
        self.conv2 = nn.Sequential(Conv2Plus1D(planes, planes, mid), nn.BatchNorm3d(planes))
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv2(self.conv1(x))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


class Stem(nn.Sequential):
    def __init__(self, width: int = 64):
        mid = 45 * width // 64
        super().__init__(
            nn.Conv3d(3, mid, kernel_size=(1, 7, 7), stride=(1, 2, 2), padding=(0, 3, 3), bias=False),
            nn.BatchNorm3d(mid),
            nn.ReLU(inplace=True),
            nn.Conv3d(mid, width, kernel_size=(3, 1, 1), stride=(1, 1, 1), padding=(1, 0, 0), bias=False),
            nn.BatchNorm3d(width),
            nn.ReLU(inplace=True),
        )


class R2Plus1D18(nn.Module):
    def __init__(self, num_classes: int = 400, layers: tuple[int, ...] = (2, 2, 2, 2), width: int = 64):
        """``width``: channels of layer1 (64, torchvision's); layers 2-4 double it, the stem's spatial
        convolution has 45/64 of it. A reduced width (for CPU runs) cannot load the published weights."""
        super().__init__()
        self.feature_dim = 8 * width
        self.inplanes = width
        self.stem = Stem(width)
        self.layer1 = self._make_layer(width, layers[0], stride=1)
        self.layer2 = self._make_layer(2 * width, layers[1], stride=2)
        self.layer3 = self._make_layer(4 * width, layers[2], stride=2)
        self.layer4 = self._make_layer(8 * width, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool3d((1, 1, 1))
        self.fc = nn.Linear(8 * width, num_classes)
        init_like_torchvision(self, linear_std=0.01)

    def _make_layer(self, planes: int, blocks: int, stride: int) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(nn.Conv3d(self.inplanes, planes, kernel_size=1, stride=(stride, stride, stride), bias=False),
                                       nn.BatchNorm3d(planes))
        out = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        out += [BasicBlock(planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*out)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, T, H, W) → (B, 8 × width) (512 at torchvision's width)."""
        x = self.stem(x)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.avgpool(x).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.features(x))


def r2plus1d_18(weights: str | Path | None = None, num_classes: int = 400, width: int = 64) -> R2Plus1D18:
    """R(2+1)D-18; ``weights``: a local torchvision-layout file (Kinetics-400: ``r2plus1d_18-91a641e6.pth``),
    only at the published ``width`` 64."""
    check_width_for_weights(width, weights, "R(2+1)D-18")
    model = R2Plus1D18(num_classes=num_classes, width=width)
    return load_weights(model, weights) if weights is not None else model
