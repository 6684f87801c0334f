"""Scores per (model, fold, repeat) and the tables of Tzirakis et al. (Table 6) and Waligora et al. (Table 1).

Both papers report challenge-style CCC: one CCC over the concatenated sequences of the
validation partition (``pooled``; AVEC 2017 for SEWA, ABAW for Aff-Wild2). Both tables are on
the validation (``devel``) partition as in the papers; the CSVs carry test and per-session CCC.
Repeats are summarised as mean (± std, N−1) with ``summary.mean_std``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .fusion_attention import STRATEGIES
from .summary import mean_std, repeat_scores

# Reported on the SEWA development set (Table 6 of Tzirakis et al.); layout reference only.
TZIRAKIS_TABLE6_REPORTED = {
    "concatenation": {"arousal": 0.698, "valence": 0.737},
    "self_attention": {"arousal": 0.729, "valence": 0.751},
    "hierarchical": {"arousal": 0.785, "valence": 0.808},
    "residual": {"arousal": 0.748, "valence": 0.767},
    "cross_modal": {"arousal": 0.797, "valence": 0.818},
}


def fold_scores(predictions: dict[tuple[str, str, int], pd.DataFrame], dims: list[str], variance: str = "population") -> pd.DataFrame:
    """One row per (model, fold, repeat, partition, dimension) from ``{(model, fold, repeat): predictions}``."""
    parts = [repeat_scores({(model, repeat): pred}, dims, variance).assign(fold=str(fold))
             for (model, fold, repeat), pred in predictions.items()]
    out = pd.concat(parts, ignore_index=True)
    return out[["model", "fold", "repeat", *[c for c in out.columns if c not in ("model", "fold", "repeat")]]]


def over_repeats(scores: pd.DataFrame) -> pd.DataFrame:
    """Mean and std (N−1) of the pooled and per-session CCC per (model, fold, partition, dimension)."""
    g = scores.groupby(["model", "fold", "partition", "dimension"], sort=False)
    return g.agg(ccc_pooled_mean=("ccc_pooled", "mean"), ccc_pooled_std=("ccc_pooled", "std"),
                 ccc_per_sequence_mean=("ccc_per_sequence", "mean"), ccc_per_sequence_std=("ccc_per_sequence", "std"),
                 repeats=("repeat", "nunique"), sessions=("n_sessions", "first")).reset_index()


def _value(summary: pd.DataFrame, model: str, fold: str, dim: str, partition: str, aggregation: str) -> tuple[float, float]:
    row = summary[(summary["model"] == model) & (summary["fold"] == fold) & (summary["dimension"] == dim)
                  & (summary["partition"] == partition)]
    if row.empty:
        return float("nan"), float("nan")
    return float(row[f"ccc_{aggregation}_mean"].iloc[0]), float(row[f"ccc_{aggregation}_std"].iloc[0])


def tzirakis_table6(summary: pd.DataFrame, models: dict, dims: list[str], partition: str = "devel",
                    aggregation: str = "pooled") -> pd.DataFrame:
    """Table 6: one row per fusion strategy (paper order), arousal then valence, mean (± std) CCC."""
    dims = [d for d in ("arousal", "valence") if d in dims] + [d for d in dims if d not in ("arousal", "valence")]
    order = list(TZIRAKIS_TABLE6_REPORTED)
    names = sorted((n for n, c in models.items() if c["kind"] == "attention_fusion"), key=lambda n: order.index(models[n]["strategy"]))
    rows = []
    for n in names:
        cfg = models[n]
        row = {"Method": f"{STRATEGIES[cfg['strategy']]} ({' + '.join(cfg['modalities'])})", "model": n}
        for d in dims:
            row[d.capitalize()] = mean_std(*_value(summary, n, "official", d, partition, aggregation), digits=3)
        for d in dims:
            reported = TZIRAKIS_TABLE6_REPORTED[cfg["strategy"]].get(d)
            row[f"paper {d}"] = f"{reported:.3f}" if reported is not None else ""
        rows.append(row)
    return pd.DataFrame(rows)


def waligora_table1(summary: pd.DataFrame, model: str, dims: list[str], folds: list[str], partition: str = "devel",
                    aggregation: str = "pooled") -> pd.DataFrame:
    """Table 1: validation set per row (official, fold-1 … fold-K, mean over the folds); valence, arousal, average."""
    dims = [d for d in ("valence", "arousal") if d in dims] + [d for d in dims if d not in ("valence", "arousal")]
    rows, per_fold = [], []
    for fold in folds:
        means = {d: _value(summary, model, fold, d, partition, aggregation) for d in dims}
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
