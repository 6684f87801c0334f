"""Reading media with PyAV (the FFmpeg it bundles): probing and audio decoding.

Any container FFmpeg reads works (wav, mp3, flac, mp4, flv, mov, …). Errors name the file and
the problem. What FFmpeg would quietly accept is refused here:

- a WAV whose header declares more audio than the file holds (a truncated copy: FFmpeg would
  decode the part that is there and report the shorter duration as if nothing were wrong);
- a stream that stops decoding part-way (corrupt or cut packets): the error gives the time;
- decoded audio much shorter than the duration the container declares for its audio stream;
- a video stream whose frames (decoded, or their packets scanned) end well before the duration
  the container declares for it: FFmpeg decodes the frames that are there and stops without a
  word. Audio, video and the text branch's session length use the same test
  (:func:`check_span`), so a cut file is refused the same way whichever branch reads it.

Multichannel audio is averaged to mono in numpy: FFmpeg's own downmix scales stereo by 1/√2.
"""
from __future__ import annotations

import os
import struct
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


# decoded audio may fall short of the declared stream duration by this much (codec priming,
# rounding of the last packet) before the file counts as truncated
SHORTFALL_TOLERANCE_S = 0.25
SHORTFALL_TOLERANCE_FRACTION = 0.02
# frame intervals further than this fraction from the median make a video variable-frame-rate
VFR_TOLERANCE = 0.1


def _open(path: str | os.PathLike):
    path = Path(path)
    if not path.exists():
        raise MediaError(f"{path}: media file does not exist")
    if not path.is_file():
        raise MediaError(f"{path}: not a file")
    if path.stat().st_size == 0:
        raise MediaError(f"{path}: media file is empty (0 bytes)")
    check_wav_complete(path)
    try:
        return av.open(str(path))
    except (av.error.FFmpegError, ValueError) as exc:
        raise MediaError(f"{path}: not readable as media ({exc})") from exc


def check_wav_complete(path: str | os.PathLike) -> None:
    """Raise when a RIFF/WAVE file's ``data`` chunk declares more bytes than the file holds.

    Files that are not WAV pass; so do streamed WAVs whose writer left the size unknown
    (0 or 0xFFFFFFFF), which FFmpeg reads to the end of the file.
    """
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return
        pos = 12
        byte_rate = None
        while pos + 8 <= size:
            f.seek(pos)
            chunk_id, chunk_size = struct.unpack("<4sI", f.read(8))
            if chunk_id == b"fmt " and chunk_size >= 16:
                byte_rate = struct.unpack("<HHII", f.read(12))[3]
            if chunk_id == b"data":
                available = size - pos - 8
                if chunk_size not in (0, 0xFFFFFFFF) and chunk_size > available:
                    if byte_rate:
                        detail = f"header declares {chunk_size / byte_rate:.3f} s of audio, the file holds {available / byte_rate:.3f} s"
                    else:
                        detail = f"header declares {chunk_size} data bytes, the file holds {available}"
                    raise MediaError(f"{path}: truncated WAV ({detail})")
                return
            pos += 8 + chunk_size + (chunk_size & 1)
        raise MediaError(f"{path}: WAV file has no data chunk (truncated header?)")


def probe(path: str | os.PathLike) -> MediaInfo:
    """Streams and duration from the container headers (nothing is decoded)."""
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
        if a is None and v is None:
            raise MediaError(f"{path}: no audio or video stream")
        if not np.isfinite(duration) or duration <= 0:
            raise MediaError(f"{path}: the container declares no duration (empty or truncated file)")
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


def check_span(path, kind: str, found_s: float, declared_s: float | None, frames: int | None = None,
               declared_frames: int | None = None, verb: str = "decoded") -> None:
    """Raise :class:`MediaError` when a stream's decoded (or scanned) part ends well before the
    duration its container declares (more than ``SHORTFALL_TOLERANCE_S`` or
    ``SHORTFALL_TOLERANCE_FRACTION`` short): a truncated file, with both durations in the message."""
    if not declared_s or found_s >= declared_s - max(SHORTFALL_TOLERANCE_S, SHORTFALL_TOLERANCE_FRACTION * declared_s):
        return
    count = f"{frames} of the {declared_frames} frames, " if frames is not None and declared_frames else ""
    raise MediaError(f"{path}: {verb} only {count}{found_s:.2f} s of the {declared_s:.2f} s of {kind} the file declares (truncated?)")


