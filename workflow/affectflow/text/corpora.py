"""Sentence-level labelled text sets (no media, no timing): a small API apart from the session
manifests, for training and evaluating text models.

A :class:`TextCorpus` is a table with ``id``, ``split`` (train / dev / test), ``text`` and either
``labels`` (a tuple of class names: single- or multi-label) or one float column per dimension
(``valence``, ``arousal``, ``dominance``). Loaders, by name (``load(name, root)``):

| name | what | splits |
|---|---|---|
| ``goemotions`` | GoEmotions, 27 emotions + neutral, multi-label | official train/dev/test |
| ``goemotions_ekman`` | the same comments mapped to Ekman's 6 + neutral | official |
| ``goemotions_de`` | GoEmotions dev/test machine-translated to German (Ekman labels) | dev, test (no train upstream) |
| ``meld`` / ``meld_de`` | MELD utterances, 7 emotions; English / German subtitles | official (``NOT FOUND`` alignments dropped) |
| ``xed_en`` / ``xed_de`` | XED movie subtitles, 8 Plutchik emotions, multi-label | none upstream: a fixed 80/10/10 split by text hash |
| ``emobank`` | EmoBank sentences, continuous V/A/D in [1, 5] | official |

``root`` is the folder holding ``goemotions/``, ``german_text_emotion/``, ``meld_text/``, ``emobank/``.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

SPLITS = ("train", "dev", "test")
VAD = ["valence", "arousal", "dominance"]
XED_LABELS = {1: "anger", 2: "anticipation", 3: "disgust", 4: "fear", 5: "joy", 6: "sadness", 7: "surprise", 8: "trust"}


class CorpusError(ValueError):
    """A corpus that cannot be read; the message names the file and the problem."""


@dataclass
class TextCorpus:
    name: str
    language: str
    table: pd.DataFrame
    classes: list[str] = field(default_factory=list)   # categorical corpora
    dimensions: list[str] = field(default_factory=list)  # dimensional corpora

    @property
    def kind(self) -> str:
        return "categorical" if self.classes else "dimensional"

    def split(self, name: str) -> pd.DataFrame:
        if name not in SPLITS:
            raise CorpusError(f"corpus '{self.name}': unknown split '{name}' (train, dev, test)")
        return self.table[self.table["split"] == name].reset_index(drop=True)

    @property
    def splits(self) -> list[str]:
        return [s for s in SPLITS if (self.table["split"] == s).any()]


def _need(path: Path) -> Path:
    if not path.exists():
        raise CorpusError(f"corpus file not found: {path}")
    return path


def _text_bucket(text: str, n: int) -> int:
    """A stable bucket in ``range(n)`` from the text itself (splits that survive reordering)."""
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % n


def _hash_split(text: str) -> str:
    h = _text_bucket(text, 10)
    return "test" if h == 0 else "dev" if h == 1 else "train"


def goemotions(root: str | Path, taxonomy: str = "original") -> TextCorpus:
    folder = Path(root) / "goemotions" / taxonomy
    classes = _need(folder / "labels.txt").read_text().split()
    files = {"original": {"train": "train.tsv", "dev": "dev.tsv", "test": "test.tsv"},
             "ekman": {"train": "train.tsv", "dev": "valid.tsv", "test": "test.tsv"}}[taxonomy]
    parts = []
    for split, fname in files.items():
        df = pd.read_csv(_need(folder / fname), sep="\t", dtype=str, keep_default_na=False, quoting=3)
        if not {"text", "label", "id"} <= set(df.columns):
            raise CorpusError(f"{folder / fname}: expected columns text, label, id; got {list(df.columns)}")
        labels = [tuple(classes[int(i)] for i in str(v).split(",")) for v in df["label"]]
        parts.append(pd.DataFrame({"id": df["id"], "split": split, "text": df["text"], "labels": labels}))
    name = "goemotions" if taxonomy == "original" else f"goemotions_{taxonomy}"
    return TextCorpus(name, "en", pd.concat(parts, ignore_index=True), classes=classes)


def goemotions_de(root: str | Path) -> TextCorpus:
    folder = Path(root) / "german_text_emotion" / "GoEmotions_German"
    parts = []
    for split in ("dev", "test"):
        df = pd.read_csv(_need(folder / f"{split}.csv"), dtype=str, keep_default_na=False)
        # one row per (comment, label) upstream: group them back into multi-label comments by the
        # English source (each row was translated on its own, so the German may differ slightly)
        g = df.groupby("en_text", sort=False).agg(id=("idx", "first"), text=("de_text", "first"),
                                                  labels=("ekman_label", lambda s: tuple(dict.fromkeys(s))))
        parts.append(pd.DataFrame({"id": g["id"].to_numpy(), "split": split, "text": g["text"].to_numpy(), "labels": g["labels"].to_numpy()}))
    classes = ["anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise"]
    return TextCorpus("goemotions_de", "de", pd.concat(parts, ignore_index=True), classes=classes)


def meld(root: str | Path, language: str = "en") -> TextCorpus:
    parts = []
    for split in SPLITS:
        if language == "de":
            path = _need(Path(root) / "german_text_emotion" / "MELD_Friends_German" / f"{split}_de.csv")
            df = pd.read_csv(path, dtype=str, keep_default_na=False)
            df = df[df["utterance_de"].str.strip().ne("NOT FOUND") & df["utterance_de"].str.strip().ne("")]
            ids = "dia" + df["dialogue_id"] + "_s" + df["sentence_id"]
            parts.append(pd.DataFrame({"id": ids, "split": split, "text": df["utterance_de"], "labels": [(x,) for x in df["label"]]}))
        else:
            path = _need(Path(root) / "meld_text" / "MELD" / f"{split}_sent_emo.csv")
            df = pd.read_csv(path, dtype=str, keep_default_na=False)
            ids = "dia" + df["Dialogue_ID"] + "_utt" + df["Utterance_ID"]
            parts.append(pd.DataFrame({"id": ids, "split": split, "text": df["Utterance"], "labels": [(x,) for x in df["Emotion"]]}))
    classes = ["anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise"]
    return TextCorpus("meld" if language == "en" else "meld_de", language, pd.concat(parts, ignore_index=True), classes=classes)


def xed(root: str | Path, language: str = "en") -> TextCorpus:
    fname = "en-annotated.tsv" if language == "en" else "de-projections.tsv"
    path = _need(Path(root) / "german_text_emotion" / "XED" / fname)
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        fields = line.rstrip("\r").split("\t")
        if len(fields) != 2:  # OPUS alignment metadata rows (no label) in the German file
            continue
        text, labels = fields
        try:
            names = tuple(XED_LABELS[int(x)] for x in labels.split(","))
        except (KeyError, ValueError) as exc:
            raise CorpusError(f"{path}, line {n}: labels '{labels}' are not XED codes 1-8") from exc
        rows.append({"id": f"xed_{language}_{n}", "split": _hash_split(text), "text": text, "labels": names})
    return TextCorpus(f"xed_{language}", language, pd.DataFrame(rows), classes=list(XED_LABELS.values()))


def emobank(root: str | Path) -> TextCorpus:
    path = _need(Path(root) / "emobank" / "emobank.csv")
    df = pd.read_csv(path, keep_default_na=False)
    if not {"id", "split", "V", "A", "D", "text"} <= set(df.columns):
        raise CorpusError(f"{path}: expected columns id, split, V, A, D, text; got {list(df.columns)}")
    table = pd.DataFrame({"id": df["id"], "split": df["split"], "text": df["text"].astype(str),
                          "valence": df["V"].astype(float), "arousal": df["A"].astype(float), "dominance": df["D"].astype(float)})
    return TextCorpus("emobank", "en", table, dimensions=list(VAD))


def subsample(df: pd.DataFrame, n: int | None, seed: int = 0) -> pd.DataFrame:
    """At most ``n`` rows; stratified on the first label (so rare classes stay in) when there are labels."""
    if n is None or len(df) <= n:
        return df
    if "labels" not in df.columns:
        return df.sample(n, random_state=seed).sort_index()
    first = df["labels"].map(lambda t: t[0])
    frac = n / len(df)
    parts = [g.sample(max(1, int(round(len(g) * frac))), random_state=seed) for _, g in df.groupby(first, sort=True)]
    return pd.concat(parts).sort_index().head(n)


def train_from_dev(corpus: TextCorpus, dev_share: float = 0.2) -> TextCorpus:
    """For a corpus without a train split: its dev split becomes train, minus a fixed
    ``dev_share`` (by text hash) kept as dev; test stays untouched."""
    table = corpus.table.copy()
    dev = table["split"] == "dev"
    keep_dev = table["text"].map(lambda t: _text_bucket(t, 100) < dev_share * 100)
    table.loc[dev & ~keep_dev, "split"] = "train"
    return TextCorpus(corpus.name, corpus.language, table, classes=corpus.classes, dimensions=corpus.dimensions)


CORPORA: dict[str, Callable[[str | Path], TextCorpus]] = {
    "goemotions": lambda root: goemotions(root, "original"),
    "goemotions_ekman": lambda root: goemotions(root, "ekman"),
    "goemotions_de": goemotions_de,
    "meld": lambda root: meld(root, "en"),
    "meld_de": lambda root: meld(root, "de"),
    "xed_en": lambda root: xed(root, "en"),
    "xed_de": lambda root: xed(root, "de"),
    "emobank": emobank,
}


def load(name: str, root: str | Path) -> TextCorpus:
    if name not in CORPORA:
        raise CorpusError(f"unknown text corpus '{name}'; known: {sorted(CORPORA)}")
    return CORPORA[name](root)
