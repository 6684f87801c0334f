"""A small label-only corpus on disk for the fusion tests: grid labels in the store layout plus
AVEC-layout prediction files written next to them (no media needed).

The prediction files are synthetic "unimodal systems" with a known amount of information: for each
dimension with strength ``r`` the prediction is ``r·z(gold) + sqrt(1 − r²)·noise`` (noise smoothed
over ``smooth_s`` seconds, independent per system and session), rescaled to the gold's mean and
spread; dimensions without a strength are pure noise."""
from __future__ import annotations

from pathlib import Path

import zlib

import numpy as np
import pandas as pd

from affectflow.core import labels, store
from affectflow.core.store import atomic_path
from affectflow.models.late_fusion import inputs

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
                         predictions=str(root / "predictions"), segments=str(root / "segments"))
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


def noisy_copy(labels: pd.DataFrame, strength: dict[str, float], seed: int, name: str, smooth_s: float = 1.0) -> pd.DataFrame:
    """AVEC-layout table (name;timestamp;dims…) for one session's grid labels."""
    session = str(labels["session"].iloc[0])
    rng = np.random.default_rng([seed, zlib.crc32(f"{name}/{session}".encode())])
    width = max(1, int(round(smooth_s / float(np.median(labels["t_end"] - labels["t_start"])))))
    out = pd.DataFrame({"name": session, "timestamp": labels["t_start"].to_numpy()})
    for d in DIMS:
        gold = labels[d].to_numpy(dtype=np.float64)
        ok = np.isfinite(gold)
        mu, sd = (gold[ok].mean(), gold[ok].std() or 1.0) if ok.sum() > 1 else (0.0, 1.0)
        noise = np.convolve(rng.standard_normal(len(gold) + width), np.ones(width) / width, mode="same")[:len(gold)]
        noise = (noise - noise.mean()) / (noise.std() or 1.0)
        r = float(strength.get(d, 0.0))
        out[d] = mu + sd * (r * np.where(ok, (gold - mu) / sd, 0.0) + np.sqrt(max(0.0, 1 - r * r)) * noise)
    return out


def write_predictions(root: Path, roots: inputs.Roots, manifest: pd.DataFrame, name: str, strength: dict[str, float],
                      seed: int = 0, dataset: str = "toy", transform=None) -> Path:
    """A folder ``root/external/{name}`` of AVEC-layout predictions, one ``{session}.csv`` per session
    (``transform(table)`` may edit each session's table)."""
    folder = Path(root) / "external" / name
    for s in manifest["session"]:
        table = noisy_copy(store.read(Path(roots.labels) / dataset / f"{s}.parquet"), strength, seed, name)
        with atomic_path(folder / f"{s}.csv") as tmp:
            (transform(table) if transform else table).to_csv(tmp, sep=";", index=False, float_format="%.6f")
    return folder
