"""Tune, train and score every fusion model on one joined table (one modality combination).

Splits: with official partitions (a ``test`` partition and a ``train`` one), hyper-parameters are
chosen by Bayesian optimisation (optuna TPE) in speaker-disjoint k-fold CV on train+devel, as in
Rios et al., the model is refit (FFs: trained on train, best epoch on devel) and scored on test.
Without partitions, group-disjoint outer folds give cross-validated predictions of every row,
each outer fold tuned by its own inner CV (nested: no row is ever predicted by a model whose
hyper-parameters saw its group). The groups are the manifest's ``group`` column (conversation,
dyad, recording) where it has one, else the speakers. In nested CV the model of a Table 1 row is
chosen per outer fold too (``selected``: the kind with the best inner-CV CCC on that fold's
training rows predicts its held-out rows), so no choice ever sees a scored label.

Cost: the tuning folds (``inner_folds``) are their own setting, and every fit sees at most
``max_fit_rows`` training rows (the frame stride, :func:`fit_step`: neighbouring frames are near
copies) while every held-out row is predicted and scored.

Held-out rows whose inputs exactly equal a training row's are counted and warned about (in the
log and ``training.json``): partners of one conversation often share near-identical features, and
a KNN then copies the partner's label — group by conversation, not by session or speaker.
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
    """``folds``: the outer folds of nested CV; ``inner_folds`` (default: ``folds``): the tuning folds, in both
    modes; ``max_fit_rows``: at most this many training rows enter any fit (:func:`fit_step`; None = all)."""

    def __init__(self, trials: int = 10, folds: int = 5, seed: int = 0, variance: str = "population",
                 ff: dict | None = None, n_jobs: int = 1, scale_output: bool = False, inner_folds: int | None = None,
                 max_fit_rows: int | None = None):
        self.trials, self.folds, self.seed, self.variance = trials, folds, seed, variance
        self.inner_folds = int(inner_folds or folds)
        self.max_fit_rows = int(max_fit_rows) if max_fit_rows else None
        self.ff, self.n_jobs, self.scale_output = ff or {}, n_jobs, scale_output
        self.prediction_columns: dict[str, list[int]] = {}  # per dimension: the inputs that predict it (for the averages)
        self.task: list[str] = []
        self.n_fits = 0  # models fitted so far (the cost model: planned_fits)

    def fixed(self, kind: str) -> dict:
        if kind in models.AVERAGES:
            return {"columns": [c for d in self.task for c in self.prediction_columns.get(d, [])]}
        return dict(self.ff) if kind in ("ff", "ff_mt") else {}

    def build(self, kind: str, params: dict, n_outputs: int):
        self.n_fits += 1
        return models.build(kind, params, n_outputs, self.seed, self.n_jobs, self.scale_output)

    def cv_predict(self, kind, params, X, Y, groups) -> np.ndarray:
        oof = np.full(Y.shape, np.nan)
        for tr, te in speaker_folds(groups, self.inner_folds):
            model = self.build(kind, params, Y.shape[1]).fit(X[tr], Y[tr], groups[tr])
            oof[te] = model.predict(X[te])
        return oof

    def tune(self, kind, X, Y, groups) -> tuple[dict, list[float]]:
        """Best parameters of ``kind`` (by mean CV CCC over ``Y``'s columns) and their CV CCC per column."""
        if kind not in models.TUNED or self.trials <= 0:
            params = self.fixed(kind)
            return params, dim_ccc(Y, self.cv_predict(kind, params, X, Y, groups), self.variance)

        n_rows = min(len(tr) for tr, _ in speaker_folds(groups, self.inner_folds))

        def objective(trial):
            per_dim = dim_ccc(Y, self.cv_predict(kind, models.suggest(kind, trial, n_rows), X, Y, groups), self.variance)
            trial.set_user_attr("per_dim", per_dim)
            score = float(np.mean(per_dim))
            return score if np.isfinite(score) else -1.0

        study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=self.seed))
        study.optimize(objective, n_trials=self.trials)
        return {**self.fixed(kind), **study.best_params}, list(study.best_trial.user_attrs["per_dim"])


