"""Tables 2–5 and 7 of Tzirakis et al. from the runs of a dataset (official split), in the paper's layouts.

- Table 2: every unimodal network (development set): Modality, Network, Arousal, Valence, Avg.
- Tables 3, 4, 5: text, audio, visual networks: test CCC with the development CCC in parentheses.
- Table 7: the multimodal networks, test (development).

Unimodal rows are the end-to-end kinds (``tzirakis_e2e_text|audio|visual``) and the feature-based
``attention_fusion`` models of one modality; multimodal rows are ``tzirakis_e2e_fusion`` and the
``attention_fusion`` models of several modalities. CCC is pooled over the partition's sessions
(challenge style, as the paper's SEWA numbers), mean (± std, N−1) over repeats. The paper's own
numbers (SEWA) are in ``paper`` columns for the layout; they were not computed here.
"""
from __future__ import annotations

import math

import pandas as pd

from ..attention_fusion.strategies import STRATEGIES
from ..sequence.summary import fold_value, mean_std
from .model import FUSION, UNIMODAL

MODALITY_ORDER = ("visual", "text", "audio")  # Table 2's order
# (network, arousal, valence) on the SEWA development set: the networks the paper chose (Table 2)
TABLE2_REPORTED = {"visual": ("HRNet", 0.647, 0.695), "text": ("XLNet", 0.544, 0.581), "audio": ("Tzirakis et al. [13]", 0.563, 0.532)}
# "Proposed" rows: (test arousal, dev arousal, test valence, dev valence)
PROPOSED_REPORTED = {"text": (0.532, 0.544, 0.568, 0.581), "audio": (0.456, 0.563, 0.428, 0.532),
                     "visual": (0.608, 0.647, 0.675, 0.695), "multimodal": (0.690, 0.797, 0.783, 0.818)}
TABLE_NUMBER = {"text": 3, "audio": 4, "visual": 5, "multimodal": 7}


def unimodal_models(models: dict) -> dict[str, list[str]]:
    """Modality → the unimodal models of ``models`` (end-to-end first, then feature-based)."""
    out: dict[str, list[str]] = {}
    for n, c in models.items():
        if c["kind"] in UNIMODAL:
            out.setdefault(UNIMODAL[c["kind"]], []).append(n)
    for n, c in models.items():
        if c["kind"] == "attention_fusion" and len(c["modalities"]) == 1:
            out.setdefault(next(iter(c["modalities"])), []).append(n)
    return out


def multimodal_models(models: dict) -> list[str]:
    return [n for n, c in models.items() if c["kind"] == FUSION] + \
        [n for n, c in models.items() if c["kind"] == "attention_fusion" and len(c["modalities"]) > 1]


def network_label(name: str, cfg: dict) -> str:
    kind = cfg["kind"]
    if kind == "tzirakis_e2e_text":
        return f"end-to-end text network (words: {cfg['words']}, delay {cfg.get('delay_s', 0.5)} s)"
    if kind == "tzirakis_e2e_audio":
        return f"end-to-end raw-waveform CNN ({cfg['waveform']})"
    if kind == "tzirakis_e2e_visual":
        return f"end-to-end HRNet, attentional pooling (faces: {cfg['faces']}, width {cfg.get('width', 18)})"
    if kind == FUSION:
        init = "initialised from its unimodal networks" if cfg.get("init_from_pretrained", True) else "from scratch"
        return f"end-to-end, {STRATEGIES[cfg.get('strategy', 'hierarchical')]} ({init})"
    extractors = [ex for exs in cfg["modalities"].values() for ex in exs]
    if len(cfg["modalities"]) == 1:
        return f"features: {' + '.join(extractors)}"
    return f"features, {STRATEGIES[cfg['strategy']]} ({' + '.join(cfg['modalities'])})"


def _dims(dims: list[str]) -> list[str]:
    return [d for d in ("arousal", "valence") if d in dims] + [d for d in dims if d not in ("arousal", "valence")]


def table2(summary: pd.DataFrame, models: dict, dims: list[str], aggregation: str = "pooled") -> pd.DataFrame:
    """Table 2: development CCC of every unimodal network, by modality, with the average over dimensions."""
    dims, rows = _dims(dims), []
    by_modality = unimodal_models(models)
    for m in [*[m for m in MODALITY_ORDER if m in by_modality], *[m for m in by_modality if m not in MODALITY_ORDER]]:
        for n in by_modality[m]:
            row = {"Modality": m.capitalize(), "Network": network_label(n, models[n]), "model": n}
            means = []
            for d in dims:
                mean, std = fold_value(summary, n, "official", d, "devel", aggregation)
                row[d.capitalize()] = mean_std(mean, std, digits=3)
                means.append(mean)
            row["Avg"] = mean_std(float(pd.Series(means).mean(skipna=False)), float("nan"), digits=3)
            reported = TABLE2_REPORTED.get(m) if models[n]["kind"] in UNIMODAL else None
            row["paper"] = (f"{reported[0]}: {reported[1]:.3f} / {reported[2]:.3f} / {(reported[1] + reported[2]) / 2:.3f}"
                            if reported else "")
            rows.append(row)
    return pd.DataFrame(rows)


def _test_dev(summary, n, d, aggregation):
    test = fold_value(summary, n, "official", d, "test", aggregation)
    dev = fold_value(summary, n, "official", d, "devel", aggregation)
    return f"{mean_std(*test, digits=3)} ({mean_std(dev[0], float('nan'), digits=3)})"


def modality_table(summary: pd.DataFrame, models: dict, dims: list[str], which: str, aggregation: str = "pooled") -> pd.DataFrame:
    """Tables 3–5 (``which`` = text, audio, visual) and 7 (``multimodal``): test CCC (development CCC)."""
    dims = _dims(dims)
    names = multimodal_models(models) if which == "multimodal" else unimodal_models(models).get(which, [])
    rows = []
    for n in names:
        row = {"Predictor": network_label(n, models[n]), "model": n}
        for d in dims:
            row[d.capitalize()] = _test_dev(summary, n, d, aggregation)
        rows.append(row)
    paper = PROPOSED_REPORTED[which]
    rows.append({"Predictor": "Proposed (paper, SEWA)", "model": "", "Arousal": f"{paper[0]:.3f} ({paper[1]:.3f})",
                 "Valence": f"{paper[2]:.3f} ({paper[3]:.3f})", **{d.capitalize(): "" for d in dims if d not in ("arousal", "valence")}})
    return pd.DataFrame(rows)


def fused_beats_unimodal(summary: pd.DataFrame, models: dict, dims: list[str], partition: str = "test",
                         aggregation: str = "pooled") -> pd.DataFrame:
    """Per multimodal network and dimension: its CCC, the best of its own unimodal networks', and the gap."""
    rows = []
    for n in multimodal_models(models):
        members = models[n].get("pretrained") or []
        if not members:  # a feature-based fusion has no unimodal networks of its own
            continue
        for d in _dims(dims):
            fused = fold_value(summary, n, "official", d, partition, aggregation)[0]
            uni = {p: v for p in members if not math.isnan(v := fold_value(summary, p, "official", d, partition, aggregation)[0])}
            best = max(uni, key=uni.get) if uni else None
            rows.append({"model": n, "dimension": d, "fused": fused, "best_unimodal": best,
                         "best_unimodal_ccc": uni[best] if best else float("nan"),
                         "gain": fused - uni[best] if best else float("nan")})
    return pd.DataFrame(rows)
