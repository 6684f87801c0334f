"""Fusion inputs on the label grid: store features, unimodal model predictions, AVEC-layout files.

A *modality* is a named list of input specs, each a one-key mapping plus an optional ``columns``
list that selects columns:

- ``{store: EXTRACTOR}`` — a feature set of the store (``results/features/{dataset}/{extractor}/``);
- ``{predictions: MODEL}`` — a unimodal model's ``{dim}_pred`` columns (``results/predictions/``);
- ``{avec: FOLDER}`` — external per-frame predictions, one ``{session}.csv`` per session in the
  AVEC layout (``name;timestamp;arousal;valence;…``), so other systems' outputs can be fused.

Every input becomes columns ``{modality}/{input}__{column}`` plus a ``{modality}/{input}__present``
mask; frames an input does not cover stay NaN (never zero) with ``present = false``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ...core import join, labels, store

SOURCES = ("store", "predictions", "avec")


class FusionInputError(ValueError):
    """An input that cannot be fused; the message names the file and the problem."""


@dataclass(frozen=True)
class Roots:
    features: str = "results/features"
    labels: str = "results/labels"
    predictions: str = "results/predictions"
    segments: str = "results/segments"


def source_of(spec: dict) -> tuple[str, str]:
    """``(source, value)`` of one input spec, e.g. ``("store", "egemaps_func")``."""
    keys = [k for k in spec if k in SOURCES]
    if len(keys) != 1:
        raise FusionInputError(f"fusion input {spec}: needs exactly one of {SOURCES}")
    return keys[0], str(spec[keys[0]])


def input_label(spec: dict) -> str:
    source, value = source_of(spec)
    return f"{source}-{Path(value).name}" if source == "avec" else f"{source}-{value}"


def input_files(spec: dict, dataset: str, sessions: list[str], roots: Roots = Roots()) -> list[str]:
    """The files one input reads (Snakemake inputs: a changed file re-runs its combinations only)."""
    source, value = source_of(spec)
    if source == "store":
        return [str(store.feature_path(roots.features, dataset, value, s)) for s in sessions]
    if source == "predictions":
        return [str(Path(roots.predictions) / dataset / f"{value}.parquet")]
    return [str(Path(value) / f"{s}.csv") for s in sessions]


def _select(table: pd.DataFrame, columns: list[str] | None, where: str, match: str | None = None) -> list[str]:
    cols = store.feature_columns(table)
    if match:
        cols = [c for c in cols if re.search(match, c)]
    if columns:
        missing = [c for c in columns if c not in cols]
        if missing:
            raise FusionInputError(f"{where}: column(s) {missing} not found (available: {cols})")
        cols = list(columns)
    if not cols:
        raise FusionInputError(f"{where}: no numeric columns to fuse")
    return cols


def _on_frames(frames: pd.DataFrame, table: pd.DataFrame, cols: list[str], prefix: str) -> pd.DataFrame:
    """Rows of ``table`` (same session, grid-aligned t_start) matched to ``frames`` by frame number."""
    hop = float(np.median(frames["t_end"] - frames["t_start"]))
    key = lambda df: np.round(df["t_start"].to_numpy() / hop).astype(np.int64)  # noqa: E731
    right = pd.DataFrame({"session": table["session"].astype(str).to_numpy(), "_frame": key(table)})
    right[cols] = table[cols].to_numpy(dtype=np.float32)
    right = right.drop_duplicates(["session", "_frame"])
    left = pd.DataFrame({"session": frames["session"].astype(str).to_numpy(), "_frame": key(frames)})
    merged = left.merge(right, on=["session", "_frame"], how="left")
    out = pd.DataFrame(merged[cols].to_numpy(dtype=np.float32), columns=[f"{prefix}__{c}" for c in cols], index=frames.index)
    out[f"{prefix}{join.PRESENT}"] = np.isfinite(out.to_numpy()).any(axis=1)
    return out


def read_avec_session(path: Path, frames: pd.DataFrame) -> pd.DataFrame:
    """One session's AVEC-layout prediction file resampled onto that session's grid frames."""
    if not path.exists():
        raise FusionInputError(f"{path}: prediction file not found (expected one {{session}}.csv per session, AVEC layout)")
    try:
        raw = labels.read_avec(path)
    except labels.LabelError as exc:
        raise FusionInputError(str(exc)) from exc
    if raw.shape[1] < 2:
        raise FusionInputError(f"{path}: no prediction columns besides name;timestamp")
    hop = float(np.median(frames["t_end"] - frames["t_start"]))
    duration = float(frames["t_end"].max())
    on_grid = labels.to_grid(raw, str(frames["session"].iloc[0]), duration + hop / 2, hop)
    return on_grid.drop(columns=["label_valid"])


def modality_columns(frames: pd.DataFrame, modality: str, specs: list[dict], dataset: str, roots: Roots = Roots()) -> pd.DataFrame:
    """All inputs of one modality aligned to ``frames`` (labels of one or more sessions, on the grid)."""
    parts = []
    sessions = list(dict.fromkeys(frames["session"].astype(str)))
    for spec in specs:
        source, value = source_of(spec)
        prefix = f"{modality}/{input_label(spec)}"
        columns, match = spec.get("columns"), spec.get("match")
        if source == "store":
            per_session = []
            for s in sessions:
                sub = frames[frames["session"] == s]
                table = store.read(store.feature_path(roots.features, dataset, value, s))
                cols = _select(table, columns, f"{store.feature_path(roots.features, dataset, value, s)}", match)
                per_session.append(join.align_to(sub, table[["session", "t_start", "t_end", *cols]], prefix))
            parts.append(pd.concat(per_session).loc[frames.index])
        elif source == "predictions":
            path = Path(roots.predictions) / dataset / f"{value}.parquet"
            table = store.read(path)
            pred_cols = columns or [c for c in table.columns if c.endswith("_pred")]
            cols = _select(table, pred_cols, str(path), match)
            parts.append(_on_frames(frames, table, cols, prefix))
        else:
            folder = Path(value)
            tables = [read_avec_session(folder / f"{s}.csv", frames[frames["session"] == s]) for s in sessions]
            table = pd.concat(tables, ignore_index=True)
            cols = _select(table, columns, str(folder), match)
            parts.append(_on_frames(frames, table, cols, prefix))
    return pd.concat(parts, axis=1)


def fusion_frames(dataset: str, sessions: list[str], modalities: dict[str, list[dict]], roots: Roots = Roots(),
                  context_frames: int = 0) -> tuple[pd.DataFrame, list[str]]:
    """Labels of ``sessions`` joined with every modality's inputs; returns ``(table, input columns)``.

    ``context_frames = k`` appends each input column of the ±k neighbouring frames (same session;
    NaN past the edges, which the models impute as missing).
    """
    frames = pd.concat([store.read(Path(roots.labels) / dataset / f"{s}.parquet") for s in sessions], ignore_index=True)
    cols = [modality_columns(frames, m, specs, dataset, roots) for m, specs in modalities.items()]
    table = pd.concat([frames, *cols], axis=1)
    inputs = [c for part in cols for c in part.columns]
    present = [c for c in inputs if c.endswith(join.PRESENT)]
    table[present] = table[present].astype(np.float32)
    table, stacked = join.stack_context(table, [c for c in inputs if c not in present], context_frames)
    return table, [*stacked, *present]
