"""Late fusion on a sentence corpus with rated dimensions (EmoBank): each text representation is a modality.

Rios et al. fuse per segment; a rated sentence corpus is the same problem with one segment per
sentence, so the models, tuning and Table 1 are the same code (:mod:`.training`, :mod:`.report`).
Rows keep the corpus's official splits (``dev`` → ``devel``); the groups of the speaker-disjoint
tuning folds are the source documents (EmoBank ids are ``{document}_{start}_{end}``), so no
document sits on both sides of a tuning fold. EmoBank's official splits themselves are by
sentence: a document may have sentences in train and test (the corpus's choice, kept).
"""
from __future__ import annotations

import pandas as pd

from ...text import corpora
from . import combinations, training


def document_of(sentence_id: str) -> str:
    return str(sentence_id).rsplit("_", 2)[0]


def sentence_table(corpus: corpora.TextCorpus, representations: dict[str, object]) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """One row per sentence with every representation's columns (``{name}__{i}`` or the encoder's
    ``columns``); returns the table and each modality's columns."""
    table = corpus.table.reset_index(drop=True)
    base = pd.DataFrame({"session": table["id"].astype(str), "speaker": table["id"].map(document_of),
                         "partition": table["split"].replace({"dev": "devel"}), "label_valid": True})
    base[corpus.dimensions] = table[corpus.dimensions].to_numpy(dtype=float)
    parts, columns = [base], {}
    texts = table["text"].tolist()
    for name, encoder in representations.items():
        X = encoder.encode(texts)
        names = getattr(encoder, "columns", None) or [f"{i}" for i in range(X.shape[1])]
        columns[name] = [f"{name}__{c}" for c in names]
        parts.append(pd.DataFrame(X, columns=columns[name]))
    return pd.concat(parts, axis=1), columns


def run(table: pd.DataFrame, columns: dict[str, list[str]], dims: list[str], kinds: list[str],
        tuner: training.Tuner) -> tuple[dict[str, pd.DataFrame], dict[str, dict]]:
    """Every combination of the representations: ``(scores, infos)`` keyed by combination (Table 1 order)."""
    scores, infos = {}, {}
    for combo in combinations.combinations(list(columns)):
        cols = [c for m in combo.split(combinations.SEP) for c in columns[m]]
        _, scores[combo], infos[combo] = training.run(table, cols, dims, kinds, tuner)
    return scores, infos
