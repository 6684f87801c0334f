"""Scores for sentence-level text models, and the frozen-encoder baselines on the text corpora.

Classification is scored as multi-label micro-F1 of the top-1 prediction against each text's
gold label set (for single-label corpora such as MELD it equals accuracy), the measure Rios et
al. stop on and report. Dimensional corpora (EmoBank) get Pearson r per dimension.
"""
from __future__ import annotations

import logging

import numpy as np
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import f1_score
from sklearn.preprocessing import MultiLabelBinarizer
from scipy.stats import pearsonr

from .corpora import TextCorpus

log = logging.getLogger(__name__)


def top1_f1(gold: list[tuple[str, ...]], pred: list[str], classes: list[str]) -> dict:
    mlb = MultiLabelBinarizer(classes=classes).fit([classes])
    y, p = mlb.transform(gold), mlb.transform([(x,) for x in pred])
    return {"micro_f1": float(f1_score(y, p, average="micro", zero_division=0)),
            "macro_f1": float(f1_score(y, p, average="macro", zero_division=0)), "n": len(gold)}


def first_label_targets(corpus_split, classes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Rows expanded to one (row index, class index) pair per gold label, as single-label CE training does."""
    rows, ys = [], []
    for i, labels in enumerate(corpus_split["labels"]):
        for lab in labels:
            rows.append(i)
            ys.append(classes.index(lab))
    return np.asarray(rows), np.asarray(ys)


def linear_probe_classification(corpus: TextCorpus, features: dict[str, np.ndarray], cs=(0.1, 1.0, 10.0)) -> dict:
    """Logistic regression on frozen sentence features; C chosen by dev micro-F1; test scores."""
    train, dev, test = (corpus.split(s) for s in ("train", "dev", "test"))
    rows, y = first_label_targets(train, corpus.classes)
    X = features["train"][rows]
    best = None
    for c in cs:
        clf = LogisticRegression(C=c, max_iter=2000).fit(X, y)
        score = top1_f1(list(dev["labels"]), [corpus.classes[k] for k in clf.predict(features["dev"])], corpus.classes)
        log.info("%s C=%g dev micro-F1 %.4f", corpus.name, c, score["micro_f1"])
        if best is None or score["micro_f1"] > best[0]["micro_f1"]:
            best = (score, c, clf)
    score, c, clf = best
    out = top1_f1(list(test["labels"]), [corpus.classes[k] for k in clf.predict(features["test"])], corpus.classes)
    return {"corpus": corpus.name, "C": c, "dev_micro_f1": score["micro_f1"], **{f"test_{k}": v for k, v in out.items()}}


def linear_probe_regression(corpus: TextCorpus, features: dict[str, np.ndarray], alphas=(0.1, 1.0, 10.0, 100.0)) -> dict:
    """Ridge per dimension on frozen features; alpha by dev Pearson r; test Pearson r."""
    train, dev, test = (corpus.split(s) for s in ("train", "dev", "test"))
    out = {"corpus": corpus.name}
    for dim in corpus.dimensions:
        scored = []
        for a in alphas:
            m = Ridge(alpha=a).fit(features["train"], train[dim])
            scored.append((pearsonr(dev[dim], m.predict(features["dev"]))[0], a, m))
        r_dev, a, m = max(scored, key=lambda s: s[0])
        out[f"{dim}_r"] = float(pearsonr(test[dim], m.predict(features["test"]))[0])
        out[f"{dim}_alpha"] = a
        out[f"{dim}_dev_r"] = float(r_dev)
    return out
