"""The audio branch's input (Waligora et al., §4.2): one log-mel spectrogram per visual clip.

The paper: audio resampled to 44 kHz; DFT length 1024, 10 ms hop, 20 ms window; spectrograms of
64 × 107 per clip; log power; mean and variance normalisation. What it does not say, chosen here:

- 44 kHz is taken as 44.1 kHz (the usual rate; ``SAMPLE_RATE``);
- 64 is the number of mel bands (HTK mel, 0 Hz – Nyquist; band edges not given), 107 the frames:
  107 hops of 10 ms are 1.07 s, which is 32 video frames at 30 fps — the visual clip is 8 frames
  taken every 4th frame of 32 (the authors' public code: ``subseq_length`` 32, ``dilation`` 4;
  the paper only says "clip length of 8"). ``clip_samples`` gives that span in samples;
- frames are centred (the signal padded by half a window, zeros), periodic Hann window of 20 ms
  zero-padded to the 1024-point DFT; log(power + 1e-10);
- mean/variance normalisation over each spectrogram (per clip), not over the corpus.
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
    padded = np.pad(x, (win // 2, win // 2))
    n = 1 + len(x) // hop
    needed = (n - 1) * hop + win
    if len(padded) < needed:
        padded = np.pad(padded, (0, needed - len(padded)))
    frames = np.lib.stride_tricks.sliding_window_view(padded, win)[::hop][:n]
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(win) / win)
    power = np.abs(np.fft.rfft(frames * hann, n=N_FFT, axis=1)) ** 2
    spec = np.log(power @ mel_matrix(N_FFT, sr, N_MELS, 0.0, sr / 2) + EPS).T
    if normalise:
        spec = (spec - spec.mean()) / max(spec.std(), 1e-6)
    return spec.astype(np.float32)
