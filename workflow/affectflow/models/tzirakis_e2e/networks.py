"""The three unimodal networks of Tzirakis et al. (SEWA, section 4.1), each mapping one grid
frame's raw input to a feature vector.

Every network sees only the frames its modality observed: ``FrameEncoder`` gathers the present
frames of a (B, L, …) batch, runs the network on them and scatters the features back, zeros
elsewhere (the mask travels on to the fusion, which never reads those zeros as observations).

**Text** (4.1.1, Fig. 1): word matrix S (W words × D) → dropout 0.1 → position-wise N-grams
(eq. 1: one tanh feature map per width N, filter H ∈ R^{D×N} over S̃[:, l : l+N−1], S̃ padded at
the end) → C = [S, f¹ … f^{N_k}] (D + N_k per word) → p linear projections (dropout 0.2) → a
2-layer Bi-LSTM per projection (dropout 0.3 on its states) → selector (attention over the words
with a learnable query per projection, padding words excluded) → concatenation → highway (eq. 2).
The paper gives neither p, D_p nor the LSTM size; ``projections``, ``projection_size`` and
``context_size`` (units per direction) are ours. The input is the store's word vectors
(extractors.words), not XLNet's 768-d ones.

**Audio** (4.1.2, after Tzirakis et al. 2018): 3 blocks of conv (50, 125, 250 channels; kernels
8, 6, 6; stride 1) + max-pooling (10, 5, 5, stride = size), dropout 0.5 after each convolution.
Departures: the paper runs the CNN over the whole 160 s waveform at 22050 Hz and cuts its output
into frames; here it runs on each frame's chunk (``hop × rate`` samples of the store's rate,
16 kHz by default), unpadded, and the frame's feature is the flattened output (so receptive
fields stop at frame edges). The interlocutor enters as a second input channel (the paper: a
second vector, half zeros by speaker turn). ReLU activations (not stated in the paper).

**Visual** (4.1.3): an HRNet of 3 stages (stem of two stride-2 3×3 convs, stage 1 at 1/4
resolution, stage 2 adds a 1/8 branch, stage 3 a 1/16 one, each stage ending in the
multi-resolution fusion: upsampled 1×1 convs from lower branches, strided 3×3 convs from higher
ones), then the paper's hierarchical attention instead of average pooling: per branch, attentional
pooling after Girdhar & Ramanan (rank-1 second-order score: bottom-up saliency × top-down
attention per position, softmax over positions), then an attention between the branches' pooled
maps (eq. 4 style). Departures, for CPU: ``width`` (channels of the 1/4 branch, doubled per
branch; HRNet-W18 = 18), ``blocks`` basic blocks per branch and module (HRNet: 4, and a
bottleneck stage 1) and one module per stage; the demo uses width 4 and 1 block on 32 px crops.
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from ..sequence.base import masked_softmax


class FrameEncoder(nn.Module):
    """Runs ``net`` on the present frames of (B, L, …) and returns (B, L, net.output_size)."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net
        self.output_size = net.output_size

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        B, L = mask.shape
        out = torch.zeros(B, L, self.output_size, device=x.device, dtype=torch.float32)
        if mask.any():
            out[mask] = self.net(x[mask]).float()
        return out


# --------------------------------------------------------------------------- text


class Highway(nn.Module):
    """Eq. 2: z̃ = o ∘ tanh(W^z z + b^z) + (1 − o) ∘ z, o = σ(W^o z + b^o)."""

    def __init__(self, size: int):
        super().__init__()
        self.transform = nn.Linear(size, size)
        self.gate = nn.Linear(size, size)

    def forward(self, z):
        o = torch.sigmoid(self.gate(z))
        return o * torch.tanh(self.transform(z)) + (1 - o) * z


