"""A synthetic CLIP corpus cut from demo sessions: short clips with video, audio and words.

``generate_session`` plans no utterance in a session shorter than ~3.5 s, so clips of 2-3 s are cut
from longer synthetic sessions instead: each source session (one per demo speaker and index, the
demo's own generator) is rendered once in memory, then cut into consecutive clips, each written as
``{clip}.mp4`` (H.264 + AAC, as the demo) and ``{clip}.words.json`` with the words that lie wholly
inside the clip, their times shifted to the clip's start. Used by ``benchmarks/clip_corpus.py``.
"""
from __future__ import annotations

import json
import pathlib

import numpy as np

from .media import write_mp4
from .synth import render_session

FPS, SAMPLE_RATE, HOP_S = 25, 16000, 0.1


def write_clips(out_dir, n: int, seed: int = 0, min_s: float = 2.0, max_s: float = 3.0,
                source_s: float = 60.0, image_size: int = 128) -> list[dict]:
    """Write ``n`` clips of ``min_s``-``max_s`` s under ``out_dir``; returns manifest rows
    (session, speaker, partition, video, audio, transcript, duration_s), paths relative to ``out_dir``."""
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    lengths = np.random.default_rng(seed).uniform(min_s, max_s, n)
    rows, source = [], 0
    while len(rows) < n:
        r = render_session(source, seed, source_s, FPS, SAMPLE_RATE, HOP_S, image_size)
        video, audio, spk = list(r.video), r.audio, r.speaker
        words = [(w.text, w.start_ms / 1000.0, w.end_ms / 1000.0) for u in r.utterances for w in u.words]
        start = 0.0
        while len(rows) < n and start + lengths[len(rows)] <= source_s:
            length = lengths[len(rows)]
            name = f"c{len(rows):05d}"
            f0, f1 = int(round(start * FPS)), int(round((start + length) * FPS))
            s0, s1 = int(round(start * SAMPLE_RATE)), int(round((start + length) * SAMPLE_RATE))
            write_mp4(out / f"{name}.mp4", video[f0:f1], f1 - f0, FPS, image_size, audio[s0:s1], SAMPLE_RATE)
            inside = [{"word": w, "start": round(a - start, 3), "end": round(b - start, 3)}
                      for w, a, b in words if a >= start and b <= start + length]
            (out / f"{name}.words.json").write_text(json.dumps({"session": name, "language": "en", "words": inside}) + "\n")
            rows.append({"session": name, "speaker": spk.name,
                         "partition": "train", "video": f"{name}.mp4", "audio": f"{name}.mp4",
                         "transcript": f"{name}.words.json", "duration_s": f"{(f1 - f0) / FPS:.2f}"})
            start += length
        source += 1
    return rows
