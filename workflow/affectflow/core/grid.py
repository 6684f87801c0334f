"""The session time grid every time-indexed table is aligned to.

Frame ``i`` of a session covers ``[i·hop, (i+1)·hop)``; only whole frames inside the media
are kept (a trailing partial frame is dropped), so every extractor of a session produces the
same grid for the same duration and hop.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

TIME_DECIMALS = 6  # grid times are rounded so that joins on t_start are exact across extractors


def n_frames(duration_s: float, hop_s: float) -> int:
    if hop_s <= 0:
        raise ValueError(f"grid hop must be positive, got {hop_s}")
    if duration_s < 0:
        raise ValueError(f"duration must be non-negative, got {duration_s}")
    return int(np.floor(duration_s / hop_s + 1e-9))


def frame_times(duration_s: float, hop_s: float) -> tuple[np.ndarray, np.ndarray]:
    """``(t_start, t_end)`` arrays of the grid frames of a session."""
    idx = np.arange(n_frames(duration_s, hop_s), dtype=np.float64)
    return (np.round(idx * hop_s, TIME_DECIMALS), np.round((idx + 1) * hop_s, TIME_DECIMALS))


def grid_frame(session: str, duration_s: float, hop_s: float) -> pd.DataFrame:
    t_start, t_end = frame_times(duration_s, hop_s)
    return pd.DataFrame({"session": session, "t_start": t_start, "t_end": t_end})


def pool_to_grid(times: np.ndarray, values: np.ndarray, duration_s: float, hop_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean of the rows whose time falls in each grid frame.

    Returns ``(pooled, count)``: ``pooled`` is NaN where no row fell in the frame, never zero,
    so downstream code can mask it.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    n = n_frames(duration_s, hop_s)
    frame = np.floor(np.asarray(times, dtype=np.float64) / hop_s + 1e-9).astype(np.int64)
    keep = (frame >= 0) & (frame < n)
    frame, values = frame[keep], values[keep]
    sums = np.zeros((n, values.shape[1]))
    finite = np.isfinite(values)
    np.add.at(sums, frame, np.where(finite, values, 0.0))
    counts = np.zeros((n, values.shape[1]))
    np.add.at(counts, frame, finite.astype(np.float64))
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    rows = np.zeros(n, dtype=np.int64)
    np.add.at(rows, frame, 1)
    return pooled, rows


def align_windows_to_grid(t_start: np.ndarray, t_end: np.ndarray, duration_s: float, hop_s: float) -> np.ndarray:
    """For each grid frame, the index of the window whose centre is nearest the frame centre
    among the windows covering that centre; -1 where no window covers it."""
    g0, g1 = frame_times(duration_s, hop_s)
    centre = (g0 + g1) / 2
    w0, w1 = np.asarray(t_start, dtype=np.float64), np.asarray(t_end, dtype=np.float64)
    wc = (w0 + w1) / 2
    out = np.full(len(centre), -1, dtype=np.int64)
    if len(w0) == 0:
        return out
    for lo in range(0, len(centre), 4096):  # blocks keep memory bounded on hour-long sessions
        c = centre[lo:lo + 4096]
        covers = (w0[None, :] <= c[:, None]) & (c[:, None] < w1[None, :])
        dist = np.where(covers, np.abs(wc[None, :] - c[:, None]), np.inf)
        best = np.argmin(dist, axis=1)
        hit = np.isfinite(dist[np.arange(len(c)), best])
        out[lo:lo + 4096][hit] = best[hit]
    return out
