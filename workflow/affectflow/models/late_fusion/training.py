"""Tune, train and score every fusion model on one joined table (one modality combination).

Splits: with official partitions (a ``test`` partition and a ``train`` one), hyper-parameters are
chosen by Bayesian optimisation (optuna TPE) in speaker-disjoint k-fold CV on train+devel, as in
Rios et al., the model is refit (FFs: trained on train, best epoch on devel) and scored on test.
Without partitions, speaker-disjoint outer folds give cross-validated predictions of every row,
each outer fold tuned by its own inner CV (nested: no row is ever predicted by a model whose
hyper-parameters saw its speaker).
"""
from __future__ import annotations

import json
import logging

import numpy as np
import optuna
import pandas as pd
from sklearn.model_selection import GroupKFold

from ...evaluation import metrics
from . import models

log = logging.getLogger(__name__)
optuna.logging.set_verbosity(optuna.logging.WARNING)


def tasks(kind: str, dims: list[str]) -> list[list[str]]:
    """Dimensions each fitted model predicts: one at a time, or all jointly for the multitask FF."""
    return [list(dims)] if kind in models.MULTITASK else [[d] for d in dims]


def speaker_folds(groups: np.ndarray, n_folds: int) -> list[tuple[np.ndarray, np.ndarray]]:
    n_groups = len(np.unique(groups))
    if n_groups < 2:
        raise ValueError(f"speaker-disjoint folds need at least 2 speakers, got {n_groups}")
    return list(GroupKFold(n_splits=min(n_folds, n_groups)).split(np.zeros(len(groups)), groups=groups))


def dim_ccc(Y: np.ndarray, P: np.ndarray, variance: str) -> list[float]:
    return [metrics.ccc(Y[:, j], P[:, j], variance=variance) for j in range(Y.shape[1])]


class Tuner:
    def __init__(self, trials: int = 20, folds: int = 5, seed: int = 0, variance: str = "population",
                 ff: dict | None = None, n_jobs: int = 1):
        self.trials, self.folds, self.seed, self.variance = trials, folds, seed, variance
        self.ff, self.n_jobs = ff or {}, n_jobs

    def fixed(self, kind: str) -> dict:
        return dict(self.ff) if kind in ("ff", "ff_mt") else {}

    def cv_predict(self, kind, params, X, Y, groups) -> np.ndarray:
        oof = np.full(Y.shape, np.nan)
        for tr, te in speaker_folds(groups, self.folds):
            model = models.build(kind, params, Y.shape[1], self.seed, self.n_jobs).fit(X[tr], Y[tr], groups[tr])
            oof[te] = model.predict(X[te])
        return oof

    def tune(self, kind, X, Y, groups) -> tuple[dict, list[float]]:
        """Best parameters of ``kind`` (by mean CV CCC over ``Y``'s columns) and their CV CCC per column."""
        if kind not in models.TUNED or self.trials <= 0:
            params = self.fixed(kind)
            return params, dim_ccc(Y, self.cv_predict(kind, params, X, Y, groups), self.variance)

        n_rows = min(len(tr) for tr, _ in speaker_folds(groups, self.folds))

        def objective(trial):
            per_dim = dim_ccc(Y, self.cv_predict(kind, models.suggest(kind, trial, n_rows), X, Y, groups), self.variance)
            trial.set_user_attr("per_dim", per_dim)
            score = float(np.mean(per_dim))
            return score if np.isfinite(score) else -1.0

        study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=self.seed))
        study.optimize(objective, n_trials=self.trials)
        return {**self.fixed(kind), **study.best_params}, list(study.best_trial.user_attrs["per_dim"])


def _fit_official(tuner, kind, X, Y, groups, partition, usable):
    pool = usable & np.isin(partition, ["train", "devel"])
    params, cv = tuner.tune(kind, X[pool], Y[pool], groups[pool])
    train, devel = usable & (partition == "train"), usable & (partition == "devel")
    if kind in ("ff", "ff_mt") and devel.any():  # the paper keeps the epoch with the best devel CCC
        model = models.build(kind, params, Y.shape[1], tuner.seed, tuner.n_jobs).fit(X[train], Y[train], groups[train], X[devel], Y[devel])
    else:
        model = models.build(kind, params, Y.shape[1], tuner.seed, tuner.n_jobs).fit(X[pool], Y[pool], groups[pool])
    return model.predict(X), {"params": params, "cv_ccc": cv}


