"""Continuous arousal/valence ground truth for the demo corpus (AVEC layout).

Each dimension is a smooth random trajectory: the sum of 3-4 sinusoids with
random periods (6-40 s), amplitudes and phases, plus Gaussian-low-pass
filtered noise.  Arousal and valence come from independent random streams;
valence is then orthogonalised against arousal (its sample correlation with
arousal over the session is removed exactly) so that the two planted
channels (arousal -> voice, valence -> words) cannot leak into each other
through the labels.  Both are finally rescaled linearly to [-0.95, 0.95].
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from scipy.ndimage import gaussian_filter1d

from . import rng as _rng

SPAN = 0.95  # trajectories are rescaled to [-SPAN, SPAN]


def label_times(duration_s: float, hop_s: float) -> np.ndarray:
    """Label timestamps: 0, hop, 2*hop, ... covering [0, duration_s)."""
    if duration_s <= 0 or hop_s <= 0:
        raise ValueError("duration_s and hop_s must be positive")
    n = max(1, int(math.ceil(duration_s / hop_s - 1e-9)))
    return np.round(np.arange(n) * hop_s, 3)


def _raw_trajectory(gen: np.random.Generator, t: np.ndarray, hop_s: float) -> np.ndarray:
    k = int(gen.integers(3, 5))
    periods = gen.uniform(6.0, 40.0, k)
    phases = gen.uniform(0.0, 2.0 * np.pi, k)
    amps = gen.uniform(0.5, 1.0, k)
    x = (amps[:, None] * np.sin(2.0 * np.pi * t[None, :] / periods[:, None] + phases[:, None])).sum(0)
    noise = gaussian_filter1d(gen.standard_normal(t.size), sigma=max(1.0, 1.5 / hop_s), mode="reflect")
    x = x / (x.std() + 1e-9)
    noise = noise / (noise.std() + 1e-9)
    return x + 0.35 * noise


def _rescale(x: np.ndarray) -> np.ndarray:
    lo, hi = float(x.min()), float(x.max())
    if hi - lo < 1e-12:
        return np.zeros_like(x)
    return -SPAN + 2.0 * SPAN * (x - lo) / (hi - lo)


def make_labels(seed: int, index: int, duration_s: float, hop_s: float
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(timestamps, arousal, valence), values already rounded as written."""
    t = label_times(duration_s, hop_s)
    a = _raw_trajectory(_rng.stream(seed, index, "arousal"), t, hop_s)
    v = _raw_trajectory(_rng.stream(seed, index, "valence"), t, hop_s)
    ac = a - a.mean()
    vc = v - v.mean()
    denom = float(ac @ ac)
    if denom > 1e-12:
        vc = vc - (float(vc @ ac) / denom) * ac
    arousal = np.round(_rescale(a), 4) + 0.0  # "+ 0.0" turns -0.0 into 0.0
    valence = np.round(_rescale(vc), 4) + 0.0
    return t, arousal, valence


def write_labels_csv(path: Path, session: str, t: np.ndarray,
                     arousal: np.ndarray, valence: np.ndarray) -> None:
    """AVEC-style gold standard: ``name;timestamp;arousal;valence``."""
    lines = ["name;timestamp;arousal;valence"]
    for ti, ai, vi in zip(t, arousal, valence):
        lines.append(f"{session};{ti:.3f};{ai:.4f};{vi:.4f}")
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")


def at(times: np.ndarray | float, t: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Label value at arbitrary times (linear interpolation, held at the ends)."""
    return np.interp(times, t, values)
