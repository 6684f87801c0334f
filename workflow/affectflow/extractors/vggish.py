"""VGGish embeddings (128-d) of 0.96 s log-mel patches (lucas-…), network in plain torch.

The weights come from a file the user provides (``weights``: a torch state dict with the
layout of the widely used PyTorch port, keys ``features.*`` and ``embeddings.*``, e.g. its
``vggish-10086976.pth``); nothing is downloaded. The input follows VGGish's reference
``mel_features`` / ``vggish_input.waveform_to_examples``: 16 kHz, 25 ms periodic-Hann frames every
10 ms over the *whole signal*, 512-point FFT, 64 HTK mel bands 125–7500 Hz, ``log(mel + 0.01)``,
then examples of 96 consecutive frames every 96 frames. Example k therefore holds frames
96k … 96k+95, and its last two frames reach 15 ms into the next 0.96 s (as in the reference).
One deviation: the reference drops a final example with fewer than 96 frames (e.g. the last 0.96 s
of a signal that ends exactly there, whose frames 94–95 would need samples past the end); here it
is kept with its last frame repeated. Tested against the reference ``mel_features.py``
(``tests/vggish_reference_mel_features.py``) and against librosa's STFT and HTK mel bands
(``tests/test_spectral_librosa.py``). The optional PCA/quantisation post-processing of the
release is not applied (raw embeddings, as most papers use them).

Rows: one per 0.96 s window every 0.96 s (the reference's examples).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ..core import store
from ..core.segments import window_spans
from .audio import AudioExtractor, windowed_frame
from .base import ExtractorError

SAMPLE_RATE = 16000
N_MELS, PATCH_FRAMES = 64, 96


def _hz_to_mel(f):
    return 1127.0 * np.log(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


@lru_cache(maxsize=8)  # built once per n_fft, not per 0.96 s window
def mel_matrix(n_fft: int = 512, sr: int = SAMPLE_RATE, n_mels: int = N_MELS, fmin: float = 125.0, fmax: float = 7500.0) -> np.ndarray:
    """``(n_fft//2+1, n_mels)`` triangular HTK-mel weights, as VGGish's ``spectrogram_to_mel_matrix``.

    Not ``librosa.filters.mel(htk=True, norm=None)``: that draws the triangles linearly in Hz, the
    reference (which the released weights saw) linearly in mel; same bands, weights up to 0.0044 apart
    (``tests/test_spectral_librosa.py``)."""
    bins = _hz_to_mel(np.linspace(0.0, sr / 2, n_fft // 2 + 1))
    edges = np.linspace(_hz_to_mel(fmin), _hz_to_mel(fmax), n_mels + 2)
    lower, centre, upper = edges[:-2], edges[1:-1], edges[2:]
    w = np.maximum(0.0, np.minimum((bins[:, None] - lower) / (centre - lower), (upper - bins[:, None]) / (upper - centre)))
    w[0, :] = 0.0  # the DC bin carries no mel weight in the reference
    w.setflags(write=False)  # shared by the cache
    return w


FRAME_WIN, FRAME_HOP, N_FFT = 400, 160, 512  # 25 ms, 10 ms, the next power of two


def log_mel(audio: np.ndarray, chunk_frames: int = 4096) -> np.ndarray:
    """``(n_frames, 64)`` VGGish log-mel frames of 16 kHz audio; frame j covers samples
    ``[160 j, 160 j + 400)`` (only complete frames, as the reference). Computed in chunks of
    frames so that a long session does not hold its whole STFT in memory."""
    x = np.asarray(audio, dtype=np.float64)
    if len(x) < FRAME_WIN:
        return np.zeros((0, N_MELS))
    frames = np.lib.stride_tricks.sliding_window_view(x, FRAME_WIN)[::FRAME_HOP]
    periodic_hann = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(FRAME_WIN) / FRAME_WIN)
    out = np.empty((len(frames), N_MELS))
    for lo in range(0, len(frames), chunk_frames):
        mag = np.abs(np.fft.rfft(frames[lo:lo + chunk_frames] * periodic_hann, n=N_FFT, axis=1))
        out[lo:lo + chunk_frames] = np.log(mag @ mel_matrix(N_FFT) + 0.01)
    return out


def patches(audio: np.ndarray, spans, sr: int = SAMPLE_RATE) -> np.ndarray:
    """``(n_spans, 96, 64)`` patches cut from the log-mel frames of the whole signal: a span
    ``[t0, t1)`` takes the frames that start inside it (96 for 0.96 s), so consecutive 0.96 s
    spans from 0 are exactly the reference's examples. Where the signal ends first, the last
    frame is repeated."""
    m = log_mel(audio)
    out = np.empty((len(spans), PATCH_FRAMES, N_MELS), dtype=np.float32)
    for i, (t0, t1) in enumerate(spans):
        a = -(-int(round(t0 * sr)) // FRAME_HOP)  # first frame starting at or after t0
        b = -(-int(round(t1 * sr)) // FRAME_HOP)
        p = m[a:min(b, a + PATCH_FRAMES)]
        if len(p) == 0:
            raise ValueError(f"window {t0}–{t1} s holds no complete 25 ms frame of the signal")
        out[i] = np.pad(p, ((0, PATCH_FRAMES - len(p)), (0, 0)), mode="edge")
    return out


def build_vggish():
    import torch.nn as nn

    def conv(i, o):
        return [nn.Conv2d(i, o, 3, padding=1), nn.ReLU(inplace=True)]

    pool = [nn.MaxPool2d(2, 2)]

    class VGGish(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(*conv(1, 64), *pool, *conv(64, 128), *pool, *conv(128, 256), *conv(256, 256), *pool,
                                          *conv(256, 512), *conv(512, 512), *pool)
            self.embeddings = nn.Sequential(nn.Linear(512 * 4 * 6, 4096), nn.ReLU(True), nn.Linear(4096, 4096), nn.ReLU(True),
                                            nn.Linear(4096, 128), nn.ReLU(True))

        def forward(self, x):  # x: (batch, 1, 96, 64)
            x = self.features(x)
            # flatten channels-last, as the TensorFlow original, so released weights apply unchanged
            x = x.permute(0, 2, 3, 1).contiguous().view(x.size(0), -1)
            return self.embeddings(x)

    return VGGish()


def device():
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class VGGishExtractor(AudioExtractor):
    version = "1"
    packages = ("torch", "av", "silero-vad", "onnxruntime")

    @property
    def sample_rate(self) -> int:
        return SAMPLE_RATE

    def _weights(self) -> Path:
        w = self.params.get("weights")
        if not w or not Path(w).is_file():
            raise ExtractorError(f"extractor '{self.name}': VGGish weights file '{w}' not found (set `weights:` to a torch state dict you provide)")
        return Path(w)

    def model_id(self) -> str:
        return f"vggish:{self._weights().name}"

    def weights_sha256(self) -> str:
        return store.sha256_file(self._weights())

    def load_model(self):
        import torch

        model = build_vggish()
        state = torch.load(self._weights(), map_location="cpu", weights_only=True)
        try:
            model.load_state_dict(state)
        except RuntimeError as exc:
            raise ExtractorError(f"{self._weights()}: not a VGGish state dict ({str(exc).splitlines()[0]})") from exc
        return model.eval().to(device())

    def features(self, audio, sr, duration, hop_s, session) -> pd.DataFrame:
        import torch

        spans = window_spans(duration, 0.96, 0.96)  # the reference's examples
        x = patches(audio, spans, sr)[:, None]
        model = self.load_model()
        batch = int(self.params.get("batch_size", 64))
        out = []
        with torch.inference_mode():
            for i in range(0, len(x), batch):
                out.append(model(torch.from_numpy(x[i:i + batch]).to(device())).float().cpu().numpy())
        return windowed_frame(session, spans, np.concatenate(out), [f"vggish_{i:03d}" for i in range(128)])
