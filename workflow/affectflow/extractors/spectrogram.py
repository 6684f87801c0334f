"""Log-power spectrograms as model input (birhala-…: 1.28 s windows resized to 192×120;
waligora-…: 1024-point DFT, 20 ms Hann window, 10 ms hop, 64×107 per clip).

Storage: **arrays inside the Parquet file**, one row per window, column ``spectrogram`` of type
``list<list<float32>>`` — outer list the frequency bins (low to high), inner list the time
frames — so every reader gets the shape without side files and values round-trip exactly.
``spectrogram_array(df)`` stacks the column into an ``(n_windows, n_freq, n_time)`` float32 array
(all rows share the shape when ``resize`` is set or the windows have one length).

Parameters: ``n_fft`` (1024), ``win_s`` (0.02), ``hop_s`` (0.01), ``window_s`` (1.28; null =
one spectrogram per session/clip), ``window_hop_s`` (default: the grid hop), ``resize``
([n_freq, n_time], bilinear; null keeps the STFT shape), ``floor_db`` (−100: power floor).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from scipy.signal import get_window

from ..core.segments import window_spans
from .audio import AudioExtractor, slice_span
from .base import ExtractorError


def log_power_spectrogram(audio: np.ndarray, sr: int, n_fft: int = 1024, win_s: float = 0.02, hop_s: float = 0.01,
                          floor_db: float = -100.0) -> np.ndarray:
    """``(n_fft // 2 + 1, n_frames)`` float32 log power (dB) of frames that lie wholly in ``audio``.

    numpy rather than ``librosa.stft``: the same numbers (``tests/test_spectral_librosa.py``) without
    librosa's numba in every job's environment; frame t starts at sample ``t·hop`` (librosa would centre
    a window shorter than ``n_fft`` inside the frame)."""
    win = int(round(win_s * sr))
    hop = int(round(hop_s * sr))
    if win > n_fft:
        raise ValueError(f"analysis window ({win} samples) longer than the DFT ({n_fft} points)")
    if len(audio) < win:
        return np.zeros((n_fft // 2 + 1, 0), dtype=np.float32)
    frames = sliding_window_view(np.asarray(audio, dtype=np.float64), win)[::hop] * get_window("hann", win, fftbins=True)
    power = np.abs(np.fft.rfft(frames, n=n_fft, axis=1)) ** 2
    return np.maximum(10.0 * np.log10(power + 1e-20), floor_db).T.astype(np.float32)


def resize_spectrogram(spec: np.ndarray, shape) -> np.ndarray:
    """Bilinear resize of a ``(n_freq, n_time)`` spectrogram to ``shape`` (values kept in dB)."""
    from skimage.transform import resize

    return resize(spec, tuple(shape), order=1, mode="edge", anti_aliasing=False, preserve_range=True).astype(np.float32)


def spectrogram_array(df: pd.DataFrame, column: str = "spectrogram") -> np.ndarray:
    """The stored spectrograms as one ``(n_rows, n_freq, n_time)`` float32 array."""
    return np.stack([np.stack(list(rows)).astype(np.float32) for rows in df[column]])


class SpectrogramExtractor(AudioExtractor):
    version = "1"
    packages = ("av", "scipy", "scikit-image", "silero-vad", "onnxruntime")

    def model_id(self) -> str:
        p = self.params
        return f"log-power-stft:nfft={p.get('n_fft', 1024)}:win={p.get('win_s', 0.02)}:hop={p.get('hop_s', 0.01)}"

    def features(self, audio, sr, duration, hop_s, session) -> pd.DataFrame:
        p = self.params
        spans = window_spans(duration, p.get("window_s", 1.28), p.get("window_hop_s") or hop_s)
        shape = p.get("resize")
        specs = []
        for t0, t1 in spans:
            s = log_power_spectrogram(slice_span(audio, sr, t0, t1), sr, int(p.get("n_fft", 1024)), float(p.get("win_s", 0.02)),
                                      float(p.get("hop_s", 0.01)), float(p.get("floor_db", -100.0)))
            if s.shape[1] == 0:
                raise ExtractorError(f"extractor '{self.name}': session {session} window [{t0}, {t1}) is shorter than one analysis window")
            if shape:
                s = resize_spectrogram(s, shape)
            specs.append(list(s))
        return pd.DataFrame({"session": pd.Series([session] * len(spans), dtype=str), "t_start": [a for a, _ in spans],
                             "t_end": [b for _, b in spans], "spectrogram": specs})
