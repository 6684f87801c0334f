"""Reading media with PyAV (the FFmpeg it bundles): probing and audio decoding.

Any container FFmpeg reads works (wav, mp3, flac, mp4, flv, mov, …). Errors name the file.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np


class MediaError(RuntimeError):
    """A media file that cannot be used, with the file and the problem in the message."""


@dataclass(frozen=True)
class MediaInfo:
    path: str
    duration_s: float
    has_audio: bool
    has_video: bool
    sample_rate: int | None
    channels: int | None
    fps: float | None
    width: int | None
    height: int | None


def _open(path: str | os.PathLike):
    path = Path(path)
    if not path.exists():
        raise MediaError(f"{path}: media file does not exist")
    if path.stat().st_size == 0:
        raise MediaError(f"{path}: media file is empty (0 bytes)")
    try:
        return av.open(str(path))
    except (av.error.FFmpegError, ValueError) as exc:
        raise MediaError(f"{path}: not readable as media ({exc})") from exc


def probe(path: str | os.PathLike) -> MediaInfo:
    with _open(path) as c:
        a = c.streams.audio[0] if c.streams.audio else None
        v = c.streams.video[0] if c.streams.video else None
        durations = []
        if c.duration is not None:
            durations.append(c.duration / av.time_base)
        for s in (a, v):
            if s is not None and s.duration is not None and s.time_base is not None:
                durations.append(float(s.duration * s.time_base))
        duration = max(durations) if durations else float("nan")
        return MediaInfo(
            path=str(path),
            duration_s=duration,
            has_audio=a is not None,
            has_video=v is not None,
            sample_rate=a.codec_context.sample_rate if a is not None else None,
            channels=a.codec_context.channels if a is not None else None,
            fps=float(v.average_rate) if v is not None and v.average_rate else None,
            width=v.codec_context.width if v is not None else None,
            height=v.codec_context.height if v is not None else None,
        )


def load_audio(path: str | os.PathLike, sample_rate: int = 16000, mono: bool = True) -> np.ndarray:
    """Decode the first audio stream, resampled to ``sample_rate``.

    Returns float32 in [-1, 1]: shape ``(n,)`` when ``mono`` else ``(channels, n)``.
    """
    with _open(path) as c:
        if not c.streams.audio:
            raise MediaError(f"{path}: no audio stream")
        stream = c.streams.audio[0]
        layout = "mono" if mono else ("stereo" if (stream.codec_context.channels or 1) >= 2 else "mono")
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=sample_rate)
        chunks = []
        try:
            for frame in c.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray())
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray())
        except av.error.FFmpegError as exc:
            raise MediaError(f"{path}: audio stream could not be decoded ({exc})") from exc
    if not chunks:
        raise MediaError(f"{path}: audio stream holds no samples")
    audio = np.concatenate(chunks, axis=1).astype(np.float32)
    return audio[0] if mono else audio
