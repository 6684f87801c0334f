"""One fusion job: join a combination's modalities, build frames or segments, train every model."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from ...core import join, store
from . import inputs, label_shift, segment_tables, training

log = logging.getLogger(__name__)


def load_segments(unit: dict, table: pd.DataFrame, dataset: str, roots: inputs.Roots) -> pd.DataFrame:
    """The segments of a ``rolling``, ``segmenter`` or ``table`` unit for the sessions of ``table``."""
    kind = unit["kind"]
    sessions = list(dict.fromkeys(table["session"].astype(str)))
    if kind == "rolling":
        return segment_tables.rolling_windows(table, float(unit["length_s"]), float(unit.get("hop_s", unit["length_s"])))
    if kind == "segmenter":
        paths = [Path(roots.segments) / dataset / unit["name"] / f"{s}.parquet" for s in sessions]
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise segment_tables.SegmentError(f"{missing[0]}: segments not found (segmenter {unit['name']!r}; {len(missing)} session(s) missing)")
        return segment_tables.check_segments(pd.concat([store.read(p) for p in paths], ignore_index=True), f"segmenter {unit['name']}")
    if kind == "table":
        path = Path(unit["path"])
        if not path.exists():
            raise segment_tables.SegmentError(f"{path}: segments table not found")
        segs = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
        segs = segment_tables.check_segments(segs, str(path))
        return segs[segs["session"].isin(sessions)].reset_index(drop=True)
    raise ValueError(f"unknown fusion unit kind {kind!r} (frames, rolling, segmenter, table)")


def tuning_pool(table: pd.DataFrame) -> np.ndarray:
    """Rows hyper-parameters (and the label shift) may be chosen on: train+devel, or all without official partitions."""
    partition = table["partition"].fillna("").astype(str).to_numpy()
    return np.isin(partition, ["train", "devel"]) if training.official_split(partition) else np.ones(len(table), dtype=bool)


def unit_table(table: pd.DataFrame, cols: list[str], dims: list[str], unit: dict, dataset: str = "",
               roots: inputs.Roots = inputs.Roots(), folds: int = 5, variance: str = "population") -> tuple[pd.DataFrame, dict]:
    """Frames (optionally every ``frame_step``-th) or segments with their (optimised) label shift; and what was chosen."""
    if unit.get("kind", "frames") == "frames":
        step = int(unit.get("frame_step", 1))
        return (table[table.groupby("session", sort=False).cumcount() % step == 0] if step > 1 else table), {}
    segs = load_segments(unit, table, dataset, roots)
    shift = unit.get("label_shift_s", 0.0)
    fixed = not isinstance(shift, list)
    # inputs are pooled once; only the targets depend on the shift
    out = segment_tables.segment_table(table, segs, cols, dims, float(shift) if fixed else 0.0, keep=("speaker", "partition"))
    if fixed:
        return out, {"label_shift": {"chosen_s": {d: float(shift) for d in dims}}}
    found = label_shift.optimise(table, segs, out[cols].to_numpy(dtype=np.float64), dims, shift,
                                 tuning_pool(out), out["speaker"].astype(str).to_numpy(), folds, variance)
    log.info("label shift per dimension: %s (CV CCC per candidate %s: %s)", found["chosen_s"], found["candidates_s"],
             {d: [round(c, 3) for c in v] for d, v in found["cv_ccc"].items()})
    chosen = segment_tables.targets(table, segs, dims, found["chosen_s"])
    for c in [*dims, "label_valid"]:
        out[c] = chosen[c].to_numpy()
    return out, {"label_shift": found}


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
                      roots: inputs.Roots = inputs.Roots(), emotion_targets: dict | None = None, folds: int = 5,
                      variance: str = "population") -> tuple[pd.DataFrame, list[str], dict]:
    """The joined table of one modality combination, its input columns and the unit's choices (label shift)."""
    table, cols = inputs.fusion_frames(dataset, manifest["session"].tolist(), modalities, roots, context_frames)
    if emotion_targets:
        table = targets_from_emotion(table, emotion_targets, dims)
    table = table.merge(manifest[["session", "speaker", "partition"]], on="session", how="left")
    table = join.standardise(table, cols, standardise if standardise not in (None, "none") else None)
    table, chosen = unit_table(table, cols, dims, unit, dataset, roots, folds, variance)
    table = table.reset_index(drop=True)
    cols = [c for c in cols if table[c].notna().any()]
    log.info("%s: %d rows, %d sessions, %d input columns", "+".join(modalities), len(table), table["session"].nunique(), len(cols))
    return table, cols, chosen


def run_combination(dataset: str, manifest: pd.DataFrame, fusion: dict, combination: list[str], dims: list[str],
                    variance: str = "population", seed: int = 0, n_jobs: int = 1, roots: inputs.Roots = inputs.Roots()):
    modalities = {m: fusion["modalities"][m] for m in combination}
    folds = int(fusion.get("folds", 5))
    table, cols, chosen = combination_table(dataset, manifest, modalities, dims, fusion.get("unit", {"kind": "frames"}),
                                            int(fusion.get("context_frames", 0)), fusion.get("standardise"), roots,
                                            fusion.get("emotion_targets"), folds, variance)
    tuner = training.Tuner(trials=int(fusion.get("trials", 20)), folds=folds, seed=seed,
                           variance=variance, ff=fusion.get("ff", {}), n_jobs=n_jobs)
    np.random.seed(seed)
    pred, scores, info = training.run(table, cols, dims, list(fusion["models"]), tuner)
    if "label_shift" in chosen:
        scores["label_shift_s"] = scores["dimension"].map(chosen["label_shift"]["chosen_s"])
    return pred, scores, {**info, **chosen}
