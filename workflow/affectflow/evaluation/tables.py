"""Result tables as Markdown, CSV, HTML (for the report) and LaTeX where a paper's format asks for it."""
from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from ..core.store import atomic_path

VARIANCE_WORDS = {
    "population": "population moments (1/N)",
    "sample": "sample moments (N−1, np.cov)",
    "avec": "AVEC mixed moments (covariance 1/N, variances N−1)",
}


def ccc_caption(variance: str, aggregation: str = "pooled") -> str:
    agg = "pooled over all sessions (one CCC on the concatenation)" if aggregation == "pooled" else "mean of per-session CCCs"
    return f"CCC {agg}; {VARIANCE_WORDS[variance]}."


def model_summary(scores: dict[str, pd.DataFrame], variance: str) -> tuple[pd.DataFrame, str]:
    """Per model × partition × dimension: pooled CCC, per-session CCC, PCC, MAE, RMSE."""
    rows = []
    for model, df in scores.items():
        for _, r in df.iterrows():
            rows.append({"model": model, "partition": r["partition"], "dimension": r["dimension"],
                         "ccc_pooled": r["ccc_pooled"], "ccc_per_session": r["ccc_per_sequence"],
                         "pcc": r["pcc"], "mae": r["mae"], "rmse": r["rmse"], "frames": int(r["n"]), "sessions": int(r["n_sessions"])})
    table = pd.DataFrame(rows)
    caption = (f"{ccc_caption(variance)} `ccc_per_session` is the mean of per-session CCCs. "
               "Models are selected on devel; test is held out (speaker-disjoint).")
    return table, caption


def write_markdown(table: pd.DataFrame, path: str | Path, title: str, caption: str, floatfmt: str = ".3f") -> None:
    text = f"# {title}\n\n{caption}\n\n{table.to_markdown(index=False, floatfmt=floatfmt)}\n"
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_html(table: pd.DataFrame, path: str | Path, title: str, caption: str, floatfmt: str = ".3f") -> None:
    """A self-contained HTML page of the table: what `snakemake --report` can show inline (CSV it can't)."""
    body = table.to_html(index=False, float_format=lambda x: format(x, floatfmt), border=0, classes="affectflow")
    style = ("body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}"
             "th,td{padding:.25em .7em;border-bottom:1px solid #ccc;text-align:right}th{background:#f2f2f2}")
    text = (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title><style>{style}</style></head>"
            f"<body><h1>{html.escape(title)}</h1><p>{html.escape(caption)}</p>\n{body}\n</body></html>\n")
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_csv(table: pd.DataFrame, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False, float_format="%.6f")


def write_latex(table: pd.DataFrame, path: str | Path, caption: str, label: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(table.to_latex(index=False, float_format="%.3f", caption=caption, label=label))
