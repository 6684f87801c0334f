"""The interface every sequence model implements for the training core, and the masked softmax
with which every family's attention keeps unobserved frames and modalities at weight 0."""
from __future__ import annotations

import torch
from torch import nn


def masked_softmax(scores: torch.Tensor, keep: torch.Tensor | None, dim: int = -1) -> torch.Tensor:
    """Softmax over ``dim`` that gives masked entries weight 0; an all-masked slice gets all zeros."""
    if keep is not None:
        scores = scores.masked_fill(~keep, float("-inf"))
    return torch.nan_to_num(torch.softmax(scores, dim=dim), nan=0.0)


class SequenceModel(nn.Module):
    """A model over fixed-length sequences of one or more modalities.

    ``forward(x, mask)`` takes ``x[modality]`` of shape (B, L, D_m) and ``mask[modality]`` of
    shape (B, L) (True where the modality was observed) and returns a dict with ``"pred"``
    (B, L, n_dims) and, optionally, further per-frame tensors (B, L, …) such as attention weights,
    which ``train.predict`` can export next to the predictions.

    ``on_epoch_start(epoch)`` (0-based) lets a model change with the training schedule (the
    embedding attention is bypassed for its first epochs). Epochs before ``warmup_epochs`` are
    trained but never end training by early stopping, and are never chosen by it unless
    ``warmup_selectable`` (a model whose warm-up state is itself a legitimate model says so);
    by default a selected model is in its final configuration.
    Anything the schedule switches must live in a buffer so that checkpoints restore it.
    ``parameter_groups()`` gives the optimiser its groups (one, at the configured rate, by default).
    """

    warmup_epochs: int = 0
    warmup_selectable: bool = False

    def on_epoch_start(self, epoch: int) -> None:
        pass

    def parameter_groups(self) -> list[dict]:
        """The optimiser's parameter groups; a group's ``lr_scale`` multiplies the learning rate
        (a model whose parts learn at different rates overrides this)."""
        return [{"params": [p for p in self.parameters() if p.requires_grad]}]

    def forward(self, x: dict[str, torch.Tensor], mask: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        raise NotImplementedError
