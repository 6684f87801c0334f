"""Validation folds of a model: the dataset's official split and k-fold re-splits of it.

``official`` is the dataset's own train/devel split; folds 1…K re-split the pooled train+devel
sessions into K groups (by speaker or by session, ``fold_by``), fold k taking group k as its
validation (``devel``) set, as Waligora et al.'s 5-fold table. The test partition is never
touched. Free of heavy imports: the workflow builds its DAG from it.
"""
from __future__ import annotations

import pandas as pd

OFFICIAL = "official"


def folds(cfg: dict) -> list[str]:
    """The fold names of a configured model (``folds: K``): ``official`` and, for k-fold models, ``1``…``K``."""
    return [OFFICIAL] + [str(k) for k in range(1, cfg.get("folds", 0) + 1)]


def fold_manifest(manifest: pd.DataFrame, fold: str, n_folds: int, by: str = "speaker") -> pd.DataFrame:
    """``manifest`` with the partitions of ``fold``: group k of the train+devel sessions → devel."""
    if fold == OFFICIAL:
        return manifest.copy()
    k = int(fold)
    if not 1 <= k <= n_folds:
        raise ValueError(f"fold {fold} is not among folds 1..{n_folds}")
    pool = manifest["partition"].isin(["train", "devel"])
    groups = sorted(manifest.loc[pool, by].astype(str).unique())
    if len(groups) < n_folds:
        raise ValueError(f"{n_folds} folds by {by} need at least {n_folds} {by}s in train+devel, found {len(groups)} ({groups}); "
                         f"use fewer folds or fold_by: session")
    held_out = {g for i, g in enumerate(groups) if i % n_folds == k - 1}
    out = manifest.copy()
    out.loc[pool, "partition"] = ["devel" if str(g) in held_out else "train" for g in out.loc[pool, by]]
    return out
