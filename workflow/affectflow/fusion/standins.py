"""Stand-in unimodal predictions for modalities whose extractors are not built yet (demo only).

A stand-in is an AVEC-layout prediction file per session made from the gold labels: for each
dimension with strength ``r`` the prediction is ``r·z(gold) + sqrt(1 − r²)·noise`` (noise smoothed
over ``smooth_s`` seconds, independent per stand-in and session), rescaled to the gold's mean and
spread; dimensions without a strength are pure noise. It is the shape of what a real unimodal
model writes, with a known amount of information — clearly not a model.
"""
from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from ..store import atomic_path


def standin(labels: pd.DataFrame, dims: list[str], strength: dict[str, float], seed: int, name: str,
            smooth_s: float = 1.0) -> pd.DataFrame:
    """AVEC-layout table (name;timestamp;dims…) for one session's grid labels."""
    session = str(labels["session"].iloc[0])
    rng = np.random.default_rng([seed, zlib.crc32(f"{name}/{session}".encode())])
    hop = float(np.median(labels["t_end"] - labels["t_start"]))
    width = max(1, int(round(smooth_s / hop)))
    out = pd.DataFrame({"name": session, "timestamp": labels["t_start"].to_numpy()})
    for d in dims:
        gold = labels[d].to_numpy(dtype=np.float64)
        ok = np.isfinite(gold)
        mu, sd = (gold[ok].mean(), gold[ok].std()) if ok.sum() > 1 else (0.0, 1.0)
        sd = sd if sd > 0 else 1.0
        noise = np.convolve(rng.standard_normal(len(gold) + width), np.ones(width) / width, mode="same")[:len(gold)]
        noise = (noise - noise.mean()) / (noise.std() or 1.0)
        r = float(strength.get(d, 0.0))
        z = np.where(ok, (gold - mu) / sd, 0.0)
        out[d] = mu + sd * (r * z + np.sqrt(max(0.0, 1 - r * r)) * noise)
    return out


def write_avec(table: pd.DataFrame, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        table.to_csv(tmp, sep=";", index=False, float_format="%.6f")
