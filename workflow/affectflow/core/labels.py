"""Continuous labels on the session time grid.

Reads AVEC-layout label files (``name;timestamp;arousal;valence;…``; comma or semicolon) and
resamples them onto the grid. The annotation delay ``delay_s`` shifts labels to the front, as
AVEC 2018/19 do for training: grid frame ``[t, t+hop)`` gets the label annotated at
``t + delay_s``. Evaluation scores against the same shifted labels, which equals AVEC's
"shift predictions back and score against the original labels" except for the last
``delay_s`` seconds, which AVEC pad and we mark ``label_valid = false``.

Frames with no label (NaN in the file, a gap longer than ``max_gap_s`` between annotations,
before the first or after the last annotation, or the Aff-Wild2 missing marker −5) are kept
with NaN values and ``label_valid = false`` — never zero-filled.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import grid

AFFWILD_MISSING = -5.0


class LabelError(ValueError):
    """A label file that cannot be used; the message names the file and the problem."""


def read_avec(path: str | Path, dimensions: list[str] | None = None) -> pd.DataFrame:
    """Read one AVEC-layout label file → DataFrame with ``timestamp`` and one column per dimension."""
    path = Path(path)
    if not path.exists():
        raise LabelError(f"{path}: label file not found")
    try:
        df = pd.read_csv(path, sep=None, engine="python")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise LabelError(f"{path}: not a readable label CSV ({exc})") from exc
    df.columns = [str(c).strip().lower() for c in df.columns]
    if "timestamp" not in df.columns:
        raise LabelError(f"{path}: no 'timestamp' column (columns: {list(df.columns)}); expected name;timestamp;arousal;valence;…")
    dims = dimensions or [c for c in df.columns if c not in ("name", "timestamp")]
    missing = [d for d in dims if d not in df.columns]
    if missing:
        raise LabelError(f"{path}: label dimension(s) {missing} not in the file (columns: {list(df.columns)})")
    if df.empty:
        raise LabelError(f"{path}: no annotation rows (only a header)")
    out = df[["timestamp", *dims]].apply(pd.to_numeric, errors="coerce")
    if not np.isfinite(out["timestamp"]).all():
        raise LabelError(f"{path}: non-numeric, empty or infinite timestamps in rows {out.index[~np.isfinite(out['timestamp'])].tolist()[:5]}")
    if out["timestamp"].duplicated().any():
        dup = out.loc[out["timestamp"].duplicated(), "timestamp"].tolist()[:5]
        raise LabelError(f"{path}: duplicated timestamps {dup}")
    if not out["timestamp"].is_monotonic_increasing:
        raise LabelError(f"{path}: timestamps are not sorted (first decrease at row {int(np.argmax(np.diff(out['timestamp'].to_numpy()) < 0)) + 1})")
    return out


def default_max_gap(timestamps: np.ndarray, hop_s: float) -> float:
    """Annotations further apart than this leave the frames between them unlabelled."""
    step = np.median(np.diff(timestamps)) if len(timestamps) > 1 else hop_s
    return 2.5 * max(step, hop_s)


def to_grid(labels: pd.DataFrame, session: str, duration_s: float, hop_s: float, delay_s: float = 0.0,
            max_gap_s: float | None = None) -> pd.DataFrame:
    """Resample annotations onto the grid by linear interpolation at ``t_start + delay_s``."""
    dims = [c for c in labels.columns if c != "timestamp"]
    out = grid.grid_frame(session, duration_s, hop_s)
    ts = labels["timestamp"].to_numpy(dtype=np.float64)
    query = out["t_start"].to_numpy() + delay_s
    step = np.median(np.diff(ts)) if len(ts) > 1 else hop_s
    max_gap = max_gap_s if max_gap_s is not None else default_max_gap(ts, hop_s)
    valid = np.ones(len(out), dtype=bool)
    if len(ts) == 0:
        valid[:] = False
    else:
        # the annotation interval around each query must exist and be short enough
        right = np.searchsorted(ts, query, side="left")
        left = np.clip(right - 1, 0, len(ts) - 1)
        right_c = np.clip(right, 0, len(ts) - 1)
        exact = ts[right_c] == query
        gap = np.where(exact, 0.0, ts[right_c] - ts[left])
        valid &= (query >= ts[0] - 1e-9) & (query <= ts[-1] + 1e-9) & (gap <= max_gap + 1e-9)
    for d in dims:
        v = labels[d].to_numpy(dtype=np.float64)
        v = np.where(np.isclose(v, AFFWILD_MISSING), np.nan, v)
        ok = np.isfinite(v)
        if ok.sum() >= 1 and len(ts):
            vals = np.interp(query, ts[ok], v[ok])
            # a frame whose neighbouring annotations include a NaN is invalid, not bridged
            nan_near = np.zeros(len(query), dtype=bool)
            if (~ok).any():
                bad_t = ts[~ok]
                idx = np.searchsorted(bad_t, query)
                lo = np.clip(idx - 1, 0, len(bad_t) - 1)
                hi = np.clip(idx, 0, len(bad_t) - 1)
                nan_near = (np.abs(bad_t[lo] - query) < step - 1e-9) | (np.abs(bad_t[hi] - query) < step - 1e-9)
            vals = np.where(nan_near, np.nan, vals)
        else:
            vals = np.full(len(query), np.nan)
        out[d] = vals
    out["label_valid"] = valid & np.all(np.isfinite(out[dims].to_numpy()), axis=1) if dims else valid
    out.loc[~out["label_valid"], dims] = np.nan
    return out


def span_mismatch(path: str | Path, labels: pd.DataFrame, duration_s: float, delay_s: float = 0.0,
                  tolerance_s: float = 1.0) -> str | None:
    """A sentence when the annotations end more than ``tolerance_s`` before or after the media, else None."""
    end = float(labels["timestamp"].iloc[-1])
    if end - delay_s < duration_s - tolerance_s:
        return (f"{path} ends at {end:.2f} s, the media at {duration_s:.2f} s: "
                f"the last {duration_s - end + delay_s:.2f} s get label_valid = false")
    if end > duration_s + tolerance_s:
        return (f"{path} runs to {end:.2f} s, {end - duration_s:.2f} s past the end of the media ({duration_s:.2f} s); "
                "those annotations are not used — is it the right file?")
    return None


def span_s(labels: pd.DataFrame, hop_s: float) -> float:
    """The duration a label file covers (last timestamp plus one annotation step): the grid of a
    session without media (a dataset of labels and other systems' predictions only)."""
    ts = labels["timestamp"].to_numpy(dtype=np.float64)
    if len(ts) == 0:
        raise LabelError("no annotations: a session without media takes its duration from its label file")
    step = float(np.median(np.diff(ts))) if len(ts) > 1 else hop_s
    return float(ts[-1] + step)


def clip_values(row: dict, dimensions: list[str], where: str) -> dict[str, float]:
    """Clip-level continuous labels (``label_kind: clip``): one value per dimension in the manifest's
    ``{dim}`` columns; a missing or non-numeric value is an error naming the session and column."""
    out, bad = {}, []
    for d in dimensions:
        try:
            out[d] = float(str(row.get(d, "")).strip())
        except ValueError:
            bad.append(f"{d}={row.get(d, '')!r}")
    if bad:
        raise LabelError(f"{where}: label_kind is clip but the manifest's clip label(s) {', '.join(bad)} are not numbers")
    return out


def clip_grid(session: str, values: dict[str, float], duration_s: float, hop_s: float) -> pd.DataFrame:
    """A clip-level label on every grid frame of the clip (all frames share the clip's value)."""
    out = grid.grid_frame(session, duration_s, hop_s)
    for d, v in values.items():
        out[d] = float(v)
    out["label_valid"] = np.isfinite(out[list(values)].to_numpy(dtype=np.float64)).all(axis=1)
    return out


def categorical(session: str, emotion: str, duration_s: float) -> pd.DataFrame:
    """A session-level categorical label as one row spanning the clip."""
    return pd.DataFrame({"session": [session], "t_start": [0.0], "t_end": [round(float(duration_s), grid.TIME_DECIMALS)],
                         "emotion": [emotion], "label_valid": [bool(emotion)]})
