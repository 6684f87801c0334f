"""Evaluation metrics for affective computing.

Regression (continuous affect: arousal, valence, ...)
    ``ccc``, ``pcc``, ``mae``, ``rmse`` and the sequence-aware
    ``ccc_sequences`` / ``ccc_grouped``.

Classification (categorical emotion)
    ``accuracy``, ``uar``, ``f1``; thin wrappers around scikit-learn.

Conventions
-----------
Concordance correlation coefficient (Lin, 1989)::

    ccc = 2 * cov(t, p) / (var(t) + var(p) + (mean(t) - mean(p)) ** 2)

Published scorers disagree on the normalisation of the moments, and on short
sequences the difference is large (e.g. ``[0, 1, 2]`` vs ``[0, 1, 1]`` gives
0.667, 0.692 or 0.462). ``variance`` selects one explicitly:

``"population"`` (default)
    covariance and both variances divided by N. Same as
    ``audmetric.concordance_cc``, end2you and the usual CCC training losses.
``"sample"``
    covariance and both variances divided by N - 1 (``np.cov`` default), as
    in the MuSe evaluation code.
``"avec"``
    covariance divided by N, variances divided by N - 1, as in the AVEC
    2018/2019 ``calc_scores.py``. Mixed, but needed to reproduce AVEC numbers.
    Note that it is biased low: a perfect prediction scores (N - 1) / N.

Aggregation over sequences (sessions, videos, speakers)
    ``"pooled"`` concatenates all sequences and computes a single CCC (the
    AVEC / MuSe / ABAW challenge scorers). ``"per_sequence"`` averages the
    per-sequence CCCs (as in e.g. the RECOLA DLSTM paper). The two are not
    comparable: per-sequence CCC ignores between-sequence offsets, pooled CCC
    rewards getting them right.

Missing values
    In the regression metrics, pairs in which either value is NaN are dropped
    before computing anything. If too few valid pairs remain (fewer than 2
    for ``ccc``/``pcc``, none for ``mae``/``rmse``) the result is NaN. A zero
    denominator (e.g. both inputs constant) also gives NaN rather than an
    arbitrary 0 or 1. In ``per_sequence`` aggregation a NaN for any sequence
    propagates to the mean, so degenerate sequences are not hidden.

Invalid input (empty arrays, length mismatch, non-1-D arrays, unknown option
names) raises ``ValueError``. All metrics return plain Python floats.
"""

from __future__ import annotations

import numpy as np

VARIANCE_CONVENTIONS = ("population", "sample", "avec")
AGGREGATIONS = ("pooled", "per_sequence")
F1_AVERAGES = ("micro", "macro")

# (ddof of the covariance, ddof of both variances) per convention
_DDOF = {"population": (0, 0), "sample": (1, 1), "avec": (0, 1)}


def _check_option(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"Unknown {name} {value!r}; expected one of {allowed}.")