class TextNet(nn.Module):
    """Input (N, W, D + 1): W word vectors, the last column 1 for a word, 0 for padding."""

    def __init__(self, embedding_size: int, ngrams=(2, 3, 4), projections: int = 4, projection_size: int = 128,
                 context_size: int = 64, word_dropout: float = 0.1, projection_dropout: float = 0.2,
                 context_dropout: float = 0.3):
        super().__init__()
        self.ngrams = [int(n) for n in ngrams]
        self.convs = nn.ModuleList(nn.Conv1d(embedding_size, 1, n) for n in self.ngrams)
        d_e = embedding_size + len(self.ngrams)
        self.project = nn.ModuleList(nn.Linear(d_e, projection_size) for _ in range(projections))
        self.contexts = nn.ModuleList(nn.LSTM(projection_size, context_size, num_layers=2, batch_first=True, bidirectional=True)
                                      for _ in range(projections))
        self.query = nn.Parameter(torch.randn(projections, 2 * context_size) / math.sqrt(2 * context_size))
        self.word_dropout, self.projection_dropout, self.context_dropout = (nn.Dropout(word_dropout), nn.Dropout(projection_dropout),
                                                                            nn.Dropout(context_dropout))
        self.output_size = projections * 2 * context_size
        self.highway = Highway(self.output_size)

    def selector_weights(self, x: torch.Tensor) -> torch.Tensor:
        """(N, p, W): the selector's weight of each word in each projection space (Fig. 3)."""
        return self._forward(x)[1]

    def _forward(self, x):
        words, keep = x[..., :-1], x[..., -1] > 0.5
        S = self.word_dropout(words) * keep.unsqueeze(-1)
        St = S.transpose(1, 2)  # (N, D, W)
        maps = [torch.tanh(conv(F.pad(St, (0, n - 1)))) for conv, n in zip(self.convs, self.ngrams)]  # eq. 1, (N, 1, W)
        C = torch.cat([S, *[m.transpose(1, 2) for m in maps]], dim=-1) * keep.unsqueeze(-1)
        lengths = keep.sum(-1).clamp(min=1).cpu()
        selected, weights = [], []
        for p, (proj, lstm) in enumerate(zip(self.project, self.contexts)):
            V = self.projection_dropout(proj(C))
            packed = nn.utils.rnn.pack_padded_sequence(V, lengths, batch_first=True, enforce_sorted=False)
            h, _ = lstm(packed)
            h, _ = nn.utils.rnn.pad_packed_sequence(h, batch_first=True, total_length=V.shape[1])
            h = self.context_dropout(h)
            a = masked_softmax(h @ self.query[p] / math.sqrt(h.shape[-1]), keep, dim=-1)
            selected.append((a.unsqueeze(-1) * h).sum(1))
            weights.append(a)
        return self.highway(torch.cat(selected, dim=-1)), torch.stack(weights, dim=1)

    def forward(self, x):
        return self._forward(x)[0]


# --------------------------------------------------------------------------- audio


class AudioNet(nn.Module):
    """Input (N, C, n) raw samples → (N, channels[-1] × remaining length)."""

    def __init__(self, samples: int, in_channels: int = 2, conv_channels=(50, 125, 250), kernels=(8, 6, 6),
                 pools=(10, 5, 5), dropout: float = 0.5):
        super().__init__()
        if not len(conv_channels) == len(kernels) == len(pools):
            raise ValueError(f"audio network: {len(conv_channels)} conv widths, {len(kernels)} kernels, {len(pools)} pools")
        layers, c, n = [], in_channels, samples
        for co, k, p in zip(conv_channels, kernels, pools):
            layers += [nn.Conv1d(c, co, k), nn.ReLU(), nn.Dropout(dropout), nn.MaxPool1d(p, p)]
            c, n = co, (n - k + 1) // p
            if n < 1:
                raise ValueError(f"audio network: a {samples}-sample frame is too short for kernels {list(kernels)} and pools {list(pools)}")
        self.net = nn.Sequential(*layers)
        self.output_size = c * n

    def forward(self, x):
        return self.net(x).flatten(1)


# --------------------------------------------------------------------------- visual


