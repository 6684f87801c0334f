"""The paper's Table 1: best model per dimension and combination."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ...core.store import atomic_path
from ...evaluation import plots, tables
from .combinations import SEP

BEST_INPUT_ROW = "best single input"


def caption(variance: str, split: str, selection: str = "cv") -> str:
    if selection != "cv":
        chosen = "the model with the best held-out CCC is shown"
    elif split.startswith("nested"):
        chosen = ("the model is chosen per outer fold by the inner-CV CCC on that fold's training rows (models and "
                  "how many folds chose each are named); CCC and MAE are on the held-out rows")
    else:
        chosen = ("the model with the best cross-validated CCC on train+devel (group-disjoint folds) is shown; "
                  "CCC and MAE are on the held-out rows")
    return (f"Late fusion, after Rios et al. Table 1. For each modality combination and dimension {chosen}. "
            f"{tables.ccc_caption(variance, 'pooled')} Split: {split}.")


def unit_caption(unit: dict) -> str:
    """What one row of the fusion table is, and how its target was taken (for the table's caption)."""
    kind = unit.get("kind", "frames")
    if kind == "frames":
        step = int(unit.get("frame_step", 1))
        return "Rows: grid frames" + (f" (one in {step})." if step > 1 else ".")
    what = {"segmenter": f"the segments of segmenter '{unit.get('name')}'", "table": f"the segments of {unit.get('path')}",
            "rolling": f"rolling windows of {unit.get('length_s')} s every {unit.get('hop_s', unit.get('length_s'))} s"}[kind]
    shift = unit.get("label_shift_s", 0.0)
    how = (f"shifted right by the per-dimension shift chosen among {list(shift)} s (ridge on the inputs of all modalities, "
           "group-disjoint CV on training rows only: train+devel, or each outer fold's training rows; one set of targets for "
           "every combination; chosen shifts in the grid's label_shift_s)" if isinstance(shift, list) else f"shifted right by {float(shift)} s")
    return f"Rows: {what}; inputs are frame means over the segment, targets the mean frame label over the segment {how}."


def grid_table(scores: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every model × combination × dimension (the full grid)."""
    parts = [df.assign(combination=combo) for combo, df in scores.items()]
    grid = pd.concat(parts, ignore_index=True)
    return grid[["combination", *[c for c in grid.columns if c != "combination"]]]


def table1(grid: pd.DataFrame, dims: list[str], order: list[str]) -> pd.DataFrame:
    """One row per combination; per dimension the chosen model, its CCC and MAE.

    In nested CV the grid has a ``selected`` row per dimension (the model chosen per outer fold
    from its training rows' inner CV): that is the row shown. With official partitions the model
    with the best ``cv_ccc`` (train+devel CV) is shown. Never chosen by a held-out score.
    """
    rows = []
    for combo in order:
        sub = grid[grid["combination"] == combo]
        row = {"modalities": combo}
        for dim in dims:
            d = sub[sub["dimension"] == dim]
            picked = d[d["kind"] == "selected"] if "kind" in d.columns else d.iloc[:0]
            best = picked.iloc[0] if len(picked) else d.loc[d["cv_ccc"].fillna(-2).idxmax()] if len(d) else None
            row[f"{dim}_model"] = best["model"] if best is not None else ""
            row[f"{dim}_ccc"] = best["ccc"] if best is not None else float("nan")
            row[f"{dim}_mae"] = best["mae"] if best is not None else float("nan")
        rows.append(row)
    # the baseline every fusion must beat: the best single input (chosen per dimension on training rows),
    # from the combination with the most modalities that has one
    with_inputs = [c for c in order if "kind" in grid.columns and ((grid["combination"] == c) & (grid["kind"] == "best_input")).any()]
    if with_inputs:
        combo = max(with_inputs, key=lambda c: len(c.split(SEP)))
        row = {"modalities": BEST_INPUT_ROW}
        for dim in dims:
            best = grid[(grid["combination"] == combo) & (grid["kind"] == "best_input") & (grid["dimension"] == dim)].iloc[0]
            row.update({f"{dim}_model": "input", f"{dim}_ccc": best["ccc"], f"{dim}_mae": best["mae"]})
        rows.append(row)
    return pd.DataFrame(rows)


def drops_caption(infos: dict[str, dict]) -> str:
    """What was left out, per combination (rows without a usable target, empty inputs, sessions without rows,
    single-row standardisation groups, held-out rows with exact training matches): never silent."""
    parts = []
    for combo, info in infos.items():
        c = info.get("counts", {})
        bits = [f"{info.get('n_rows_unlabelled', 0)} of {c.get('rows', info.get('n_rows', 0))} rows without a usable target"]
        if c.get("empty_input_columns"):
            bits.append(f"{len(c['empty_input_columns'])} of {c['input_columns']} input columns empty")
        if c.get("sessions_without_rows"):
            bits.append(f"{len(c['sessions_without_rows'])} of {c['sessions']} sessions without rows")
        if info.get("standardise_fallback"):
            bits.append(f"{len(info['standardise_fallback'])} single-row groups standardised globally")
        if info.get("held_out_exact_matches"):
            bits.append(f"WARNING {info['held_out_exact_matches']} held-out rows equal a training row")
        parts.append(f"{combo}: {', '.join(bits)}")
    return "Left out: " + "; ".join(parts) + "."


def latex_table1(table: pd.DataFrame, dims: list[str], caption_text: str, label: str) -> str:
    """The paper's layout: a multicolumn header per dimension, model / CCC / MAE under each; best CCC bold."""
    best = {d: table[f"{d}_ccc"].max() for d in dims}
    fmt = lambda v: "--" if pd.isna(v) else f"{v:.2f}".replace("0.", ".", 1) if 0 <= v < 1 else f"{v:.2f}"  # noqa: E731
    lines = [r"\begin{table}", r"\centering", r"\begin{tabular}{l" + "lrr" * len(dims) + "}", r"\toprule",
             " & " + " & ".join(rf"\multicolumn{{3}}{{c}}{{{d.capitalize()}}}" for d in dims) + r" \\",
             " & " + " & ".join("model & CCC & MAE" for _ in dims) + r" \\", r"\midrule"]
    for _, r in table.iterrows():
        cells = [r["modalities"].replace("+", "-")]
        for d in dims:
            ccc = fmt(r[f"{d}_ccc"])
            cells += [r[f"{d}_model"], rf"\textbf{{{ccc}}}" if r[f"{d}_ccc"] == best[d] else ccc, fmt(r[f"{d}_mae"])]
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", rf"\caption{{{caption_text}}}", rf"\label{{{label}}}", r"\end{table}", ""]
    return "\n".join(lines)


def write_table1(table: pd.DataFrame, dims: list[str], caption_text: str, title: str, markdown: str | Path,
                 csv: str | Path, latex: str | Path, label: str) -> None:
    tables.write_markdown(table, markdown, title, caption_text)
    tables.write_csv(table, csv)
    with atomic_path(latex) as tmp:
        tmp.write_text(latex_table1(table, dims, caption_text, label))


def plot_grid(grid: pd.DataFrame, dims: list[str], order: list[str], path: str | Path, title: str) -> None:
    """Held-out CCC of every model × combination, one heat map per dimension."""
    plt = plots.plt
    fig, axes = plt.subplots(1, len(dims), figsize=(1.2 + 3.6 * len(dims), 0.9 + 0.45 * len(order)), squeeze=False)
    for ax, dim in zip(axes[0], dims):
        # kinds are unique per combination and dimension; model names are not (the per-fold choice may be "KNN")
        m = grid[grid["dimension"] == dim].pivot(index="combination", columns="kind" if "kind" in grid.columns else "model",
                                                 values="ccc").reindex(order)
        im = ax.imshow(m.to_numpy(dtype=float), vmin=-1, vmax=1, cmap="RdBu_r", aspect="auto")
        ax.set_xticks(range(m.shape[1]), m.columns, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(m.shape[0]), m.index, fontsize=8)
        for (i, j), v in pd.DataFrame(m.to_numpy(dtype=float)).stack().items():
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7)
        ax.set_title(f"{dim}: held-out CCC", fontsize=9)
    fig.colorbar(im, ax=axes[0].tolist(), shrink=0.8)
    fig.suptitle(title, fontsize=10)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png", bbox_inches="tight")
    plt.close(fig)
