"""VGG-16 convolutional trunk in plain torch, for VGG-16 / VGGFace weights the user provides.

The layer layout and parameter names are those of the common VGG-16 state dicts
(``features.{0,2,5,…,28}.weight/bias``), so an ImageNet VGG-16 checkpoint or a VGGFace
(Parkhi et al. 2015) conversion saved with those names loads directly; classifier weights in the
file are ignored. ``forward`` returns the last convolutional activations (conv5_3 after ReLU,
512 × 14 × 14 at 224 px), pooled over space by the caller.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

_CFG = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512)
INPUT_SIZE = 224
# per-channel RGB normalisation (mean, std) on 0–255 pixels
PREPROCESS = {
    "imagenet": ((123.675, 116.28, 103.53), (58.395, 57.12, 57.375)),
    "vggface": ((129.1863, 104.7624, 93.5940), (1.0, 1.0, 1.0)),  # Parkhi et al. mean, no scaling
}


class VGG16Trunk(nn.Module):
    def __init__(self):
        super().__init__()
        layers, cin = [], 3
        for v in _CFG:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(cin, v, 3, padding=1), nn.ReLU(inplace=True)]
                cin = v
        self.features = nn.Sequential(*layers)

    def forward(self, x):
        return self.features(x)


def load(path: str | Path) -> VGG16Trunk:
    """The trunk with the convolutional weights of ``path`` (a state dict, or a dict holding one
    under ``state_dict``); a file lacking any trunk parameter is an error naming them."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: VGG-16 weights file not found")
    state = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    state = {k.removeprefix("module."): v for k, v in state.items()}
    net = VGG16Trunk()
    wanted = net.state_dict().keys()
    missing = [k for k in wanted if k not in state]
    if missing:
        raise ValueError(f"{path}: not a VGG-16 state dict with 'features.N' names; missing {missing[:4]}{'…' if len(missing) > 4 else ''}")
    net.load_state_dict({k: state[k] for k in wanted})
    return net.eval()
