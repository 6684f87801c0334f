"""One leaderboard over every model family of a dataset: test partition, pooled CCC per dimension.

It reads the tables the families already write (no model is re-scored here):

- frame models (the ridge baseline): ``models.csv`` (one run each);
- the DLSTM family (Lucas et al.): ``sequence_models.csv``, mean over repeats;
- attention fusion (Tzirakis et al.) and the JMT (Waligora et al.): ``fusion_models.csv``, the
  official split, mean over repeats;
- late fusion (Rios et al.): each combination's row of ``fusion_{name}_table1.csv``, with the
  model Table 1 picked per dimension (``picked``).

Late fusion is scored on its own units (interpausal units when it fuses over a segmenter), the
others on grid frames; the ``unit`` column says which, as the two CCCs are not the same quantity.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ..core.store import atomic_path  # noqa: E402
from .report_categories import BASELINES, PAPER_OF_KIND  # noqa: E402

FAMILY_OF_PAPER = {"lucas": "DLSTM (Lucas)", "tzirakis": "attention fusion (Tzirakis)", "waligora": "JMT (Waligora)"}
LATE_FUSION = "late fusion (Rios)"
BASELINE = "ridge baseline"
COLUMNS = ["family", "model", "dimension", "ccc", "ccc_std", "runs", "unit"]


def family_of(cfg: dict) -> str:
    paper = PAPER_OF_KIND.get(cfg["kind"])
    return FAMILY_OF_PAPER.get(paper, BASELINE if paper is None else paper)


def frame_rows(table: pd.DataFrame, models: dict, partition: str = "test") -> pd.DataFrame:
    """``models.csv`` of the frame models: one run each."""
    t = table[table["partition"] == partition]
    return pd.DataFrame({"family": [family_of(models[m]) for m in t["model"]], "model": t["model"], "dimension": t["dimension"],
                         "ccc": t["ccc_pooled"], "ccc_std": np.nan, "runs": 1, "unit": "frames"})


def repeat_rows(table: pd.DataFrame, models: dict, partition: str = "test") -> pd.DataFrame:
    """``sequence_models.csv`` or the official fold of ``fusion_models.csv``: mean (std) over repeats."""
    t = table[table["partition"] == partition]
    if "fold" in t:
        t = t[t["fold"].astype(str) == "official"]
    return pd.DataFrame({"family": [family_of(models[m]) for m in t["model"]], "model": t["model"], "dimension": t["dimension"],
                         "ccc": t["ccc_pooled_mean"], "ccc_std": t["ccc_pooled_std"], "runs": t["repeats"], "unit": "frames"})


def late_fusion_unit(cfg: dict) -> str:
    """What a late fusion scores: a segmenter's units, or grid frames."""
    unit = cfg.get("unit", {})
    return f"{unit['name']} segments" if unit.get("kind") == "segmenter" else "frames"


def late_fusion_rows(table1: pd.DataFrame, fusion: str, dims: list[str], unit: str) -> pd.DataFrame:
    """Every combination of a late fusion's Table 1, with the model picked per dimension."""
    rows = [{"family": LATE_FUSION, "model": f"{fusion}: {r['modalities']}", "dimension": d, "ccc": r[f"{d}_ccc"],
             "ccc_std": np.nan, "runs": 1, "unit": unit, "picked": r[f"{d}_model"]}
            for _, r in table1.iterrows() for d in dims]
    return pd.DataFrame(rows, columns=[*COLUMNS, "picked"])


def leaderboard(parts: list[pd.DataFrame], dims: list[str]) -> pd.DataFrame:
    """One row per model, a CCC column per dimension (and its std over runs), best mean CCC first."""
    parts = [p for p in parts if len(p)]
    if not parts:
        raise ValueError("no model results to rank")
    long = pd.concat(parts, ignore_index=True)
    wide = long.set_index(["family", "model", "unit", "runs", "dimension"])[["ccc", "ccc_std"]].unstack("dimension")
    out = pd.DataFrame(index=wide.index)
    for d in dims:
        out[d] = wide[("ccc", d)] if ("ccc", d) in wide else np.nan
    for d in dims:
        out[f"{d}_std"] = wide[("ccc_std", d)] if ("ccc_std", d) in wide else np.nan
    out["mean"] = out[dims].mean(axis=1)
    out = out.reset_index()
    picked = long.dropna(subset=["picked"]) if "picked" in long else long.iloc[:0].assign(picked=[])
    notes = picked.groupby("model", sort=False).apply(lambda g: ", ".join(f"{d}: {p}" for d, p in zip(g["dimension"], g["picked"])),
                                                      include_groups=False)
    out["picked"] = out["model"].map(notes).fillna("")
    out = out.sort_values("mean", ascending=False, kind="stable").reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out[["rank", "model", "family", *dims, "mean", *[f"{d}_std" for d in dims], "runs", "unit", "picked"]]


def best_per_family(board: pd.DataFrame, dims: list[str]) -> pd.DataFrame:
    """Per family and dimension, the best model and its CCC: who wins where, at a glance."""
    rows = []
    for family, sub in board.groupby("family", sort=False):
        row = {"family": family}
        for d in dims:
            best = sub.loc[sub[d].fillna(-2).idxmax()]
            row[d] = best[d]
            row[f"{d}_model"] = best["model"]
        rows.append(row)
    return pd.DataFrame(rows)


def write_markdown(board: pd.DataFrame, best: pd.DataFrame, path: str | Path, title: str, caption: str) -> None:
    text = (f"# {title}\n\n{caption}\n\n{board.to_markdown(index=False, floatfmt='.3f')}\n\n"
            f"## Best per family\n\n{best.to_markdown(index=False, floatfmt='.3f')}\n")
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def plot(board: pd.DataFrame, dims: list[str], path: str | Path, title: str) -> None:
    """Horizontal bars per dimension, one per model, coloured by family; the best model on top."""
    families = list(dict.fromkeys(board["family"]))
    colours = {f: plt.cm.tab10(i % 10) for i, f in enumerate(families)}
    fig, axes = plt.subplots(1, len(dims), figsize=(4.2 * len(dims) + 2.5, 0.9 + 0.28 * len(board)), sharey=True, squeeze=False)
    y = np.arange(len(board))[::-1]
    for ax, d in zip(axes[0], dims):
        ax.barh(y, board[d].fillna(0), color=[colours[f] for f in board["family"]],
                xerr=board[f"{d}_std"].fillna(0), error_kw={"lw": 0.8})
        ax.axvline(0, color="black", lw=0.8)
        ax.set_xlim(min(-0.1, float(np.nanmin(board[d])) - 0.05) if board[d].notna().any() else -0.1, 1.0)
        ax.set_xlabel(f"{d}: pooled CCC (test)")
        ax.grid(axis="x", alpha=0.3)
    axes[0][0].set_yticks(y, [f"{m} [{u}]" if u != "frames" else m for m, u in zip(board["model"], board["unit"])], fontsize=7)
    handles = [plt.Rectangle((0, 0), 1, 1, color=colours[f]) for f in families]
    fig.legend(handles, families, loc="lower center", ncol=min(len(families), 5), fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
