"""Lexicon features of a text: VADER sentiment and NRC-VAD valence/arousal/dominance.

NRC-VAD (Mohammad 2018; research / non-commercial licence) is not shipped in any package: its
path is a parameter (``../shared/data/text_vad_lexicon_and_fb/NRC-VAD-Lexicon.txt`` here).
Texts with no lexicon word get NaN, not a neutral 0.5.
"""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import pandas as pd

_TOKEN = re.compile(r"[a-z]+(?:['-][a-z]+)*")


class LexiconError(ValueError):
    pass


class Vader:
    columns = ["vader_neg", "vader_neu", "vader_pos", "vader_compound"]
    model_id = "vaderSentiment"

    def __init__(self, **_ignored):
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self.analyzer = SentimentIntensityAnalyzer()
        self.weights_file = str(Path(importlib.util.find_spec("vaderSentiment").origin).parent / "vader_lexicon.txt")

    def encode(self, texts: list[str]) -> np.ndarray:
        scores = [self.analyzer.polarity_scores(t) for t in texts]
        return np.array([[s["neg"], s["neu"], s["pos"], s["compound"]] for s in scores], dtype=np.float32).reshape(-1, 4)


class NrcVad:
    columns = ["nrc_valence", "nrc_arousal", "nrc_dominance", "nrc_coverage"]

    def __init__(self, lexicon: str, **_ignored):
        path = Path(lexicon)
        if not path.exists():
            raise LexiconError(f"NRC-VAD lexicon not found: {path} (set the extractor's 'lexicon' to "
                               "NRC-VAD-Lexicon.txt, e.g. ../shared/data/text_vad_lexicon_and_fb/NRC-VAD-Lexicon.txt)")
        # words such as "nan" and "null" are entries, not missing values
        table = pd.read_csv(path, sep="\t", keep_default_na=False, dtype={0: str})
        table.columns = [c.strip().lower() for c in table.columns]
        need = {"word", "valence", "arousal", "dominance"}
        if not need <= set(table.columns):
            raise LexiconError(f"{path}: expected columns Word, Valence, Arousal, Dominance (tab-separated), got {list(table.columns)}")
        self.table = {w.lower(): (v, a, d) for w, v, a, d in table[["word", "valence", "arousal", "dominance"]].itertuples(index=False)}
        self.model_id = f"NRC-VAD:{path.name}"
        self.weights_file = str(path)

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.full((len(texts), 4), np.nan, dtype=np.float32)
        for i, text in enumerate(texts):
            tokens = _TOKEN.findall(text.lower())
            hits = [self.table[t] for t in tokens if t in self.table]
            if hits:
                out[i, :3] = np.mean(hits, axis=0)
            out[i, 3] = len(hits) / len(tokens) if tokens else np.nan
        return out
