"""Greedy non-maximum suppression in torch (torchvision's ``nms`` is not available here)."""
from __future__ import annotations

import torch


def nms(boxes: torch.Tensor, scores: torch.Tensor, threshold: float, mode: str = "union") -> torch.Tensor:
    """Indices of the boxes kept, highest score first. ``mode``: IoU over the ``union`` or over
    the smaller box (``min``, as MTCNN's last stage)."""
    order = scores.argsort(descending=True)
    boxes = boxes[order]
    area = (boxes[:, 2] - boxes[:, 0]).clamp(min=0) * (boxes[:, 3] - boxes[:, 1]).clamp(min=0)
    x0, y0 = torch.maximum(boxes[:, None, 0], boxes[None, :, 0]), torch.maximum(boxes[:, None, 1], boxes[None, :, 1])
    x1, y1 = torch.minimum(boxes[:, None, 2], boxes[None, :, 2]), torch.minimum(boxes[:, None, 3], boxes[None, :, 3])
    inter = (x1 - x0).clamp(min=0) * (y1 - y0).clamp(min=0)
    denom = torch.minimum(area[:, None], area[None, :]) if mode == "min" else area[:, None] + area[None, :] - inter
    overlap = inter / denom.clamp(min=1e-9)
    suppressed = torch.zeros(len(boxes), dtype=torch.bool, device=boxes.device)
    keep = []
    for i in range(len(boxes)):
        if suppressed[i]:
            continue
        keep.append(i)
        suppressed |= overlap[i] > threshold
    return order[torch.tensor(keep, dtype=torch.long, device=boxes.device)] if keep else order[:0]
