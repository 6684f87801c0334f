"""Streaming video decoding with PyAV: RGB frames in batches with their real timestamps.

Any container FFmpeg reads works (mp4, flv, mov incl. HEVC, mkv, …). Frames are decoded one at
a time and handed out in batches of ``batch_size``, so memory stays bounded whatever the video's
length. Optional frame-rate subsampling keeps, for each sample time ``k / fps``, the first
decoded frame at or after it: rows keep the video's own presentation timestamps (never a
resampled clock), and a variable-frame-rate video is sampled as it was recorded.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterator

import av
import numpy as np

from .grid import TIME_DECIMALS
from .media import MediaError, _open, check_span



@dataclass(frozen=True)
class FrameBatch:
    """Frames ``(n, height, width, 3)`` uint8 RGB, their timestamps (s) and decode indices."""

    frames: np.ndarray
    times: np.ndarray
    indices: np.ndarray


def nominal_fps(path: str | os.PathLike) -> float:
    with _open(path) as c:
        if not c.streams.video:
            raise MediaError(f"{path}: no video stream")
        s = c.streams.video[0]
        rate = s.average_rate or s.guessed_rate or s.base_rate
        if not rate:
            raise MediaError(f"{path}: video stream has no frame rate")
        return float(rate)


def _sampled(path, stream, decoder, fps: float | None):
    """(decode index, timestamp, frame) of the frames kept by the sampling rule."""
    rate = float(stream.average_rate or stream.guessed_rate or 0) or None
    next_sample = 0  # index k of the next sample time k / fps
    n_decoded, last = 0, float("-inf")
    try:
        for i, frame in enumerate(decoder):
            t = frame.time if frame.time is not None else (i / rate if rate else float("nan"))
            n_decoded, last = i + 1, max(last, t)
            if fps is not None:
                if t + 1e-9 < next_sample / fps:
                    continue
                next_sample = int(np.floor(t * fps + 1e-9)) + 1
            yield i, t, frame
    except av.error.FFmpegError as exc:
        raise MediaError(f"{path}: video stream could not be decoded ({exc})") from exc
    # FFmpeg stops quietly at the end of a cut file: the same test as the audio decoder's
    declared = float(stream.duration * stream.time_base) if stream.duration is not None and stream.time_base is not None else None
    if n_decoded:
        check_span(path, "video", last + (1.0 / rate if rate else 0.0), declared, n_decoded, stream.frames or None)


def _video_stream(path, container):
    if not container.streams.video:
        raise MediaError(f"{path}: no video stream")
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    return stream


def iter_frames(path: str | os.PathLike, fps: float | None = None, batch_size: int = 32,
                max_side: int | None = None) -> Iterator[FrameBatch]:
    """Decode the first video stream in batches.

    ``fps``: keep at most this many frames per second (None: every frame). ``max_side``: scale
    frames down (aspect kept) so their longer side is at most this many pixels (None: as is).
    """
    if fps is not None and fps <= 0:
        raise ValueError(f"sampling rate must be positive, got {fps}")
    with _open(path) as c:
        stream = _video_stream(path, c)
        width, height = stream.codec_context.width, stream.codec_context.height
        if max_side and max(width, height) > max_side:
            scale = max_side / max(width, height)
            width, height = int(round(width * scale / 2)) * 2, int(round(height * scale / 2)) * 2
        buf, times, idx = [], [], []
        for i, t, frame in _sampled(path, stream, c.decode(stream), fps):
            buf.append(frame.to_ndarray(format="rgb24", width=width, height=height))
            times.append(t)
            idx.append(i)
            if len(buf) == batch_size:
                yield FrameBatch(np.stack(buf), np.round(np.array(times), TIME_DECIMALS), np.array(idx))
                buf, times, idx = [], [], []
        if buf:
            yield FrameBatch(np.stack(buf), np.round(np.array(times), TIME_DECIMALS), np.array(idx))


def frame_times(path: str | os.PathLike, fps: float | None = None) -> np.ndarray:
    """Timestamps of the frames ``iter_frames`` would yield (decodes, does not convert pixels)."""
    with _open(path) as c:
        stream = _video_stream(path, c)
        times = [t for _, t, _ in _sampled(path, stream, c.decode(stream), fps)]
    return np.round(np.array(times, dtype=np.float64), TIME_DECIMALS)


def prefetch(batches: Iterator[FrameBatch], depth: int = 2) -> Iterator[FrameBatch]:
    """Decode ahead in a background thread (FFmpeg releases the GIL) while the caller computes."""
    import queue
    import threading

    q: queue.Queue = queue.Queue(maxsize=depth)
    done = object()

    def work():
        try:
            for b in batches:
                q.put(b)
        except BaseException as exc:  # handed to the consumer, raised there
            q.put(exc)
        q.put(done)

    threading.Thread(target=work, daemon=True).start()
    while (item := q.get()) is not done:
        if isinstance(item, BaseException):
            raise item
        yield item
