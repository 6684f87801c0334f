"""Training losses on batches of sequences, masked to the frames with a valid label.

``ccc_loss``: 1 − CCC computed per sequence with population moments (1/N, the convention of
training losses, see ``affectflow.evaluation.metrics``), averaged over the sequences and the dimensions.
Sequences with fewer than two valid frames have no CCC and are left out of the mean.
``mse_loss``: mean squared error over the valid frames and the dimensions.
"""
from __future__ import annotations

import torch

EPS = 1e-8


def ccc_per_sequence(pred: torch.Tensor, gold: torch.Tensor, valid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """CCC of each (sequence, dimension): pred/gold (B, L, O), valid (B, L) → ((B, O), usable (B,))."""
    w = valid.to(pred.dtype).unsqueeze(-1)  # (B, L, 1)
    n = w.sum(dim=1)  # (B, 1)
    usable = n.squeeze(-1) >= 2
    n = n.clamp(min=1)
    mp = (pred * w).sum(1) / n
    mg = (gold * w).sum(1) / n
    dp = (pred - mp.unsqueeze(1)) * w
    dg = (gold - mg.unsqueeze(1)) * w
    cov = (dp * dg).sum(1) / n
    vp = (dp * dp).sum(1) / n
    vg = (dg * dg).sum(1) / n
    return 2 * cov / (vp + vg + (mp - mg) ** 2 + EPS), usable


def ccc_loss(pred: torch.Tensor, gold: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    ccc, usable = ccc_per_sequence(pred, gold, valid)
    if not usable.any():
        return pred.sum() * 0.0  # keeps the graph; nothing to learn from this batch
    return (1.0 - ccc[usable]).mean()


def mse_loss(pred: torch.Tensor, gold: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    w = valid.to(pred.dtype).unsqueeze(-1)
    count = w.sum() * pred.shape[-1]
    if count == 0:
        return pred.sum() * 0.0
    return (((pred - gold) ** 2) * w).sum() / count


LOSSES = {"ccc": ccc_loss, "mse": mse_loss}
