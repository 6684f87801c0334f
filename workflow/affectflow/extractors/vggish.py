"""VGGish embeddings (128-d) of 0.96 s log-mel patches (lucas-…), network in plain torch.

The weights come from a file the user provides (``weights``: a torch state dict with the
layout of the widely used PyTorch port, keys ``features.*`` and ``embeddings.*``, e.g. its
``vggish-10086976.pth``); nothing is downloaded. The input follows VGGish's reference
``mel_features``: 16 kHz, 25 ms periodic-Hann frames every 10 ms, 512-point FFT, 64 HTK mel
bands 125–7500 Hz, ``log(mel + 0.01)``, patches of 96 frames. The optional PCA/quantisation
post-processing of the release is not applied (raw embeddings, as most papers use them).

Rows: one per window of ``window_s`` (0.96) every ``window_hop_s`` (default 0.96).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ..core import store
from ..core.segments import window_spans
from .audio import AudioExtractor, slice_span, windowed_frame
from .base import ExtractorError

SAMPLE_RATE = 16000
N_MELS, PATCH_FRAMES = 64, 96


def _hz_to_mel(f):
    return 1127.0 * np.log(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


@lru_cache(maxsize=8)  # built once per n_fft, not per 0.96 s window
def mel_matrix(n_fft: int = 512, sr: int = SAMPLE_RATE, n_mels: int = N_MELS, fmin: float = 125.0, fmax: float = 7500.0) -> np.ndarray:
    """``(n_fft//2+1, n_mels)`` triangular HTK-mel weights, as VGGish's ``spectrogram_to_mel_matrix``."""
    bins = _hz_to_mel(np.linspace(0.0, sr / 2, n_fft // 2 + 1))
    edges = np.linspace(_hz_to_mel(fmin), _hz_to_mel(fmax), n_mels + 2)
    lower, centre, upper = edges[:-2], edges[1:-1], edges[2:]
    w = np.maximum(0.0, np.minimum((bins[:, None] - lower) / (centre - lower), (upper - bins[:, None]) / (upper - centre)))
    w[0, :] = 0.0  # the DC bin carries no mel weight in the reference
    w.setflags(write=False)  # shared by the cache
    return w


def log_mel(audio: np.ndarray) -> np.ndarray:
    """``(n_frames, 64)`` VGGish log-mel frames of 16 kHz audio."""
    win, hop, n_fft = 400, 160, 512
    if len(audio) < win:
        return np.zeros((0, N_MELS))
    frames = np.lib.stride_tricks.sliding_window_view(np.asarray(audio, dtype=np.float64), win)[::hop]
    periodic_hann = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(win) / win)
    mag = np.abs(np.fft.rfft(frames * periodic_hann, n=n_fft, axis=1))
    return np.log(mag @ mel_matrix(n_fft) + 0.01)


def patch(audio: np.ndarray) -> np.ndarray:
    """One ``(96, 64)`` patch of a 0.96 s window (edge frames repeated if the window is short)."""
    m = log_mel(audio)
    if len(m) == 0:
        raise ValueError("window shorter than one 25 ms frame")
    if len(m) < PATCH_FRAMES:
        m = np.pad(m, ((0, PATCH_FRAMES - len(m)), (0, 0)), mode="edge")
    return m[:PATCH_FRAMES].astype(np.float32)


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

        spans = window_spans(duration, self.params.get("window_s", 0.96), self.params.get("window_hop_s", 0.96))
        patches = np.stack([patch(slice_span(audio, sr, t0, t1)) for t0, t1 in spans])[:, None]
        model = self.load_model()
        batch = int(self.params.get("batch_size", 64))
        out = []
        with torch.inference_mode():
            for i in range(0, len(patches), batch):
                out.append(model(torch.from_numpy(patches[i:i + batch]).to(device())).float().cpu().numpy())
        return windowed_frame(session, spans, np.concatenate(out), [f"vggish_{i:03d}" for i in range(128)])
