"""Shared plumbing of the audio extractors: decoding, window rows and the ``speech`` flag.

Every audio extractor decodes with ``affectflow.core.media.load_audio`` (any track FFmpeg reads,
resampled to ``sample_rate``, mono unless the extractor keeps channels) and, unless
``speech_flag: false``, adds a boolean ``speech`` column from silero-vad: True where speech
covers at least half of the row's span. Non-speech rows keep their features; they are marked,
never zeroed or dropped, so a model can mask or weight them.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import grid, media as media_io, vad
from .base import Extractor, ExtractorError, SessionMedia


class AudioExtractor(Extractor):
    """Subclasses implement ``features(audio, sr, duration, hop_s, session)``."""

    mono = True
    speech_flag_default = True

    @property
    def sample_rate(self) -> int:
        return int(self.params.get("sample_rate", 16000))

    def source_files(self, media: SessionMedia) -> dict[str, str]:
        return {"audio": media.audio}

    def load(self, media: SessionMedia) -> np.ndarray:
        if not media.audio:
            raise ExtractorError(f"extractor '{self.name}': session {media.session} has no audio track")
        return media_io.load_audio(media.audio, sample_rate=self.sample_rate, mono=self.mono)

    def extract(self, media: SessionMedia, hop_s: float) -> pd.DataFrame:
        audio = self.load(media)
        sr = self.sample_rate
        duration = audio.shape[-1] / sr
        if duration < hop_s:
            raise ExtractorError(f"extractor '{self.name}': {media.audio}: audio lasts {duration:.3f} s, "
                                 f"shorter than one grid frame ({hop_s} s)")
        df = self.features(audio, sr, duration, hop_s, media.session)
        if self.params.get("speech_flag", self.speech_flag_default):
            mono = audio if audio.ndim == 1 else audio[min(int(self.params.get("channel", 0)), len(audio) - 1)]
            df["speech"] = vad.speech_flags(mono, sr, df["t_start"].to_numpy(), df["t_end"].to_numpy())
        return df

    def features(self, audio: np.ndarray, sr: int, duration: float, hop_s: float, session: str) -> pd.DataFrame:
        raise NotImplementedError


def windowed_frame(session: str, spans: list[tuple[float, float]], values: np.ndarray, columns: list[str]) -> pd.DataFrame:
    """Rows ``session, t_start, t_end`` + float32 features, one per window span."""
    index = pd.DataFrame({"session": pd.Series([session] * len(spans), dtype=str),
                          "t_start": [s for s, _ in spans], "t_end": [e for _, e in spans]})
    return pd.concat([index, pd.DataFrame(np.asarray(values, dtype=np.float32).reshape(len(spans), -1), columns=columns)], axis=1)


def pooled_grid_frame(session: str, times: np.ndarray, values: np.ndarray, duration: float, hop_s: float,
                      columns: list[str]) -> pd.DataFrame:
    """Mean of time-stamped frames over each grid step (NaN where no frame fell in the step)."""
    pooled, _ = grid.pool_to_grid(times, values, duration, hop_s)
    return pd.concat([grid.grid_frame(session, duration, hop_s), pd.DataFrame(pooled.astype(np.float32), columns=columns)], axis=1)


def slice_span(audio: np.ndarray, sr: int, t0: float, t1: float) -> np.ndarray:
    return audio[..., int(round(t0 * sr)): int(round(t1 * sr))]
