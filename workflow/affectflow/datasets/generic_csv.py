"""A user-written manifest CSV (bring your own corpus).

Required columns: session, speaker, and at least one of video / audio / transcript.
Optional: partition, labels (AVEC-layout CSV), label_kind, emotion, group (conversation, dyad,
recording: the unit of the late fusion's disjoint splits; default the speaker), clip-level
continuous labels in columns named after the dimensions (``arousal``, ``valence``, ``dominance``:
``label_kind`` clip, each clip's value on all its grid frames), and any extra column (kept). All
columns are read as text (session ids ``00``–``09`` stay as written). Relative paths are resolved
against the CSV's folder. A session without media gets its time grid from its label file.

A row with a ``video`` and no ``audio`` takes its audio from the video's own audio track (the same
file need not be listed twice). A video without an audio stream is not used as audio: the row keeps
``audio`` empty and says why in the ``audio_note`` column, which ``affectflow check`` and the
workflow quote when an extractor needs that session's audio.

Option ``speakers``: a speaker table (CSV with a ``speaker`` column, e.g. with gender or age).
A manifest speaker missing from it is an unknown speaker id — usually a typo that would split
one person into two and leak them across a speaker-disjoint split — and an error naming them.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..core import media
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


def audio_from_video(table: pd.DataFrame) -> None:
    """Fill an empty ``audio`` with the row's ``video`` when that file has an audio stream (headers
    only); otherwise note in ``audio_note`` why the session has no audio."""
    if "video" not in table.columns:
        return
    if "audio" not in table.columns:
        table["audio"] = ""
    notes = [""] * len(table)  # recomputed from the files every time: a stale note never survives an edit
    for i, (video, audio) in enumerate(zip(table["video"], table["audio"])):
        if audio or not video or not Path(video).exists():
            continue  # a missing video is reported as missing, by check_files and affectflow check
        try:
            has_audio = media.probe(video).has_audio
        except media.MediaError as exc:
            notes[i] = f"no audio file, and the video could not be probed for an audio track ({exc})"
            continue
        if has_audio:
            table.iloc[i, table.columns.get_loc("audio")] = video
        else:
            notes[i] = f"no audio file, and the video {video} has no audio stream"
    table["audio_note"] = notes


def manifest(name: str, options: dict) -> Manifest:
    path = options.get("path")
    if not path:
        raise DatasetError(f"dataset '{name}': the csv adapter needs options.path (the manifest CSV)")
    path = Path(path)  # relative: to the working directory, kept relative so that a run folder can move with its corpus
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
    audio_from_video(table)
    if options.get("speakers"):
        known = read_speaker_table(name, options["speakers"])
        unknown = sorted(set(table["speaker"]) - known)
        if unknown:
            raise DatasetError(f"dataset '{name}': speaker id(s) {unknown[:5]} in {path} are not in the speaker table "
                               f"{options['speakers']} (unknown speaker id)")
    if "label_kind" not in table.columns:
        table["label_kind"] = [infer_label_kind(r) for r in table.to_dict(orient="records")]
    return Manifest(name, table)
