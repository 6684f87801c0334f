"""Tables and figures of a temporal-aggregation cross-validation (birhala-…: Table I, Figs. 3-5)."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from ...core.store import atomic_path
from ...evaluation import plots, tables
from .cv import summarise


def faceless_counts(pred: pd.DataFrame, segments: int) -> dict:
    """Held-out segments whose drawn frame has no face (no frame of the segment had one): the
    network saw a black crop there. Counted over all clips, and as clips with any / only such segments."""
    f = pred["faceless_segments"].to_numpy()
    return {"segments_drawn": int(len(pred) * segments), "faceless_segments": int(f.sum()),
            "clips_with_a_faceless_segment": int((f > 0).sum()), "clips_without_any_face": int((f == segments).sum())}


class ReportError(ValueError):
    pass


# Reported in the paper's Table I (CREMA-D, 10-fold user-independent CV): quoted, never rerun here.
PAPER_TABLE_I = [("Human accuracy [15]", 63.6), ("CNN-based approach [4]", 55.8), ("RMA [6]", 65.0), ("MERML [16]", 66.5),
                 ("Proposed method (N = 10)", 68.4)]


def folds_digest(pred: pd.DataFrame) -> str:
    """Short hash of the (clip, fold) assignment: equal digests mean the same cross-validation folds."""
    pairs = sorted(zip(pred["session"].astype(str), pred["fold"].astype(int)))
    return hashlib.sha256("\n".join(f"{s}\t{f}" for s, f in pairs).encode()).hexdigest()[:16]


def learning_curves(history: pd.DataFrame) -> pd.DataFrame:
    """One row per epoch: train/validation loss and accuracy averaged over the folds (Fig. 3)."""
    cols = ["train_loss", "train_accuracy", "val_loss", "val_accuracy"]
    epochs = history.groupby("fold")["epoch"].nunique()
    if epochs.nunique() != 1:
        raise ReportError(f"folds trained for different numbers of epochs: {epochs.to_dict()}")
    bad = history[~np.isfinite(history[cols].to_numpy(dtype=float)).all(axis=1)]
    if not bad.empty:
        raise ReportError(f"non-finite loss or accuracy in fold/epoch {bad[['fold', 'epoch']].values.tolist()}")
    curves = history.groupby("epoch")[cols].mean().reset_index()
    curves["folds"] = int(history["fold"].nunique())
    return curves


def accuracy_row(per_fold: pd.DataFrame, recall: pd.DataFrame, segments: int, pred: pd.DataFrame | None = None,
                 history: pd.DataFrame | None = None) -> dict:
    row = {"segments": segments, "folds": len(per_fold), "clips": int(per_fold["clips"].sum()),
           "mean_accuracy": float(per_fold["accuracy"].mean()), "std_accuracy": float(per_fold["accuracy"].std(ddof=0))}
    if history is not None:  # measured wall time of the training loops (sampling + optimisation), all folds
        per_fold_s = history.groupby("fold")["train_seconds"].sum()
        row.update({"train_seconds": float(per_fold_s.sum()), "train_seconds_per_fold": float(per_fold_s.mean())})
    if pred is not None:
        row["folds_digest"] = folds_digest(pred)
        row.update(faceless_counts(pred, segments))
    row.update({f"recall_{c}": r for c, r in zip(recall["class"], recall["recall"])})
    return row


def write_segments_report(pred: pd.DataFrame, classes: list[str], segments: int, model: str, out: dict,
                          history: pd.DataFrame | None = None) -> dict:
    """One N: Markdown (folds, recall, confusion), summary CSV, confusion CSV and PNG and, with the
    folds' training ``history``, the learning curves (``curves_csv``, ``curves_png``). Returns the summary row."""
    per_fold, recall, confusion = summarise(pred, classes)
    per_fold["faceless_segments"] = per_fold["fold"].map(pred.groupby("fold")["faceless_segments"].sum()).astype(int)
    if history is not None:
        per_fold["train_seconds"] = per_fold["fold"].map(history.groupby("fold")["train_seconds"].sum())
    row = accuracy_row(per_fold, recall, segments, pred, history)
    text = (f"# {model}: temporal aggregation, N = {segments} segments\n\n"
            f"Speaker-independent {len(per_fold)}-fold cross-validation (no actor in two folds). "
            f"Mean accuracy over folds: **{100 * row['mean_accuracy']:.1f} %** (std {100 * row['std_accuracy']:.1f} %). "
            "Clip label = argmax of the summed segment class probabilities. Recall and the confusion matrix pool "
            "the out-of-fold predictions of all folds.\n\n"
            f"Faceless segments (no frame of the segment has a detected face, so a black crop was used): "
            f"**{row['faceless_segments']} of {row['segments_drawn']}** held-out segments; "
            f"{row['clips_with_a_faceless_segment']} of {row['clips']} clips have at least one, "
            f"{row['clips_without_any_face']} have no face in any segment.\n\n"
            + (f"Training time (measured wall seconds of the training loops, all folds): **{row['train_seconds']:.1f} s** "
               f"({row['train_seconds_per_fold']:.1f} s per fold).\n\n" if history is not None else "")
            + f"## Accuracy per fold\n\n{per_fold.to_markdown(index=False, floatfmt='.3f')}\n\n"
            f"## Recall per class\n\n{recall.to_markdown(index=False, floatfmt='.3f')}\n\n"
            f"## Confusion matrix (rows: true, columns: predicted; clips)\n\n{confusion.to_markdown()}\n")
    with atomic_path(out["markdown"]) as tmp:
        Path(tmp).write_text(text)
    tables.write_csv(pd.DataFrame([row]), out["summary"])
    with atomic_path(out["confusion_csv"]) as tmp:
        confusion.to_csv(tmp)
    plots.confusion_matrix(confusion, out["confusion_png"],
                           title=f"{model}, N = {segments}: mean accuracy {100 * row['mean_accuracy']:.1f} %")
    if history is not None:
        curves = learning_curves(history)
        tables.write_csv(curves, out["curves_csv"])
        plots.learning_curves(curves, out["curves_png"], title=f"{model}, N = {segments}: mean of {row['folds']} folds "
                              "(validation: the held-out fold)")
    return row


