"""Table 6 of Tzirakis et al.: the five fusion strategies, arousal and valence on the development set.

The paper reports challenge-style CCC (AVEC 2017 for SEWA): one CCC over the concatenated sequences
of the validation (``devel``) partition (``pooled``); the CSV of ``attention_fusion_tables`` carries
test and per-session CCC. Repeats are summarised per (model, fold) by the sequence core
(``summary.over_fold_repeats``) as mean (± std, N−1).
"""
from __future__ import annotations

import pandas as pd

from ..sequence.summary import fold_value, mean_std
from .strategies import STRATEGIES

# Reported on the SEWA development set (Table 6 of Tzirakis et al.); layout reference only.
TZIRAKIS_TABLE6_REPORTED = {
    "concatenation": {"arousal": 0.698, "valence": 0.737},
    "self_attention": {"arousal": 0.729, "valence": 0.751},
    "hierarchical": {"arousal": 0.785, "valence": 0.808},
    "residual": {"arousal": 0.748, "valence": 0.767},
    "cross_modal": {"arousal": 0.797, "valence": 0.818},
}


def tzirakis_table6(summary: pd.DataFrame, models: dict, dims: list[str], partition: str = "devel",
                    aggregation: str = "pooled") -> pd.DataFrame:
    """Table 6: one row per fusion strategy (paper order), arousal then valence, mean (± std) CCC.

    Models of one modality (the same network without fusion) come first as the unimodal baselines
    the fusions must beat; the paper reports those in its Tables 2–5, so their paper cells are empty.
    """
    dims = [d for d in ("arousal", "valence") if d in dims] + [d for d in dims if d not in ("arousal", "valence")]
    order = list(TZIRAKIS_TABLE6_REPORTED)
    names = [n for n, c in models.items() if c["kind"] == "attention_fusion"]
    unimodal = [n for n in names if len(models[n]["modalities"]) == 1]
    fused = sorted((n for n in names if n not in unimodal), key=lambda n: order.index(models[n]["strategy"]))
    rows = []
    for n in unimodal + fused:
        cfg = models[n]
        label = f"Unimodal ({next(iter(cfg['modalities']))})" if n in unimodal else f"{STRATEGIES[cfg['strategy']]} ({' + '.join(cfg['modalities'])})"
        row = {"Method": label, "model": n}
        for d in dims:
            row[d.capitalize()] = mean_std(*fold_value(summary, n, "official", d, partition, aggregation), digits=3)
        for d in dims:
            reported = None if n in unimodal else TZIRAKIS_TABLE6_REPORTED[cfg["strategy"]].get(d)
            row[f"paper {d}"] = f"{reported:.3f}" if reported is not None else ""
        rows.append(row)
    return pd.DataFrame(rows)
