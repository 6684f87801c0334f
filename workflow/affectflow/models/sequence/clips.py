"""Per-clip log-mel spectrograms on the label grid (Waligora et al.'s audio branch input).

A *clip* is ``clip_frames`` consecutive grid frames, counted from the session's first frame (clip
c = frames c·k … c·k + k − 1); the sequence core's windows start on clip boundaries when their
length and training hop are multiples of k, so every window holds whole clips. Each clip gets one
64 × 107 log-mel spectrogram (``jmt.spectrogram.log_mel``) of the ``clip_samples`` (1.07 s) of audio
centred on the clip; the recording is zero-padded where that span runs past its ends. Log power is
normalised per session (one mean and variance over all its present clips' bins, no labels): the
paper normalises with corpus constants (the authors' code: fixed dB mean and std), which keeps a
clip's loudness relative to the others, an arousal cue that normalising each spectrogram on its own
would erase (on the demo that left the audio branch at dev CCC 0).

Stored per frame without copying: the spectrogram is padded to k·c columns (c = ⌈107 / k⌉) and
frame j of the clip holds columns j·c … (j + 1)·c − 1, so a frame's array is (64, c) and
``assemble`` puts a window's clips back together. Mask: the clip is present where every one of its
frames has a waveform chunk; all frames of a clip share its mask, and a masked clip's columns are
zeros (never a spectrogram of filled-in silence).

The paper's clip is 8 frames taken every 4th of 32 at 30 fps (1.07 s, the spectrogram's span); on
a grid of hop h, ``clip_frames`` consecutive frames span k·h (0.8 s for 8 frames of 0.1 s).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch

from ..jmt.spectrogram import N_MELS, clip_samples, log_mel

SPECTROGRAM_FRAMES = 107


def columns_per_frame(clip_frames: int) -> int:
    return math.ceil(SPECTROGRAM_FRAMES / clip_frames)


def spectrogram_frames(table: pd.DataFrame, frame_no: np.ndarray, hop: float, clip_frames: int,
                       where: str) -> tuple[np.ndarray, np.ndarray]:
    """A ``waveform_chunks`` store → per grid frame (64, ⌈107 / k⌉) float32 slices of its clip's spectrogram, and the mask."""
    from ...extractors.waveform import waveform_array

    if clip_frames < 1:
        raise ValueError(f"{where}: clip_frames must be >= 1, got {clip_frames}")
    if "waveform" not in table.columns:
        raise ValueError(f"{where}: no 'waveform' column (is this a waveform_chunks store?)")
    # clips are cut by absolute frame number here and by array position in the windows and the visual
    # branch: the two agree only on a grid that starts at frame 0 without gaps (core.grid's)
    if not np.array_equal(frame_no, np.arange(len(frame_no))):
        raise ValueError(f"{where}: the label grid's frames are not 0..{len(frame_no) - 1} in order; per-clip spectrograms need a contiguous grid")
    chunks = waveform_array(table, "waveform")
    n = chunks.shape[1]
    if n == 0:
        raise ValueError(f"{where}: waveform chunks are empty")
    sr = int(round(n / hop))
    rows = np.round(table["t_start"].to_numpy() / hop).astype(np.int64)
    n_frames = int(max(frame_no.max(initial=-1), rows.max(initial=-1))) + 1
    have = np.zeros(n_frames, dtype=bool)
    signal = np.zeros(n_frames * n, dtype=np.float32)
    for r, chunk in zip(rows, chunks):
        if np.isfinite(chunk).all():
            have[r] = True
            signal[r * n:(r + 1) * n] = chunk
    k, c = clip_frames, columns_per_frame(clip_frames)
    span = clip_samples(sr)
    last = len(frame_no)  # frames are 0..last-1 (checked above): clip c holds frames c·k … min(c·k + k, last) − 1
    x = np.zeros((last, N_MELS, c), dtype=np.float32)
    mask = np.zeros(last, dtype=bool)
    specs = {}
    for clip in range(math.ceil(last / k)):
        first, stop = clip * k, min(clip * k + k, last)
        if not have[first:stop].all():
            continue
        lo = int(round((first + k / 2) * n - span / 2))
        seg = np.zeros(span, dtype=np.float32)
        a, b = max(lo, 0), min(lo + span, len(signal))
        seg[a - lo:b - lo] = signal[a:b]
        specs[clip] = log_mel(seg, sr, normalise=False)
        if specs[clip].shape != (N_MELS, SPECTROGRAM_FRAMES):
            raise ValueError(f"{where}: a clip's spectrogram is {specs[clip].shape}, not ({N_MELS}, {SPECTROGRAM_FRAMES}) "
                             f"(sample rate {sr} Hz)")
    if specs:
        stacked = np.stack(list(specs.values()))
        mean, std = float(stacked.mean()), max(float(stacked.std()), 1e-6)
    for clip, spec in specs.items():
        padded = np.zeros((N_MELS, k * c), dtype=np.float32)
        padded[:, :SPECTROGRAM_FRAMES] = (spec - mean) / std
        first, stop = clip * k, min(clip * k + k, last)
        for j in range(stop - first):
            x[first + j] = padded[:, j * c:(j + 1) * c]
        mask[first:stop] = True
    return x, mask


def assemble(x: torch.Tensor, clip_frames: int) -> torch.Tensor:
    """Per-frame slices (B, L, 64, c) of a window of whole clips → its spectrograms (B, L / k, 64, 107)."""
    B, L, F, c = x.shape
    if L % clip_frames:
        raise ValueError(f"a window of {L} frames is not a whole number of {clip_frames}-frame clips")
    clips = x.view(B, L // clip_frames, clip_frames, F, c).permute(0, 1, 3, 2, 4)
    return clips.reshape(B, L // clip_frames, F, clip_frames * c)[..., :SPECTROGRAM_FRAMES]


def frame_clips(x: torch.Tensor, clip_frames: int) -> torch.Tensor:
    """Per-frame face crops (B, L, 3, S, S) → clips (B, L / k, 3, k, S, S) float: uint8 crops scaled to
    [0, 1], already standardised ones (``raw.standardise_faces``, float) as they are."""
    B, L = x.shape[:2]
    if L % clip_frames:
        raise ValueError(f"a window of {L} frames is not a whole number of {clip_frames}-frame clips")
    clips = x.view(B, L // clip_frames, clip_frames, *x.shape[2:]).transpose(2, 3)
    return clips.float() / 255.0 if x.dtype == torch.uint8 else clips.float()


def clip_mask(mask: torch.Tensor, clip_frames: int) -> torch.Tensor:
    """Frame mask (B, L) → clip presence (B, L / k): any frame of the clip present."""
    B, L = mask.shape
    return mask.view(B, L // clip_frames, clip_frames).any(-1)
