"""One fusion job: join a combination's modalities, build frames or segments, train every model."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from .. import join
from . import inputs, segments, training

log = logging.getLogger(__name__)


def unit_table(table: pd.DataFrame, cols: list[str], dims: list[str], unit: dict) -> pd.DataFrame:
    """Frames (optionally every ``frame_step``-th) or segments (rolling windows or a segments file)."""
    kind = unit.get("kind", "frames")
    if kind == "frames":
        step = int(unit.get("frame_step", 1))
        return table[table.groupby("session", sort=False).cumcount() % step == 0] if step > 1 else table
    if kind == "rolling":
        segs = segments.rolling_windows(table, float(unit["length_s"]), float(unit.get("hop_s", unit["length_s"])))
    elif kind == "table":
        path = Path(unit["path"])
        if not path.exists():
            raise segments.SegmentError(f"{path}: segments table not found")
        segs = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
        segs = segments.check_segments(segs, str(path))
        segs = segs[segs["session"].isin(set(table["session"].astype(str)))]
    else:
        raise ValueError(f"unknown fusion unit kind {kind!r} (frames, rolling, table)")
    return segments.segment_table(table, segs, cols, dims, float(unit.get("label_shift_s", 0.0)), keep=("speaker", "partition"))


def targets_from_emotion(table: pd.DataFrame, mapping: dict[str, dict[str, float]], dims: list[str]) -> pd.DataFrame:
    """Clip-level dimensional targets of a categorical corpus from a category → {dim: value} mapping.

    For corpora (EmoDB, CREMA-D) whose only label is the acted category; the values are the
    config's, not ratings. Clips whose category is not mapped keep ``label_valid = false``.
    """
    if "emotion" not in table.columns:
        raise ValueError("emotion_targets needs categorical labels (an 'emotion' column); this dataset has continuous labels")
    out = table.copy()
    for d in dims:
        out[d] = out["emotion"].map(lambda e: mapping.get(e, {}).get(d, np.nan)).astype(np.float64)
    out["label_valid"] = out["label_valid"].astype(bool) & out[dims].notna().all(axis=1)
    return out


def combination_table(dataset: str, manifest: pd.DataFrame, modalities: dict[str, list[dict]], dims: list[str],
                      unit: dict, context_frames: int = 0, standardise: str | None = None,
                      roots: inputs.Roots = inputs.Roots(), emotion_targets: dict | None = None) -> tuple[pd.DataFrame, list[str]]:
    """The joined table of one modality combination and its input columns."""
    table, cols = inputs.fusion_frames(dataset, manifest["session"].tolist(), modalities, roots, context_frames)
    if emotion_targets:
        table = targets_from_emotion(table, emotion_targets, dims)
    table = table.merge(manifest[["session", "speaker", "partition"]], on="session", how="left")
    table = join.standardise(table, cols, standardise if standardise not in (None, "none") else None)
    table = unit_table(table, cols, dims, unit).reset_index(drop=True)
    cols = [c for c in cols if table[c].notna().any()]
    log.info("%s: %d rows, %d sessions, %d input columns", "+".join(modalities), len(table), table["session"].nunique(), len(cols))
    return table, cols


def run_combination(dataset: str, manifest: pd.DataFrame, fusion: dict, combination: list[str], dims: list[str],
                    variance: str = "population", seed: int = 0, n_jobs: int = 1, roots: inputs.Roots = inputs.Roots()):
    modalities = {m: fusion["modalities"][m] for m in combination}
    table, cols = combination_table(dataset, manifest, modalities, dims, fusion.get("unit", {"kind": "frames"}),
                                    int(fusion.get("context_frames", 0)), fusion.get("standardise"), roots,
                                    fusion.get("emotion_targets"))
    tuner = training.Tuner(trials=int(fusion.get("trials", 20)), folds=int(fusion.get("folds", 5)), seed=seed,
                           variance=variance, ff=fusion.get("ff", {}), n_jobs=n_jobs)
    np.random.seed(seed)
    return training.run(table, cols, dims, list(fusion["models"]), tuner)