def video_declared(path: str | os.PathLike) -> tuple[float | None, int | None]:
    """(duration in s, frame count) the container declares for its first video stream (None: not declared)."""
    with _open(path) as c:
        if not c.streams.video:
            raise MediaError(f"{path}: no video stream")
        s = c.streams.video[0]
        return _stream_duration(s), (s.frames or None)


def video_span(frame_times: np.ndarray, fps: float | None) -> float:
    """The time a video's frames cover: the last frame's time plus one frame interval."""
    times = np.asarray(frame_times, dtype=np.float64)
    if times.size == 0:
        return 0.0
    step = 1.0 / fps if fps else (float(np.median(np.diff(times))) if times.size > 1 else 0.0)
    return float(times.max() + step)


def check_complete(path: str | os.PathLike) -> None:
    """Scan (demux, no decoding) every audio and video stream of ``path`` and raise
    :class:`MediaError` when one is cut short (:func:`check_span`) or unreadable part-way.
    Cheap next to decoding: what a consumer that only needs the duration runs first."""
    info = probe(path)
    if info.has_video:
        declared, n_declared = video_declared(path)
        times = video_frame_times(path)
        check_span(path, "video", video_span(times, info.fps), declared, len(times), n_declared, verb="holds")
    if info.has_audio:
        with _open(path) as c:
            stream = c.streams.audio[0]
            end = 0.0
            try:
                for packet in c.demux(stream):
                    if packet.pts is not None and packet.size:
                        end = max(end, float((packet.pts + (packet.duration or 0)) * packet.time_base))
            except av.error.FFmpegError as exc:
                raise MediaError(f"{path}: audio stream is corrupt or cut at {end:.2f} s ({exc})") from exc
            check_span(path, "audio", end, _stream_duration(stream), verb="holds")


def _stream_duration(stream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    return None


def load_audio(path: str | os.PathLike, sample_rate: int = 16000, mono: bool = True) -> np.ndarray:
    """Decode the first audio stream, resampled to ``sample_rate``.

    Returns float32 in [-1, 1]: shape ``(n,)`` when ``mono`` (the mean of the channels) else
    ``(channels, n)``. Raises :class:`MediaError` naming the file, and the time where decoding
    stopped, for a stream that is corrupt or shorter than its container declares.
    """
    with _open(path) as c:
        if not c.streams.audio:
            raise MediaError(f"{path}: no audio stream")
        stream = c.streams.audio[0]
        channels = stream.codec_context.channels or 1
        resampler = av.AudioResampler(format="fltp", layout=stream.codec_context.layout if channels > 1 else "mono",
                                      rate=sample_rate)
        chunks = []
        position = 0.0
        try:
            for packet in c.demux(stream):
                if packet.pts is not None and packet.time_base is not None:
                    position = float(packet.pts * packet.time_base)
                for frame in packet.decode():
                    chunks.extend(out.to_ndarray() for out in resampler.resample(frame))
            chunks.extend(out.to_ndarray() for out in resampler.resample(None))
        except av.error.FFmpegError as exc:
            raise MediaError(f"{path}: audio stream is corrupt or cut at {position:.2f} s ({exc})") from exc
        declared = _stream_duration(stream)
    if not chunks:
        raise MediaError(f"{path}: audio stream holds no samples")
    audio = np.concatenate(chunks, axis=1).astype(np.float32)
    check_span(path, "audio", audio.shape[1] / sample_rate, declared)
    if mono:
        return audio.mean(axis=0) if audio.shape[0] > 1 else audio[0]
    return audio


def video_frame_times(path: str | os.PathLike) -> np.ndarray:
    """Presentation times (seconds, sorted) of the first video stream's frames, from the packets.

    Demuxing only: cheap even for long videos. Extractors place frames on the grid by these
    times, never by ``index / fps``, so variable-frame-rate video lands where it belongs.
    """
    with _open(path) as c:
        if not c.streams.video:
            raise MediaError(f"{path}: no video stream")
        stream = c.streams.video[0]
        try:
            pts = [p.pts for p in c.demux(stream) if p.pts is not None and p.size]
        except av.error.FFmpegError as exc:
            raise MediaError(f"{path}: video stream could not be read ({exc})") from exc
        times = np.sort(np.asarray(pts, dtype=np.float64) * float(stream.time_base))
    if times.size == 0:
        raise MediaError(f"{path}: video stream holds no frames")
    return times


def is_variable_frame_rate(frame_times: np.ndarray) -> bool:
    steps = np.diff(np.asarray(frame_times, dtype=np.float64))
    if steps.size < 2:
        return False
    median = np.median(steps)
    return bool(np.any(np.abs(steps - median) > VFR_TOLERANCE * median))
