"""Strict loading of a local state-dict file into a backbone.

Published torchvision files (``r2plus1d_18-91a641e6.pth``, ``resnet18-f37072fd.pth``) are plain
state dicts; checkpoints that wrap one under ``state_dict`` or ``model`` are accepted too. Anything
that does not match the module key for key and shape for shape is an error naming the file.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn


class WeightsMismatch(ValueError):
    pass


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"weights file not found: {path}")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a pickle torch refuses, a truncated file, not a torch file
        raise ValueError(f"{path}: not a readable torch state dict ({type(exc).__name__}: {exc})") from exc
    for key in ("state_dict", "model"):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise ValueError(f"{path}: holds a {type(obj).__name__}, not a state dict of tensors")
    return obj


def _listed(keys, limit: int = 10) -> str:
    keys = sorted(keys)
    more = f" … and {len(keys) - limit} more" if len(keys) > limit else ""
    return ", ".join(keys[:limit]) + more


def load_weights(module: nn.Module, path: str | Path) -> nn.Module:
    """Load ``path`` into ``module`` with ``strict=True``; a mismatch names the file and the keys."""
    state = read_state_dict(path)
    own = module.state_dict()
    missing = own.keys() - state.keys()
    unexpected = state.keys() - own.keys()
    shapes = [f"{k} {tuple(state[k].shape)} (module: {tuple(own[k].shape)})" for k in sorted(own.keys() & state.keys())
              if state[k].shape != own[k].shape]
    if missing or unexpected or shapes:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing key(s): {_listed(missing)}")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected key(s): {_listed(unexpected)}")
        if shapes:
            parts.append(f"{len(shapes)} shape mismatch(es): {_listed(shapes)}")
        raise WeightsMismatch(f"{path}: does not fit {type(module).__name__} ({'; '.join(parts)})")
    module.load_state_dict(state, strict=True)
    return module


def init_like_torchvision(module: nn.Module, linear_std: float | None = None) -> None:
    """torchvision's ResNet initialisation (Kaiming-normal convolutions, unit BatchNorm), so that an
    untrained network starts where theirs does; ``linear_std``: normal(0, std) linear layers, as its
    video ResNets (the image ResNets keep PyTorch's default)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.Conv3d)):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm3d)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear) and linear_std is not None:
            nn.init.normal_(m.weight, 0, linear_std)
            nn.init.zeros_(m.bias)


PUBLISHED_WIDTH = 64


def check_width_for_weights(width: int, weights, network: str) -> None:
    """Published weights exist only at torchvision's width: a reduced one (for CPU runs) is an error, not a partial load."""
    if width < 1:
        raise ValueError(f"{network}: width must be >= 1, got {width}")
    if weights is not None and width != PUBLISHED_WIDTH:
        raise ValueError(f"{network}: weights file {weights} is for width {PUBLISHED_WIDTH}; a network of width {width} "
                         "cannot load published weights (drop `weights` or use width 64)")
