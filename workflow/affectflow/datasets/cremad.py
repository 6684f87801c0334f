"""CREMA-D: clips named ``{actor}_{sentence}_{EMO}_{level}`` (Cao et al., 2014).

Video (FLV, face + speech), AudioWAV/AudioWAV16k or AudioMP3; one session per clip. The
intended emotion comes from the file name; the official crowd ratings
(``processedResults/summaryTable.csv``) are joined as ``vote_{voice,face,multimodal}`` columns
for use as alternative targets. CREMA-D has no official split: partition stays empty and models
use speaker(actor)-disjoint folds.

``file_list`` (optional; relative paths against ``root``): the official ``SentenceFilenames.csv``
(a ``Filename`` column) or any one-name-per-line list. The manifest then has exactly its clips: a
listed clip with no media on disk gets the official paths (``VideoFlash/{clip}.flv``,
``AudioWAV/{clip}.wav``), which the workflow reports as missing files, and a clip on disk that the
list lacks is an error. Without it, the clips are those found on disk.
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pandas as pd

from .manifest import DatasetError, Manifest

EMOTIONS = {"ANG": "anger", "DIS": "disgust", "FEA": "fear", "HAP": "happiness", "NEU": "neutral", "SAD": "sadness"}
VOTES = {"A": "anger", "D": "disgust", "F": "fear", "H": "happiness", "N": "neutral", "S": "sadness"}
_NAME = re.compile(r"^(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{2})$")
AUDIO_DIRS = ("AudioWAV", "AudioWAV16k", "AudioMP3")


def parse_name(stem: str) -> dict:
    m = _NAME.match(stem)
    if not m or m.group(3) not in EMOTIONS:
        raise DatasetError(f"CREMA-D file name '{stem}' does not follow ACTOR_SENTENCE_EMOTION_LEVEL (e.g. 1001_DFA_ANG_XX)")
    actor, sentence, emo, level = m.groups()
    return {"session": stem, "speaker": actor, "sentence": sentence, "emotion": EMOTIONS[emo], "level": level}


def read_file_list(name: str, path: Path) -> list[str]:
    """Clip names of a file list: a CSV with a ``Filename`` column (SentenceFilenames.csv) or one name per line."""
    if not path.is_file():
        raise DatasetError(f"dataset '{name}': CREMA-D file list not found: {path}")
    lines = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    if lines and "Filename" in lines[0]:
        names = pd.read_csv(path, dtype=str)["Filename"].str.strip().tolist()
    else:
        names = [Path(line).stem for line in lines]
    for stem in names:
        parse_name(stem)  # a name that is no clip is an error naming it
    duplicated = sorted(s for s, n in Counter(names).items() if n > 1)
    if duplicated:
        raise DatasetError(f"dataset '{name}': {path} lists {', '.join(duplicated[:5])} more than once")
    return names


def manifest(name: str, options: dict) -> Manifest:
    root = Path(options.get("root", ""))
    if not root.is_dir():
        raise DatasetError(f"dataset '{name}': CREMA-D root folder not found: {root}")
    clips: dict[str, dict] = {}
    for path in sorted((root / "VideoFlash").glob("*.flv")):
        clips.setdefault(path.stem, {})["video"] = str(path)
    for folder in AUDIO_DIRS:  # first folder found wins: WAV before MP3
        for path in sorted((root / folder).glob("*.*")):
            if path.suffix.lower() in (".wav", ".mp3"):
                clips.setdefault(path.stem, {}).setdefault("audio", str(path))
    if options.get("file_list"):
        listed = read_file_list(name, root / options["file_list"])
        unlisted = sorted(set(clips) - set(listed))
        if unlisted:
            raise DatasetError(f"dataset '{name}': {len(unlisted)} clip(s) under {root} are not in the file list "
                               f"{options['file_list']}: {', '.join(unlisted[:5])}{' …' if len(unlisted) > 5 else ''}")
        # not on disk: the official layout's paths, reported missing by the workflow (never dropped)
        clips = {stem: clips.get(stem) or {"video": str(root / "VideoFlash" / f"{stem}.flv"),
                                           "audio": str(root / "AudioWAV" / f"{stem}.wav")} for stem in listed}
    if not clips:
        raise DatasetError(f"dataset '{name}': no CREMA-D clips under {root} (looked in VideoFlash/, {', '.join(AUDIO_DIRS)})")
    rows = []
    for stem, files in sorted(clips.items()):
        row = parse_name(stem) | {"video": files.get("video", ""), "label_kind": "categorical"}
        # the FLV carries the speech too: use it when no separate audio file exists
        row["audio"] = files.get("audio", files.get("video", ""))
        rows.append(row)
    table = pd.DataFrame(rows)
    ratings = root / "processedResults" / "summaryTable.csv"
    if ratings.exists():
        votes = pd.read_csv(ratings, usecols=["FileName", "VoiceVote", "FaceVote", "MultiModalVote"], dtype=str)
        votes = votes.rename(columns={"FileName": "session", "VoiceVote": "vote_voice", "FaceVote": "vote_face", "MultiModalVote": "vote_multimodal"})
        for col in ("vote_voice", "vote_face", "vote_multimodal"):
            # majority votes can be ties such as "A:N"; keep the raw string, map single letters
            votes[col] = votes[col].map(lambda v: VOTES.get(v, v) if isinstance(v, str) else "")
        table = table.merge(votes, on="session", how="left")
    return Manifest(name, table)
