"""The right shift of the label window that compensates the annotators' delay, optimised per dimension.

Rios et al. (after AVEC 2017) average the frame labels "within an optimized right-shifted window";
the paper does not say how. We do what the AVEC baselines do: try each candidate shift and keep
the one whose segment targets a plain linear model predicts best — here a ridge regression
(mean-imputed, standardised inputs, alpha by internal CV) scored by CCC on speaker-disjoint folds
of the tuning pool (train+devel with official partitions, else every labelled row). Each
dimension gets its own shift, since annotators react to arousal and valence at different speeds.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ...evaluation import metrics
from . import segment_tables, training

ALPHAS = np.logspace(-2, 4, 13)


def probe_ccc(X: np.ndarray, y: np.ndarray, groups: np.ndarray, folds: int, variance: str) -> float:
    """CCC of out-of-fold ridge predictions of ``y`` (speaker-disjoint folds)."""
    oof = np.full(len(y), np.nan)
    for tr, te in training.speaker_folds(groups, folds):
        model = make_pipeline(SimpleImputer(keep_empty_features=True), StandardScaler(), RidgeCV(alphas=ALPHAS))
        oof[te] = model.fit(X[tr], y[tr]).predict(X[te])
    return float(metrics.ccc(y, oof, variance=variance))


def optimise(frames: pd.DataFrame, segs: pd.DataFrame, X: np.ndarray, dims: list[str], candidates: list[float],
             pool: np.ndarray, groups: np.ndarray, folds: int = 5, variance: str = "population") -> dict:
    """Best shift per dimension among ``candidates`` for segment inputs ``X`` (rows of ``segs``).

    ``pool`` marks the rows the choice may look at (never the test partition). Returns
    ``{"chosen_s": {dim: shift}, "candidates_s": [...], "cv_ccc": {dim: [ccc per candidate]}}``.
    """
    if not candidates:
        raise ValueError("label_shift_s: an empty list of candidate shifts")
    candidates = sorted(float(c) for c in candidates)
    scores = {d: [] for d in dims}
    for shift in candidates:
        y = segment_tables.targets(frames, segs, dims, {d: shift for d in dims})
        for d in dims:
            rows = pool & y["label_valid"].to_numpy() & np.isfinite(y[d].to_numpy())
            ccc = probe_ccc(X[rows], y[d].to_numpy()[rows], groups[rows], folds, variance) if rows.sum() > 2 else float("nan")
            scores[d].append(ccc)
    # ties (and all-NaN) go to the smallest candidate: the shift must earn its place
    chosen = {d: float(candidates[int(np.argmax(np.nan_to_num(scores[d], nan=-np.inf)))]) for d in dims}
    return {"chosen_s": chosen, "candidates_s": candidates, "cv_ccc": scores}
