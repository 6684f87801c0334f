"""Voice activity: silero-vad's ONNX model (shipped inside the ``silero-vad`` package) → speech regions.

The model runs through onnxruntime on 16 kHz (or 8 kHz) mono audio; audio is decoded with
``affectflow.core.media`` (PyAV), never with silero's ``read_audio`` (which needs torchaudio). The
hysteresis, minimum durations and padding are silero's own ``get_speech_timestamps``.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

VAD_SAMPLE_RATES = (8000, 16000)
DEFAULTS = {"threshold": 0.5, "min_speech_s": 0.25, "min_silence_s": 0.1, "pad_s": 0.03}


def model_path() -> Path:
    return Path(str(resources.files("silero_vad") / "data" / "silero_vad.onnx"))


@lru_cache(maxsize=1)
def _model():
    from silero_vad import load_silero_vad

    return load_silero_vad(onnx=True)


def speech_regions(audio: np.ndarray, sample_rate: int = 16000, threshold: float = DEFAULTS["threshold"],
                   min_speech_s: float = DEFAULTS["min_speech_s"], min_silence_s: float = DEFAULTS["min_silence_s"],
                   pad_s: float = DEFAULTS["pad_s"]) -> pd.DataFrame:
    """Speech regions of a mono signal as a DataFrame ``t_start``, ``t_end`` (seconds, sorted)."""
    import torch
    from silero_vad import get_speech_timestamps

    if sample_rate not in VAD_SAMPLE_RATES:
        raise ValueError(f"silero-vad needs 8 or 16 kHz audio, got {sample_rate} Hz (decode with media.load_audio(sample_rate=16000))")
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim != 1:
        raise ValueError(f"speech_regions needs mono audio, got shape {audio.shape}")
    model = _model()
    model.reset_states()
    stamps = get_speech_timestamps(
        torch.from_numpy(audio), model, threshold=threshold, sampling_rate=sample_rate,
        min_speech_duration_ms=int(round(min_speech_s * 1000)), min_silence_duration_ms=int(round(min_silence_s * 1000)),
        speech_pad_ms=int(round(pad_s * 1000)), return_seconds=False,
    )
    t0 = np.array([s["start"] for s in stamps], dtype=np.float64) / sample_rate
    t1 = np.array([s["end"] for s in stamps], dtype=np.float64) / sample_rate
    return pd.DataFrame({"t_start": t0, "t_end": t1})


def speech_fraction(regions: pd.DataFrame, t_start: np.ndarray, t_end: np.ndarray) -> np.ndarray:
    """Fraction of each span ``[t_start, t_end)`` covered by the (non-overlapping) speech regions."""
    t_start, t_end = np.asarray(t_start, dtype=np.float64), np.asarray(t_end, dtype=np.float64)
    covered = np.zeros(len(t_start))
    for r0, r1 in zip(regions["t_start"].to_numpy(), regions["t_end"].to_numpy()):
        covered += np.clip(np.minimum(t_end, r1) - np.maximum(t_start, r0), 0.0, None)
    length = t_end - t_start
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(length > 0, covered / np.where(length > 0, length, 1.0), 0.0)


def speech_flags(audio: np.ndarray, sample_rate: int, t_start: np.ndarray, t_end: np.ndarray,
                 min_fraction: float = 0.5) -> np.ndarray:
    """``speech`` column for time-indexed rows: True where speech covers at least ``min_fraction`` of the row."""
    audio16 = audio if sample_rate in VAD_SAMPLE_RATES else _resample(audio, sample_rate, 16000)
    sr = sample_rate if sample_rate in VAD_SAMPLE_RATES else 16000
    return speech_fraction(speech_regions(audio16, sr), t_start, t_end) >= min_fraction


def _resample(audio: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    from scipy.signal import resample_poly

    g = np.gcd(sr_in, sr_out)
    return resample_poly(audio, sr_out // g, sr_in // g).astype(np.float32)
