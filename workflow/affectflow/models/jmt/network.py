"""Joint multimodal transformer of Waligora et al. (Aff-Wild2), over features from the store.

The paper's backbones (R(2+1)D for the face, ResNet18+GRU for the voice) are frozen, so their
features are what the fusion model sees: here they are the feature store's extractors of the
two modalities, each linearly projected to ``d_model`` (the paper's 512). Then:

- J = [F_a; F_v] → linear → J_av (eq. 1), the joint stream;
- one transformer encoder per stream (audio, visual, joint) — self-attention over time;
- six cross-attention blocks, one per ordered pair of streams: the query from one stream,
  key and value from another;
- concatenation of the six outputs → FC 1024 → FC 128 → one output per dimension.

``attention="sigmoid"`` is the paper's eq. 2 with a bias, Y = σ(QKᵀ/√d − log n) V: each key weighted on its
own, not normalised; the bias −log n (n = number of present keys, as in sigmoid-attention
practice) is not in the paper, which does not say how its sigmoid is trained. ``"softmax"`` is
the usual normalised attention. Both are scaled by 1/√d.

**Clips.** The paper's backbones give one 512-d vector per clip of 8 frames and the fusion attends
over the 8 clips of a 64-frame sub-sequence. With ``clip_frames`` = k > 1 the store's per-frame
features are averaged over each clip's present frames (our stand-in for the backbone's temporal
pooling) into one token per clip, a clip is present where any of its frames is, and the clip's
prediction is given to each of its frames (the paper does not say how clip outputs meet per-frame
labels). ``clip_frames`` = 1 is one token per frame.

**Missing modalities.** A frame where a stream is masked is never a key or value of any
attention (softmax: excluded; sigmoid: weight 0); the joint stream counts as present only
where both modalities are. Inputs of masked frames are zeroed before any projection, and a
block whose query stream is masked at a frame outputs zeros there; the presence flags of the
streams go to the regression head with the concatenated outputs. So the prediction does not
depend on anything a masked modality holds (the peers' code zero-fills missing frames into the
attention instead).
"""
from __future__ import annotations

import math

import torch
from torch import nn

from ..sequence.base import SequenceModel, masked_softmax

STREAMS = ("audio", "visual", "joint")
ATTENTIONS = ("softmax", "sigmoid")


def attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, keep: torch.Tensor, kind: str) -> torch.Tensor:
    """q (B, H, Lq, d), k/v (B, H, Lk, d), keep (B, Lk) → (B, H, Lq, d)."""
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    keys = keep[:, None, None, :]
    if kind == "softmax":
        weights = masked_softmax(scores, keys, dim=-1)
    elif kind == "sigmoid":
        # −log n (n = keys present) starts every weight near 1/n instead of ½: without it the sum
        # over a 100-frame sequence swamps the residual stream and the model does not learn
        n = keep.sum(-1).clamp(min=1).to(scores.dtype)[:, None, None, None]
        weights = torch.sigmoid(scores - torch.log(n)) * keys.to(scores.dtype)
    else:
        raise ValueError(f"unknown attention '{kind}'; known: {ATTENTIONS}")
    return weights @ v.masked_fill(~keep[:, None, :, None], 0.0)


