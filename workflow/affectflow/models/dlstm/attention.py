"""Attention layers of the DLSTM family (Lucas et al., RECOLA).

``EmbeddingAttention``: general-dot-product attention (Luong et al., eqs. 1–2) of a recurrent
state ``h`` over a window of embeddings: score(h, v_s) = hᵀ W_a v_s, softmax over the window.
``BimodalAttentionFusion``: eqs. 3–5, per-output-dimension weights over the fused networks from
their concatenated hidden states. ``OutputLinearFusion`` (OLB, eq. 6) and
``HiddenLinearFusion`` (HLB, eq. 7) are the paper's baselines without attention.

The equations have no bias terms and neither do these layers.
"""
from __future__ import annotations

import torch
from torch import nn

from ..sequence.base import masked_softmax


def window_offsets(window: int) -> range:
    """Frame offsets of a window of ``window`` frames centred on t (t−n//2 … t+n//2 for odd n)."""
    return range(-(window // 2), window - window // 2)


class EmbeddingAttention(nn.Module):
    """GDP attention of a state (B, H) over embeddings around frame t.

    ``windows(v, mask)`` prepares, once per sequence, the projected keys W_a v_s and the values of
    every frame's window (frames outside the sequence or with the modality masked are excluded
    from the softmax); ``step(h, t, …)`` attends at frame t with the state h.
    """

    def __init__(self, state_size: int, embedding_size: int, window: int = 13):
        super().__init__()
        if window < 1:
            raise ValueError(f"attention window must be at least 1 frame, got {window}")
        self.window = window
        self.W_a = nn.Linear(embedding_size, state_size, bias=False)

    def _unfold(self, t: torch.Tensor, fill) -> torch.Tensor:
        """(B, L, …) → (B, L, window, …): the window of every frame, padded with ``fill``."""
        before = self.window // 2
        after = self.window - 1 - before
        pad_shape = (t.shape[0], before, *t.shape[2:]), (t.shape[0], after, *t.shape[2:])
        padded = torch.cat([t.new_full(pad_shape[0], fill), t, t.new_full(pad_shape[1], fill)], dim=1)
        return padded.unfold(1, self.window, 1).movedim(-1, 2)

    def windows(self, v: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """v (B, L, D), mask (B, L) → keys (B, L, n, H), values (B, L, n, D), keep (B, L, n)."""
        return self._unfold(self.W_a(v), 0.0), self._unfold(v, 0.0), self._unfold(mask, False)

    @staticmethod
    def step(h: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, keep: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """h (B, H), keys (B, n, H), values (B, n, D), keep (B, n) → context (B, D), weights (B, n)."""
        scores = torch.einsum("bnh,bh->bn", keys, h)
        weights = masked_softmax(scores, keep, dim=-1)
        return torch.einsum("bn,bnd->bd", weights, values), weights


class BimodalAttentionFusion(nn.Module):
    """Eqs. 3–5: S_m = Cᵀ W_m, a_m = softmax over the n networks, z_m = Σ_i a_mi y_mi.

    One W_m ∈ R^{(Σc)×n} per output dimension m, so arousal and valence can trust different
    networks at the same frame.
    """

    def __init__(self, hidden_sizes: list[int], n_outputs: int):
        super().__init__()
        self.W = nn.Parameter(torch.empty(n_outputs, sum(hidden_sizes), len(hidden_sizes)))
        nn.init.xavier_uniform_(self.W)

    def forward(self, hidden: list[torch.Tensor], outputs: list[torch.Tensor], present: torch.Tensor | None = None):
        """hidden[i] (B, L, c_i), outputs[i] (B, L, O), present (B, L, n) →
        fused (B, L, O), weights (B, L, O, n) (weights sum to 1 over the networks)."""
        C = torch.cat(hidden, dim=-1)
        scores = torch.einsum("blc,mcn->blmn", C, self.W)
        keep = None if present is None else present.unsqueeze(2).expand_as(scores)
        weights = masked_softmax(scores, keep, dim=-1)
        Y = torch.stack(outputs, dim=-1)  # (B, L, O, n)
        return (weights * Y).sum(-1), weights


class OutputLinearFusion(nn.Module):
    """OLB, eq. 6: Z = Y W with W ∈ R^{n×1}, one static weight per network shared by all outputs."""

    def __init__(self, n_networks: int):
        super().__init__()
        self.W = nn.Linear(n_networks, 1, bias=False)
        nn.init.constant_(self.W.weight, 1.0 / n_networks)  # start as the networks' mean

    def forward(self, hidden: list[torch.Tensor], outputs: list[torch.Tensor], present: torch.Tensor | None = None):
        Y = torch.stack(outputs, dim=-1)
        if present is not None:
            Y = Y * present.unsqueeze(2).to(Y.dtype)
        return self.W(Y).squeeze(-1), None


class HiddenLinearFusion(nn.Module):
    """HLB, eq. 7: Z = Cᵀ W with W ∈ R^{(Σc)×o}, regressing the concatenated hidden states."""

    def __init__(self, hidden_sizes: list[int], n_outputs: int):
        super().__init__()
        self.W = nn.Linear(sum(hidden_sizes), n_outputs, bias=False)

    def forward(self, hidden: list[torch.Tensor], outputs: list[torch.Tensor], present: torch.Tensor | None = None):
        if present is not None:
            hidden = [h * present[..., i:i + 1].to(h.dtype) for i, h in enumerate(hidden)]
        return self.W(torch.cat(hidden, dim=-1)), None


def make_fusion(method: str, hidden_sizes: list[int], n_outputs: int) -> nn.Module:
    if method == "attention":
        return BimodalAttentionFusion(hidden_sizes, n_outputs)
    if method == "olb":
        return OutputLinearFusion(len(hidden_sizes))
    if method == "hlb":
        return HiddenLinearFusion(hidden_sizes, n_outputs)
    raise ValueError(f"unknown fusion method '{method}'; known: attention, olb, hlb")