def _fit_official(tuner, kind, X, Y, groups, partition, usable):
    """``usable``: rows with a target that may enter a fit (the frame stride applied)."""
    pool = usable & np.isin(partition, ["train", "devel"])
    params, cv = tuner.tune(kind, X[pool], Y[pool], groups[pool])
    train, devel = usable & (partition == "train"), usable & (partition == "devel")
    if kind in ("ff", "ff_mt") and devel.any():  # the paper keeps the epoch with the best devel CCC
        model = tuner.build(kind, params, Y.shape[1]).fit(X[train], Y[train], groups[train], X[devel], Y[devel])
    else:
        model = tuner.build(kind, params, Y.shape[1]).fit(X[pool], Y[pool], groups[pool])
    return model.predict(X), {"params": params, "cv_ccc": cv}


def _fit_nested(tuner, kind, X, task, outer, groups, fit):
    """``outer``: (held-out mask, targets table, usable mask) per outer fold; each fold's choices see its training rows only,
    and of those the rows of ``fit`` (the frame stride); every held-out row is predicted."""
    pred = np.full((len(X), len(task)), np.nan)
    folds = []
    for held, targets, usable in outer:
        Y = targets[task].to_numpy(dtype=np.float64)
        tr = usable & ~held & fit
        params, cv = tuner.tune(kind, X[tr], Y[tr], groups[tr])
        model = tuner.build(kind, params, Y.shape[1]).fit(X[tr], Y[tr], groups[tr])
        pred[held] = model.predict(X[held])
        folds.append({"params": params, "cv_ccc": cv, "held_out": sorted(map(str, np.unique(groups[held])))})
    cv = np.nanmean(np.array([f["cv_ccc"] for f in folds], dtype=float), axis=0).tolist()
    return pred, {"params": "per outer fold", "cv_ccc": cv, "folds": folds}


def prediction_columns(input_cols: list[str], dims: list[str]) -> dict[str, list[int]]:
    """Per dimension, the input columns that are some input's prediction of it (``…__{dim}`` or ``…__{dim}_pred``;
    not the ±k context copies)."""
    return {d: [i for i, c in enumerate(input_cols) if c.endswith((f"__{d}", f"__{d}_pred"))] for d in dims}


def groups_of(table: pd.DataFrame) -> np.ndarray:
    """The unit of every disjoint split: ``group`` (conversation, dyad, recording) when present, else ``speaker``."""
    return table["group" if "group" in table.columns else "speaker"].astype(str).to_numpy()


def exact_matches(X: np.ndarray, train: np.ndarray, held: np.ndarray) -> int:
    """Held-out rows (with any input) whose inputs exactly equal some training row's."""
    some = np.isfinite(X).any(axis=1)
    h = pd.util.hash_pandas_object(pd.DataFrame(np.where(np.isfinite(X), np.round(X, 9), -9.87654321e30)), index=False).to_numpy()
    return int(np.isin(h[held & some], h[train & some]).sum())


def _outer_folds(table, dims, groups, usable, n_folds, outer):
    """(held-out mask, targets, usable mask) per outer fold: the given folds (with their own targets) or group k-fold."""
    if outer is None:
        idx = np.flatnonzero(usable)
        held_out = [np.unique(groups[idx[te]]) for _, te in speaker_folds(groups[idx], n_folds)]
        return [(np.isin(groups, h), table, usable) for h in held_out]
    out = []
    for fold in outer:
        t = fold["targets"]
        ok = t["label_valid"].to_numpy(dtype=bool) & np.isfinite(t[dims].to_numpy(dtype=np.float64)).all(axis=1)
        out.append((np.isin(groups, fold["held_out"]), t, ok))
    return out


