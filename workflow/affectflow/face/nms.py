"""Greedy non-maximum suppression in torch (torchvision's ``nms`` is not available here)."""
from __future__ import annotations

import torch


def nms(boxes: torch.Tensor, scores: torch.Tensor, threshold: float, mode: str = "union") -> torch.Tensor:
    """Indices of the boxes kept, highest score first. ``mode``: overlap is intersection over
    the ``union``, or over the smaller box (``min``, as MTCNN's last stage)."""
    order = scores.argsort(descending=True)
    area = (boxes[:, 2] - boxes[:, 0]).clamp(min=0) * (boxes[:, 3] - boxes[:, 1]).clamp(min=0)
    keep = []
    while order.numel():
        i, rest = order[0], order[1:]
        keep.append(i)
        w = (torch.minimum(boxes[i, 2], boxes[rest, 2]) - torch.maximum(boxes[i, 0], boxes[rest, 0])).clamp(min=0)
        h = (torch.minimum(boxes[i, 3], boxes[rest, 3]) - torch.maximum(boxes[i, 1], boxes[rest, 1])).clamp(min=0)
        inter = w * h
        denom = torch.minimum(area[i], area[rest]) if mode == "min" else area[i] + area[rest] - inter
        order = rest[inter / denom.clamp(min=1e-9) <= threshold]
    return torch.stack(keep) if keep else order
