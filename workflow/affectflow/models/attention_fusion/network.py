"""The five feature-level fusion strategies of Tzirakis et al. (SEWA, section 4.2, eqs. 3–9).

Every strategy maps the per-frame modality features ``x[m]`` (B, L, D_m) to one fused vector per
frame; ``AttentionFusionModel`` follows it with the paper's 1-layer LSTM (256 units) and a linear
head. Strategies (``STRATEGIES``):

``concatenation``     [x^t, x^a, x^v] (with each modality's presence flag).
``hierarchical``      eq. 3 projections to D_u, eq. 4 attention over every pair of modalities,
                      then eq. 4 again over the pair outputs (eq. 5).
``self_attention``    eq. 6: p heads of scaled dot-product self-attention among the projected
                      modalities (Z¹, Z², Z³ = X^c W¹, W², W³), pooled by α_i = A_i q_i.
``residual``          eq. 7: as eq. 6 with the non-local residual z_i = W_z v_i + X^c.
``cross_modal``       eqs. 8–9: each modality attends to each other one, eq. 4 over those
                      (v_f^m), then eq. 4 over the modalities.

Where the paper leaves the algebra open, the choices are:

- eq. 6: α_i is normalised with a softmax over the modalities (the text writes α_i = A_i q_i;
  without a normalisation α would not be a weighting and masking could not be exact).
- eq. 7: X^c (M × D_u) and W_z v_i are reconciled position-wise as in non-local networks:
  z_i = Σ_k α_i[k] (W_z A_i[k] + X^c[k]) = W_z v_i + Σ_k α_i[k] X^c[k], so z_i ∈ R^{D_u}.
- eq. 8: per frame x̃ are vectors, so x̃_2^m (x̃_1^c)ᵀ is the D_s × D_s outer product; the
  softmax normalises over the feature index that is summed with x̃_1^m, i.e. every output
  feature k of a^{m,c} is a convex combination of modality m's features, weighted by their
  affinity with feature k of modality c. When no other modality is present at a frame,
  a^{m,m} stands in so that the modality still reaches the fusion.

**Missing modalities.** ``mask[m]`` (B, L) is False where modality m was not observed. A masked
modality never enters an attention: its scores are excluded from every softmax (weight exactly
0, the others renormalised), and its inputs are replaced by zeros before any projection so that
not even a 0 × NaN can leak. A pair or group with no present member is excluded in turn. The
exported ``modality_attention`` (B, L, M) is the weight each modality has in the fused vector
(0 for masked modalities, summing to 1 over the present ones; all zeros when none is present).
"""
from __future__ import annotations

import itertools
import math

import torch
from torch import nn

from ..sequence.base import SequenceModel, masked_softmax
from .strategies import STRATEGIES  # noqa: F401 (re-exported)



def _mask_inputs(xs: list[torch.Tensor], present: torch.Tensor) -> list[torch.Tensor]:
    """Zero every masked frame (B, L, D) so that nothing it holds can reach a projection."""
    return [x.masked_fill(~present[..., i:i + 1], 0.0) for i, x in enumerate(xs)]


