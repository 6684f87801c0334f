"""A user-written manifest CSV (bring your own corpus).

Required columns: session, speaker, and at least one of video / audio / transcript.
Optional: partition, labels (AVEC-layout CSV), label_kind, emotion, group (conversation, dyad,
recording: the unit of the late fusion's disjoint splits; default the speaker), clip-level
continuous labels in columns named after the dimensions (``arousal``, ``valence``, ``dominance``:
``label_kind`` clip, each clip's value on all its grid frames), and any extra column (kept). All
columns are read as text (session ids ``00``–``09`` stay as written). Relative paths are resolved
against the CSV's folder. A session without media gets its time grid from its label file.

Option ``speakers``: a speaker table (CSV with a ``speaker`` column, e.g. with gender or age).
A manifest speaker missing from it is an unknown speaker id — usually a typo that would split
one person into two and leak them across a speaker-disjoint split — and an error naming them.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .manifest import DatasetError, Manifest

PATH_COLUMNS = ("video", "audio", "transcript", "labels")
CLIP_DIMENSIONS = ("arousal", "valence", "dominance")


def read_speaker_table(name: str, path: str) -> set[str]:
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, sep=None, engine="python")
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DatasetError(f"dataset '{name}': speaker table {path} is not a readable CSV ({exc})") from exc
    if "speaker" not in table.columns:
        raise DatasetError(f"dataset '{name}': speaker table {path} has no 'speaker' column (columns: {list(table.columns)})")
    return set(table["speaker"].str.strip())


def infer_label_kind(row: dict) -> str:
    """continuous (a label file), clip (values in the dimension columns), categorical (an emotion) or none."""
    if row.get("labels"):
        return "continuous"
    if any(str(row.get(d, "")).strip() for d in CLIP_DIMENSIONS):
        return "clip"
    return "categorical" if row.get("emotion") else "none"


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
    if options.get("speakers"):
        known = read_speaker_table(name, options["speakers"])
        unknown = sorted(set(table["speaker"]) - known)
        if unknown:
            raise DatasetError(f"dataset '{name}': speaker id(s) {unknown[:5]} in {path} are not in the speaker table "
                               f"{options['speakers']} (unknown speaker id)")
    if "label_kind" not in table.columns:
        table["label_kind"] = [infer_label_kind(r) for r in table.to_dict(orient="records")]
    return Manifest(name, table)