def _check_labels(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    """Two 1-D arrays of equal, non-zero length."""
    t = np.asarray(y_true)
    p = np.asarray(y_pred)
    if t.ndim != 1 or p.ndim != 1:
        raise ValueError(f"Expected 1-D inputs, got shapes {t.shape} and {p.shape}.")
    if t.size != p.size:
        raise ValueError(f"Length mismatch: y_true has {t.size}, y_pred has {p.size}.")
    if t.size == 0:
        raise ValueError("Empty input.")
    return t, p


def _paired(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    """Validate two 1-D float arrays and drop pairs containing NaN."""
    t, p = _check_labels(np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float))
    valid = ~(np.isnan(t) | np.isnan(p))
    return t[valid], p[valid]


# --------------------------------------------------------------------------
# Regression


def ccc(y_true, y_pred, variance: str = "population") -> float:
    """Concordance correlation coefficient; see the module docstring."""
    _check_option("variance", variance, VARIANCE_CONVENTIONS)
    t, p = _paired(y_true, y_pred)
    n = t.size
    if n < 2:
        return float("nan")
    ddof_cov, ddof_var = _DDOF[variance]
    dt = t - t.mean()
    dp = p - p.mean()
    cov = np.dot(dt, dp) / (n - ddof_cov)
    var_t = np.dot(dt, dt) / (n - ddof_var)
    var_p = np.dot(dp, dp) / (n - ddof_var)
    denom = var_t + var_p + (t.mean() - p.mean()) ** 2
    if denom == 0:
        return float("nan")
    return float(2 * cov / denom)


def pcc(y_true, y_pred) -> float:
    """Pearson correlation coefficient (NaN if either input is constant)."""
    t, p = _paired(y_true, y_pred)
    if t.size < 2:
        return float("nan")
    dt = t - t.mean()
    dp = p - p.mean()
    denom = np.sqrt(np.dot(dt, dt) * np.dot(dp, dp))
    if denom == 0:
        return float("nan")
    return float(np.dot(dt, dp) / denom)


def mae(y_true, y_pred) -> float:
    """Mean absolute error."""
    t, p = _paired(y_true, y_pred)
    if t.size == 0:
        return float("nan")
    return float(np.mean(np.abs(t - p)))


def rmse(y_true, y_pred) -> float:
    """Root mean squared error."""
    t, p = _paired(y_true, y_pred)
    if t.size == 0:
        return float("nan")
    return float(np.sqrt(np.mean((t - p) ** 2)))


def ccc_sequences(
    sequences_true,
    sequences_pred,
    aggregation: str = "pooled",
    variance: str = "population",
) -> float:
    """CCC over a list of sequences (one 1-D array per sequence/session).

    ``aggregation="pooled"`` concatenates all sequences into one CCC;
    ``"per_sequence"`` returns the unweighted mean of per-sequence CCCs.
    """
    _check_option("aggregation", aggregation, AGGREGATIONS)
    _check_option("variance", variance, VARIANCE_CONVENTIONS)
    if len(sequences_true) != len(sequences_pred):
        raise ValueError(
            f"Got {len(sequences_true)} true and {len(sequences_pred)} "
            "predicted sequences."
        )
    if len(sequences_true) == 0:
        raise ValueError("Empty input: no sequences.")
    # Validate every pair first, so a mismatch cannot hide in the concatenation.
    pairs = [
        (np.asarray(t, dtype=float), np.asarray(p, dtype=float))
        for t, p in zip(sequences_true, sequences_pred)
    ]
    for i, (t, p) in enumerate(pairs):
        if t.ndim != 1 or p.ndim != 1 or t.size != p.size:
            raise ValueError(
                f"Sequence {i}: shapes {t.shape} and {p.shape} do not match "
                "as 1-D arrays."
            )
    if aggregation == "pooled":
        return ccc(
            np.concatenate([t for t, _ in pairs]),
            np.concatenate([p for _, p in pairs]),
            variance=variance,
        )
    return float(np.mean([ccc(t, p, variance=variance) for t, p in pairs]))


def ccc_grouped(
    y_true,
    y_pred,
    groups,
    aggregation: str = "pooled",
    variance: str = "population",
) -> float:
    """Like ``ccc_sequences`` but from flat arrays plus a group label per row.

    Accepts numpy arrays, lists or pandas Series (e.g. columns of a frame
    with one row per frame/time step and a session id column).
    """
    t = np.asarray(y_true, dtype=float)
    p = np.asarray(y_pred, dtype=float)
    g = np.asarray(groups)
    if not (t.ndim == p.ndim == g.ndim == 1):
        raise ValueError("y_true, y_pred and groups must be 1-D.")
    if not (t.size == p.size == g.size):
        raise ValueError(
            f"Length mismatch: y_true {t.size}, y_pred {p.size}, groups {g.size}."
        )
    if t.size == 0:
        raise ValueError("Empty input.")
    _, inverse = np.unique(g, return_inverse=True)
    idx = [np.flatnonzero(inverse == k) for k in range(inverse.max() + 1)]
    return ccc_sequences(
        [t[i] for i in idx],
        [p[i] for i in idx],
        aggregation=aggregation,
        variance=variance,
    )


# --------------------------------------------------------------------------
# Classification (sklearn is imported here, not at module level: the table jobs that only read
# CCCs do not pay for it)


def _skm():
    from sklearn import metrics as skm

    return skm


def accuracy(y_true, y_pred) -> float:
    """Fraction of correct predictions (weighted average recall)."""
    t, p = _check_labels(y_true, y_pred)
    return float(_skm().accuracy_score(t, p))


def uar(y_true, y_pred) -> float:
    """Unweighted average recall: macro recall over the classes in ``y_true``.

    Classes that occur only in ``y_pred`` do not count as extra classes with
    zero recall (``audmetric.unweighted_average_recall`` does count them by
    default, so the two differ when predictions contain unseen labels).
    """
    t, p = _check_labels(y_true, y_pred)
    return float(
        _skm().recall_score(t, p, labels=np.unique(t), average="macro", zero_division=0)
    )


def f1(y_true, y_pred, average: str = "macro") -> float:
    """F1 score. ``"micro"`` equals accuracy for single-label multiclass data;
    ``"macro"`` averages over all labels in ``y_true`` or ``y_pred`` (an
    undefined per-class F1 counts as 0)."""
    _check_option("average", average, F1_AVERAGES)
    t, p = _check_labels(y_true, y_pred)
    return float(_skm().f1_score(t, p, average=average, zero_division=0))


# --------------------------------------------------------------------------
# Reports


def regression_report(
    y_true, y_pred, groups=None, variance: str = "population"
) -> dict:
    """All regression metrics at once.

    ``ccc_per_sequence`` needs ``groups`` and is NaN without it; ``n`` is the
    number of valid (non-NaN) pairs.
    """
    t, p = _paired(y_true, y_pred)
    if groups is None:
        per_sequence = float("nan")
    else:
        per_sequence = ccc_grouped(
            y_true, y_pred, groups, aggregation="per_sequence", variance=variance
        )
    return {
        "ccc_pooled": ccc(y_true, y_pred, variance=variance),
        "ccc_per_sequence": per_sequence,
        "pcc": pcc(y_true, y_pred),
        "mae": mae(y_true, y_pred),
        "rmse": rmse(y_true, y_pred),
        "n": int(t.size),
    }


def classification_report(y_true, y_pred) -> dict:
    """All classification metrics at once."""
    t, p = _check_labels(y_true, y_pred)
    return {
        "accuracy": accuracy(t, p),
        "uar": uar(t, p),
        "f1_micro": f1(t, p, average="micro"),
        "f1_macro": f1(t, p, average="macro"),
        "n": int(t.size),
    }
