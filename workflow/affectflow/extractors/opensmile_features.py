"""openSMILE feature sets (eGeMAPSv02, ComParE_2016, …) via the ``opensmile`` package.

- ``level: lld`` — low-level descriptors (10 ms hop) pooled (mean) over each grid frame.
- ``level: functionals`` — functionals over windows of ``window_s`` every ``window_hop_s``
  (rows are the windows; a session shorter than one window, or ``window_s: null``, gives one
  row over the whole session).

Every row carries ``speech`` (bool): whether its span holds sound above ``silence_dbfs``
(see :mod:`affectflow.silence`); long pauses keep their features but are flagged. Audio
shorter than one grid frame is refused with an error naming the file.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import grid, media as media_io, silence
from .base import Extractor, ExtractorError, SessionMedia


class OpenSmileExtractor(Extractor):
    version = "1"
    packages = ("opensmile", "av")

    def _smile(self):
        import opensmile

        sets = {s.name: s for s in opensmile.FeatureSet}
        levels = {"lld": opensmile.FeatureLevel.LowLevelDescriptors, "functionals": opensmile.FeatureLevel.Functionals}
        fs = self.params.get("feature_set", "eGeMAPSv02")
        if fs not in sets:
            raise ExtractorError(f"extractor '{self.name}': unknown openSMILE feature_set '{fs}'; known: {sorted(sets)}")
        return opensmile.Smile(feature_set=sets[fs], feature_level=levels[self.params.get("level", "lld")])

    def model_id(self) -> str:
        return f"opensmile:{self.params.get('feature_set', 'eGeMAPSv02')}:{self.params.get('level', 'lld')}"

    def source_files(self, media: SessionMedia) -> dict[str, str]:
        return {"audio": media.audio}

    def extract(self, media: SessionMedia, hop_s: float) -> pd.DataFrame:
        if not media.audio:
            raise ExtractorError(f"extractor '{self.name}': session {media.session} has no audio track")
        sr = int(self.params.get("sample_rate", 16000))
        audio = media_io.load_audio(media.audio, sample_rate=sr)
        duration = len(audio) / sr
        if duration < hop_s:
            raise ExtractorError(f"extractor '{self.name}': {media.audio}: audio lasts {duration:.3f} s, "
                                 f"shorter than one grid frame ({hop_s} s)")
        smile = self._smile()
        if self.params.get("level", "lld") == "lld":
            out = self._lld(smile, audio, sr, duration, hop_s, media.session)
        else:
            out = self._functionals(smile, audio, sr, duration, media.session)
        silence_dbfs = float(self.params.get("silence_dbfs", silence.DEFAULT_SILENCE_DBFS))
        out.insert(3, "speech", silence.speech_flags(audio, sr, out["t_start"].to_numpy(), out["t_end"].to_numpy(), silence_dbfs))
        return out

    @staticmethod
    def _lld(smile, audio, sr, duration, hop_s, session) -> pd.DataFrame:
        lld = smile.process_signal(audio, sr)
        start = lld.index.get_level_values("start").total_seconds().to_numpy()
        end = lld.index.get_level_values("end").total_seconds().to_numpy()
        pooled, _ = grid.pool_to_grid((start + end) / 2, lld.to_numpy(), duration, hop_s)
        out = grid.grid_frame(session, duration, hop_s)
        feats = pd.DataFrame(pooled.astype(np.float32), columns=list(lld.columns))
        return pd.concat([out, feats], axis=1)

    def _functionals(self, smile, audio, sr, duration, session) -> pd.DataFrame:
        window = self.params.get("window_s", 4.0)
        step = float(self.params.get("window_hop_s", 1.0) or window or duration)
        if window is None or duration <= float(window):
            spans = [(0.0, duration)]
        else:
            window = float(window)
            starts = np.arange(0.0, duration - window + 1e-9, step)
            spans = [(round(s, grid.TIME_DECIMALS), round(s + window, grid.TIME_DECIMALS)) for s in starts]
        rows = []
        for t0, t1 in spans:
            f = smile.process_signal(audio[int(round(t0 * sr)): int(round(t1 * sr))], sr)
            rows.append(f.iloc[0].to_numpy(dtype=np.float32))
        feats = pd.DataFrame(np.vstack(rows), columns=list(f.columns))
        index = pd.DataFrame({"session": session, "t_start": [s for s, _ in spans], "t_end": [e for _, e in spans]})
        return pd.concat([index, feats], axis=1)
