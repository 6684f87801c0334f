"""Layer-wise learning-rate decay (LLRD) parameter groups for any transformer classifier.

Depth counts down from the top: the classification head and the pooler (everything above the
encoder's last layer) train at ``lr``; encoder layer ``i`` of ``N`` at ``lr · decay^(N−1−i)``
(the top layer at ``lr``); the embeddings at ``lr · decay^N``. Rios et al. use decay 0.95 and
lr 2e-5. Their released code leaves the head out of the optimiser groups, so the freshly
initialised head never trains; here every trainable parameter is in exactly one group (tested).

Biases and normalisation weights get no weight decay (each depth has up to two groups).
"""
from __future__ import annotations

import re

import torch

# encoder blocks as named by BERT/RoBERTa/XLM-R/ELECTRA (layer.N), XLNet (layer.N), GPT-2 (h.N),
# T5 (block.N), DistilBERT (layer.N) and others (layers.N)
_LAYER = re.compile(r"(?:^|\.)(?:layer|layers|h|block)\.(\d+)\.")
_EMBED = re.compile(r"(?:^|\.)(?:embeddings?|word_embedding|wte|wpe|mask_emb|shared|embed_tokens)(?:\.|$)")
_NO_DECAY = re.compile(r"(?:bias$|LayerNorm\.weight$|layer_norm\.weight$|norm\d*\.weight$|ln_\w+\.weight$)")


def depth_of(name: str, n_layers: int) -> int:
    """0 for the head/pooler and the top encoder layer, growing downwards; embeddings deepest."""
    m = _LAYER.search(name)
    if m:
        return n_layers - 1 - int(m.group(1))
    if _EMBED.search(name):
        return n_layers
    return 0


def n_encoder_layers(model: torch.nn.Module) -> int:
    found = {int(m.group(1)) for n, _ in model.named_parameters() if (m := _LAYER.search(n))}
    return max(found) + 1 if found else 0


def param_groups(model: torch.nn.Module, lr: float, decay: float = 0.95, weight_decay: float = 0.01) -> list[dict]:
    """Optimiser groups with ``lr``, ``weight_decay``, ``depth`` and ``names`` (for logs and tests)."""
    if not 0 < decay <= 1:
        raise ValueError(f"layer decay must be in (0, 1], got {decay}")
    n_layers = n_encoder_layers(model)
    groups: dict[tuple[int, bool], dict] = {}
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        depth = depth_of(name, n_layers)
        no_decay = bool(_NO_DECAY.search(name))
        g = groups.setdefault((depth, no_decay), {"params": [], "names": [], "depth": depth,
                                                  "lr": lr * decay ** depth, "weight_decay": 0.0 if no_decay else weight_decay})
        g["params"].append(p)
        g["names"].append(name)
    return [groups[k] for k in sorted(groups)]
