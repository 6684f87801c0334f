"""Score prediction tables: one row per (partition, dimension) with the field's metrics."""
from __future__ import annotations

import pandas as pd

from . import metrics


def score_predictions(pred: pd.DataFrame, dims: list[str], variance: str = "population") -> pd.DataFrame:
    rows = []
    valid = pred[pred["label_valid"].astype(bool)]
    for part, sub in valid.groupby("partition", sort=False):
        for dim in dims:
            rep = metrics.regression_report(sub[dim].to_numpy(), sub[f"{dim}_pred"].to_numpy(), groups=sub["session"].to_numpy(), variance=variance)
            rows.append({"partition": part or "all", "dimension": dim, **rep, "n_sessions": sub["session"].nunique()})
    order = {"train": 0, "devel": 1, "test": 2}
    out = pd.DataFrame(rows)
    return out.sort_values(by=["partition", "dimension"], key=lambda s: s.map(order).fillna(3) if s.name == "partition" else s).reset_index(drop=True)
