"""Scores of repeated trainings, mean ± std over repeats, and the RECOLA DLSTM paper's tables.

Every repeat's predictions are scored on their own (``scoring.score_predictions``: pooled and
per-session CCC, PCC, MAE, RMSE per partition and dimension); the tables report the mean and the
standard deviation (N−1) of those scores over the repeats. Lucas et al. compute "the CCC … for
each sequence in the test partition and averaged over the sequences", so their tables use the
per-session mean; the CSVs carry the pooled CCC too.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ...core import store
from ...evaluation import scoring

# the paper's names of the fusion methods (kept here: the table jobs run without torch)
FUSION_LABELS = {"attention": "Bimodal attention", "olb": "OLB", "hlb": "HLB"}

# Lucas et al., Table 2 (RECOLA, AVEC 2016 test protocol): reported numbers, not computed here.
LUCAS_TABLE2_REPORTED = [
    ("Baseline (AVEC 2016)", {"valence": 0.683, "arousal": 0.639}),
    ("State of the art (Brady et al.)", {"valence": 0.702, "arousal": 0.82}),
    ("Proposed (Lucas et al.)", {"valence": 0.62, "arousal": 0.72}),
]


def repeat_scores(predictions: dict[tuple[str, int], pd.DataFrame], dims: list[str], variance: str = "population") -> pd.DataFrame:
    """One row per (model, repeat, partition, dimension) from ``{(model, repeat): prediction table}``."""
    parts = []
    for (model, repeat), pred in predictions.items():
        scores = scoring.score_predictions(pred, dims, variance)
        parts.append(scores.assign(model=model, repeat=repeat))
    out = pd.concat(parts, ignore_index=True)
    return out[["model", "repeat", *[c for c in out.columns if c not in ("model", "repeat")]]]


def scores_and_timing(runs: list[tuple[str, int]], predictions: list[str], infos: list[str], dims: list[str],
                      variance: str = "population") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-repeat scores and, per model, mean seconds per epoch, epochs run and best epoch, from
    the job outputs (prediction files and training.json, in the order of ``runs``)."""
    scores = repeat_scores({tuple(k): store.read(p) for k, p in zip(runs, predictions)}, dims, variance)
    info = pd.DataFrame([json.loads(Path(p).read_text()) for p in infos])
    timing = info.groupby("model", sort=False).agg(
        seconds_per_epoch=("seconds_per_epoch", "mean"), cpu_seconds_per_epoch=("cpu_seconds_per_epoch", "mean"),
        epochs_run=("epochs_run", "mean"), best_epoch=("best_epoch", "mean"), device=("device", "first")).reset_index()
    return scores, timing


def over_repeats(scores: pd.DataFrame) -> pd.DataFrame:
    """Mean and std (N−1; NaN for one repeat) of the CCCs per (model, partition, dimension)."""
    g = scores.groupby(["model", "partition", "dimension"], sort=False)
    out = g.agg(ccc_per_sequence_mean=("ccc_per_sequence", "mean"), ccc_per_sequence_std=("ccc_per_sequence", "std"),
                ccc_pooled_mean=("ccc_pooled", "mean"), ccc_pooled_std=("ccc_pooled", "std"),
                mae_mean=("mae", "mean"), repeats=("repeat", "nunique"), sessions=("n_sessions", "first"))
    return out.reset_index()


def mean_std(mean: float, std: float, digits: int = 2) -> str:
    """``0.48 (±0.04)`` as in the paper; the mean alone for a single repeat."""
    if not np.isfinite(mean):
        return "n/a"
    return f"{mean:.{digits}f}" if not np.isfinite(std) else f"{mean:.{digits}f} (±{std:.{digits}f})"


def paper_dims(dims: list[str]) -> list[str]:
    """The paper's column order: valence, then arousal, then anything else."""
    first = [d for d in ("valence", "arousal") if d in dims]
    return first + [d for d in dims if d not in first]


def _cell(summary: pd.DataFrame, model: str, dim: str, partition: str, aggregation: str) -> str:
    row = summary[(summary["model"] == model) & (summary["dimension"] == dim) & (summary["partition"] == partition)]
    if row.empty:
        return "n/a"
    return mean_std(row[f"ccc_{aggregation}_mean"].iloc[0], row[f"ccc_{aggregation}_std"].iloc[0])


def dlstm_label(cfg: dict) -> str:
    label = " + ".join(cfg["modalities"])
    return f"{label} + embedding attention" if cfg.get("embedding_attention") else label


def fusion_label(name: str, cfg: dict, models: dict) -> str:
    return f"{FUSION_LABELS[cfg.get('method', 'attention')]} ({' + '.join(dlstm_label(models[p]) for p in cfg['pretrained'])})"


def lucas_table1(summary: pd.DataFrame, models: dict, dims: list[str], partition: str = "test",
                 aggregation: str = "per_sequence") -> pd.DataFrame:
    """Table 1: uni-modal DLSTMs (left) beside their frozen fusions (right), mean (± std) CCC."""
    dims = paper_dims(dims)
    left = [(dlstm_label(c), n) for n, c in models.items() if c["kind"] == "dlstm"]
    right = [(fusion_label(n, c, models), n) for n, c in models.items() if c["kind"] == "dlstm_fusion"]
    rows = []
    for i in range(max(len(left), len(right))):
        row = {}
        for side, entries, title in (("l", left, "Uni-modal"), ("r", right, "Fusion")):
            label, name = entries[i] if i < len(entries) else ("", None)
            row[title] = label
            for d in dims:
                row[f"{d.capitalize()}{'' if side == 'l' else ' '}"] = _cell(summary, name, d, partition, aggregation) if name else ""
        rows.append(row)
    return pd.DataFrame(rows)


def lucas_table2(summary: pd.DataFrame, models: dict, dims: list[str], dataset: str, partition: str = "test",
                 aggregation: str = "per_sequence") -> pd.DataFrame:
    """Table 2: the paper's reported RECOLA rows, then the end-to-end model(s) trained here."""
    dims = paper_dims(dims)
    rows = [{"": f"{label} — reported, RECOLA", **{d.capitalize(): f"{v[d]:.3g}" if d in v else "n/a" for d in dims}}
            for label, v in LUCAS_TABLE2_REPORTED]
    for name, cfg in models.items():
        if cfg["kind"] == "dlstm_av":
            rows.append({"": f"Proposed ({name}) — this run, {dataset}", **{d.capitalize(): _cell(summary, name, d, partition, aggregation) for d in dims}})
    return pd.DataFrame(rows)


def caption(variance_words: str, repeats: dict[str, int], partition: str = "test", aggregation: str = "per_sequence") -> str:
    agg = ("CCC computed per session and averaged over the sessions (as Lucas et al.)" if aggregation == "per_sequence"
           else "CCC pooled over all sessions (one CCC on the concatenation)")
    counts = sorted(set(repeats.values()))
    n = str(counts[0]) if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"
    return (f"{partition} partition; {agg}; {variance_words}. Mean (± standard deviation) over {n} repeats with different "
            "seeds; pooled CCCs and every partition are in the CSV.")
