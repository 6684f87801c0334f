"""Leave-one-speaker-out classification of clip-level features (EmoDB, CREMA-D).

A standard recipe: features z-scored on the training speakers, a linear SVM (one-vs-rest,
balanced class weights), one fold per held-out speaker; the predictions of all folds are
pooled and scored with unweighted average recall (UAR, the macro-averaged recall).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import metrics


def loso_predictions(features: np.ndarray, labels: np.ndarray, speakers: np.ndarray, c: float = 0.1, seed: int = 0) -> np.ndarray:
    """Out-of-fold predictions, each clip predicted by a model that never saw its speaker."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    x = np.asarray(features, dtype=np.float64)
    if not np.isfinite(x).all():
        raise ValueError(f"{int((~np.isfinite(x)).any(axis=1).sum())} clip(s) have non-finite features; drop or flag them first")
    y, spk = np.asarray(labels), np.asarray(speakers)
    pred = np.empty(len(y), dtype=y.dtype)
    for s in np.unique(spk):
        test = spk == s
        model = make_pipeline(StandardScaler(), LinearSVC(C=c, class_weight="balanced", random_state=seed, max_iter=20000))
        model.fit(x[~test], y[~test])
        pred[test] = model.predict(x[test])
    return pred


def loso_uar(table: pd.DataFrame, feature_columns: list[str], label: str = "emotion", speaker: str = "speaker", **kw) -> tuple[float, pd.DataFrame]:
    """UAR of leave-one-speaker-out predictions, and the per-speaker recall table."""
    pred = loso_predictions(table[feature_columns].to_numpy(), table[label].to_numpy(), table[speaker].to_numpy(), **kw)
    per_speaker = pd.DataFrame({"speaker": table[speaker], "true": table[label], "pred": pred}).groupby("speaker").apply(
        lambda d: metrics.uar(d["true"], d["pred"]), include_groups=False).rename("uar").reset_index()
    return metrics.uar(table[label].to_numpy(), pred), per_speaker
