"""ResNet18 (He et al., CVPR 2016) as torchvision's ``resnet18``, in plain torch with the same
state-dict keys and shapes, and the adaptation of its first convolution to one-channel input.

Input (B, C, H, W); ``features`` gives the 512-d vector after the global average pool,
``forward`` the ``fc`` output (1000 ImageNet classes by default).
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from .weights import check_width_for_weights, init_like_torchvision, load_weights


class BasicBlock(nn.Module):
    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


class ResNet18(nn.Module):
    def __init__(self, num_classes: int = 1000, in_channels: int = 3, layers: tuple[int, ...] = (2, 2, 2, 2), width: int = 64):
        """``width``: channels of conv1 and layer1 (64, torchvision's); layers 2-4 double it. A reduced
        width (for CPU runs) cannot load the published weights."""
        super().__init__()
        self.feature_dim = 8 * width
        self.inplanes = width
        self.conv1 = nn.Conv2d(in_channels, width, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(width, layers[0], stride=1)
        self.layer2 = self._make_layer(2 * width, layers[1], stride=2)
        self.layer3 = self._make_layer(4 * width, layers[2], stride=2)
        self.layer4 = self._make_layer(8 * width, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(8 * width, num_classes)
        init_like_torchvision(self)

    def _make_layer(self, planes: int, blocks: int, stride: int) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(nn.Conv2d(self.inplanes, planes, kernel_size=1, stride=stride, bias=False), nn.BatchNorm2d(planes))
        out = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        out += [BasicBlock(planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*out)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) → (B, 8 × width) (512 at torchvision's width)."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.avgpool(x).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.features(x))


def adapt_first_conv(model: ResNet18, in_channels: int = 1) -> ResNet18:
    """Replace ``conv1`` by one over ``in_channels`` whose kernels are the RGB kernels summed over
    the colour axis and spread evenly over the new channels: a one-channel image x gives the same
    response as the grey RGB image (x, x, x) did. Waligora et al. only say the first layer "is
    adapted to take in the single channel spectrograms"; the summing is our choice (common practice)."""
    old = model.conv1
    new = nn.Conv2d(in_channels, old.out_channels, old.kernel_size, old.stride, old.padding, bias=False)
    with torch.no_grad():
        new.weight.copy_(old.weight.sum(dim=1, keepdim=True).expand(-1, in_channels, -1, -1) / in_channels)
    model.conv1 = new
    return model


def resnet18(weights: str | Path | None = None, num_classes: int = 1000, in_channels: int = 3, width: int = 64) -> ResNet18:
    """ResNet18; ``weights``: a local torchvision-layout file (ImageNet: ``resnet18-f37072fd.pth``, only at
    the published ``width`` 64), loaded into the 3-channel network, whose first convolution is then
    adapted to ``in_channels``."""
    check_width_for_weights(width, weights, "ResNet18")
    model = ResNet18(num_classes=num_classes, width=width)
    if weights is not None:
        load_weights(model, weights)
    return adapt_first_conv(model, in_channels) if in_channels != 3 else model