def _select_per_fold(pred, fit_infos, dims, outer_masks, kinds):
    """Per dimension, the held-out predictions of the kind with the best inner-CV CCC in each outer fold."""
    selected, chosen = {}, {}
    for dim in dims:
        P = np.full(len(pred), np.nan)
        chosen[dim] = []
        for k, held in enumerate(outer_masks):
            best, best_cv = None, -np.inf
            for kind in kinds:
                key = next((key for key in fit_infos if key.split(":")[0] == kind and dim in key.split(":")[1].split("+")), None)
                if key is None:
                    continue
                j = key.split(":")[1].split("+").index(dim)
                cv = fit_infos[key]["folds"][k]["cv_ccc"][j]
                if np.isfinite(cv) and cv > best_cv:
                    best, best_cv = kind, cv
            fallback = best is None
            if fallback:
                best = kinds[0]
                log.warning("outer fold %d, %s: no model has a finite inner-CV CCC; %s predicts it unselected", k, dim, models.NAMES[best])
            P[held] = pred[f"{best}:{dim}_pred"].to_numpy()[held]
            chosen[dim].append(models.NAMES[best] + (" (fallback: no finite inner-CV CCC)" if fallback else ""))
        selected[dim] = P
    return selected, chosen


def planned_fits(kinds: list[str], dims: list[str], trials: int, inner_folds: int, outer_folds: int = 1) -> int:
    """The cost model: per model kind and task, outer folds × (trials × inner folds + 1) fits (the +1 is
    the refit on the outer training rows); kinds without a search (FFs, averages, trials 0) count one
    trial. Official partitions: ``outer_folds = 1``. Seconds ≈ fits × one fit's time on that many rows."""
    total = 0
    for kind in kinds:
        n_trials = trials if (kind in models.TUNED and trials > 0) else 1
        total += len(tasks(kind, dims)) * outer_folds * (n_trials * inner_folds + 1)
    return total


