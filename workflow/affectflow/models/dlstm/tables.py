"""Tables 1 and 2 of Lucas et al. (RECOLA DLSTM paper) from the repeat summaries of the sequence core.

Lucas et al. compute "the CCC … for each sequence in the test partition and averaged over the
sequences", so their tables use the per-session mean (``aggregation="per_sequence"``); the CSVs
of ``sequence_tables`` carry the pooled CCC too. Repeats are summarised as mean (± std, N−1) with
``summary.mean_std``.
"""
from __future__ import annotations

import pandas as pd

from ..sequence.summary import mean_std

# the paper's names of the DLSTM fusion methods (kept here: the table jobs run without torch)
FUSION_LABELS = {"attention": "Bimodal attention", "olb": "OLB", "hlb": "HLB"}

# Lucas et al., Table 2 (RECOLA, AVEC 2016 test protocol): reported numbers, not computed here.
LUCAS_TABLE2_REPORTED = [
    ("Baseline (AVEC 2016)", {"valence": 0.683, "arousal": 0.639}),
    ("State of the art (Brady et al.)", {"valence": 0.702, "arousal": 0.82}),
    ("Proposed (Lucas et al.)", {"valence": 0.62, "arousal": 0.72}),
]


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
                 aggregation: str = "per_sequence", scores: pd.DataFrame | None = None) -> pd.DataFrame:
    """Table 1: uni-modal DLSTMs (left) beside their frozen fusions (right), mean (± std) CCC.

    The fusions fuse one repeat of each DLSTM (``pretrained_repeat``), not their mean: with the
    per-repeat ``scores``, a fused DLSTM's cell adds the score of that repeat, ``[repeat r: x]``,
    so each fusion can be compared with the very networks it fused.
    """
    dims = paper_dims(dims)
    fused_repeat = {p: c.get("pretrained_repeat", 0) for c in models.values() if c["kind"] == "dlstm_fusion" for p in c["pretrained"]}

    def uni_cell(name: str, dim: str) -> str:
        cell = _cell(summary, name, dim, partition, aggregation)
        if scores is None or name not in fused_repeat:
            return cell
        row = scores[(scores["model"] == name) & (scores["repeat"] == fused_repeat[name]) & (scores["dimension"] == dim)
                     & (scores["partition"] == partition)]
        return f"{cell} [repeat {fused_repeat[name]}: {row[f'ccc_{aggregation}'].iloc[0]:.2f}]" if len(row) else cell

    left = [(dlstm_label(c), n) for n, c in models.items() if c["kind"] == "dlstm"]
    right = [(fusion_label(n, c, models), n) for n, c in models.items() if c["kind"] == "dlstm_fusion"]
    rows = []
    for i in range(max(len(left), len(right))):
        row = {}
        for side, entries, title in (("l", left, "Uni-modal"), ("r", right, "Fusion")):
            label, name = entries[i] if i < len(entries) else ("", None)
            row[title] = label
            for d in dims:
                cell = (uni_cell(name, d) if side == "l" else _cell(summary, name, d, partition, aggregation)) if name else ""
                row[f"{d.capitalize()}{'' if side == 'l' else ' '}"] = cell
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
