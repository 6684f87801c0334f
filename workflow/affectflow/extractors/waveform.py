"""Raw-waveform chunks as model input (tzirakis-…: 0.1 s chunks, the interlocutor's channel beside).

Rows are the grid frames (chunk length = the grid hop), so each chunk lines up with its label.
Columns: ``waveform`` (``list<float32>``, ``hop_s × sample_rate`` samples of ``channel``) and,
when ``interlocutor_channel`` is set, ``interlocutor`` (the same span of that channel) with
``interlocutor_present``: a recording without that channel gets null chunks and ``false``,
never silence. The waveform is stored as decoded (no normalisation): models normalise.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import grid
from .audio import AudioExtractor
from .base import ExtractorError


class WaveformChunksExtractor(AudioExtractor):
    version = "1"
    packages = ("av", "silero-vad", "onnxruntime")
    mono = False

    def features(self, audio, sr, duration, hop_s, session) -> pd.DataFrame:
        n = int(round(hop_s * sr))
        if abs(n - hop_s * sr) > 1e-6:
            raise ExtractorError(f"extractor '{self.name}': grid hop {hop_s} s is not a whole number of samples at {sr} Hz")
        channel = int(self.params.get("channel", 0))
        if channel >= len(audio):
            raise ExtractorError(f"extractor '{self.name}': session {session} has {len(audio)} channel(s), no channel {channel}")
        frames = grid.grid_frame(session, duration, hop_s)
        k = len(frames)

        def chunks(x):
            return list(x[: k * n].reshape(k, n).astype(np.float32))

        frames["waveform"] = chunks(audio[channel])
        other = self.params.get("interlocutor_channel")
        if other is not None:
            present = int(other) < len(audio)
            frames["interlocutor"] = chunks(audio[int(other)]) if present else [None] * k
            frames["interlocutor_present"] = present
        return frames


def waveform_array(df: pd.DataFrame, column: str = "waveform") -> np.ndarray:
    """The stored chunks as one ``(n_rows, samples)`` float32 array (rows without a chunk: NaN)."""
    width = max((len(x) for x in df[column] if x is not None), default=0)
    return np.stack([np.asarray(x, dtype=np.float32) if x is not None else np.full(width, np.nan, np.float32) for x in df[column]])
