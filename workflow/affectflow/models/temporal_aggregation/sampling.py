"""Asynchronous audio-visual windows for temporal aggregation (birhala-…, Sec. II).

A clip of duration D is split into N equal segments ``[k·D/N, (k+1)·D/N)``. Per segment one
video frame j is drawn uniformly among the segment's frames that have a face (any frame of the
segment when none has one; the draw is then flagged ``face_found=False``), and an audio window
centre c uniformly in ``[t_j − b, t_j + b]``, where ``t_j`` is the frame's own timestamp (j/r_v
for a constant-rate video). The audio window is ``[c − d/2, c + d/2]``: samples
``⌊r_a(c − d/2)⌋ … ⌊r_a(c − d/2)⌋ + round(r_a·d) − 1``.

Clip edges: the window is **zero-padded**, never shifted or shortened. A window that passes the
start or end of the clip keeps its length d and its centre c (so the audio-visual offset the
draw made stays as drawn); the samples outside the clip are silence (0), which the log-power
spectrogram floors at ``floor_db``. Every window therefore lies in the padded clip
``[−d/2 − b, D + d/2 + b]``.

Frames come from the face-detection cache (``affectflow.face.cache``): its rows are the sampled
frames with their timestamps and ``face_found`` flags, its crops the aligned 224×224 faces. The
spectrogram is the audio branch's log-power STFT, resized to ``shape`` (default 192×120,
frequency × time).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...extractors.spectrogram import log_power_spectrogram, resize_spectrogram

DEFAULTS = {"segments": 10, "offset_s": 0.01, "window_s": 1.28, "shape": [192, 120], "n_fft": 1024, "win_s": 0.02,
            "hop_s": 0.01, "floor_db": -100.0}


class SamplingError(ValueError):
    """A clip that cannot be sampled as asked (e.g. a segment without frames); the message names the clip."""


@dataclass(frozen=True)
class SegmentDraw:
    segment: int
    seg_start: float
    seg_end: float
    row: int            # row of the face cache (and of its crops)
    frame_time: float   # t_j, the frame's timestamp (s)
    centre: float       # c, the audio window centre (s)
    win_start: float    # c − d/2
    win_end: float      # c + d/2
    face_found: bool


def segment_edges(duration: float, n_segments: int) -> np.ndarray:
    if n_segments < 1:
        raise ValueError(f"the number of segments must be at least 1, got {n_segments}")
    if not duration > 0:
        raise ValueError(f"clip duration must be positive, got {duration}")
    return np.linspace(0.0, float(duration), n_segments + 1)


def draw_segments(frame_times: np.ndarray, face_found: np.ndarray, duration: float, n_segments: int,
                  offset_s: float, window_s: float, rng: np.random.Generator, clip: str = "") -> list[SegmentDraw]:
    """One (frame, audio window) draw per segment; see the module docstring."""
    times = np.asarray(frame_times, dtype=np.float64)
    found = np.asarray(face_found, dtype=bool)
    edges = segment_edges(duration, n_segments)
    draws = []
    for k in range(n_segments):
        last = k == n_segments - 1
        in_seg = (times >= edges[k]) & ((times <= edges[k + 1]) if last else (times < edges[k + 1]))
        if not in_seg.any():
            raise SamplingError(f"clip {clip or '?'}: segment {k} [{edges[k]:.3f}, {edges[k + 1]:.3f}) s holds no sampled frame "
                                f"({len(times)} frames over {duration:.3f} s for {n_segments} segments; sample more frames or use fewer segments)")
        candidates = np.flatnonzero(in_seg & found)
        has_face = len(candidates) > 0
        if not has_face:
            candidates = np.flatnonzero(in_seg)
        row = int(rng.choice(candidates))
        centre = float(times[row] + rng.uniform(-offset_s, offset_s))
        draws.append(SegmentDraw(k, float(edges[k]), float(edges[k + 1]), row, float(times[row]), centre,
                                 centre - window_s / 2, centre + window_s / 2, has_face))
    return draws


def audio_window(audio: np.ndarray, sr: int, centre: float, window_s: float) -> np.ndarray:
    """``round(sr·window_s)`` samples starting at ``⌊sr(c − d/2)⌋``, zero where outside the clip."""
    n = int(round(sr * window_s))
    start = int(np.floor(sr * (centre - window_s / 2)))
    out = np.zeros(n, dtype=np.float32)
    lo, hi = max(start, 0), min(start + n, len(audio))
    if hi > lo:
        out[lo - start:hi - start] = audio[lo:hi]
    return out


def window_spectrogram(audio: np.ndarray, sr: int, centre: float, params: dict) -> np.ndarray:
    """The resized log-power spectrogram ``shape`` (freq × time) of the window centred at ``centre``."""
    p = {**DEFAULTS, **params}
    spec = log_power_spectrogram(audio_window(audio, sr, centre, float(p["window_s"])), sr, int(p["n_fft"]),
                                 float(p["win_s"]), float(p["hop_s"]), float(p["floor_db"]))
    return resize_spectrogram(spec, p["shape"])


def sample_clip(crops: np.ndarray, frame_times: np.ndarray, face_found: np.ndarray, audio: np.ndarray, sr: int,
                duration: float, params: dict, rng: np.random.Generator, clip: str = "") -> tuple[np.ndarray, np.ndarray, list[SegmentDraw]]:
    """Face crops ``(N, size, size, 3)`` uint8, spectrograms ``(N, F, T)`` float32 and the draws."""
    p = {**DEFAULTS, **params}
    draws = draw_segments(frame_times, face_found, duration, int(p["segments"]), float(p["offset_s"]), float(p["window_s"]), rng, clip)
    faces = np.stack([crops[d.row] for d in draws])
    specs = np.stack([window_spectrogram(audio, sr, d.centre, p) for d in draws])
    return faces, specs, draws
