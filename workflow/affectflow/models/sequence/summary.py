"""Scores of repeated trainings and their mean ± std over repeats, per model or per (model, fold).

Every repeat's predictions are scored on their own (``scoring.score_predictions``: pooled and
per-session CCC, PCC, MAE, RMSE per partition and dimension); the tables report the mean and the
standard deviation (N−1) of those scores over the repeats. The papers' own tables are built from
these summaries by their families: ``dlstm.tables`` (Lucas et al.), ``attention_fusion.tables``
(Tzirakis et al.), ``jmt.tables`` (Waligora et al.).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ...core import store
from ...evaluation import scoring


def repeat_scores(predictions: dict[tuple[str, int], pd.DataFrame], dims: list[str], variance: str = "population") -> pd.DataFrame:
    """One row per (model, repeat, partition, dimension) from ``{(model, repeat): prediction table}``."""
    parts = []
    for (model, repeat), pred in predictions.items():
        scores = scoring.score_predictions(pred, dims, variance)
        parts.append(scores.assign(model=model, repeat=repeat))
    out = pd.concat(parts, ignore_index=True)
    return out[["model", "repeat", *[c for c in out.columns if c not in ("model", "repeat")]]]


def scores_and_timing(runs: list[tuple[str, int]], predictions: list[str], infos: list[str], dims: list[str],
                      variance: str = "population") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-repeat scores and, per model, mean seconds per epoch, epochs run and best epoch, from
    the job outputs (prediction files and training.json, in the order of ``runs``)."""
    scores = repeat_scores({tuple(k): store.read(p) for k, p in zip(runs, predictions)}, dims, variance)
    info = pd.DataFrame([json.loads(Path(p).read_text()) for p in infos])
    timing = info.groupby("model", sort=False).agg(
        seconds_per_epoch=("seconds_per_epoch", "mean"), cpu_seconds_per_epoch=("cpu_seconds_per_epoch", "mean"),
        epochs_run=("epochs_run", "mean"), best_epoch=("best_epoch", "mean"), device=("device", "first")).reset_index()
    return scores, timing


def over_repeats(scores: pd.DataFrame) -> pd.DataFrame:
    """Mean and std (N−1; NaN for one repeat) of the CCCs per (model, partition, dimension)."""
    g = scores.groupby(["model", "partition", "dimension"], sort=False)
    out = g.agg(ccc_per_sequence_mean=("ccc_per_sequence", "mean"), ccc_per_sequence_std=("ccc_per_sequence", "std"),
                ccc_pooled_mean=("ccc_pooled", "mean"), ccc_pooled_std=("ccc_pooled", "std"),
                mae_mean=("mae", "mean"), repeats=("repeat", "nunique"), sessions=("n_sessions", "first"))
    return out.reset_index()


def fold_scores(predictions: dict[tuple[str, str, int], pd.DataFrame], dims: list[str], variance: str = "population") -> pd.DataFrame:
    """One row per (model, fold, repeat, partition, dimension) from ``{(model, fold, repeat): predictions}``."""
    parts = [repeat_scores({(model, repeat): pred}, dims, variance).assign(fold=str(fold))
             for (model, fold, repeat), pred in predictions.items()]
    out = pd.concat(parts, ignore_index=True)
    return out[["model", "fold", "repeat", *[c for c in out.columns if c not in ("model", "fold", "repeat")]]]


def over_fold_repeats(scores: pd.DataFrame) -> pd.DataFrame:
    """Mean and std (N−1) of the pooled and per-session CCC per (model, fold, partition, dimension)."""
    g = scores.groupby(["model", "fold", "partition", "dimension"], sort=False)
    return g.agg(ccc_pooled_mean=("ccc_pooled", "mean"), ccc_pooled_std=("ccc_pooled", "std"),
                 ccc_per_sequence_mean=("ccc_per_sequence", "mean"), ccc_per_sequence_std=("ccc_per_sequence", "std"),
                 repeats=("repeat", "nunique"), sessions=("n_sessions", "first")).reset_index()


def fold_value(summary: pd.DataFrame, model: str, fold: str, dim: str, partition: str, aggregation: str) -> tuple[float, float]:
    """(mean, std) of one CCC of ``over_fold_repeats``; NaNs where the summary has no such row."""
    row = summary[(summary["model"] == model) & (summary["fold"] == fold) & (summary["dimension"] == dim)
                  & (summary["partition"] == partition)]
    if row.empty:
        return float("nan"), float("nan")
    return float(row[f"ccc_{aggregation}_mean"].iloc[0]), float(row[f"ccc_{aggregation}_std"].iloc[0])


def mean_std(mean: float, std: float, digits: int = 2) -> str:
    """``0.48 (±0.04)`` as in the paper; the mean alone for a single repeat."""
    if not np.isfinite(mean):
        return "n/a"
    return f"{mean:.{digits}f}" if not np.isfinite(std) else f"{mean:.{digits}f} (±{std:.{digits}f})"


def spread_words(repeats) -> str:
    """How a table's cells aggregate repeats: "One run per model (…)" or "Mean (± standard deviation, N−1) over N repeats …"."""
    counts = sorted(set(repeats))
    if counts == [1]:
        return "One run per model (no spread over seeds)"
    n = str(counts[0]) if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"
    return f"Mean (± standard deviation, N−1) over {n} repeats with different seeds"


def caption(variance_words: str, repeats: dict[str, int], partition: str = "test", aggregation: str = "per_sequence") -> str:
    agg = ("CCC computed per session and averaged over the sessions (as Lucas et al.)" if aggregation == "per_sequence"
           else "CCC pooled over all sessions (one CCC on the concatenation)")
    return (f"{partition} partition; {agg}; {variance_words}. {spread_words(repeats.values())}; pooled CCCs and every "
            "partition are in the CSV.")
