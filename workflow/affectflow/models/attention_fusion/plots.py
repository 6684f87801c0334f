"""Attention weights over time for one session, as in the papers' attention figures."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ...core.store import atomic_path  # noqa: E402


def attention_columns(pred: pd.DataFrame, n_modalities: int) -> list[str]:
    cols = [f"modality_attention_{i}" for i in range(n_modalities)]
    missing = [c for c in cols if c not in pred.columns]
    if missing:
        raise ValueError(f"predictions have no attention weights {missing}; is this an attention strategy?")
    return cols


def attention_over_time(predictions: dict[str, pd.DataFrame], modalities: list[str], session: str, dims: list[str],
                        path: str | Path, title: str) -> None:
    """Top: gold traces of ``dims``; below, one panel per model: the weight of each modality per frame (stacked)."""
    fig, axes = plt.subplots(1 + len(predictions), 1, figsize=(11, 1.9 * (1 + len(predictions)) + 0.6), sharex=True, squeeze=False)
    axes = axes[:, 0]
    first = next(iter(predictions.values()))
    gold = first[first["session"] == session]
    if gold.empty:
        raise ValueError(f"session '{session}' is not in the predictions")
    for dim in dims:
        axes[0].plot(gold["t_start"], gold[dim], lw=1.1, label=f"{dim} (gold)")
    axes[0].set_ylabel("label")
    axes[0].legend(loc="upper right", fontsize=7, ncol=len(dims))
    colours = plt.get_cmap("tab10").colors
    for ax, (label, pred) in zip(axes[1:], predictions.items()):
        sub = pred[pred["session"] == session]
        weights = sub[attention_columns(sub, len(modalities))].to_numpy().T
        ax.stackplot(sub["t_start"], np.nan_to_num(weights), labels=modalities, colors=colours[:len(modalities)], alpha=0.85)
        ax.set_ylim(0, 1)
        ax.set_ylabel("attention", fontsize=8)
        ax.set_title(label, fontsize=9, loc="left")
    axes[1].legend(loc="upper right", fontsize=7, ncol=len(modalities), framealpha=0.9)
    axes[-1].set_xlabel("time (s)")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
