"""Per-word embeddings as model input (tzirakis-…: the text network reads, per frame, the word
matrix of the sentence being spoken).

Rows are *words*, not grid frames: ``t_start``/``t_end`` are the word's own times, ``utterance``
its interpausal unit (index in the transcript) with that unit's span ``utt_start``/``utt_end``,
``word_index`` its position in the unit, ``word`` its text, then the encoder's ``emb_*`` columns.
Each distinct word is encoded on its own (the paper's XLNet "with enriched subword information"
is contextual; here the subword pooling of a sentence encoder over the word alone stands in, so a
word has one vector wherever it occurs). The grid, the 0.5 s text delay and the per-frame word
matrix are built by the sequence core (``affectflow.models.sequence.raw``), so one store serves
every delay. Frames are never stored here, so a session without words has zero rows.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..text import transcripts
from .base import ExtractorError, SessionMedia
from .text import TextEmbeddingExtractor, session_duration

INDEX = ["utterance", "utt_start", "utt_end", "word_index", "word"]


class WordEmbeddingsExtractor(TextEmbeddingExtractor):
    def extract(self, media: SessionMedia, hop_s: float) -> pd.DataFrame:
        if not media.transcript:
            raise ExtractorError(f"extractor '{self.name}': session {media.session} has no transcript "
                                 "(set the dataset's transcripts: asr to transcribe its audio)")
        tr = transcripts.read(media.transcript, duration_s=session_duration(media), pause_s=self.params.get("pause_s", transcripts.PAUSE_S))
        rows = [(u_i, u.start, u.end, w_i, w.text, w.start, w.end)
                for u_i, u in enumerate(tr.utterances) for w_i, w in enumerate(u.words)]
        enc = self.encoder
        words = list(dict.fromkeys(r[4] for r in rows))
        vectors = enc.encode(words) if words else np.zeros((0, len(enc.columns)), np.float32)
        lookup = {w: i for i, w in enumerate(words)}
        out = pd.DataFrame({
            "session": media.session,
            "t_start": np.array([r[5] for r in rows], dtype=np.float64),
            "t_end": np.array([r[6] for r in rows], dtype=np.float64),
            "utterance": np.array([r[0] for r in rows], dtype=np.int64),
            "utt_start": np.array([r[1] for r in rows], dtype=np.float64),
            "utt_end": np.array([r[2] for r in rows], dtype=np.float64),
            "word_index": np.array([r[3] for r in rows], dtype=np.int64),
            "word": [r[4] for r in rows],
        })
        emb = vectors[[lookup[r[4]] for r in rows]] if rows else vectors
        return pd.concat([out, pd.DataFrame(emb, columns=enc.columns)], axis=1)


def embedding_columns(df: pd.DataFrame) -> list[str]:
    cols = [c for c in df.columns if c.startswith("emb_")]
    if not cols:
        raise ValueError("word embeddings table has no emb_* columns")
    return cols
