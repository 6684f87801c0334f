"""MTCNN (Zhang et al. 2016) with the P/R/O-net weights shipped in ``facenet-pytorch``
(``facenet_pytorch/data/{pnet,rnet,onet}.pt``), run by our own torch code (that package imports
torchvision, which cannot be installed here). Networks and the three-stage cascade follow
facenet-pytorch's ``detect_face`` (image pyramid, P-net proposals, R-net and O-net refinement,
NMS per image), batched over frames. Input RGB scaled as ``(x − 127.5) / 128``.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

from .detection import Face, FaceDetectionError, FaceDetector, torch_device
from .nms import nms


def default_weights() -> Path:
    spec = importlib.util.find_spec("facenet_pytorch")
    if spec is None or not spec.submodule_search_locations:
        raise FaceDetectionError("face detector 'mtcnn' needs the facenet-pytorch package (its weight files; see requirements-nodeps.txt) or a `weights` folder")
    return Path(list(spec.submodule_search_locations)[0]) / "data"


class PNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.prelu1 = nn.Conv2d(3, 10, 3), nn.PReLU(10)
        self.pool1 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.conv2, self.prelu2 = nn.Conv2d(10, 16, 3), nn.PReLU(16)
        self.conv3, self.prelu3 = nn.Conv2d(16, 32, 3), nn.PReLU(32)
        self.conv4_1, self.conv4_2 = nn.Conv2d(32, 2, 1), nn.Conv2d(32, 4, 1)

    def forward(self, x):
        x = self.prelu3(self.conv3(self.prelu2(self.conv2(self.pool1(self.prelu1(self.conv1(x)))))))
        return self.conv4_2(x), self.conv4_1(x).softmax(1)


class RNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.prelu1, self.pool1 = nn.Conv2d(3, 28, 3), nn.PReLU(28), nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2, self.prelu2, self.pool2 = nn.Conv2d(28, 48, 3), nn.PReLU(48), nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv3, self.prelu3 = nn.Conv2d(48, 64, 2), nn.PReLU(64)
        self.dense4, self.prelu4 = nn.Linear(576, 128), nn.PReLU(128)
        self.dense5_1, self.dense5_2 = nn.Linear(128, 2), nn.Linear(128, 4)

    def forward(self, x):
        x = self.pool2(self.prelu2(self.conv2(self.pool1(self.prelu1(self.conv1(x))))))
        x = self.prelu3(self.conv3(x)).permute(0, 3, 2, 1).reshape(len(x), -1)  # Caffe (w, h) order
        x = self.prelu4(self.dense4(x))
        return self.dense5_2(x), self.dense5_1(x).softmax(1)


class ONet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.prelu1, self.pool1 = nn.Conv2d(3, 32, 3), nn.PReLU(32), nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2, self.prelu2, self.pool2 = nn.Conv2d(32, 64, 3), nn.PReLU(64), nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv3, self.prelu3, self.pool3 = nn.Conv2d(64, 64, 3), nn.PReLU(64), nn.MaxPool2d(2, 2, ceil_mode=True)
        self.conv4, self.prelu4 = nn.Conv2d(64, 128, 2), nn.PReLU(128)
        self.dense5, self.prelu5 = nn.Linear(1152, 256), nn.PReLU(256)
        self.dense6_1, self.dense6_2, self.dense6_3 = nn.Linear(256, 2), nn.Linear(256, 4), nn.Linear(256, 10)

    def forward(self, x):
        x = self.pool2(self.prelu2(self.conv2(self.pool1(self.prelu1(self.conv1(x))))))
        x = self.prelu4(self.conv4(self.pool3(self.prelu3(self.conv3(x))))).permute(0, 3, 2, 1).reshape(len(x), -1)
        x = self.prelu5(self.dense5(x))
        return self.dense6_2(x), self.dense6_3(x), self.dense6_1(x).softmax(1)


def _per_image_nms(boxes, scores, image, threshold, mode="union"):
    if len(boxes) == 0:
        return torch.zeros(0, dtype=torch.long, device=boxes.device)
    offset = image.to(boxes) * (boxes.max() + 1)  # boxes of different images never overlap
    return nms(boxes + offset[:, None], scores, threshold, mode)


def _square(b):
    w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    side = torch.maximum(w, h)
    x0, y0 = b[:, 0] + w / 2 - side / 2, b[:, 1] + h / 2 - side / 2
    return torch.stack([x0, y0, x0 + side, y0 + side], 1)


def _regress(b, reg):
    w, h = b[:, 2] - b[:, 0] + 1, b[:, 3] - b[:, 1] + 1
    return b + reg * torch.stack([w, h, w, h], 1)


def _crops(imgs, boxes, image, size, w, h):
    b = boxes.trunc().int().cpu().numpy()
    out = []
    for k in range(len(b)):
        x0, y0, x1, y1 = max(b[k, 0], 1), max(b[k, 1], 1), min(b[k, 2], w), min(b[k, 3], h)
        patch = imgs[image[k], :, y0 - 1:y1, x0 - 1:x1].unsqueeze(0)
        out.append(F.interpolate(patch, size=(size, size), mode="area") if patch.numel() else torch.zeros(1, 3, size, size, device=imgs.device))
    return (torch.cat(out) - 127.5) * 0.0078125


class MTCNNDetector(FaceDetector):
    def __init__(self, params: dict):
        super().__init__(params)
        self._dir = Path(params.get("weights") or default_weights())
        self.device = torch_device(params.get("device", "auto"))
        self.nets = {}
        for name, cls in (("pnet", PNet), ("rnet", RNet), ("onet", ONet)):
            path = self._dir / f"{name}.pt"
            if not path.exists():
                raise FaceDetectionError(f"{path}: MTCNN weights file not found")
            net = cls()
            net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
            self.nets[name] = net.eval().to(self.device)
        self.thresholds = (0.6, 0.7, float(params.get("min_confidence", 0.7)))
        self.min_size, self.factor = float(params.get("min_face_size", 20)), 0.709

    def model_id(self) -> str:
        return "mtcnn-facenet-pytorch"

    def weights_files(self) -> dict[str, str]:
        return {n: str(self._dir / f"{n}.pt") for n in ("pnet", "rnet", "onet")}

    @torch.inference_mode()
    def detect(self, frames: np.ndarray) -> list[list[Face]]:
        imgs = torch.from_numpy(np.ascontiguousarray(frames)).to(self.device).permute(0, 3, 1, 2).float()
        n, h, w = len(frames), frames.shape[1], frames.shape[2]
        boxes, image = self._proposals(imgs, h, w)
        if len(boxes):
            reg, prob = self.nets["rnet"](_crops(imgs, boxes, image, 24, w, h))
            keep = prob[:, 1] > self.thresholds[1]
            boxes, image, reg, score = boxes[keep], image[keep], reg[keep], prob[keep, 1]
            pick = _per_image_nms(boxes, score, image, 0.7)
            boxes = _square(_regress(boxes[pick], reg[pick]))
            image = image[pick]
        out = [[] for _ in range(n)]
        if len(boxes):
            reg, pts, prob = self.nets["onet"](_crops(imgs, boxes, image, 48, w, h))
            keep = prob[:, 1] > self.thresholds[2]
            boxes, image, reg, pts, score = boxes[keep], image[keep], reg[keep], pts[keep], prob[keep, 1]
            bw, bh = boxes[:, 2] - boxes[:, 0] + 1, boxes[:, 3] - boxes[:, 1] + 1
            points = torch.stack([bw[:, None] * pts[:, :5] + boxes[:, :1] - 1, bh[:, None] * pts[:, 5:] + boxes[:, 1:2] - 1], -1)
            boxes = _regress(boxes, reg)
            for k in _per_image_nms(boxes, score, image, 0.7, mode="min").tolist():
                out[int(image[k])].append(Face(box=boxes[k].cpu().numpy().astype(float), score=float(score[k]),
                                               landmarks=points[k].cpu().numpy().astype(float)))
        return out

    def _proposals(self, imgs, h, w):
        """P-net over the image pyramid: candidate boxes (squared) and their image index."""
        scale, side, scales = 12.0 / self.min_size, min(h, w) * 12.0 / self.min_size, []
        while side >= 12:
            scales.append(scale)
            scale, side = scale * self.factor, side * self.factor
        boxes, image = [], []
        for s in scales:
            x = (F.interpolate(imgs, size=(int(h * s + 1), int(w * s + 1)), mode="area") - 127.5) * 0.0078125
            reg, prob = self.nets["pnet"](x)
            mask = prob[:, 1] >= self.thresholds[0]
            idx = mask.nonzero()
            cell = idx[:, 1:].flip(1).to(imgs.dtype)  # (x, y) of each P-net cell
            b = torch.cat([((2 * cell + 1) / s).floor(), ((2 * cell + 12) / s).floor(), prob[:, 1][mask][:, None],
                           reg.permute(0, 2, 3, 1)[mask]], 1)
            pick = _per_image_nms(b[:, :4], b[:, 4], idx[:, 0], 0.5)
            boxes.append(b[pick])
            image.append(idx[pick, 0])
        b, image = torch.cat(boxes), torch.cat(image)
        pick = _per_image_nms(b[:, :4], b[:, 4], image, 0.7)
        b, image = b[pick], image[pick]
        bw, bh = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
        refined = torch.stack([b[:, 0] + b[:, 5] * bw, b[:, 1] + b[:, 6] * bh, b[:, 2] + b[:, 7] * bw, b[:, 3] + b[:, 8] * bh], 1)
        return _square(refined), image
