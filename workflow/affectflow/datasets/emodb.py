"""Berlin EmoDB: ``wav/SSTTTEV.wav`` (speaker, text, emotion letter, version).

Emotion letters are German: W Ärger (anger), L Langeweile (boredom), E Ekel (disgust),
A Angst (fear), F Freude (happiness), T Trauer (sadness), N neutral. No official split:
leave-one-speaker-out folds.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from .manifest import DatasetError, Manifest

EMOTIONS = {"W": "anger", "L": "boredom", "E": "disgust", "A": "fear", "F": "happiness", "T": "sadness", "N": "neutral"}
_NAME = re.compile(r"^(\d{2})([a-b]\d{2})([WLEAFTN])([a-z])$")


def manifest(name: str, options: dict) -> Manifest:
    root = Path(options.get("root", ""))
    wav_dir = root / "wav"
    if not wav_dir.is_dir():
        raise DatasetError(f"dataset '{name}': EmoDB wav folder not found: {wav_dir}")
    rows = []
    for path in sorted(wav_dir.glob("*.wav")):
        m = _NAME.match(path.stem)
        if not m:
            raise DatasetError(f"dataset '{name}': {path} does not follow the EmoDB name convention SSTTTEV (e.g. 03a01Fa.wav)")
        speaker, text, emo, _version = m.groups()
        rows.append({"session": path.stem, "speaker": speaker, "text_id": text, "audio": str(path),
                     "emotion": EMOTIONS[emo], "label_kind": "categorical"})
    if not rows:
        raise DatasetError(f"dataset '{name}': no .wav files in {wav_dir}")
    return Manifest(name, pd.DataFrame(rows))
