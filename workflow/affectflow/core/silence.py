"""The ``speech`` flag of audio rows: does the row's span hold audible sound?

Energy-based on purpose (no model, no weights): a row is flagged ``speech = true`` when any
25 ms block inside its span has an RMS level above ``silence_dbfs`` (dB relative to full
scale). Features of silent rows are still computed — openSMILE measures silence as it is —
but models and analyses can mask them instead of learning from a pause as if it were speech.
"""
from __future__ import annotations

import numpy as np

BLOCK_S = 0.025
DEFAULT_SILENCE_DBFS = -50.0


def block_levels_dbfs(audio: np.ndarray, sample_rate: int, block_s: float = BLOCK_S) -> np.ndarray:
    """RMS level of consecutive blocks of ``block_s`` seconds (the last partial block included)."""
    size = max(1, int(round(block_s * sample_rate)))
    n = int(np.ceil(len(audio) / size))
    padded = np.zeros(n * size, dtype=np.float64)
    padded[: len(audio)] = audio
    blocks = padded.reshape(n, size)
    counts = np.full(n, size, dtype=np.float64)
    if n:
        counts[-1] = len(audio) - (n - 1) * size
    rms = np.sqrt((blocks**2).sum(axis=1) / counts)
    with np.errstate(divide="ignore"):
        return 20 * np.log10(rms)


def speech_flags(audio: np.ndarray, sample_rate: int, t_start: np.ndarray, t_end: np.ndarray,
                 silence_dbfs: float = DEFAULT_SILENCE_DBFS, block_s: float = BLOCK_S) -> np.ndarray:
    """One bool per row ``[t_start, t_end)``: true when a block overlapping the span is louder than ``silence_dbfs``."""
    loud = block_levels_dbfs(audio, sample_rate, block_s) > silence_dbfs
    # cumulative count of loud blocks, so each row is two lookups
    cum = np.concatenate([[0], np.cumsum(loud)])
    first = np.clip(np.floor(np.asarray(t_start, dtype=np.float64) / block_s + 1e-9).astype(np.int64), 0, len(loud))
    last = np.clip(np.ceil(np.asarray(t_end, dtype=np.float64) / block_s - 1e-9).astype(np.int64), 0, len(loud))
    return (cum[np.maximum(last, first)] - cum[first]) > 0
