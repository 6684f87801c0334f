"""The interface every sequence model implements for the training core."""
from __future__ import annotations

import torch
from torch import nn


class SequenceModel(nn.Module):
    """A model over fixed-length sequences of one or more modalities.

    ``forward(x, mask)`` takes ``x[modality]`` of shape (B, L, D_m) and ``mask[modality]`` of
    shape (B, L) (True where the modality was observed) and returns a dict with ``"pred"``
    (B, L, n_dims) and, optionally, further per-frame tensors (B, L, …) such as attention weights,
    which ``train.predict`` can export next to the predictions.

    ``on_epoch_start(epoch)`` (0-based) lets a model change with the training schedule (the
    embedding attention is bypassed for its first epochs). Epochs before ``warmup_epochs`` are
    trained but never chosen by early stopping, so a selected model is in its final configuration.
    Anything the schedule switches must live in a buffer so that checkpoints restore it.
    """

    warmup_epochs: int = 0

    def on_epoch_start(self, epoch: int) -> None:
        pass

    def forward(self, x: dict[str, torch.Tensor], mask: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        raise NotImplementedError
