"""Does a modality's attention weight follow what it carries? One number per (model, modality, dimension).

For the held-out frames where every modality is present (a masked modality's weight is 0 by
construction, which says nothing about content) and the labels are valid: the Pearson correlation
between the modality's weight and the emotion's strength on that dimension, |y − mean(y)|. A
modality that carries a dimension should gain weight where that dimension is strong (on the demo:
audio with arousal, text and visual with valence); a weight that is flat or unrelated gives ≈ 0.
The weight's 5th–95th percentile range says how far it moves at all.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .plots import attention_columns


def attention_content(predictions: dict[str, pd.DataFrame], modalities: list[str], dims: list[str],
                      partition: str = "test") -> pd.DataFrame:
    rows = []
    for model, pred in predictions.items():
        sub = pred[pred["partition"] == partition]  # none there: frames 0 and NaN, never other partitions' frames
        weights = sub[attention_columns(sub, len(modalities))].to_numpy()
        keep = (weights > 0).all(1) & sub["label_valid"].to_numpy(bool)
        for i, modality in enumerate(modalities):
            w = weights[keep, i]
            for dim in dims:
                y = sub[dim].to_numpy()[keep]
                strength = np.abs(y - y.mean()) if len(y) else y
                corr = float(np.corrcoef(w, strength)[0, 1]) if len(w) > 2 and w.std() > 0 and strength.std() > 0 else float("nan")
                rows.append({"model": model, "modality": modality, "dimension": dim, "correlation": corr,
                             "weight_mean": float(w.mean()) if len(w) else float("nan"),
                             "weight_p05": float(np.percentile(w, 5)) if len(w) else float("nan"),
                             "weight_p95": float(np.percentile(w, 95)) if len(w) else float("nan"), "frames": int(keep.sum())})
    return pd.DataFrame(rows)