class MultiHeadAttention(nn.Module):
    def __init__(self, d_model: int, heads: int, kind: str):
        super().__init__()
        if d_model % heads:
            raise ValueError(f"d_model={d_model} is not divisible by heads={heads}")
        if kind not in ATTENTIONS:
            raise ValueError(f"unknown attention '{kind}'; known: {ATTENTIONS}")
        self.heads, self.kind = heads, kind
        self.q, self.k, self.v, self.out = (nn.Linear(d_model, d_model) for _ in range(4))

    def _split(self, t: torch.Tensor) -> torch.Tensor:
        B, L, D = t.shape
        return t.view(B, L, self.heads, D // self.heads).transpose(1, 2)

    def forward(self, query: torch.Tensor, source: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        """query (B, Lq, D) attends over source (B, Lk, D) where keep (B, Lk)."""
        y = attend(self._split(self.q(query)), self._split(self.k(source)), self._split(self.v(source)), keep, self.kind)
        return self.out(y.transpose(1, 2).flatten(2))


class Block(nn.Module):
    """Post-norm transformer block: attention + residual, feed-forward + residual."""

    def __init__(self, d_model: int, heads: int, kind: str, dropout: float):
        super().__init__()
        self.attention = MultiHeadAttention(d_model, heads, kind)
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.ff = nn.Sequential(nn.Linear(d_model, 2 * d_model), nn.ReLU(), nn.Dropout(dropout), nn.Linear(2 * d_model, d_model))
        self.drop = nn.Dropout(dropout)

    def forward(self, query, source, keep):
        h = self.norm1(query + self.drop(self.attention(query, source, keep)))
        return self.norm2(h + self.drop(self.ff(h)))


class JointMultimodalTransformer(SequenceModel):
    def __init__(self, modalities: dict[str, str], input_dims: dict[str, int], n_outputs: int, d_model: int = 512,
                 heads: int = 8, encoder_layers: int = 1, attention: str = "softmax", fc_sizes: tuple[int, int] = (1024, 128),
                 dropout: float = 0.1, clip_frames: int = 1):
        """``modalities`` maps the paper's ``audio`` and ``visual`` to the data's modality names."""
        super().__init__()
        if clip_frames < 1:
            raise ValueError(f"clip_frames must be >= 1, got {clip_frames}")
        self.clip_frames = clip_frames
        if set(modalities) != {"audio", "visual"}:
            raise ValueError(f"the joint multimodal transformer fuses 'audio' and 'visual', got {sorted(modalities)}")
        missing = [m for m in modalities.values() if m not in input_dims]
        if missing:
            raise ValueError(f"JMT: modalities {missing} are not in the data (have {sorted(input_dims)})")
        self.modalities = dict(modalities)
        self.attention = attention
        self.embed = nn.ModuleDict({s: nn.Linear(input_dims[m], d_model) for s, m in modalities.items()})
        self.joint = nn.Linear(2 * d_model, d_model)
        self.encoders = nn.ModuleDict({s: nn.ModuleList(Block(d_model, heads, attention, dropout) for _ in range(encoder_layers))
                                       for s in STREAMS})
        self.pairs = [(q, kv) for q in STREAMS for kv in STREAMS if q != kv]
        self.cross = nn.ModuleDict({f"{q}_{kv}": Block(d_model, heads, attention, dropout) for q, kv in self.pairs})
        self.head = nn.Sequential(nn.Linear(len(self.pairs) * d_model + len(STREAMS), fc_sizes[0]), nn.ReLU(), nn.Dropout(dropout),
                                  nn.Linear(fc_sizes[0], fc_sizes[1]), nn.ReLU(), nn.Linear(fc_sizes[1], n_outputs))

    def _clips(self, x: torch.Tensor, keep: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, L, D), (B, L) → the mean of each clip's present frames (B, ⌈L/k⌉, D) and clip presence."""
        B, L, D = x.shape
        k = self.clip_frames
        pad = -L % k
        w = nn.functional.pad(keep, (0, pad)).view(B, -1, k, 1).to(x.dtype)
        x = nn.functional.pad(x.masked_fill(~keep.unsqueeze(-1), 0.0), (0, 0, 0, pad)).view(B, -1, k, D)
        n = w.sum(2)
        return (x * w).sum(2) / n.clamp(min=1), n[..., 0] > 0

    def forward(self, x, mask):
        L = next(iter(x.values())).shape[1]
        if self.clip_frames > 1:
            pooled = {m: self._clips(x[m], mask[m]) for m in self.modalities.values()}
            x, mask = {m: p[0] for m, p in pooled.items()}, {m: p[1] for m, p in pooled.items()}
        keep = {s: mask[m] for s, m in self.modalities.items()}
        keep["joint"] = keep["audio"] & keep["visual"]
        h = {s: self.embed[s](x[m].masked_fill(~keep[s].unsqueeze(-1), 0.0)) for s, m in self.modalities.items()}
        h["joint"] = self.joint(torch.cat([h["audio"], h["visual"]], dim=-1))
        for s in STREAMS:
            for block in self.encoders[s]:
                h[s] = block(h[s], h[s], keep[s])
        outs = [self.cross[f"{q}_{kv}"](h[q], h[kv], keep[kv]).masked_fill(~keep[q].unsqueeze(-1), 0.0) for q, kv in self.pairs]
        flags = torch.stack([keep[s] for s in STREAMS], dim=-1).to(outs[0].dtype)
        pred = self.head(torch.cat([*outs, flags], dim=-1))
        if self.clip_frames > 1:
            pred = pred.repeat_interleave(self.clip_frames, dim=1)[:, :L]
        return {"pred": pred}


def build(name: str, models: dict, input_dims: dict[str, int], n_outputs: int, pretrained_checkpoints=None, hop_s: float = 0.1) -> JointMultimodalTransformer:
    """``jmt`` (config keys; defaults in the config schema): ``modalities`` {audio: […], visual: […]}, ``d_model``,
    ``heads``, ``encoder_layers``, ``attention`` (sigmoid | softmax), ``fc_sizes`` ([1024, 128]), ``dropout``, ``clip_frames``
    (8: one token per 8 frames; ``sequence_length`` must be a multiple of it);
    ``folds`` and ``fold_by`` are read by the workflow (``affectflow.evaluation.folds``)."""
    cfg = models[name]
    clip_frames, length = cfg.get("clip_frames", 8), cfg.get("sequence_length", 64)
    if length % clip_frames:
        raise ValueError(f"model '{name}': sequence_length {length} is not a whole number of {clip_frames}-frame clips")
    hop = cfg.get("train_hop") or max(1, length // 2)  # TrainConfig.training_hop
    if hop % clip_frames:
        raise ValueError(f"model '{name}': a training hop of {hop} frames does not start training sequences on clip boundaries "
                         f"(set train_hop to a multiple of clip_frames {clip_frames})")
    return JointMultimodalTransformer({m: m for m in cfg["modalities"]}, input_dims, n_outputs, d_model=cfg.get("d_model", 512),
                                      heads=cfg.get("heads", 8), encoder_layers=cfg.get("encoder_layers", 1),
                                      attention=cfg.get("attention", "sigmoid"), fc_sizes=tuple(cfg.get("fc_sizes", (1024, 128))),
                                      dropout=cfg.get("dropout", 0.1), clip_frames=clip_frames)


# for the sequence core's dispatcher (affectflow.models.sequence.run.BUILDERS)
BUILDERS = {"jmt": build}
