"""Fine-tune a transformer with a classification head on a labelled text corpus (Rios et al.):
cross-entropy, AdamW with layer-wise learning-rate decay (head included, ``llrd``), linear
warm-up/decay, early stopping on dev micro-F1. The best epoch's checkpoint is saved with
``save_pretrained`` (so ``text_logits`` and any ``AutoModelForSequenceClassification`` user
load it), with its tokenizer and ``label_map.json``.

Multi-label texts are expanded to one training row per gold label (single-label cross-entropy,
as the paper's released code trains on GoEmotions); dev/test are scored as top-1 micro-F1
against the gold label set (``evaluation.top1_f1``).
"""
from __future__ import annotations

import json
import logging
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ..core import pretrained
from . import llrd
from .corpora import TextCorpus, subsample
from .encoders import pick_device, resolve_model
from .evaluation import first_label_targets, top1_f1

log = logging.getLogger(__name__)


def _predict(model, tokenizer, texts: list[str], batch_size: int, max_length: int, device: str) -> np.ndarray:
    import torch

    model.eval()
    out = []
    with torch.inference_mode():
        for lo in range(0, len(texts), batch_size):
            b = tokenizer(texts[lo:lo + batch_size], padding=True, truncation=True, max_length=max_length, return_tensors="pt").to(device)
            out.append(model(**b).logits.float().cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, model.config.num_labels))


def finetune(base_model: str, corpus: TextCorpus, out_dir: str | Path, *, lr: float = 2e-5, layer_decay: float = 0.95,
             weight_decay: float = 0.01, epochs: int = 10, patience: int = 3, batch_size: int = 32, max_length: int = 128,
             max_train: int | None = None, max_eval: int | None = None, device: str = "auto", seed: int = 0) -> dict:
    """Train, keep the best dev micro-F1 epoch, save it under ``out_dir``; return the training record."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    if corpus.kind != "categorical":
        raise ValueError(f"corpus '{corpus.name}' is dimensional: fine-tuning here trains classifiers")
    missing = [s for s in ("train", "dev") if s not in corpus.splits]
    if missing:
        raise ValueError(f"corpus '{corpus.name}' has no {' and no '.join(missing)} split: it cannot be used for fine-tuning")
    torch.manual_seed(seed)
    device = pick_device(device)
    classes = list(corpus.classes)
    train = subsample(corpus.split("train"), max_train, seed)
    dev = subsample(corpus.split("dev"), max_eval, seed)
    test = subsample(corpus.split("test"), max_eval, seed) if "test" in corpus.splits else None
    rows, y = first_label_targets(train, classes)
    texts = train["text"].to_numpy()[rows].tolist()

    path = resolve_model(base_model)
    what = f"fine-tuning base model '{base_model}'"
    tokenizer = pretrained.load_local(AutoTokenizer.from_pretrained, path, what)
    model = pretrained.load_local(
        AutoModelForSequenceClassification.from_pretrained, path, what,
        num_labels=len(classes), id2label=dict(enumerate(classes)), label2id={c: i for i, c in enumerate(classes)})
    model.to(device)
    groups = llrd.param_groups(model, lr, layer_decay, weight_decay)
    optimiser = torch.optim.AdamW([{k: g[k] for k in ("params", "lr", "weight_decay")} for g in groups])
    steps = epochs * math.ceil(len(texts) / batch_size)
    warmup = max(1, int(0.1 * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup))))
    log.info("fine-tuning %s on %s: %d training rows, %d classes, %d LLRD groups (lr %.2e .. %.2e), %s",
             base_model, corpus.name, len(texts), len(classes), len(groups), max(g["lr"] for g in groups),
             min(g["lr"] for g in groups), device)

    out_dir = Path(out_dir)
    gen = np.random.default_rng(seed)
    best, history, bad_epochs = -1.0, [], 0
    for epoch in range(1, epochs + 1):
        t0 = time.time()
        model.train()
        order = gen.permutation(len(texts))
        losses = []
        for lo in range(0, len(order), batch_size):
            idx = order[lo:lo + batch_size]
            b = tokenizer([texts[i] for i in idx], padding=True, truncation=True, max_length=max_length, return_tensors="pt").to(device)
            loss = torch.nn.functional.cross_entropy(model(**b).logits, torch.as_tensor(y[idx], device=device))
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            losses.append(loss.item())
        logits = _predict(model, tokenizer, dev["text"].tolist(), batch_size * 2, max_length, device)
        score = top1_f1(list(dev["labels"]), [classes[k] for k in logits.argmax(1)], classes)
        history.append({"epoch": epoch, "train_loss": float(np.mean(losses)), "dev_micro_f1": score["micro_f1"],
                        "dev_macro_f1": score["macro_f1"], "seconds": round(time.time() - t0, 1)})
        log.info("epoch %d: loss %.4f dev micro-F1 %.4f", epoch, history[-1]["train_loss"], score["micro_f1"])
        if score["micro_f1"] > best:
            best, bad_epochs = score["micro_f1"], 0
            model.save_pretrained(out_dir / "checkpoint")
            tokenizer.save_pretrained(out_dir / "checkpoint")
        else:
            bad_epochs += 1
            if bad_epochs >= patience:
                log.info("early stop after epoch %d (no better dev micro-F1 for %d epochs)", epoch, patience)
                break

    record = {"base_model": base_model, "corpus": corpus.name, "language": corpus.language, "classes": classes,
              "n_train_rows": len(texts), "n_dev": len(dev), "history": history, "best_dev_micro_f1": best,
              "best_epoch": max(history, key=lambda h: h["dev_micro_f1"])["epoch"],
              "optimiser": {"lr": lr, "layer_decay": layer_decay, "weight_decay": weight_decay,
                            "groups": [{"depth": g["depth"], "lr": g["lr"], "weight_decay": g["weight_decay"], "n_params": len(g["params"])} for g in groups]}}
    if test is not None:
        best_model = pretrained.load_local(AutoModelForSequenceClassification.from_pretrained, str(out_dir / "checkpoint"),
                                           "best fine-tuned checkpoint").to(device)
        logits = _predict(best_model, tokenizer, test["text"].tolist(), batch_size * 2, max_length, device)
        record["test"] = top1_f1(list(test["labels"]), [classes[k] for k in logits.argmax(1)], classes)
        log.info("test micro-F1 %.4f", record["test"]["micro_f1"])
    (out_dir / "label_map.json").write_text(json.dumps({"id2label": dict(enumerate(classes)), "corpus": corpus.name}, indent=1))
    return record