def write_table1(summaries: list[pd.DataFrame], model: str, markdown_path, csv_path) -> pd.DataFrame:
    """The paper's Table I for our runs: mean accuracy over the folds per N, the N = 1 baseline
    first, all N on the same folds (checked by their ``folds_digest``), with the training time."""
    table = pd.concat(summaries, ignore_index=True).sort_values("segments").reset_index(drop=True)
    if 1 not in set(table["segments"]):
        raise ReportError(f"{model}: Table I needs the N = 1 baseline; got N = {table['segments'].tolist()}")
    digests = dict(zip(table["segments"], table["folds_digest"]))
    if len(set(digests.values())) != 1:
        raise ReportError(f"{model}: the numbers of segments were evaluated on different folds (digest per N: {digests})")
    out = pd.DataFrame({"method": ["Single segment (N = 1), same folds" if n == 1 else f"Temporal aggregation, N = {n}"
                                   for n in table["segments"]],
                        "segments": table["segments"], "accuracy_pct": 100 * table["mean_accuracy"],
                        "std_pct": 100 * table["std_accuracy"], "folds": table["folds"], "clips": table["clips"],
                        "train_seconds": table["train_seconds"], "train_seconds_per_fold": table["train_seconds_per_fold"],
                        "folds_digest": table["folds_digest"]})
    tables.write_csv(out, csv_path)
    shown = pd.DataFrame({"Method": out["method"], "Accuracy [%]": out["accuracy_pct"].map("{:.1f}".format),
                          "± std over folds": out["std_pct"].map("{:.1f}".format),
                          "Training time [s] (all folds)": out["train_seconds"].map("{:.1f}".format),
                          "per fold [s]": out["train_seconds_per_fold"].map("{:.1f}".format)})
    paper = pd.DataFrame(PAPER_TABLE_I, columns=["Method", "Accuracy [%]"])
    text = (f"# {model}: Table I (average accuracy rate)\n\n"
            f"Mean accuracy over {int(out['folds'].iloc[0])} speaker-independent folds ({int(out['clips'].iloc[0])} clips); "
            f"every row uses the same folds (fold digest `{out['folds_digest'].iloc[0]}`). Training time: measured wall "
            "seconds of the training loops (clip sampling + optimisation), summed over the folds.\n\n"
            f"{shown.to_markdown(index=False, disable_numparse=True)}\n\n"
            "## Reported in the paper (CREMA-D, 10 folds; quoted, not rerun here)\n\n"
            f"{paper.to_markdown(index=False, floatfmt='.1f')}\n")
    with atomic_path(markdown_path) as tmp:
        Path(tmp).write_text(text)
    return out


def write_accuracy_vs_segments(summaries: list[pd.DataFrame], model: str, csv_path, png_path) -> pd.DataFrame:
    table = pd.concat(summaries, ignore_index=True).sort_values("segments")
    tables.write_csv(table, csv_path)
    plots.accuracy_vs_segments(table, png_path, title=f"{model}: accuracy vs number of segments")
    return table
