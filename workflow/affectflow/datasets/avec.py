"""AVEC/SEWA/RECOLA-style corpora: one label CSV per session in the AVEC layout
(``name;timestamp;arousal;valence;…``) and one media file per session.

Options: ``labels_dir`` (``{session}.csv`` files), ``media_dir`` (``{session}.{ext}``, any
container FFmpeg reads), optional ``transcripts_dir`` and ``speakers`` (CSV session,speaker).
The partition comes from the session name prefix used by AVEC (``Train_``, ``Devel_``,
``Test_``); without a speakers file each session is its own speaker. With one, every session
must be in it: a session left out would silently become its own speaker and could put one
person in both train and test, so it is an error naming the sessions.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .manifest import DatasetError, Manifest

MEDIA_EXTS = (".mp4", ".avi", ".mov", ".mkv", ".flv", ".webm", ".wav", ".mp3", ".flac")
AUDIO_ONLY = (".wav", ".mp3", ".flac")


def partition_from_name(session: str) -> str:
    head = session.split("_")[0].lower()
    return {"train": "train", "training": "train", "devel": "devel", "dev": "devel", "development": "devel", "test": "test"}.get(head, "")


def read_speakers(name: str, path: str) -> dict[str, str]:
    """The ``session,speaker`` table of a corpus → {session: speaker}."""
    try:
        sp = pd.read_csv(path, dtype=str, keep_default_na=False, sep=None, engine="python")
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DatasetError(f"dataset '{name}': speakers file {path} is not a readable CSV ({exc})") from exc
    missing = [c for c in ("session", "speaker") if c not in sp.columns]
    if missing:
        raise DatasetError(f"dataset '{name}': speakers file {path} lacks column(s) {missing} (columns: {list(sp.columns)})")
    blank = sp.loc[sp["speaker"].str.strip() == "", "session"].tolist()
    if blank:
        raise DatasetError(f"dataset '{name}': speakers file {path} gives no speaker for session(s) {blank[:5]}")
    dup = sp.loc[sp["session"].duplicated(), "session"].unique().tolist()
    if dup:
        raise DatasetError(f"dataset '{name}': speakers file {path} lists session(s) {dup[:5]} more than once")
    return dict(zip(sp["session"], sp["speaker"].str.strip()))


def manifest(name: str, options: dict) -> Manifest:
    labels_dir = Path(options.get("labels_dir", ""))
    media_dir = Path(options.get("media_dir", ""))
    for label, folder in (("labels_dir", labels_dir), ("media_dir", media_dir)):
        if not folder.is_dir():
            raise DatasetError(f"dataset '{name}': {label} not found: {folder}")
    speakers = read_speakers(name, options["speakers"]) if options.get("speakers") else {}
    transcripts = Path(options["transcripts_dir"]) if options.get("transcripts_dir") else None
    rows = []
    for label_file in sorted(labels_dir.glob("*.csv")):
        session = label_file.stem
        media = [p for p in sorted(media_dir.glob(f"{session}.*")) if p.suffix.lower() in MEDIA_EXTS]
        if not media:
            raise DatasetError(f"dataset '{name}': no media file for session '{session}' in {media_dir} (labels: {label_file})")
        m = media[0]
        transcript = ""
        if transcripts is not None:
            found = sorted(transcripts.glob(f"{session}.*"))
            transcript = str(found[0]) if found else ""
        rows.append({"session": session, "speaker": speakers.get(session, session), "partition": partition_from_name(session),
                     "audio": str(m), "video": "" if m.suffix.lower() in AUDIO_ONLY else str(m),
                     "transcript": transcript, "labels": str(label_file), "label_kind": "continuous"})
    if not rows:
        raise DatasetError(f"dataset '{name}': no label CSVs in {labels_dir}")
    unknown = [r["session"] for r in rows if speakers and r["session"] not in speakers]
    if unknown:
        raise DatasetError(f"dataset '{name}': session(s) {unknown[:5]}{' …' if len(unknown) > 5 else ''} "
                           f"have no speaker in {options['speakers']} (unknown speaker id)")
    return Manifest(name, pd.DataFrame(rows))
