"""One fusion job: join a combination's modalities, build frames or segments, train every model."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from ...core import join, store
from . import inputs, label_shift, segment_tables, training

log = logging.getLogger(__name__)

# the schema's defaults (config.schema.yaml, $defs/fusion), for code that runs a fusion dict without it;
# chosen so that ~40k frames, 9 inputs and every model kind take minutes on 2 cores (benchmarks/late_fusion_cost.py)
DEFAULTS = {"trials": 5, "folds": 5, "inner_folds": 3, "max_fit_rows": 1500}


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
        # session ids are text: "00"-"09" must not become the integers 0-9 (and match no session)
        segs = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, dtype={"session": str}, keep_default_na=False)
        segs = segment_tables.check_segments(segs, str(path))
        known = segs["session"].isin(sessions)
        if not known.any():
            raise segment_tables.SegmentError(f"{path}: none of its {segs['session'].nunique()} session(s) is in the manifest "
                                              f"(e.g. {sorted(segs['session'].unique())[:3]} vs {sessions[:3]})")
        if (~known).any():
            log.warning("%s: %d segment(s) of %d session(s) not in the manifest are left out: %s", path, int((~known).sum()),
                        segs.loc[~known, "session"].nunique(), sorted(segs.loc[~known, "session"].unique())[:10])
        return segs[known].reset_index(drop=True)
    raise ValueError(f"unknown fusion unit kind {kind!r} (frames, rolling, segmenter, table)")


def apply_shift(table: pd.DataFrame, segs: pd.DataFrame, out: pd.DataFrame, dims: list[str], record: dict) -> list[dict] | None:
    """Set ``out``'s targets from a shift record of :func:`label_shift.choose`.

    Returns the outer folds for :func:`training.run` in nested mode (held-out groups and the
    targets that fold's shift gives every row), else ``None``. A row's own target columns are those
    of the fold that holds it out, so every combination is scored against the same targets.
    """
    if record["mode"] == "official":
        chosen = segment_tables.targets(table, segs, dims, record["chosen_s"])
        for c in [*dims, "label_valid"]:
            out[c] = chosen[c].to_numpy()
        return None
    groups = training.groups_of(out)
    outer, seen = [], np.zeros(len(out), dtype=bool)
    for fold in record["folds"]:
        y = segment_tables.targets(table, segs, dims, fold["chosen_s"])
        held = np.isin(groups, fold["held_out"])
        for c in [*dims, "label_valid"]:
            out.loc[held, c] = y.loc[held, c].to_numpy()
        seen |= held
        outer.append({"held_out": list(fold["held_out"]), "targets": y.reset_index(drop=True)})
    if not seen.all():
        missing = sorted(set(groups[~seen]))[:5]
        raise ValueError(f"label shift record: group(s) {missing} are in no outer fold (the shift was chosen on another manifest; re-run the shift job)")
    return outer


def unit_table(table: pd.DataFrame, cols: list[str], dims: list[str], unit: dict, dataset: str = "",
               roots: inputs.Roots = inputs.Roots(), folds: int = 5, variance: str = "population",
               shift_record: dict | None = None) -> tuple[pd.DataFrame, dict]:
    """Frames (optionally every ``frame_step``-th) or segments with their label shift; and what was chosen.

    A list of candidate shifts uses ``shift_record`` (the fusion's shared choice, from all
    modalities); without one the choice is made here on this table's inputs, training rows only.
    The returned dict may hold ``outer`` (nested-CV folds with per-fold targets for :func:`training.run`).
    """
    if unit.get("kind", "frames") == "frames":
        step = int(unit.get("frame_step", 1))
        return (table[table.groupby("session", sort=False).cumcount() % step == 0] if step > 1 else table), {}
    segs = load_segments(unit, table, dataset, roots)
    shift = unit.get("label_shift_s", 0.0)
    fixed = not isinstance(shift, list)
    # inputs are pooled once; only the targets depend on the shift
    keep = ("speaker", "partition", *(["group"] if "group" in table.columns else []))
    out = segment_tables.segment_table(table, segs, cols, dims, float(shift) if fixed else 0.0, keep=keep)
    if fixed:
        return out, {"label_shift": {"mode": "fixed", "chosen_s": {d: float(shift) for d in dims}}}
    if shift_record is None:
        shift_record = label_shift.choose(table, segs, out[cols].to_numpy(dtype=np.float64), dims, shift,
                                          out["partition"].fillna("").astype(str).to_numpy(), training.groups_of(out), folds, variance)
    log.info("label shift: %s", shift_record.get("chosen_s") or [f["chosen_s"] for f in shift_record["folds"]])
    outer = apply_shift(table, segs, out, dims, shift_record)
    return out, {"label_shift": shift_record, **({"outer": outer} if outer is not None else {})}


def shift_record(dataset: str, manifest: pd.DataFrame, fusion: dict, dims: list[str], variance: str = "population",
                 roots: inputs.Roots = inputs.Roots()) -> dict:
    """The fusion's label shift, chosen once on the inputs of all its modalities (training rows only)."""
    unit = fusion.get("unit", {"kind": "frames"})
    candidates = unit.get("label_shift_s", 0.0)
    if not isinstance(candidates, list):
        raise ValueError("shift_record: the unit has no list of candidate label shifts")
    table, cols = joined_inputs(dataset, manifest, fusion["modalities"], dims, int(fusion.get("context_frames", 0)),
                                fusion.get("standardise"), roots, fusion.get("emotion_targets"))
    segs = load_segments(unit, table, dataset, roots)
    keep = ("speaker", "partition", *(["group"] if "group" in table.columns else []))
    out = segment_tables.segment_table(table, segs, cols, dims, 0.0, keep=keep)
    record = label_shift.choose(table, segs, out[cols].to_numpy(dtype=np.float64), dims, candidates,
                                out["partition"].fillna("").astype(str).to_numpy(), training.groups_of(out), int(fusion.get("folds", 5)), variance)
    record["chosen_on"] = f"ridge on the inputs of all modalities ({'+'.join(fusion['modalities'])})"
    return record


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


def joined_inputs(dataset: str, manifest: pd.DataFrame, modalities: dict[str, list[dict]], dims: list[str],
                  context_frames: int = 0, standardise: str | None = None, roots: inputs.Roots = inputs.Roots(),
                  emotion_targets: dict | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Frames of the manifest's sessions with their labels, the modalities' inputs, speaker, partition and group."""
    table, cols = inputs.fusion_frames(dataset, manifest["session"].astype(str).tolist(), modalities, roots, context_frames)
    if emotion_targets:
        table = targets_from_emotion(table, emotion_targets, dims)
    meta = manifest[["session", "speaker", "partition", *(["group"] if "group" in manifest.columns else [])]].astype(str)
    if "group" in meta.columns:
        meta["group"] = meta["group"].where(meta["group"].str.len() > 0, meta["speaker"])
    table = table.merge(meta, on="session", how="left")
    table = join.standardise(table, cols, standardise if standardise not in (None, "none") else None)
    return table, cols


def combination_table(dataset: str, manifest: pd.DataFrame, modalities: dict[str, list[dict]], dims: list[str],
                      unit: dict, context_frames: int = 0, standardise: str | None = None,
                      roots: inputs.Roots = inputs.Roots(), emotion_targets: dict | None = None, folds: int = 5,
                      variance: str = "population", shift: dict | None = None) -> tuple[pd.DataFrame, list[str], dict]:
    """The joined table of one modality combination, its input columns and the unit's choices (label shift)."""
    table, cols = joined_inputs(dataset, manifest, modalities, dims, context_frames, standardise, roots, emotion_targets)
    by = standardise if standardise not in (None, "none") else None
    fallback = join.single_row_groups(table, by)
    n_frames = len(table)
    table, chosen = unit_table(table, cols, dims, unit, dataset, roots, folds, variance, shift)
    table = table.reset_index(drop=True)
    empty = [c for c in cols if not table[c].notna().any()]
    cols = [c for c in cols if c not in empty]
    sessions = set(manifest["session"].astype(str))
    chosen["counts"] = {"frames": n_frames, "rows": len(table), "input_columns": len(cols) + len(empty), "empty_input_columns": empty,
                        "sessions": len(sessions), "sessions_without_rows": sorted(sessions - set(table["session"].astype(str)))}
    if fallback:
        chosen["standardise_fallback"] = fallback
        chosen["warning_standardise"] = f"{len(fallback)} {by}(s) with a single row standardised with the statistics of all rows: {fallback[:20]}"
    if empty:
        log.warning("%s: %d input column(s) empty on every row (left out): %s", "+".join(modalities), len(empty), empty[:10])
    log.info("%s: %d rows, %d sessions, %d input columns", "+".join(modalities), len(table), table["session"].nunique(), len(cols))
    return table, cols, chosen


def check_drops(counts: dict, n_unusable: int, max_fraction: float, where: str) -> None:
    """Fail when more than ``max_fraction`` of the rows have no usable target, of the sessions have no row,
    or of the input columns are empty (the counts go to training.json and the Table 1 caption either way)."""
    checks = [("rows without a usable target", n_unusable, counts["rows"]),
              ("sessions without any row", len(counts["sessions_without_rows"]), counts["sessions"]),
              ("input columns empty everywhere", len(counts["empty_input_columns"]), counts["input_columns"])]
    bad = [f"{what}: {n} of {total}" for what, n, total in checks if total and n / total > max_fraction]
    if bad:
        raise ValueError(f"{where}: too much left out (max_dropped_fraction {max_fraction}): {'; '.join(bad)}")


def run_combination(dataset: str, manifest: pd.DataFrame, fusion: dict, combination: list[str], dims: list[str],
                    variance: str = "population", seed: int = 0, n_jobs: int = 1, roots: inputs.Roots = inputs.Roots(),
                    shift: dict | None = None):
    """One Table 1 row's job; ``shift`` is the fusion's shared label-shift record (:func:`shift_record`)."""
    modalities = {m: fusion["modalities"][m] for m in combination}
    folds = int(fusion.get("folds", DEFAULTS["folds"]))
    table, cols, chosen = combination_table(dataset, manifest, modalities, dims, fusion.get("unit", {"kind": "frames"}),
                                            int(fusion.get("context_frames", 0)), fusion.get("standardise"), roots,
                                            fusion.get("emotion_targets"), folds, variance, shift)
    outer = chosen.pop("outer", None)
    n_unusable = int((~(table["label_valid"].to_numpy(dtype=bool) & np.isfinite(table[dims].to_numpy(dtype=np.float64)).all(axis=1))).sum())
    check_drops(chosen["counts"], n_unusable, float(fusion.get("max_dropped_fraction", 0.5)), f"fusion combination {'+'.join(combination)}")
    tuner = training.Tuner(trials=int(fusion.get("trials", DEFAULTS["trials"])), folds=folds, seed=seed,
                           variance=variance, ff=fusion.get("ff", {}), n_jobs=n_jobs,
                           scale_output=bool(fusion.get("scale_output", False)),
                           inner_folds=int(fusion.get("inner_folds", DEFAULTS["inner_folds"])),
                           max_fit_rows=fusion.get("max_fit_rows", DEFAULTS["max_fit_rows"]))
    np.random.seed(seed)
    pred, scores, info = training.run(table, cols, dims, list(fusion["models"]), tuner, outer=outer)
    shifts = chosen.get("label_shift", {})
    if "chosen_s" in shifts:
        scores["label_shift_s"] = scores["dimension"].map(shifts["chosen_s"])
    elif "folds" in shifts:  # one shift per outer fold
        scores["label_shift_s"] = scores["dimension"].map(lambda d: "/".join(f"{f['chosen_s'][d]:g}" for f in shifts["folds"]))
    return pred, scores, {**info, **chosen}