class SelectiveAttention(nn.Module):
    """Eq. 4: α^i = softmax_i(x̃^i · q^i / √D_u) over the present inputs, output Σ_i α^i x̃^i.

    One learnable query q^i per input, as the paper's q^i ∈ R^{D_u}: each input (modality, pair)
    is scored by its own query, so the weights can differ between inputs at rest and follow
    their content.
    """

    def __init__(self, size: int, n_inputs: int):
        super().__init__()
        self.q = nn.Parameter(torch.empty(n_inputs, size))
        nn.init.xavier_uniform_(self.q)
        self.scale = 1.0 / math.sqrt(size)

    def forward(self, xs: torch.Tensor, keep: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """xs (..., n, D), keep (..., n) → fused (..., D), weights (..., n)."""
        weights = masked_softmax((xs * self.q).sum(-1) * self.scale, keep, dim=-1)
        return (weights.unsqueeze(-1) * xs.masked_fill(~keep.unsqueeze(-1), 0.0)).sum(-2), weights


class Concatenation(nn.Module):
    def __init__(self, input_sizes: list[int]):
        super().__init__()
        self.output_size = sum(input_sizes) + len(input_sizes)

    def forward(self, xs, present):
        flags = present.to(xs[0].dtype)
        return torch.cat([*_mask_inputs(xs, present), flags], dim=-1), None


class HierarchicalAttention(nn.Module):
    """Eqs. 3–5: projections to D_u, attention over each pair, then over the pairs."""

    def __init__(self, input_sizes: list[int], size: int):
        super().__init__()
        self.project = nn.ModuleList(nn.Linear(d, size) for d in input_sizes)
        self.pairs = list(itertools.combinations(range(len(input_sizes)), 2)) or [(0,)]
        self.pair_attention = nn.ModuleList(SelectiveAttention(size, len(pair)) for pair in self.pairs)
        self.top = SelectiveAttention(size, len(self.pairs))
        self.output_size = size

    def forward(self, xs, present):
        proj = torch.stack([p(x) for p, x in zip(self.project, _mask_inputs(xs, present))], dim=-2)  # (B, L, M, D_u)
        outs, keeps, contrib = [], [], []
        for pair, att in zip(self.pairs, self.pair_attention):
            idx = list(pair)
            fused, w = att(proj[..., idx, :], present[..., idx])
            outs.append(fused)
            keeps.append(present[..., idx].any(-1))
            contrib.append(torch.zeros_like(present, dtype=w.dtype).index_copy(-1, torch.tensor(idx, device=w.device), w))
        fused, top = self.top(torch.stack(outs, dim=-2), torch.stack(keeps, dim=-1))
        modality_weights = (top.unsqueeze(-1) * torch.stack(contrib, dim=-2)).sum(-2)
        return fused, modality_weights


class SelfAttentionFusion(nn.Module):
    """Eq. 6 (and eq. 7 with ``residual=True``): p heads of self-attention among the modalities."""

    def __init__(self, input_sizes: list[int], size: int, head_size: int, heads: int, residual: bool = False):
        super().__init__()
        self.project = nn.ModuleList(nn.Linear(d, size) for d in input_sizes)
        self.W = nn.Parameter(torch.empty(3, heads, size, head_size))  # W_i^j, j = 1..3
        nn.init.xavier_uniform_(self.W.view(3 * heads, size, head_size))
        self.q = nn.Parameter(torch.randn(heads, head_size) / math.sqrt(head_size))
        self.residual = residual
        self.W_z = nn.Linear(head_size, size, bias=False) if residual else None
        self.scale = 1.0 / math.sqrt(head_size)
        self.output_size = heads * (size if residual else head_size)

    def forward(self, xs, present):
        Xc = torch.stack([p(x) for p, x in zip(self.project, _mask_inputs(xs, present))], dim=-2)  # (B, L, M, D_u)
        Z = torch.einsum("blmu,jhus->jblhms", Xc, self.W)  # (3, B, L, p, M, D_s)
        keep = present.unsqueeze(-2)  # (B, L, 1, M): over the modalities, per head
        keys = keep.unsqueeze(-2)  # (B, L, 1, 1, M): key columns of the M × M scores
        A = masked_softmax((Z[0] @ Z[1].transpose(-1, -2)) * self.scale, keys, dim=-1) @ Z[2]  # (B, L, p, M, D_s)
        alpha = masked_softmax(torch.einsum("blhms,hs->blhm", A, self.q), keep, dim=-1)  # (B, L, p, M)
        rows = self.W_z(A) + Xc.unsqueeze(2) if self.residual else A  # (B, L, p, M, D_u or D_s)
        v = (alpha.unsqueeze(-1) * rows).sum(-2)  # (B, L, p, D)
        return v.flatten(-2), alpha.mean(-2)


class CrossModalHierarchicalAttention(nn.Module):
    """Eqs. 8–9: a^{m,c} per ordered pair, eq. 4 over c (v_f^m), eq. 4 over m."""

    def __init__(self, input_sizes: list[int], head_size: int):
        super().__init__()
        self.project1 = nn.ModuleList(nn.Linear(d, head_size) for d in input_sizes)
        self.project2 = nn.ModuleList(nn.Linear(d, head_size) for d in input_sizes)
        self.per_modality = nn.ModuleList(SelectiveAttention(head_size, len(input_sizes)) for _ in input_sizes)
        self.top = SelectiveAttention(head_size, len(input_sizes))
        self.scale = 1.0 / math.sqrt(head_size)
        self.output_size = head_size

    def cross(self, x1_m: torch.Tensor, x2_m: torch.Tensor, x1_c: torch.Tensor) -> torch.Tensor:
        """Eq. 8 per frame: a[k] = Σ_j softmax_j(x2_m[j] · x1_c[k] / √D_s) x1_m[j]."""
        scores = x2_m.unsqueeze(-1) * x1_c.unsqueeze(-2) * self.scale  # (..., j, k)
        return torch.einsum("...jk,...j->...k", torch.softmax(scores, dim=-2), x1_m)

    def forward(self, xs, present):
        xs = _mask_inputs(xs, present)
        x1 = [p(x) for p, x in zip(self.project1, xs)]
        x2 = [p(x) for p, x in zip(self.project2, xs)]
        M = len(xs)
        v_f = []
        for m in range(M):
            a = torch.stack([self.cross(x1[m], x2[m], x1[c]) for c in range(M)], dim=-2)  # (B, L, M, D_s)
            others = present.clone()
            others[..., m] = False
            alone = ~others.any(-1, keepdim=True)
            keep = others | (alone & torch.nn.functional.one_hot(torch.tensor(m), M).bool().to(present.device))
            v_f.append(self.per_modality[m](a, keep & present[..., m:m + 1])[0])
        return self.top(torch.stack(v_f, dim=-2), present)


def make_strategy(name: str, input_sizes: list[int], size: int = 256, head_size: int = 64, heads: int = 4) -> nn.Module:
    if name == "concatenation":
        return Concatenation(input_sizes)
    if name == "hierarchical":
        return HierarchicalAttention(input_sizes, size)
    if name == "self_attention":
        return SelfAttentionFusion(input_sizes, size, head_size, heads, residual=False)
    if name == "residual":
        return SelfAttentionFusion(input_sizes, size, head_size, heads, residual=True)
    if name == "cross_modal":
        return CrossModalHierarchicalAttention(input_sizes, head_size)
    raise ValueError(f"unknown fusion strategy '{name}'; known: {sorted(STRATEGIES)}")


class AttentionFusionModel(SequenceModel):
    """Fusion strategy per frame → 1-layer LSTM (Tzirakis et al.: 256 units) → linear head.

    The LSTM also receives each modality's presence flag, so a frame whose fused vector is
    empty (no modality observed) is recognisable as such rather than passed off as a zero.
    """

    def __init__(self, modalities: list[str], input_dims: dict[str, int], n_outputs: int, strategy: str,
                 projection_size: int = 256, head_size: int = 64, heads: int = 4, hidden_size: int = 256,
                 num_layers: int = 1, dropout: float = 0.5):
        super().__init__()
        missing = [m for m in modalities if m not in input_dims]
        if missing:
            raise ValueError(f"attention fusion: modalities {missing} are not in the data (have {sorted(input_dims)})")
        self.modalities = list(modalities)
        self.strategy = strategy
        self.fusion = make_strategy(strategy, [input_dims[m] for m in modalities], projection_size, head_size, heads)
        self.dropout = nn.Dropout(dropout)
        self.lstm = nn.LSTM(self.fusion.output_size + len(modalities), hidden_size, num_layers=num_layers, batch_first=True,
                            dropout=dropout if num_layers > 1 else 0.0)
        self.head = nn.Linear(hidden_size, n_outputs)
        for name, weight in self.lstm.named_parameters():  # the paper: LSTM "initialized by the Glorot based method"
            if name.startswith("weight"):
                nn.init.xavier_uniform_(weight)

    def fuse(self, x: dict[str, torch.Tensor], mask: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor | None]:
        present = torch.stack([mask[m] for m in self.modalities], dim=-1)
        return self.fusion([x[m] for m in self.modalities], present)

    def forward(self, x, mask):
        fused, weights = self.fuse(x, mask)
        flags = torch.stack([mask[m] for m in self.modalities], dim=-1).to(fused.dtype)
        hidden, _ = self.lstm(torch.cat([self.dropout(fused), flags], dim=-1))
        out = {"pred": self.head(self.dropout(hidden))}
        if weights is not None:
            out["modality_attention"] = weights
        return out


def build(name: str, models: dict, input_dims: dict[str, int], n_outputs: int, pretrained_checkpoints=None, hop_s: float = 0.1) -> AttentionFusionModel:
    """``attention_fusion`` (config keys; defaults in the config schema): ``modalities`` {name: [extractors]}
    (any subset of text, audio, visual), ``strategy`` (see ``STRATEGIES``), ``projection_size`` (D_u),
    ``head_size`` (D_s), ``heads`` (p), ``hidden_size`` (LSTM units, 256), ``dropout``."""
    cfg = models[name]
    return AttentionFusionModel(list(cfg["modalities"]), input_dims, n_outputs, cfg.get("strategy", "hierarchical"),
                                projection_size=cfg.get("projection_size", 256), head_size=cfg.get("head_size", 64),
                                heads=cfg.get("heads", 4), hidden_size=cfg.get("hidden_size", 256), dropout=cfg.get("dropout", 0.5))


# for the sequence core's dispatcher (affectflow.models.sequence.run.BUILDERS)
BUILDERS = {"attention_fusion": build}
