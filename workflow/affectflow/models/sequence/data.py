"""Sessions as per-modality arrays on the time grid, cut into fixed-length sequences.

A *modality* of a sequence model is a name and a list of extractor names from the feature store
(``{"audio": ["egemaps_lld"], "video": ["face_expr"]}``); its extractors are joined on the label
grid (``affectflow.core.join``) and concatenated per frame. Each modality carries a per-frame mask:
``True`` where every one of its extractors had a row for the frame. Masked frames hold zeros in
``x`` so that tensors stay finite, but the mask travels with them and models must use it (a
zero is never passed off as an observation). Values missing inside a present row (a column that
is constant for a speaker, an undefined LLD) become the speaker mean, i.e. 0 after the per-speaker
z-scoring.

Wide extractors (sentence embeddings, encoder states: hundreds of columns) can be reduced to
their leading whitened principal components, fitted on the training sessions only
(:func:`reduce_wide_extractors`). After per-speaker z-scoring every one of MiniLM's 384 columns has
unit variance, so a network sees 384 equally loud text inputs next to 25 voice LLDs and, with a
few thousand training frames, fits the text's noise; on the demo this took the held-out speaker's
arousal from 0.86 to 0.27 CCC in an audio + MiniLM fusion (README, "Sequence models").

Sequences are independent windows (each starts from a zero state; no state is carried across): windows of
``length`` frames every ``hop`` frames (non-overlapping by default); the last window of a session
is padded, and ``frame_ok`` marks the real frames.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.decomposition import PCA

from ...core import join

Modalities = dict[str, list[str]]


@dataclass
class SessionArrays:
    """One session on the grid: features and masks per modality, labels and their validity."""

    session: str
    speaker: str
    partition: str
    t_start: np.ndarray
    t_end: np.ndarray
    x: dict[str, np.ndarray]  # modality -> (T, D_m) float32, zeros where masked
    mask: dict[str, np.ndarray]  # modality -> (T,) bool
    y: np.ndarray  # (T, n_dims) float32, NaN where the label is not valid
    label_valid: np.ndarray  # (T,) bool

    def __len__(self) -> int:
        return len(self.t_start)


@dataclass
class SequenceData:
    """Every session of a dataset for one set of modalities, plus what a model needs to know."""

    sessions: list[SessionArrays]
    modalities: Modalities
    dims: list[str]
    feature_columns: dict[str, list[str]] = field(default_factory=dict)
    raw_shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)  # raw inputs (sequence.raw): per-frame shape

    @property
    def hop_s(self) -> float:
        """The grid's hop in seconds (the median frame duration)."""
        return float(np.median(np.concatenate([s.t_end - s.t_start for s in self.sessions])))

    @property
    def input_dims(self) -> dict[str, int | tuple[int, ...]]:
        """Feature modalities: columns per frame; raw modalities (``sequence.raw``): the per-frame shape."""
        return {**{m: len(cols) for m, cols in self.feature_columns.items()}, **self.raw_shapes}

    def partition(self, *names: str) -> list[SessionArrays]:
        return [s for s in self.sessions if s.partition in names]

    def with_dims(self, dims: list[str]) -> "SequenceData":
        """The same inputs with only the labels of ``dims`` (a network per dimension trains on one)."""
        missing = [d for d in dims if d not in self.dims]
        if missing:
            raise ValueError(f"label dimension(s) {missing} not in the data's {self.dims}")
        idx = [self.dims.index(d) for d in dims]
        sessions = [SessionArrays(**{**s.__dict__, "y": s.y[:, idx]}) for s in self.sessions]
        return SequenceData(sessions=sessions, modalities=self.modalities, dims=list(dims), feature_columns=self.feature_columns,
                            raw_shapes=self.raw_shapes)


