"""A small label-only corpus on disk for the fusion tests: grid labels in the store layout plus
AVEC-layout prediction files written next to them (no media needed)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from affectflow import labels, store
from affectflow.fusion import inputs, standins

DIMS = ["arousal", "valence"]


def smooth_walk(rng, n, width):
    x = np.convolve(rng.standard_normal(n + 2 * width), np.ones(width) / width, mode="same")[width:width + n]
    return x / x.std()


def make_corpus(root: Path, n_speakers: int = 6, sessions_per_speaker: int = 2, duration_s: float = 20.0,
                partitions: dict[int, str] | None = None, seed: int = 0, smooth_frames: int = 8,
                speaker_level: float = 0.0, dataset: str = "toy") -> tuple[inputs.Roots, pd.DataFrame]:
    """Labels for ``n_speakers`` × ``sessions_per_speaker`` sessions; returns the roots and the manifest."""
    rng = np.random.default_rng(seed)
    roots = inputs.Roots(features=str(root / "features"), labels=str(root / "labels"),
                         predictions=str(root / "predictions"), standins=str(root / "standins"))
    rows = []
    for spk in range(n_speakers):
        level = rng.standard_normal(len(DIMS)) * speaker_level
        for k in range(sessions_per_speaker):
            session = f"s{spk:02d}_{k}"
            n = int(duration_s * 10)
            raw = pd.DataFrame({"timestamp": np.arange(n) / 10.0})
            for j, d in enumerate(DIMS):
                raw[d] = 0.5 + 0.15 * (smooth_walk(rng, n, smooth_frames) + level[j])
            grid = labels.to_grid(raw, session, duration_s, 0.1)
            store.write(grid, Path(roots.labels) / dataset / f"{session}.parquet",
                        store.provenance(extractor="labels", extractor_version="test", dataset=dataset, session=session, params={}))
            rows.append({"session": session, "speaker": f"spk{spk:02d}", "partition": (partitions or {}).get(spk, "")})
    return roots, pd.DataFrame(rows)


def write_standins(roots: inputs.Roots, manifest: pd.DataFrame, name: str, strength: dict[str, float], seed: int = 0,
                   dataset: str = "toy", transform=None) -> Path:
    """AVEC-layout stand-in predictions (``transform(table)`` may edit each session's table)."""
    folder = Path(roots.standins) / dataset / name
    for s in manifest["session"]:
        table = standins.standin(store.read(Path(roots.labels) / dataset / f"{s}.parquet"), DIMS, strength, seed, name)
        standins.write_avec(transform(table) if transform else table, folder / f"{s}.csv")
    return folder
