"""Join labels and any set of feature stores on the session time grid.

Feature tables come in two shapes: grid-indexed (one row per grid frame, e.g. pooled LLDs) and
window-indexed (e.g. functionals over 4 s windows). Both are mapped onto the label grid: a grid
frame takes the window whose span covers its centre (nearest centre if several). Columns are
prefixed ``{extractor}__``; ``{extractor}__present`` says whether the modality had a row for
the frame (masks for fusion models — missing frames stay NaN, never zero).
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from . import grid, store

log = logging.getLogger(__name__)

PRESENT = "__present"


def align_to(frames: pd.DataFrame, table: pd.DataFrame, prefix: str) -> pd.DataFrame:
    """Map one session's feature rows onto ``frames`` (that session's grid rows)."""
    cols = store.feature_columns(table)
    duration = float(frames["t_end"].max()) if len(frames) else 0.0
    hop = float(np.median(frames["t_end"] - frames["t_start"])) if len(frames) else 1.0
    idx = grid.align_windows_to_grid(table["t_start"].to_numpy(), table["t_end"].to_numpy(), duration, hop)
    # grid frames beyond the labelled span are not in `frames`; select by frame number
    frame_no = np.round(frames["t_start"].to_numpy() / hop).astype(int)
    frame_no = np.clip(frame_no, 0, max(len(idx) - 1, 0))
    pick = idx[frame_no] if len(idx) else np.full(len(frames), -1)
    values = table[cols].to_numpy(dtype=np.float32)
    out = np.full((len(frames), len(cols)), np.nan, dtype=np.float32)
    hit = pick >= 0
    out[hit] = values[pick[hit]]
    aligned = pd.DataFrame(out, columns=[f"{prefix}__{c}" for c in cols], index=frames.index)
    aligned[f"{prefix}{PRESENT}"] = hit & np.isfinite(out).any(axis=1) if cols else hit
    return aligned


def frame_table(
    dataset: str,
    sessions: list[str],
    extractors: list[str],
    labels_root: str | Path = "results/labels",
    features_root: str | Path = "results/features",
) -> pd.DataFrame:
    """Labels of the given sessions with every extractor's features aligned on the grid."""
    parts = []
    for s in sessions:
        frames = store.read(Path(labels_root) / dataset / f"{s}.parquet")
        cols = [frames]
        for ex in extractors:
            table = store.read(store.feature_path(features_root, dataset, ex, s))
            cols.append(align_to(frames, table, ex))
        parts.append(pd.concat(cols, axis=1))
    return pd.concat(parts, ignore_index=True)


def stack_context(df: pd.DataFrame, columns: list[str], k: int) -> tuple[pd.DataFrame, list[str]]:
    """Append the features of ±k neighbouring frames (within each session; NaN past the edges)."""
    if k <= 0:
        return df, columns
    extra = {}
    g = df.groupby("session", sort=False)[columns]
    for off in range(-k, k + 1):
        if off == 0:
            continue
        shifted = g.shift(-off)
        for c in columns:
            extra[f"{c}@{off:+d}"] = shifted[c].to_numpy()
    ctx = pd.DataFrame(extra, index=df.index)
    return pd.concat([df, ctx], axis=1), columns + list(ctx.columns)


def standardise(df: pd.DataFrame, columns: list[str], by: str | None) -> pd.DataFrame:
    """z-score ``columns`` within each group of ``by`` (``speaker`` or ``session``).

    Speaker standardisation uses no labels, only the speaker's own features, so it is allowed on
    held-out speakers; it removes speaker offsets (e.g. a higher voice) that a model would
    otherwise mistake for the target. ``by=None`` returns ``df`` unchanged.

    A group with a single row (one clip per speaker) has no spread of its own: its rows use the
    statistics of all rows instead (a warning names the groups), never NaN.
    """
    if not by:
        return df
    cols = [c for c in columns if not c.endswith(PRESENT)]
    g = df.groupby(by, sort=False)[cols]
    mean, std = g.transform("mean"), g.transform("std")
    single = df.groupby(by, sort=False)[by].transform("size").to_numpy() < 2
    if single.any():
        names = sorted(map(str, df.loc[single, by].unique()))
        log.warning("standardise by %s: %d %s(s) with a single row use the statistics of all rows: %s",
                    by, len(names), by, names[:20])
        mean.loc[single] = np.broadcast_to(df[cols].mean().to_numpy(), (int(single.sum()), len(cols)))
        std.loc[single] = np.broadcast_to(df[cols].std().to_numpy(), (int(single.sum()), len(cols)))
    out = df.copy()
    out[cols] = (df[cols] - mean) / std.where(std > 0)
    return out


def single_row_groups(df: pd.DataFrame, by: str | None) -> list[str]:
    """Groups of ``by`` with one row (standardised with the statistics of all rows)."""
    if not by:
        return []
    size = df.groupby(by, sort=False).size()
    return sorted(map(str, size.index[size < 2]))