def load(
    dataset: str,
    manifest: pd.DataFrame,
    modalities: Modalities,
    dims: list[str],
    standardise: str | None = "speaker",
    labels_root: str | Path = "results/labels",
    features_root: str | Path = "results/features",
) -> SequenceData:
    """Join labels and every modality's extractors for the sessions of ``manifest``.

    ``manifest`` needs ``session``, ``speaker`` and ``partition``. ``standardise`` z-scores each
    feature within each speaker (``"speaker"``), session (``"session"``) or not at all (``None``
    / ``"none"``); it uses no labels, so it is allowed on held-out speakers.
    """
    if not modalities:
        raise ValueError("a sequence model needs at least one modality")
    for name, extractors in modalities.items():
        if not extractors:
            raise ValueError(f"modality '{name}' names no extractor")
    extractors = list(dict.fromkeys(ex for exs in modalities.values() for ex in exs))
    frames = join.frame_table(dataset, manifest["session"].tolist(), extractors, labels_root, features_root)
    missing = [d for d in dims if d not in frames.columns]
    if missing:
        raise ValueError(f"dataset '{dataset}': label dimension(s) {missing} not in the label files under {labels_root}")
    frames = frames.merge(manifest[["session", "speaker", "partition"]], on="session", how="left")
    columns: dict[str, list[str]] = {}
    for ex in extractors:
        cols = [c for c in frames.columns if c.startswith(f"{ex}__") and not c.endswith(join.PRESENT)]
        cols = [c for c in cols if frames[c].notna().any()]
        if not cols:
            raise ValueError(f"dataset '{dataset}': extractor '{ex}' has no feature values in any session")
        columns[ex] = cols
    by = None if standardise in (None, "none") else standardise
    frames = join.standardise(frames, [c for cols in columns.values() for c in cols], by)

    feature_columns = {m: [c for ex in exs for c in columns[ex]] for m, exs in modalities.items()}
    sessions = []
    for session, sub in frames.groupby("session", sort=False):
        x, mask = {}, {}
        for m, exs in modalities.items():
            present = np.logical_and.reduce([sub[f"{ex}{join.PRESENT}"].to_numpy(dtype=bool) for ex in exs])
            values = np.nan_to_num(sub[feature_columns[m]].to_numpy(dtype=np.float32, copy=True), nan=0.0)
            values[~present] = 0.0
            x[m], mask[m] = values, present
        valid = sub["label_valid"].to_numpy(dtype=bool)
        y = sub[dims].to_numpy(dtype=np.float32, copy=True)
        y[~valid] = np.nan
        sessions.append(SessionArrays(
            session=str(session), speaker=str(sub["speaker"].iloc[0]), partition=str(sub["partition"].iloc[0] or ""),
            t_start=sub["t_start"].to_numpy(), t_end=sub["t_end"].to_numpy(), x=x, mask=mask, y=y, label_valid=valid))
    return SequenceData(sessions=sessions, modalities=dict(modalities), dims=list(dims), feature_columns=feature_columns)


@dataclass
class Reduction:
    """Principal components of one extractor's columns, fitted on the training frames."""

    extractor: str
    columns: list[str]
    mean: np.ndarray  # (D,)
    projection: np.ndarray  # (D, k): components scaled to unit variance on the fitted frames
    explained_variance_ratio: float
    fitted_frames: int

    def summary(self) -> dict:
        return {"extractor": self.extractor, "from_columns": len(self.columns), "components": self.projection.shape[1],
                "explained_variance_ratio": round(self.explained_variance_ratio, 4), "fitted_frames": self.fitted_frames}


