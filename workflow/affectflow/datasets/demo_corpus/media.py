"""Deterministic MP4 muxing with PyAV: H.264 (libx264, yuv420p) + AAC mono.

Byte-for-byte reproducibility comes from: frames converted to yuv420p by our
own integer code (no swscale), explicit pts, a single encoder thread, fixed
GOP, the ``bitexact`` codec flag on both encoders and ``fflags=+bitexact``
on the muxer (no library version strings, no creation time).
"""

from __future__ import annotations

from collections.abc import Iterable

import av
import numpy as np

AUDIO_FRAME = 1024  # AAC frame size


def write_mp4(path, video_yuv: Iterable[np.ndarray], n_frames: int, fps: int, size: int,
              audio: np.ndarray, sample_rate: int, crf: int = 20) -> None:
    """Encode yuv420p frames and a mono float32 waveform into ``path`` (.mp4)."""
    with av.open(str(path), mode="w", format="mp4",
                 container_options={"fflags": "+bitexact"}) as out:
        vs = out.add_stream("libx264", rate=fps, options={
            "preset": "veryfast",
            "crf": str(crf),
            "threads": "1",
            "flags": "+bitexact",
            "x264-params": f"keyint={2 * fps}:min-keyint={2 * fps}:scenecut=0:threads=1",
        })
        vs.width = size
        vs.height = size
        vs.pix_fmt = "yuv420p"
        aus = out.add_stream("aac", rate=sample_rate, options={"flags": "+bitexact"})
        aus.layout = "mono"
        aus.bit_rate = 64000 if sample_rate > 24000 else 48000

        count = 0
        for i, yuv in enumerate(video_yuv):
            if i >= n_frames:
                break
            frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
            frame.pts = i
            out.mux(vs.encode(frame))
            count += 1
        if count != n_frames:
            raise ValueError(f"expected {n_frames} video frames, got {count}")
        out.mux(vs.encode(None))

        pcm = np.ascontiguousarray(audio, dtype=np.float32).reshape(-1)
        for k in range(0, pcm.size, AUDIO_FRAME):
            chunk = pcm[k:k + AUDIO_FRAME]
            frame = av.AudioFrame.from_ndarray(chunk[None, :], format="fltp", layout="mono")
            frame.sample_rate = sample_rate
            frame.pts = k
            out.mux(aus.encode(frame))
        out.mux(aus.encode(None))
