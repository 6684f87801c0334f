"""openSMILE feature sets (eGeMAPSv02, ComParE_2016, …) via the ``opensmile`` package.

- ``level: lld`` — low-level descriptors (10 ms hop) pooled (mean) over each grid frame.
- ``level: functionals`` — functionals over windows of ``window_s`` every ``window_hop_s``
  (rows are the windows; a session shorter than one window, or ``window_s: null``, gives one
  row over the whole session).

Windowed functionals run in one openSMILE pass over the session with the functionals'
``frameMode = fixed`` (how the AVEC baselines computed them), not one openSMILE call per
window: the LLDs are computed once, so overlapping windows cost nothing extra and there are no
edge effects at window borders. A last full window that openSMILE's frame count leaves out is
computed on its slice.
"""
from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ..core import grid
from ..core.segments import window_spans
from .audio import AudioExtractor, pooled_grid_frame, slice_span, windowed_frame
from .base import ExtractorError

FRAME_MODE_FIXED = """frameMode = fixed
frameSize = {window}
frameStep = {step}
frameCenterSpecial = left
"""


@lru_cache(maxsize=8)
def _cached_smile(feature_set: str, level: str, options: tuple):
    """openSMILE parses its configuration on construction: reuse it across clips of one process."""
    import opensmile

    levels = {"lld": opensmile.FeatureLevel.LowLevelDescriptors, "functionals": opensmile.FeatureLevel.Functionals}
    return opensmile.Smile(feature_set=opensmile.FeatureSet[feature_set], feature_level=levels[level], options=dict(options))


class OpenSmileExtractor(AudioExtractor):
    version = "2"
    packages = ("opensmile", "av", "silero-vad", "onnxruntime")

    def _smile(self, level: str, options: dict | None = None):
        import opensmile

        fs = self.params.get("feature_set", "eGeMAPSv02")
        if fs not in opensmile.FeatureSet.__members__:
            raise ExtractorError(f"extractor '{self.name}': unknown openSMILE feature_set '{fs}'; known: {sorted(opensmile.FeatureSet.__members__)}")
        if options:  # the windowed run's options name a temporary file: nothing to reuse
            return _cached_smile.__wrapped__(fs, level, tuple(sorted(options.items())))
        return _cached_smile(fs, level, ())

    def model_id(self) -> str:
        return f"opensmile:{self.params.get('feature_set', 'eGeMAPSv02')}:{self.params.get('level', 'lld')}"

    def features(self, audio, sr, duration, hop_s, session) -> pd.DataFrame:
        if self.params.get("level", "lld") == "lld":
            lld = self._smile("lld").process_signal(audio, sr)
            start = lld.index.get_level_values("start").total_seconds().to_numpy()
            end = lld.index.get_level_values("end").total_seconds().to_numpy()
            return pooled_grid_frame(session, (start + end) / 2, lld.to_numpy(), duration, hop_s, list(lld.columns))
        window = self.params.get("window_s", 4.0)
        spans = window_spans(duration, window, self.params.get("window_hop_s", 1.0))
        if len(spans) == 1:
            f = self._smile("functionals").process_signal(slice_span(audio, sr, *spans[0]), sr)
            return windowed_frame(session, spans, f.to_numpy(), list(f.columns))
        return self._windowed(audio, sr, spans, float(window), float(self.params.get("window_hop_s", 1.0) or window), session)

    def _windowed(self, audio, sr, spans, window, step, session) -> pd.DataFrame:
        with tempfile.TemporaryDirectory() as tmp:
            conf = Path(tmp) / "frame_mode_fixed.conf.inc"
            conf.write_text(FRAME_MODE_FIXED.format(window=window, step=step))
            f = self._smile("functionals", {"frameModeFunctionalsConf": str(conf)}).process_signal(audio, sr)
        starts = np.round(f.index.get_level_values("start").total_seconds().to_numpy(), grid.TIME_DECIMALS)
        by_start = dict(zip(starts, f.to_numpy()))
        rows = []
        for t0, t1 in spans:
            row = by_start.get(round(t0, grid.TIME_DECIMALS))
            if row is None:  # the last window(s): openSMILE's frame count stops short of the end
                row = self._smile("functionals").process_signal(slice_span(audio, sr, t0, t1), sr).iloc[0].to_numpy()
            rows.append(row)
        return windowed_frame(session, spans, np.vstack(rows), list(f.columns))