def fit_step(n_training_rows: int, max_fit_rows: int | None) -> int:
    """The frame stride of the fits: every k-th row, k = ceil(training rows / ``max_fit_rows``) (1 = every row)."""
    return max(1, -(-int(n_training_rows) // int(max_fit_rows))) if max_fit_rows else 1


def stride_mask(n_rows: int, step: int) -> np.ndarray:
    """Every ``step``-th row of the table (sessions one after the other, frames in time order): on frames every
    k-th frame of each session; on clips or segments every k-th one."""
    return np.arange(n_rows) % max(1, int(step)) == 0


def official_split(partition: np.ndarray) -> bool:
    return bool((partition == "test").any() and (partition == "train").any())


def run(table: pd.DataFrame, input_cols: list[str], dims: list[str], kinds: list[str], tuner: Tuner,
        outer: list[dict] | None = None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """``table`` needs session, speaker, partition, label_valid, ``dims`` and ``input_cols`` (``group`` optional).

    ``outer`` (nested CV only): the outer folds, each ``{"held_out": [groups], "targets": table of
    dims + label_valid}`` — targets that fold's own label shift gives (:mod:`label_shift`).
    Returns ``(predictions, scores, info)``: predictions has ``{kind}:{dim}_pred`` per model; scores
    one row per (model, dimension) on the evaluated rows (test, or every row cross-validated); in
    nested CV also a ``selected`` row per dimension (the model chosen per outer fold).
    """
    X = table[input_cols].to_numpy(dtype=np.float64)
    groups = groups_of(table)
    partition = table["partition"].fillna("").astype(str).to_numpy()
    usable = table["label_valid"].to_numpy(dtype=bool) & np.isfinite(table[dims].to_numpy(dtype=np.float64)).all(axis=1)
    official = official_split(partition)
    keep = [c for c in ("session", "t_start", "t_end", "segment_id", "speaker", "group", "partition", "label_valid") if c in table.columns]
    pred = table[[*keep, *dims]].copy()
    if not official:
        pred["partition"] = "cv"
    evaluated = usable & ((partition == "test") if official else True)
    unit = "group" if "group" in table.columns else "speaker"
    info = {"split": "official partitions (tuned on train+devel, scored on test)" if official else f"nested {unit}-disjoint CV",
            "n_inputs": len(input_cols), "n_rows": int(usable.sum()), "n_rows_unlabelled": int((~usable).sum()),
            "n_groups": int(len(np.unique(groups[usable]))), "models": {}}
    folds = None if official else _outer_folds(table, dims, groups, usable, tuner.folds, outer)
    splits = [(usable & np.isin(partition, ["train", "devel"]), partition == "test")] if official else [(ok & ~held, held) for held, _, ok in folds]
    # the frame stride: neighbouring frames are near copies, so fits see every k-th training row; every row is predicted and scored
    step = fit_step(max(int(tr.sum()) for tr, _ in splits), tuner.max_fit_rows)
    fit = stride_mask(len(table), step)
    info["fit_step"], info["fit_rows"] = step, max(int((tr & fit).sum()) for tr, _ in splits)
    info["planned_fits"] = sum(planned_fits(kinds, dims, tuner.trials, min(tuner.inner_folds, len(np.unique(groups[tr & fit]))))
                               for tr, _ in splits)
    log.info("cost: %d model fits (%s; outer folds × (trials × inner folds + 1) per model and dimension) on ≤ %d rows "
             "(every %d. training row) × %d inputs", info["planned_fits"], ", ".join(kinds), info["fit_rows"], step, X.shape[1])
    n_fits_before = tuner.n_fits
    matches = sum(exact_matches(X, tr, te) for tr, te in splits)
    info["held_out_exact_matches"] = matches
    if matches:
        info["warning"] = (f"{matches} held-out row(s) have inputs exactly equal to a training row's: partners of one conversation "
                           f"(or copies of a recording) in different folds? Give the manifest a 'group' column (conversation) "
                           f"so that they are held out together")
        log.warning(info["warning"])
    rows = []

    def score(kind, name, dim, P, cv, params):
        sub = evaluated & np.isfinite(P)
        Y = table[dim].to_numpy(dtype=np.float64)
        rep = metrics.regression_report(Y[sub], P[sub], groups=table["session"].to_numpy()[sub], variance=tuner.variance)
        rows.append({"model": name, "kind": kind, "dimension": dim, "ccc": rep["ccc_pooled"],
                     "ccc_per_session": rep["ccc_per_sequence"], "pcc": rep["pcc"], "mae": rep["mae"], "rmse": rep["rmse"],
                     "n": rep["n"], "cv_ccc": cv, "params": json.dumps(params, default=str)})
        log.info("%s %s: CCC %.3f MAE %.3f (CV %.3f)", kind, dim, rep["ccc_pooled"], rep["mae"], cv)

    tuner.prediction_columns = prediction_columns(input_cols, dims)
    for kind in kinds:
        for task in tasks(kind, dims):
            tuner.task = list(task)
            log.info("%s %s: tuning on ≤ %d rows × %d inputs", kind, task, info["fit_rows"], X.shape[1])
            if official:
                P, fit_info = _fit_official(tuner, kind, X, table[task].to_numpy(dtype=np.float64), groups, partition, usable & fit)
            else:
                P, fit_info = _fit_nested(tuner, kind, X, task, folds, groups, fit)
            info["models"][f"{kind}:{'+'.join(task)}"] = fit_info
            for j, dim in enumerate(task):
                pred[f"{kind}:{dim}_pred"] = P[:, j]
                score(kind, models.NAMES[kind], dim, P[:, j], fit_info["cv_ccc"][j], fit_info["params"])
    info["fits"] = tuner.n_fits - n_fits_before
    if not official:
        selected, chosen = _select_per_fold(pred, info["models"], dims, [held for held, _, _ in folds], list(kinds))
        info["selected"] = chosen
        for dim in dims:
            pred[f"selected:{dim}_pred"] = selected[dim]
            names = pd.Series(chosen[dim]).value_counts()
            score("selected", ", ".join(f"{n} {c}/{len(folds)}" if len(names) > 1 else n for n, c in names.items()), dim,
                  selected[dim], float("nan"), {"per_outer_fold": chosen[dim]})
    return pred, pd.DataFrame(rows), info
