"""Segment-level fusion tables: inputs pooled over a segment, targets from right-shifted labels.

Segments come from any segmenter (interpausal units, utterances, rolling windows) or a table the
user brings: columns ``session``, ``t_start``, ``t_end`` and optionally ``segment`` (index within
the session). As in Rios et al. (after AVEC 2017), a segment's target is the mean of its frame
labels over ``[t_start + shift, t_end + shift)`` — shifted right to compensate the annotators'
delay (:func:`affectflow.core.segments.segment_targets`; the shift may differ per dimension, see
:mod:`affectflow.models.late_fusion.label_shift`). Its inputs are the means of the frame inputs whose centre
lies in ``[t_start, t_end)``: NaN frames are ignored, ``__present`` columns become the fraction
of frames present, and a segment no frame of an input covers keeps NaN for that input.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...core import segments as segmenting

SEGMENT_COLUMNS = ("session", "t_start", "t_end")
SegmentError = segmenting.SegmentError


def check_segments(segs: pd.DataFrame, where: str = "segments table") -> pd.DataFrame:
    """``segs`` with ``session`` as text, a ``segment`` index and a ``segment_id`` (``{session}-{segment:04d}``)."""
    missing = [c for c in SEGMENT_COLUMNS if c not in segs.columns]
    if missing:
        raise SegmentError(f"{where}: missing column(s) {missing}; a segments table has session, t_start, t_end[, segment]")
    bad = segs["t_end"] <= segs["t_start"]
    if bad.any():
        raise SegmentError(f"{where}: segments with t_end <= t_start, e.g. {segs.loc[bad].head(3).to_dict('records')}")
    out = segs[[*SEGMENT_COLUMNS, *(["segment"] if "segment" in segs.columns else [])]].copy()
    out["session"] = out["session"].astype(str)
    out = out.sort_values(["session", "t_start"], kind="stable").reset_index(drop=True)
    if "segment" not in out.columns:
        out["segment"] = out.groupby("session").cumcount()
    out["segment_id"] = [f"{s}-{int(i):04d}" for s, i in zip(out["session"], out["segment"])]
    return out


def rolling_windows(frames: pd.DataFrame, length_s: float, hop_s: float) -> pd.DataFrame:
    """Windows of ``length_s`` every ``hop_s`` over each session of ``frames`` (the segmenters' own rule)."""
    parts = [segmenting.rolling_windows(str(session), float(sub["t_end"].max()), length_s, hop_s)
             for session, sub in frames.groupby("session", sort=False)]
    return check_segments(pd.concat(parts, ignore_index=True))


def pooled_inputs(frames: pd.DataFrame, segs: pd.DataFrame, input_cols: list[str]) -> np.ndarray:
    """Mean of each input over the frames whose centre lies in each segment (NaN ignored), one row per segment."""
    out = np.full((len(segs), len(input_cols)), np.nan)
    by_session = dict(tuple(frames.groupby(frames["session"].astype(str), sort=False)))
    for session, rows in segs.groupby("session", sort=False).groups.items():
        sub = by_session.get(session)
        if sub is None:
            raise SegmentError(f"segments table: session {session!r} has no frames")
        order = np.argsort(((sub["t_start"] + sub["t_end"]) / 2).to_numpy(), kind="stable")
        centre = ((sub["t_start"] + sub["t_end"]) / 2).to_numpy()[order]
        X = sub[input_cols].to_numpy(dtype=np.float64)[order]
        finite = np.isfinite(X)
        # cumulative sums turn each segment's mean into two lookups
        csum = np.vstack([np.zeros(len(input_cols)), np.cumsum(np.where(finite, X, 0.0), axis=0)])
        ccount = np.vstack([np.zeros(len(input_cols)), np.cumsum(finite, axis=0)])
        rows = np.asarray(rows)
        lo = np.searchsorted(centre, segs.loc[rows, "t_start"].to_numpy(), side="left")
        hi = np.searchsorted(centre, segs.loc[rows, "t_end"].to_numpy(), side="left")
        n = ccount[hi] - ccount[lo]
        with np.errstate(invalid="ignore", divide="ignore"):
            out[rows] = np.where(n > 0, (csum[hi] - csum[lo]) / np.maximum(n, 1), np.nan)
    return out


def targets(frames: pd.DataFrame, segs: pd.DataFrame, dims: list[str], shifts: dict[str, float]) -> pd.DataFrame:
    """Per-dimension right-shifted segment targets; ``label_valid`` when every dimension has a labelled frame."""
    out = pd.DataFrame(index=segs.index)
    valid = np.ones(len(segs), dtype=bool)
    for dim in dims:
        t = segmenting.segment_targets(segs, frames, [dim], float(shifts[dim]))
        out[dim] = t[dim].to_numpy(dtype=np.float64)
        valid &= t["target_valid"].to_numpy(dtype=bool)
    out["label_valid"] = valid
    return out


def segment_table(frames: pd.DataFrame, segs: pd.DataFrame, input_cols: list[str], dims: list[str],
                  shifts: dict[str, float] | float = 0.0, keep: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per segment: pooled inputs, shifted-window mean targets, ``label_valid``.

    ``keep`` names frame columns that are constant within a session (speaker, partition) to carry over.
    """
    segs = check_segments(segs)
    if not isinstance(shifts, dict):
        shifts = {d: float(shifts) for d in dims}
    const = frames.groupby(frames["session"].astype(str), sort=False)[list(keep)].first() if keep else None
    table = segs.copy()
    for c in keep:
        table[c] = table["session"].map(const[c]).to_numpy()
    table = pd.concat([table, targets(frames, segs, dims, shifts)], axis=1)
    return pd.concat([table, pd.DataFrame(pooled_inputs(frames, segs, input_cols), columns=input_cols, index=table.index)], axis=1)
