"""Segment-level fusion tables: features pooled over a segment, targets from right-shifted labels.

A *segments table* is the interface to any segmenter (interpausal units, utterances, rolling
windows): columns ``session``, ``t_start``, ``t_end`` and optionally ``segment_id``. As in Rios et
al. (after AVEC 2017), a segment's target is the mean of its frame labels over the window
``[t_start + shift, t_end + shift)`` — shifted right to compensate the annotators' delay — and
its inputs are the means of the frame inputs inside ``[t_start, t_end)`` (NaN frames ignored;
``__present`` columns become the fraction of frames present).
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

SEGMENT_COLUMNS = ("session", "t_start", "t_end")


class SegmentError(ValueError):
    pass


def rolling_windows(frames: pd.DataFrame, length_s: float, hop_s: float) -> pd.DataFrame:
    """Fixed windows of ``length_s`` every ``hop_s`` over each session (the last one may be shorter)."""
    if length_s <= 0 or hop_s <= 0:
        raise SegmentError(f"rolling windows need positive length and hop, got {length_s}, {hop_s}")
    rows = []
    for session, sub in frames.groupby("session", sort=False):
        end = float(sub["t_end"].max())
        starts = np.arange(0.0, max(end - 1e-9, 0.0), hop_s)
        for i, t0 in enumerate(starts):
            rows.append({"session": session, "t_start": round(float(t0), 6), "t_end": round(min(float(t0) + length_s, end), 6),
                         "segment_id": f"{session}-{i:04d}"})
    return pd.DataFrame(rows)


def check_segments(segments: pd.DataFrame, where: str = "segments table") -> pd.DataFrame:
    missing = [c for c in SEGMENT_COLUMNS if c not in segments.columns]
    if missing:
        raise SegmentError(f"{where}: missing column(s) {missing}; a segments table has session, t_start, t_end[, segment_id]")
    if (segments["t_end"] <= segments["t_start"]).any():
        bad = segments.loc[segments["t_end"] <= segments["t_start"]].head(3).to_dict("records")
        raise SegmentError(f"{where}: segments with t_end <= t_start, e.g. {bad}")
    out = segments.copy()
    out["session"] = out["session"].astype(str)
    if "segment_id" not in out.columns:
        out["segment_id"] = [f"{s}-{i:04d}" for s, i in zip(out["session"], out.groupby("session").cumcount())]
    return out.reset_index(drop=True)


def segment_table(frames: pd.DataFrame, segments: pd.DataFrame, input_cols: list[str], dims: list[str],
                  label_shift_s: float = 0.0, keep: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per segment: pooled inputs, shifted-window mean targets, ``label_valid``.

    ``keep`` names frame columns that are constant within a session (speaker, partition) to carry over.
    """
    segments = check_segments(segments)
    unknown = sorted(set(segments["session"]) - set(frames["session"].astype(str)))
    if unknown:
        raise SegmentError(f"segments table: sessions {unknown[:5]} have no frames")
    rows = []
    for session, segs in segments.groupby("session", sort=False):
        sub = frames[frames["session"].astype(str) == session]
        centre = ((sub["t_start"] + sub["t_end"]) / 2).to_numpy()
        X = sub[input_cols].to_numpy(dtype=np.float64)
        valid = sub["label_valid"].to_numpy(dtype=bool)
        Y = sub[dims].to_numpy(dtype=np.float64)
        const = {c: sub[c].iloc[0] for c in keep}
        for seg in segs.itertuples(index=False):
            inside = (centre >= seg.t_start) & (centre < seg.t_end)
            target = (centre >= seg.t_start + label_shift_s) & (centre < seg.t_end + label_shift_s) & valid
            with warnings.catch_warnings():  # all-NaN input columns of a segment stay NaN
                warnings.simplefilter("ignore", RuntimeWarning)
                x = np.nanmean(X[inside], axis=0) if inside.any() else np.full(len(input_cols), np.nan)
                y = Y[target].mean(axis=0) if target.any() else np.full(len(dims), np.nan)
            rows.append({"session": session, "t_start": seg.t_start, "t_end": seg.t_end, "segment_id": seg.segment_id,
                         **const, **dict(zip(dims, y)), "label_valid": bool(target.any()), **dict(zip(input_cols, x))})
    return pd.DataFrame(rows)

