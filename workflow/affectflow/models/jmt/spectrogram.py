"""The audio branch's input (Waligora et al., §4.2): one log-mel spectrogram per visual clip.

The paper: audio resampled to 44 kHz; DFT length 1024, 10 ms hop, 20 ms window; spectrograms of
64 × 107 per clip; log power; mean and variance normalisation. It does not say what the 64 rows
are; the authors' public code (``datasets/dataset_new.py``) computes torchaudio's
``MelSpectrogram(sample_rate=44100, n_fft=1024, win_length=882, hop_length=441, n_mels=64,
power=2)``: 64 mel bands. Here, as there: 44.1 kHz, a 20 ms periodic Hann window centred in each
1024-point frame, frames centred on the hop (signal reflect-padded by half a DFT), power, 64
HTK-mel bands from 0 Hz to Nyquist. Departures:

- the mel triangles are built on the mel axis (VGGish's ``mel_matrix``), torchaudio builds them
  on the Hz axis between the same mel-spaced edges: band weights differ slightly;
- log(power + 1e-10) then mean/variance normalisation over each spectrogram; their code takes dB
  (80 dB dynamic range) and normalises with corpus constants (mean −14.8, std 19.895 dB), which
  would not transfer to another corpus;
- the clip's span: 107 hops of 10 ms are 1.07 s, 32 video frames at 30 fps — the visual clip is 8
  frames taken every 4th frame of 32 (their code: ``subseq_length`` 32, ``dilation`` 4; the paper
  only says "clip length of 8"). ``clip_samples`` gives that span in samples.
"""
from __future__ import annotations

import numpy as np

from ...extractors.vggish import mel_matrix

SAMPLE_RATE = 44100
N_FFT, WIN_S, HOP_S, N_MELS = 1024, 0.020, 0.010, 64
CLIP_VIDEO_FRAMES, VIDEO_FPS = 32, 30.0
EPS = 1e-10


def clip_samples(sr: int = SAMPLE_RATE) -> int:
    """Samples of audio per clip: 32 video frames at 30 fps (1.067 s), giving 107 frames of 10 ms."""
    return int(round(CLIP_VIDEO_FRAMES / VIDEO_FPS * sr))


def log_mel(audio: np.ndarray, sr: int = SAMPLE_RATE, normalise: bool = True) -> np.ndarray:
    """(N_MELS, n_frames) log-mel power of one clip's mono audio; 1 + ⌊len / hop⌋ frames."""
    x = np.asarray(audio, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"log_mel wants mono audio (1-D), got shape {x.shape}")
    win, hop = int(round(WIN_S * sr)), int(round(HOP_S * sr))
    if win > N_FFT:
        raise ValueError(f"a {WIN_S * 1000:.0f} ms window at {sr} Hz is {win} samples, more than the {N_FFT}-point DFT")
    if len(x) <= N_FFT // 2:
        raise ValueError(f"{len(x)} samples are too few for a centred {N_FFT}-point frame (reflect padding)")
    padded = np.pad(x, (N_FFT // 2, N_FFT // 2), mode="reflect")
    n = 1 + len(x) // hop
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::hop][:n]
    hann = np.zeros(N_FFT)
    left = (N_FFT - win) // 2
    hann[left:left + win] = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(win) / win)
    power = np.abs(np.fft.rfft(frames * hann, axis=1)) ** 2
    spec = np.log(power @ mel_matrix(N_FFT, sr, N_MELS, 0.0, sr / 2) + EPS).T
    if normalise:
        spec = (spec - spec.mean()) / max(spec.std(), 1e-6)
    return spec.astype(np.float32)
