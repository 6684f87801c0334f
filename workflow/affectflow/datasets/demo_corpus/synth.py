"""Generate one session of the SYNTHETIC affectflow demo corpus.

Nothing here is a recording of a person.  Each session is produced
deterministically from (seed, index) and assets shipped inside installed
packages (the ``skimage.data.astronaut()`` photo); it exists to exercise
every pipeline stage on real media formats and to carry PLANTED signals that
end-to-end tests can recover:

* labels (``{session}.labels.csv``, AVEC layout): smooth random arousal and
  valence trajectories in [-1, 1], drawn independently and decorrelated;
* audio (AAC track of ``{session}.mp4``): formant-synthesised speech whose
  F0 = speaker_f0 * 2**(0.5*arousal), level = -26 + 10*arousal dBFS and
  speaking rate = 3 -> 6.5 syllables/s follow AROUSAL (valence is absent);
* words (``{session}.words.json``): word choice follows VALENCE (positive
  lexicon with p = 0.8*max(0, v), negative with p = 0.8*max(0, -v), else
  neutral words); arousal only shows in their timing;
* face (H.264 track of ``{session}.mp4``): WEAK, noisy cues of both: head
  motion amplitude/speed grows with arousal; the mouth corners rise with
  valence and fall with negative valence.  Fusing modalities should
  therefore beat each modality alone.

Four speakers (speaker = index // 2) differ in voice F0/formants and in the
look of the photo (flip, colour, brightness, zoom).  See ``speakers.py``,
``labels.py``, ``script.py``, ``voice.py``, ``face.py`` and ``media.py``.
"""

from __future__ import annotations

import json
import os
import pathlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from . import rng as _rng
from .face import FaceRig, frames, motion_plan
from .labels import make_labels, write_labels_csv
from .media import write_mp4
from .script import plan_script, transcript
from .speakers import Speaker, speaker_for_index
from .voice import render_voice


def _tmp(path: pathlib.Path) -> pathlib.Path:
    return path.with_name(f"{path.name}.tmp-{os.getpid()}{path.suffix}")


@dataclass
class Rendered:
    """One session in memory: labels, the words' script, the waveform and the face frames (yuv420p, lazily)."""
    speaker: Speaker
    t: np.ndarray
    arousal: np.ndarray
    valence: np.ndarray
    utterances: list
    audio: np.ndarray
    video: Iterator[np.ndarray]
    n_frames: int


def render_session(index: int, seed: int = 0, duration_s: float = 60.0, fps: int = 25, sample_rate: int = 16000,
                   label_hop_s: float = 0.1, image_size: int = 256) -> Rendered:
    """Session ``index``'s content, a pure function of (index, seed, sizes)."""
    spk = speaker_for_index(index)
    t, arousal, valence = make_labels(seed, index, duration_s, label_hop_s)
    utterances = plan_script(_rng.stream(seed, index, "script"), t, arousal, valence, duration_s)
    audio = render_voice(_rng.stream(seed, index, "voice"), utterances, t, arousal, spk,
                         sample_rate, int(round(duration_s * sample_rate)))
    n_frames = int(round(duration_s * fps))
    rig = FaceRig(spk, image_size)
    plan = motion_plan(_rng.stream(seed, index, "face"), rig, t, arousal, valence, n_frames, fps)
    return Rendered(spk, t, arousal, valence, utterances, audio, frames(rig, plan), n_frames)


def generate_session(out_dir, session: str, index: int, seed: int = 0, duration_s: float = 60.0,
                     fps: int = 25, sample_rate: int = 16000, label_hop_s: float = 0.1,
                     image_size: int = 256) -> dict[str, pathlib.Path]:
    """Write ``{session}.mp4``, ``{session}.words.json`` and ``{session}.labels.csv``.

    Returns their paths under the keys "media", "transcript" and "labels".
    The files are a pure function of the arguments (``session`` only names
    them; the content depends on ``seed`` and ``index``): generating twice
    gives byte-identical files (for a given PyAV/FFmpeg/x264 build).
    Sessions shorter than about 3.5 s contain no utterance (silence + face only).
    """
    if duration_s <= 0:
        raise ValueError("duration_s must be positive")
    if fps <= 0 or sample_rate < 8000:
        raise ValueError("fps must be positive and sample_rate >= 8000")
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "media": out / f"{session}.mp4",
        "transcript": out / f"{session}.words.json",
        "labels": out / f"{session}.labels.csv",
    }

    r = render_session(index, seed, duration_s, fps, sample_rate, label_hop_s, image_size)
    tmp = {k: _tmp(p) for k, p in paths.items()}
    try:
        write_mp4(tmp["media"], r.video, r.n_frames, fps, image_size, r.audio, sample_rate)
        tmp["transcript"].write_text(
            json.dumps(transcript(session, r.utterances), indent=1) + "\n", encoding="utf-8")
        write_labels_csv(tmp["labels"], session, r.t, r.arousal, r.valence)
        for k, p in paths.items():
            os.replace(tmp[k], p)
    finally:
        for p in tmp.values():
            if p.exists():
                p.unlink()
    return paths


def main(argv=None) -> None:
    """``python -m affectflow.datasets.demo_corpus.synth OUT_DIR [--n 8] [--seed 0] [--duration 60]``"""
    import argparse

    from .sessions import demo_sessions

    ap = argparse.ArgumentParser(description="Generate the synthetic affectflow demo corpus.")
    ap.add_argument("out_dir")
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--duration", type=float, default=60.0)
    args = ap.parse_args(argv)
    for i, s in enumerate(demo_sessions(args.n)):
        paths = generate_session(args.out_dir, s["session"], i, seed=args.seed,
                                 duration_s=args.duration)
        print(s["session"], s["speaker"], s["partition"], paths["media"])


if __name__ == "__main__":
    main()
