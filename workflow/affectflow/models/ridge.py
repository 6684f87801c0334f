"""Frame-level ridge regression: the skeleton's baseline model.

Train on the ``train`` partition, choose the penalty per dimension by pooled CCC on ``devel``
(speaker-disjoint 5-fold CV inside train when the corpus has no devel partition), refit on
train, predict every frame. Missing feature values are imputed with the train median inside
the pipeline (the ``__present`` masks are kept as inputs, so the model sees what was missing).
"""
from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ..evaluation import metrics

log = logging.getLogger(__name__)


def _pipeline(alpha: float):
    return make_pipeline(SimpleImputer(strategy="median", keep_empty_features=True), StandardScaler(), Ridge(alpha=alpha))


def _select_alpha(X, y, groups, partition, alphas, dim) -> tuple[float, dict]:
    train = partition == "train"
    dev = partition == "devel"
    scores = {}
    for a in alphas:
        if dev.any():
            pred = _pipeline(a).fit(X[train], y[train]).predict(X[dev])
            scores[a] = metrics.ccc(y[dev], pred)
        else:
            folds = GroupKFold(n_splits=min(5, len(np.unique(groups[train]))))
            preds = np.full(train.sum(), np.nan)
            Xt, yt = X[train], y[train]
            for tr, te in folds.split(Xt, yt, groups[train]):
                preds[te] = _pipeline(a).fit(Xt[tr], yt[tr]).predict(Xt[te])
            scores[a] = metrics.ccc(yt, preds)
        log.info("%s: alpha=%g dev CCC=%.4f", dim, a, scores[a])
    best = max(scores, key=lambda a: -np.inf if np.isnan(scores[a]) else scores[a])
    return best, scores


def train_and_predict(frames: pd.DataFrame, feature_cols: list[str], dims: list[str], alphas: list[float]) -> tuple[pd.DataFrame, dict]:
    """``frames`` needs session, speaker, partition, label_valid, the dims and the features."""
    usable = frames["label_valid"].to_numpy(dtype=bool)
    X_all = frames[feature_cols].to_numpy(dtype=np.float64)
    partition = frames["partition"].to_numpy()
    groups = frames["speaker"].to_numpy()
    if not (usable & (partition == "train")).any():
        raise ValueError("no labelled frames in the train partition: the ridge baseline needs a train partition")
    out = frames[["session", "t_start", "t_end", "partition", "label_valid", *dims]].copy()
    info = {"alphas": {}, "dev_ccc": {}, "n_train_frames": int((usable & (partition == "train")).sum()), "n_features": len(feature_cols)}
    for dim in dims:
        y = frames[dim].to_numpy(dtype=np.float64)
        alpha, scores = _select_alpha(X_all[usable], y[usable], groups[usable], partition[usable], alphas, dim)
        train = usable & (partition == "train")
        model = _pipeline(alpha).fit(X_all[train], y[train])
        out[f"{dim}_pred"] = model.predict(X_all).astype(np.float64)
        info["alphas"][dim] = alpha
        info["dev_ccc"][dim] = {str(k): float(v) for k, v in scores.items()}
    return out, info
