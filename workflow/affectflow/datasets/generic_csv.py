"""A user-written manifest CSV (bring your own corpus).

Required columns: session, speaker, and at least one of video / audio / transcript.
Optional: partition, labels (AVEC-layout CSV), label_kind, emotion, and any extra column
(kept). Relative paths are resolved against the CSV's folder.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .manifest import DatasetError, Manifest

PATH_COLUMNS = ("video", "audio", "transcript", "labels")


def manifest(name: str, options: dict) -> Manifest:
    path = options.get("path")
    if not path:
        raise DatasetError(f"dataset '{name}': the csv adapter needs options.path (the manifest CSV)")
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"dataset '{name}': manifest CSV not found: {path}")
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, sep=None, engine="python")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DatasetError(f"dataset '{name}': {path} is not a readable CSV ({exc})") from exc
    for col in ("session", "speaker"):
        if col not in table.columns:
            raise DatasetError(f"dataset '{name}': {path} has no '{col}' column (columns: {list(table.columns)})")
    for col in PATH_COLUMNS:
        if col in table.columns:
            table[col] = [str((path.parent / p)) if p and not Path(p).is_absolute() else p for p in table[col]]
    if "labels" in table.columns and "label_kind" not in table.columns:
        table["label_kind"] = ["continuous" if p else "none" for p in table["labels"]]
    if "emotion" in table.columns and "label_kind" not in table.columns:
        table["label_kind"] = ["categorical" if e else "none" for e in table["emotion"]]
    return Manifest(name, table)
