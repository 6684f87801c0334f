"""The right shift of the label window that compensates the annotators' delay, optimised per dimension.

Rios et al. (after AVEC 2017) average the frame labels "within an optimized right-shifted window";
the paper does not say how. We do what the AVEC baselines do: try each candidate shift and keep
the one whose segment targets a plain linear model predicts best — here a ridge regression
(mean-imputed, standardised inputs, alpha by internal CV) scored by CCC on group-disjoint folds
of the rows the choice may see. Each dimension gets its own shift, since annotators react to
arousal and valence at different speeds.

:func:`choose` makes the choice once per fusion, on the inputs of *all* modalities, so that every
modality combination of a Table 1 is scored against the same targets (the paper's targets are one
set). It never looks at a scored row: with official partitions it sees train+devel only; without
them it defines the outer folds of the nested CV and chooses one shift per outer fold from that
fold's training rows (a held-out row's target is the one its own fold's shift gives).
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


def outer_folds(groups: np.ndarray, folds: int) -> list[list[str]]:
    """Held-out groups of each outer fold (group-disjoint), the same for every combination of a fusion."""
    return [sorted(map(str, np.unique(groups[te]))) for _, te in training.speaker_folds(groups, folds)]


def choose(frames: pd.DataFrame, segs: pd.DataFrame, X: np.ndarray, dims: list[str], candidates: list[float],
           partition: np.ndarray, groups: np.ndarray, folds: int = 5, variance: str = "population") -> dict:
    """The label shift(s) of one fusion, chosen on training rows only.

    Official partitions: ``{"mode": "official", "chosen_s", "cv_ccc", ...}`` from train+devel.
    Otherwise ``{"mode": "nested", "folds": [{"held_out": [groups], "chosen_s", "cv_ccc"}, …]}``:
    one choice per outer fold, each from the rows of the other folds.
    """
    groups = np.asarray(groups).astype(str)
    partition = np.asarray(partition).astype(str)
    if training.official_split(partition):
        found = optimise(frames, segs, X, dims, candidates, np.isin(partition, ["train", "devel"]), groups, folds, variance)
        return {"mode": "official", **found}
    per_fold = []
    for held_out in outer_folds(groups, folds):
        pool = ~np.isin(groups, held_out)
        found = optimise(frames, segs, X, dims, candidates, pool, groups, folds, variance)
        per_fold.append({"held_out": held_out, **found})
    return {"mode": "nested", "candidates_s": per_fold[0]["candidates_s"], "folds": per_fold}