def reduce_wide_extractors(data: SequenceData, max_columns: int | None, fit_partitions: list[str],
                           wider_than: int | None = None) -> tuple[SequenceData, list[Reduction]]:
    """Replace every extractor with more than ``wider_than`` columns (default: ``max_columns``) by
    ``max_columns`` whitened principal components, fitted on the frames of the ``fit_partitions``
    sessions where its modality is present.

    Uses no labels and no held-out frames; the same training sessions always give the same
    components (full SVD), so networks pre-trained and fused in separate jobs see the same inputs.
    ``max_columns=None`` leaves the data as it is.
    """
    if not max_columns:
        return data, []
    fit_sessions = data.partition(*fit_partitions)
    if not fit_sessions:
        raise ValueError(f"no sessions in {fit_partitions} to fit the input reduction on")
    reductions: list[Reduction] = []
    new_columns: dict[str, list[str]] = {}
    new_x: list[dict[str, np.ndarray]] = [dict() for _ in data.sessions]
    for m, cols in data.feature_columns.items():
        parts, kept = [], []
        for ex in dict.fromkeys(c.split("__", 1)[0] for c in cols):
            idx = [i for i, c in enumerate(cols) if c.startswith(f"{ex}__")]
            if len(idx) <= max(max_columns, wider_than or 0):
                parts.append((idx, None))
                kept += [cols[i] for i in idx]
                continue
            train = np.concatenate([s.x[m][s.mask[m]][:, idx] for s in fit_sessions])
            k = min(max_columns, *train.shape)
            if k < 1:
                raise ValueError(f"extractor '{ex}': no present training frames to fit its principal components on")
            pca = PCA(n_components=k, whiten=True, svd_solver="full").fit(train)
            scale = np.sqrt(np.maximum(pca.explained_variance_, 1e-12))
            red = Reduction(ex, [cols[i] for i in idx], pca.mean_.astype(np.float32),
                            (pca.components_.T / scale).astype(np.float32), float(pca.explained_variance_ratio_.sum()), len(train))
            reductions.append(red)
            parts.append((idx, red))
            kept += [f"{ex}__pc{j:03d}" for j in range(k)]
        new_columns[m] = kept
        for i, s in enumerate(data.sessions):
            blocks = [s.x[m][:, idx] if red is None else (s.x[m][:, idx] - red.mean) @ red.projection for idx, red in parts]
            x = np.concatenate(blocks, axis=1).astype(np.float32)
            x[~s.mask[m]] = 0.0
            new_x[i][m] = x
    sessions = [SessionArrays(**{**s.__dict__, "x": x}) for s, x in zip(data.sessions, new_x)]
    return SequenceData(sessions=sessions, modalities=data.modalities, dims=data.dims, feature_columns=new_columns), reductions


def windows(n_frames: int, length: int, hop: int | None = None) -> list[int]:
    """Start frames of the sequences that cover a session of ``n_frames`` (the last may be short)."""
    hop = hop or length
    if length < 1 or not 1 <= hop <= length:
        raise ValueError(f"need 1 <= hop <= length, got length={length}, hop={hop}")
    starts: list[int] = []
    start = 0
    while start < n_frames:
        starts.append(start)
        if start + length >= n_frames:
            break
        start += hop
    return starts


class SequenceDataset(torch.utils.data.Dataset):
    """Fixed-length sequences of a list of sessions, as dicts of tensors.

    Each item: ``x`` and ``mask`` (dicts by modality, (L, D_m) and (L,)), ``y`` (L, n_dims) with
    zeros where not valid, ``valid`` (L,) = label valid and a real frame, ``frame_ok`` (L,) = a
    real (not padded) frame, ``session`` (index into ``sessions``) and ``start`` (first frame).
    """

    def __init__(self, sessions: list[SessionArrays], length: int = 100, hop: int | None = None):
        self.sessions = sessions
        self.length = length
        self.items = [(i, start) for i, s in enumerate(sessions) for start in windows(len(s), length, hop)]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, k: int) -> dict:
        i, start = self.items[k]
        s = self.sessions[i]
        stop = min(start + self.length, len(s))
        n, pad = stop - start, self.length - (stop - start)

        def cut(a: np.ndarray, fill=0) -> torch.Tensor:
            part = a[start:stop]
            if pad:
                part = np.concatenate([part, np.full((pad, *part.shape[1:]), fill, dtype=part.dtype)])
            return torch.from_numpy(np.array(part, copy=True))

        frame_ok = torch.zeros(self.length, dtype=torch.bool)
        frame_ok[:n] = True
        valid = cut(s.label_valid, False) & frame_ok
        return {
            "x": {m: cut(v) for m, v in s.x.items()},
            "mask": {m: cut(v, False) for m, v in s.mask.items()},
            "y": torch.nan_to_num(cut(s.y, np.nan), nan=0.0),
            "valid": valid,
            "frame_ok": frame_ok,
            "session": i,
            "start": start,
        }