def conv_bn(ci: int, co: int, k: int = 3, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(ci, co, k, stride, k // 2, bias=False), nn.BatchNorm2d(co))


class BasicBlock(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.a, self.b = conv_bn(c, c), conv_bn(c, c)

    def forward(self, x):
        return F.relu(x + self.b(F.relu(self.a(x))))


class HRModule(nn.Module):
    """Parallel branches of basic blocks, then every branch receives the sum of all branches."""

    def __init__(self, widths: list[int], blocks: int):
        super().__init__()
        self.branches = nn.ModuleList(nn.Sequential(*[BasicBlock(w) for _ in range(blocks)]) for w in widths)
        self.fuse = nn.ModuleList()
        for i, wi in enumerate(widths):
            row = nn.ModuleList()
            for j, wj in enumerate(widths):
                if j == i:
                    row.append(nn.Identity())
                elif j > i:  # lower resolution: 1×1 conv, upsampled in forward
                    row.append(conv_bn(wj, wi, k=1))
                else:  # higher resolution: i − j strided 3×3 convs
                    steps = [conv_bn(wj, wj, stride=2) for _ in range(i - j - 1)]
                    steps = [m for s in steps for m in (s, nn.ReLU())]
                    row.append(nn.Sequential(*steps, conv_bn(wj, wi, stride=2)))
            self.fuse.append(row)

    def forward(self, xs):
        xs = [b(x) for b, x in zip(self.branches, xs)]
        out = []
        for i, row in enumerate(self.fuse):
            total = 0
            for j, f in enumerate(row):
                y = f(xs[j])
                if j > i:
                    y = F.interpolate(y, size=xs[i].shape[-2:], mode="nearest")
                total = total + y
            out.append(F.relu(total))
        return out


class AttentionalPooling(nn.Module):
    """Girdhar & Ramanan's rank-1 second-order pooling as attention: score_i = (x_i·a)(x_i·b)."""

    def __init__(self, c: int):
        super().__init__()
        self.top_down = nn.Conv2d(c, 1, 1)
        self.bottom_up = nn.Conv2d(c, 1, 1)

    def forward(self, x):
        scores = (self.top_down(x) * self.bottom_up(x)).flatten(1)  # (N, h·w)
        alpha = torch.softmax(scores, dim=-1)
        return torch.einsum("np,ncp->nc", alpha, x.flatten(2))


class VisualNet(nn.Module):
    """Input (N, 3, S, S) uint8 crops → (N, 4 × width)."""

    def __init__(self, width: int = 18, blocks: int = 4):
        super().__init__()
        widths = [width, 2 * width, 4 * width]
        self.stem = nn.Sequential(conv_bn(3, 2 * width, stride=2), nn.ReLU(), conv_bn(2 * width, width, stride=2), nn.ReLU())
        self.stage1 = nn.Sequential(*[BasicBlock(width) for _ in range(blocks)])
        self.down2 = nn.Sequential(conv_bn(widths[0], widths[1], stride=2), nn.ReLU())
        self.stage2 = HRModule(widths[:2], blocks)
        self.down3 = nn.Sequential(conv_bn(widths[1], widths[2], stride=2), nn.ReLU())
        self.stage3 = HRModule(widths, blocks)
        self.pool = nn.ModuleList(AttentionalPooling(w) for w in widths)
        self.output_size = 4 * width
        self.project = nn.ModuleList(nn.Linear(w, self.output_size) for w in widths)
        self.branch_query = nn.Parameter(torch.randn(len(widths), self.output_size) / math.sqrt(self.output_size))

    def forward(self, x):
        x = x.float() / 255.0 - 0.5
        x1 = self.stage1(self.stem(x))
        b = self.stage2([x1, self.down2(x1)])
        b = self.stage3([*b, self.down3(b[-1])])
        v = torch.stack([p(self.pool[i](y)) for i, (p, y) in enumerate(zip(self.project, b))], dim=1)  # (N, 3, D)
        alpha = torch.softmax((v * self.branch_query).sum(-1) / math.sqrt(v.shape[-1]), dim=-1)
        return (alpha.unsqueeze(-1) * v).sum(1)
