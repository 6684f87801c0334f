"""The extractor interface and the one code path that writes extractor output to the store."""
from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..core import store

log = logging.getLogger(__name__)

# kind -> ("module:Class", modality). New extractors register here.
KINDS: dict[str, tuple[str, str]] = {
    "opensmile": ("affectflow.extractors.opensmile_features:OpenSmileExtractor", "audio"),
    # face extractors read the face detection cache (rules/face.smk), not the video itself
    "face_expression": ("affectflow.extractors.face_embeddings:ExpressionLogits", "video"),
    "face_efficientnet_lite0": ("affectflow.extractors.face_embeddings:EfficientNetLite0", "video"),
    "face_efficientnet": ("affectflow.extractors.face_embeddings:TransformersEfficientNet", "video"),
    "face_vgg16": ("affectflow.extractors.face_embeddings:VGG16LastConv", "video"),
    "face_clip": ("affectflow.extractors.face_embeddings:ClipEmbedding", "video"),
    "spectrogram": ("affectflow.extractors.spectrogram:SpectrogramExtractor", "audio"),
    "vggish": ("affectflow.extractors.vggish:VGGishExtractor", "audio"),
    "wav2vec2": ("affectflow.extractors.wav2vec2:Wav2Vec2HiddenStates", "audio"),
    "wav2vec2_dimensions": ("affectflow.extractors.wav2vec2:Wav2Vec2Dimensions", "audio"),
    "whisper_encoder": ("affectflow.extractors.whisper_encoder:WhisperEncoderExtractor", "audio"),
    "waveform_chunks": ("affectflow.extractors.waveform:WaveformChunksExtractor", "audio"),
    "text_embedding": ("affectflow.extractors.text:TextEmbeddingExtractor", "text"),
    "word_embeddings": ("affectflow.extractors.words:WordEmbeddingsExtractor", "text"),
    "text_e5": ("affectflow.extractors.text:E5Extractor", "text"),
    "text_logits": ("affectflow.extractors.text:TextLogitsExtractor", "text"),
    "vader": ("affectflow.extractors.text:VaderExtractor", "text"),
    "nrc_vad": ("affectflow.extractors.text:NrcVadExtractor", "text"),
}


class ExtractorError(RuntimeError):
    """An extractor that cannot run on an input; the message names the file and the problem."""


@dataclass(frozen=True)
class SessionMedia:
    dataset: str
    session: str
    video: str = ""
    audio: str = ""
    transcript: str = ""
    faces: str = ""  # face detection cache (Parquet; its crops file beside it), for video extractors


class Extractor:
    """Subclasses set ``version`` and ``packages`` and implement ``extract``."""

    version = "0"
    packages: tuple[str, ...] = ()

    def __init__(self, name: str, params: dict):
        self.name = name
        self.params = params

    def model_id(self) -> str | None:
        return None

    def weights_sha256(self) -> str | None:
        return None

    def source_files(self, media: SessionMedia) -> dict[str, str]:
        return {}

    def extract(self, media: SessionMedia, hop_s: float) -> pd.DataFrame:
        """Time-indexed rows (session, t_start, t_end, features…) for one session."""
        raise NotImplementedError


def kinds() -> list[str]:
    return sorted(KINDS)


def modality_of(kind: str) -> str:
    if kind not in KINDS:
        raise ExtractorError(f"unknown extractor kind '{kind}'; known: {kinds()}")
    return KINDS[kind][1]


def create(name: str, params: dict) -> Extractor:
    kind = params.get("kind")
    if kind not in KINDS:
        raise ExtractorError(f"extractor '{name}': unknown kind '{kind}'; known: {kinds()}")
    module, cls = KINDS[kind][0].split(":")
    return getattr(importlib.import_module(module), cls)(name, params)


def run(name: str, params: dict, media: SessionMedia, hop_s: float, out_path: str | Path,
        extractor: Extractor | None = None) -> pd.DataFrame:
    """Extract one session and write it, with provenance, to the store (atomically).

    ``extractor``: an instance to reuse (a shard job runs one per session of the shard)."""
    extractor = extractor or create(name, params)
    log.info("extractor %s (%s v%s) on %s/%s", name, params["kind"], extractor.version, media.dataset, media.session)
    df = extractor.extract(media, hop_s)
    record = store.provenance(
        extractor=name,
        extractor_version=f"{params['kind']}/{extractor.version}",
        dataset=media.dataset,
        session=media.session,
        params={**params, "hop_s": hop_s},
        model_id=extractor.model_id(),
        weights_sha256=extractor.weights_sha256(),
        packages=extractor.packages,
        sources=extractor.source_files(media),
    )
    store.write(df, out_path, record)
    log.info("wrote %d rows × %d columns to %s", len(df), df.shape[1], out_path)
    return df


def run_shard(name: str, params: dict, sessions: list[SessionMedia], hop_s: float, out_paths: list[str]) -> None:
    """Extract several sessions with one extractor instance (its model loaded once), each written
    to its own store file exactly as ``run`` writes it."""
    if len(sessions) != len(out_paths):
        raise ValueError(f"{len(sessions)} sessions for {len(out_paths)} output files")
    extractor = create(name, params)
    for media, out in zip(sessions, out_paths):
        run(name, params, media, hop_s, out, extractor=extractor)
