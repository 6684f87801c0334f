"""Tables and figures of a temporal-aggregation cross-validation (birhala-…: Table I, Figs. 4-5)."""
from __future__ import annotations

from pathlib import Path

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


def accuracy_row(per_fold: pd.DataFrame, recall: pd.DataFrame, segments: int, pred: pd.DataFrame | None = None) -> dict:
    row = {"segments": segments, "folds": len(per_fold), "clips": int(per_fold["clips"].sum()),
           "mean_accuracy": float(per_fold["accuracy"].mean()), "std_accuracy": float(per_fold["accuracy"].std(ddof=0))}
    if pred is not None:
        row.update(faceless_counts(pred, segments))
    row.update({f"recall_{c}": r for c, r in zip(recall["class"], recall["recall"])})
    return row


def write_segments_report(pred: pd.DataFrame, classes: list[str], segments: int, model: str, out: dict) -> dict:
    """One N: Markdown (folds, recall, confusion), summary CSV, confusion CSV and PNG. Returns the summary row."""
    per_fold, recall, confusion = summarise(pred, classes)
    per_fold["faceless_segments"] = per_fold["fold"].map(pred.groupby("fold")["faceless_segments"].sum()).astype(int)
    row = accuracy_row(per_fold, recall, segments, pred)
    text = (f"# {model}: temporal aggregation, N = {segments} segments\n\n"
            f"Speaker-independent {len(per_fold)}-fold cross-validation (no actor in two folds). "
            f"Mean accuracy over folds: **{100 * row['mean_accuracy']:.1f} %** (std {100 * row['std_accuracy']:.1f} %). "
            "Clip label = argmax of the summed segment class probabilities. Recall and the confusion matrix pool "
            "the out-of-fold predictions of all folds.\n\n"
            f"Faceless segments (no frame of the segment has a detected face, so a black crop was used): "
            f"**{row['faceless_segments']} of {row['segments_drawn']}** held-out segments; "
            f"{row['clips_with_a_faceless_segment']} of {row['clips']} clips have at least one, "
            f"{row['clips_without_any_face']} have no face in any segment.\n\n"
            f"## Accuracy per fold\n\n{per_fold.to_markdown(index=False, floatfmt='.3f')}\n\n"
            f"## Recall per class\n\n{recall.to_markdown(index=False, floatfmt='.3f')}\n\n"
            f"## Confusion matrix (rows: true, columns: predicted; clips)\n\n{confusion.to_markdown()}\n")
    with atomic_path(out["markdown"]) as tmp:
        Path(tmp).write_text(text)
    tables.write_csv(pd.DataFrame([row]), out["summary"])
    with atomic_path(out["confusion_csv"]) as tmp:
        confusion.to_csv(tmp)
    plots.confusion_matrix(confusion, out["confusion_png"],
                           title=f"{model}, N = {segments}: mean accuracy {100 * row['mean_accuracy']:.1f} %")
    return row


def write_accuracy_vs_segments(summaries: list[pd.DataFrame], model: str, csv_path, png_path) -> pd.DataFrame:
    table = pd.concat(summaries, ignore_index=True).sort_values("segments")
    tables.write_csv(table, csv_path)
    plots.accuracy_vs_segments(table, png_path, title=f"{model}: accuracy vs number of segments")
    return table
