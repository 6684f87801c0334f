"""Table 1 of Waligora et al.: the joint multimodal transformer on the official split and each fold.

The paper reports challenge-style CCC (ABAW for Aff-Wild2): one CCC over the concatenated sequences
of each validation set (``pooled``): the official ``devel`` partition, or the held-out group of
fold k (``affectflow.evaluation.folds``). Repeats are summarised per (model, fold) by the sequence
core (``summary.over_fold_repeats``) as mean (± std, N−1).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..sequence.summary import fold_value, mean_std


def waligora_table1(summary: pd.DataFrame, model: str, dims: list[str], folds: list[str], partition: str = "devel",
                    aggregation: str = "pooled") -> pd.DataFrame:
    """Table 1: validation set per row (official, fold-1 … fold-K, mean over the folds); valence, arousal, average."""
    dims = [d for d in ("valence", "arousal") if d in dims] + [d for d in dims if d not in ("valence", "arousal")]
    rows, per_fold = [], []
    for fold in folds:
        means = {d: fold_value(summary, model, fold, d, partition, aggregation) for d in dims}
        row = {"Val set": "Official" if fold == "official" else f"fold-{fold}"}
        row.update({d.capitalize(): mean_std(*means[d], digits=3) for d in dims})
        row["Avg."] = f"{np.mean([m for m, _ in means.values()]):.3f}"
        rows.append(row)
        if fold != "official":
            per_fold.append({d: m for d, (m, _) in means.items()})
    if per_fold:
        frame = pd.DataFrame(per_fold)
        row = {"Val set": f"mean over folds 1–{len(per_fold)}"}
        row.update({d.capitalize(): mean_std(frame[d].mean(), frame[d].std() if len(frame) > 1 else float("nan"), digits=3)
                    for d in dims})
        row["Avg."] = f"{frame[dims].mean(axis=1).mean():.3f}"
        rows.append(row)
    return pd.DataFrame(rows)


NETWORK_LABELS = {"waligora_visual": "visual network (R(2+1)D-18)", "waligora_audio": "audio network (ResNet18 + GRU)",
                  "waligora_jmt": "JMT over the frozen branches", "jmt": "JMT over store features"}


def waligora_networks(summary: pd.DataFrame, models: dict[str, dict], dims: list[str], fold: str = "official",
                      partitions: tuple[str, ...] = ("devel", "test"), aggregation: str = "pooled") -> pd.DataFrame:
    """The networks side by side on one split (Table 1's rows are the JMT's; the branches are the unimodal
    networks it fuses): one row per (model, partition), valence, arousal, average."""
    dims = [d for d in ("valence", "arousal") if d in dims] + [d for d in dims if d not in ("valence", "arousal")]
    rows = []
    for m, cfg in models.items():
        for part in partitions:
            means = {d: fold_value(summary, m, fold, d, part, aggregation) for d in dims}
            if all(not np.isfinite(v) for v, _ in means.values()):
                continue
            row = {"Model": m, "Network": NETWORK_LABELS.get(cfg["kind"], cfg["kind"]), "Partition": part}
            row.update({d.capitalize(): mean_std(*means[d], digits=3) for d in dims})
            row["Avg."] = f"{np.mean([v for v, _ in means.values()]):.3f}"
            rows.append(row)
    return pd.DataFrame(rows)