def _fit_nested(tuner, kind, X, Y, groups, usable):
    pred = np.full(Y.shape, np.nan)
    folds = []
    idx = np.flatnonzero(usable)
    for tr, te in speaker_folds(groups[idx], tuner.folds):
        tr, te = idx[tr], idx[te]
        params, cv = tuner.tune(kind, X[tr], Y[tr], groups[tr])
        model = models.build(kind, params, Y.shape[1], tuner.seed, tuner.n_jobs).fit(X[tr], Y[tr], groups[tr])
        pred[te] = model.predict(X[te])
        folds.append({"params": params, "cv_ccc": cv, "held_out": sorted(map(str, np.unique(groups[te])))})
    cv = np.nanmean(np.array([f["cv_ccc"] for f in folds], dtype=float), axis=0).tolist()
    return pred, {"params": "per outer fold", "cv_ccc": cv, "folds": folds}


def official_split(partition: np.ndarray) -> bool:
    return bool((partition == "test").any() and (partition == "train").any())


def run(table: pd.DataFrame, input_cols: list[str], dims: list[str], kinds: list[str], tuner: Tuner
        ) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """``table`` needs session, speaker, partition, label_valid, ``dims`` and ``input_cols``.

    Returns ``(predictions, scores, info)``: predictions has ``{kind}:{dim}_pred`` per model; scores
    one row per (model, dimension) on the evaluated rows (test, or every row cross-validated).
    """
    X = table[input_cols].to_numpy(dtype=np.float64)
    groups = table["speaker"].astype(str).to_numpy()
    partition = table["partition"].fillna("").astype(str).to_numpy()
    usable = table["label_valid"].to_numpy(dtype=bool) & np.isfinite(table[dims].to_numpy(dtype=np.float64)).all(axis=1)
    official = official_split(partition)
    keep = [c for c in ("session", "t_start", "t_end", "segment_id", "speaker", "partition", "label_valid") if c in table.columns]
    pred = table[[*keep, *dims]].copy()
    if not official:
        pred["partition"] = "cv"
    evaluated = usable & ((partition == "test") if official else True)
    info = {"split": "official partitions (tuned on train+devel, scored on test)" if official else "nested speaker-disjoint CV",
            "n_inputs": len(input_cols), "n_rows": int(usable.sum()), "n_speakers": int(len(np.unique(groups[usable]))), "models": {}}
    rows = []
    for kind in kinds:
        for task in tasks(kind, dims):
            Y = table[task].to_numpy(dtype=np.float64)
            log.info("%s %s: tuning on %d rows × %d inputs", kind, task, int(usable.sum()), X.shape[1])
            P, fit_info = _fit_official(tuner, kind, X, Y, groups, partition, usable) if official else _fit_nested(tuner, kind, X, Y, groups, usable)
            info["models"][f"{kind}:{'+'.join(task)}"] = fit_info
            for j, dim in enumerate(task):
                pred[f"{kind}:{dim}_pred"] = P[:, j]
                sub = evaluated & np.isfinite(P[:, j])
                rep = metrics.regression_report(Y[sub, j], P[sub, j], groups=table["session"].to_numpy()[sub], variance=tuner.variance)
                rows.append({"model": models.NAMES[kind], "kind": kind, "dimension": dim, "ccc": rep["ccc_pooled"],
                             "ccc_per_session": rep["ccc_per_sequence"], "pcc": rep["pcc"], "mae": rep["mae"], "rmse": rep["rmse"],
                             "n": rep["n"], "cv_ccc": fit_info["cv_ccc"][j], "params": json.dumps(fit_info["params"], default=str)})
                log.info("%s %s: CCC %.3f MAE %.3f (CV %.3f)", kind, dim, rep["ccc_pooled"], rep["mae"], fit_info["cv_ccc"][j])
    return pred, pd.DataFrame(rows), info
