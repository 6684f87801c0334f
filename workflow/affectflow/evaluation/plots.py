"""Figures people look at next to the tables."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from ..core.store import atomic_path  # noqa: E402


def prediction_traces(pred: pd.DataFrame, dims: list[str], session: str, path: str | Path, title: str) -> None:
    """Gold vs predicted trace of each dimension over one session."""
    sub = pred[pred["session"] == session]
    fig, axes = plt.subplots(len(dims), 1, figsize=(10, 2.4 * len(dims)), sharex=True, squeeze=False)
    for ax, dim in zip(axes[:, 0], dims):
        ax.plot(sub["t_start"], sub[dim], label="gold", color="black", lw=1.2)
        ax.plot(sub["t_start"], sub[f"{dim}_pred"], label="predicted", color="tab:orange", lw=1)
        ax.set_ylabel(dim)
        ax.grid(alpha=0.3)
    axes[0, 0].legend(loc="upper right", fontsize=8)
    axes[-1, 0].set_xlabel("time (s)")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)


def metric_bars(table: pd.DataFrame, path: str | Path, metric: str = "ccc_pooled", partition: str = "test", title: str = "") -> None:
    """Bar chart of one metric per model and dimension on one partition."""
    sub = table[table["partition"] == partition].pivot(index="model", columns="dimension", values=metric)
    fig, ax = plt.subplots(figsize=(1.5 + 1.2 * len(sub), 3.2))
    sub.plot.bar(ax=ax, rot=0)
    ax.set_ylabel(f"{metric} ({partition})")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_title(title, fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)


def confusion_matrix(confusion: pd.DataFrame, path: str | Path, title: str = "") -> None:
    """Row-normalised confusion matrix (true in rows), each cell annotated with % and clip count."""
    import numpy as np

    counts = confusion.to_numpy()
    rates = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    n = len(confusion)
    fig, ax = plt.subplots(figsize=(1.6 + 0.9 * n, 1.2 + 0.8 * n))
    im = ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    for i in range(n):
        for j in range(n):
            ax.text(j, i, f"{100 * rates[i, j]:.0f}%\n({counts[i, j]})", ha="center", va="center", fontsize=8,
                    color="white" if rates[i, j] > 0.5 else "black")
    ax.set_xticks(range(n), confusion.columns, rotation=45, ha="right")
    ax.set_yticks(range(n), confusion.index)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=10)
    fig.colorbar(im, ax=ax, fraction=0.046, label="share of the true class")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)


def accuracy_vs_segments(table: pd.DataFrame, path: str | Path, title: str = "") -> None:
    """Mean fold accuracy (± std over folds) against the number of segments N (birhala-… Fig. 5)."""
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.errorbar(table["segments"], 100 * table["mean_accuracy"], yerr=100 * table["std_accuracy"], marker="o", capsize=3)
    ax.set_xlabel("number of segments N")
    ax.set_ylabel("mean accuracy over folds (%)")
    ax.set_xticks(table["segments"])
    ax.grid(alpha=0.3)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)


def learning_curves(curves: pd.DataFrame, path: str | Path, title: str = "") -> None:
    """Loss (a) and accuracy (b) per epoch on the training and validation sets (birhala-… Fig. 3)."""
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    for ax, metric, label in ((axes[0], "loss", "(a) loss"), (axes[1], "accuracy", "(b) accuracy")):
        ax.plot(curves["epoch"] + 1, curves[f"train_{metric}"], marker=".", label="training")
        ax.plot(curves["epoch"] + 1, curves[f"val_{metric}"], marker=".", label="validation")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.set_ylabel(metric)
        ax.set_title(label, fontsize=10)
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
