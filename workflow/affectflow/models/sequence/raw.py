"""Raw inputs on the label grid: waveform chunks, per-word embeddings and aligned face crops.

The end-to-end networks (Tzirakis et al.) read, per grid frame, the signal itself instead of
extracted features. This module turns each source into one ``SessionArrays`` modality, so the raw
inputs are windowed, masked and split into partitions by exactly the code the feature inputs use
(``data.SequenceDataset``, ``train.fit``). ``spec`` per modality (``raw_spec`` derives it from the
model config):

- ``{"waveform": extractor}`` (a ``waveform_chunks`` store): ``(T, C, n)`` float32, the target
  channel then, when the store has one, the interlocutor's (zeros where that channel is absent);
  ``n = hop × rate``. Each session is divided by the standard deviation of its own target samples
  (no labels used; a per-frame normalisation would erase loudness, an arousal cue). Mask: the
  frame has a finite chunk.
- ``{"words": extractor, "delay_s": 0.5, "max_words": 16}`` (a ``word_embeddings`` store):
  ``(T, W, D + 1)``: the words of the interpausal unit running at the frame's text time
  ``τ = centre − delay_s`` (the paper's 0.5 s text delay), in order, the last column 1 for a word
  and 0 for padding. A unit longer than ``W`` words is cut to the ``W`` ending at the word being
  spoken at τ. Mask: a unit runs at τ.
- ``{"faces": detector, "image_size": 48}`` (a face detection cache): ``(T, 3, S, S)`` uint8, the
  aligned crop of the cache row covering the frame centre (as ``core.join`` maps windows),
  resized to ``S``. Mask: that row found a face. Crops of rows without a face are never read.
  With ``"standardise": "session"``: float16 instead, each session's face frames minus their mean
  crop, divided per pixel by their standard deviation (``standardise_faces``), masked frames zero.
- ``{"spectrogram": extractor, "clip_frames": 8}`` (a ``waveform_chunks`` store): Waligora et al.'s
  64 × 107 log-mel spectrogram per clip of ``clip_frames`` frames, spread over the clip's frames
  (``clips.spectrogram_frames``; ``clips.assemble`` reverses it). Mask: every frame of the clip has a chunk.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ...core import grid, store
from .data import SequenceData, SessionArrays

SOURCES = {"waveform": "audio", "words": "text", "faces": "visual", "spectrogram": "audio"}


def _source(spec: dict) -> str:
    found = [k for k in SOURCES if k in spec]
    if len(found) != 1:
        raise ValueError(f"a raw input names exactly one of {sorted(SOURCES)}, got {spec}")
    return found[0]


def _frame_numbers(frames: pd.DataFrame, hop: float) -> np.ndarray:
    return np.round(frames["t_start"].to_numpy() / hop).astype(np.int64)


def waveform_frames(table: pd.DataFrame, frame_no: np.ndarray, hop: float, where: str) -> tuple[np.ndarray, np.ndarray]:
    from ...extractors.waveform import waveform_array

    if "waveform" not in table.columns:
        raise ValueError(f"{where}: no 'waveform' column (is this a waveform_chunks store?)")
    channels = [waveform_array(table, "waveform")]
    if "interlocutor" in table.columns:
        channels.append(waveform_array(table, "interlocutor"))
    rows = np.round(table["t_start"].to_numpy() / hop).astype(np.int64)
    n = channels[0].shape[1]
    if n == 0:
        raise ValueError(f"{where}: waveform chunks are empty")
    by_frame = np.full(max(int(frame_no.max(initial=-1)), int(rows.max(initial=-1))) + 1, -1, dtype=np.int64)
    by_frame[rows] = np.arange(len(rows))
    pick = by_frame[frame_no]
    x = np.zeros((len(frame_no), len(channels), n), dtype=np.float32)
    hit = pick >= 0
    for c, arr in enumerate(channels):
        x[hit, c] = arr[pick[hit]]
    mask = hit & np.isfinite(x[:, 0]).all(axis=1)
    x = np.nan_to_num(x, nan=0.0)  # an absent interlocutor channel: zeros (the channel flag is its rows being 0)
    scale = x[mask, 0].std() if mask.any() else 0.0
    if scale > 0:
        x /= scale
    x[~mask] = 0.0
    return x, mask


def word_frames(table: pd.DataFrame, t_start: np.ndarray, t_end: np.ndarray, delay_s: float, max_words: int,
                where: str) -> tuple[np.ndarray, np.ndarray]:
    from ...extractors.words import embedding_columns

    cols = embedding_columns(table)
    x = np.zeros((len(t_start), max_words, len(cols) + 1), dtype=np.float32)
    mask = np.zeros(len(t_start), dtype=bool)
    if not len(table):
        return x, mask
    table = table.sort_values(["utterance", "word_index"], kind="stable")
    emb = table[cols].to_numpy(dtype=np.float32)
    if not np.isfinite(emb).all():
        raise ValueError(f"{where}: word embeddings hold non-finite values")
    tau = (t_start + t_end) / 2 - delay_s
    units = table.groupby("utterance", sort=True).indices
    for u, idx in units.items():
        start, end = float(table["utt_start"].iloc[idx[0]]), float(table["utt_end"].iloc[idx[0]])
        frames = np.flatnonzero((tau >= start) & (tau < end))
        if not len(frames):
            continue
        word_start = table["t_start"].to_numpy()[idx]
        for f in frames:
            current = max(int(np.searchsorted(word_start, tau[f], side="right")) - 1, 0)
            lo = max(0, min(current - max_words + 1, len(idx) - max_words))
            take = idx[lo:lo + max_words]
            x[f, :len(take), :-1] = emb[take]
            x[f, :len(take), -1] = 1.0
            mask[f] = True
    return x, mask


def face_frames(parquet: Path, t_start: np.ndarray, frame_no: np.ndarray, hop: float, size: int) -> tuple[np.ndarray, np.ndarray]:
    import cv2

    from ...face.cache import iter_crop_chunks, load

    rows, crops_path = load(parquet)
    duration = float((frame_no.max(initial=0) + 1) * hop)
    idx = grid.align_windows_to_grid(rows["t_start"].to_numpy(), rows["t_end"].to_numpy(), duration, hop)
    pick = idx[np.clip(frame_no, 0, len(idx) - 1)] if len(idx) else np.full(len(frame_no), -1)
    found = rows["face_found"].to_numpy(dtype=bool)
    mask = (pick >= 0) & found[np.clip(pick, 0, None)] if len(rows) else np.zeros(len(frame_no), bool)
    x = np.zeros((len(frame_no), 3, size, size), dtype=np.uint8)
    want = {int(r): [] for r in pick[mask]}
    for f in np.flatnonzero(mask):
        want[int(pick[f])].append(f)
    offset = 0
    for chunk in iter_crop_chunks(crops_path):
        for r in range(offset, offset + len(chunk)):
            if r in want:
                img = cv2.resize(chunk[r - offset], (size, size), interpolation=cv2.INTER_AREA)
                x[want[r]] = img.transpose(2, 0, 1)
        offset += len(chunk)
    if offset != len(rows):
        raise ValueError(f"{crops_path}: {offset} crops for {len(rows)} rows of {parquet.name}")
    return x, mask


def standardise_faces(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """One session's crops (T, 3, S, S) uint8 → float16 z-scores per pixel over its face frames (no labels).

    The pixel analogue of the field's per-speaker feature standardisation: what stays is how each
    pixel moves within the session (mouth, head motion), not the session's look (colour, brightness,
    zoom, a mirrored face), which a network trained from scratch on a few speakers learns first.
    A pixel's deviation is floored at the median pixel's, so nearly constant background pixels are
    not blown up into noise (nor at least one grey level)."""
    out = np.zeros(x.shape, dtype=np.float16)
    if not mask.any():
        return out
    faces = x[mask].astype(np.float32) / 255.0
    mean = faces.mean(0)
    sd = faces.std(0)
    sd = np.maximum(sd, max(float(np.median(sd)), 1.0 / 255))  # at least one grey level
    out[mask] = ((faces - mean) / sd).astype(np.float16)
    return out


def load(dataset: str, manifest: pd.DataFrame, specs: dict[str, dict], dims: list[str],
         labels_root: str | Path = "results/labels", features_root: str | Path = "results/features",
         faces_root: str | Path = "results/faces") -> SequenceData:
    """Labels of ``manifest``'s sessions with each raw modality of ``specs`` on their grid."""
    if not specs:
        raise ValueError("raw inputs: no modality given")
    sessions, shapes = [], {}
    meta = manifest.set_index("session")
    for s in manifest["session"]:
        frames = store.read(Path(labels_root) / dataset / f"{s}.parquet")
        missing = [d for d in dims if d not in frames.columns]
        if missing:
            raise ValueError(f"dataset '{dataset}': label dimension(s) {missing} not in {labels_root}/{dataset}/{s}.parquet")
        t0, t1 = frames["t_start"].to_numpy(), frames["t_end"].to_numpy()
        hop = float(np.median(t1 - t0))
        frame_no = _frame_numbers(frames, hop)
        x, mask = {}, {}
        for m, spec in specs.items():
            source = _source(spec)
            if source == "waveform":
                path = store.feature_path(features_root, dataset, spec["waveform"], s)
                x[m], mask[m] = waveform_frames(store.read(path), frame_no, hop, str(path))
            elif source == "spectrogram":  # Waligora et al.'s per-clip spectrograms (sequence.clips)
                from .clips import spectrogram_frames

                path = store.feature_path(features_root, dataset, spec["spectrogram"], s)
                x[m], mask[m] = spectrogram_frames(store.read(path), frame_no, hop, int(spec.get("clip_frames", 8)), str(path))
            elif source == "words":
                path = store.feature_path(features_root, dataset, spec["words"], s)
                x[m], mask[m] = word_frames(store.read(path), t0, t1, float(spec.get("delay_s", 0.5)),
                                            int(spec.get("max_words", 16)), str(path))
            else:
                path = Path(faces_root) / dataset / spec["faces"] / f"{s}.parquet"
                x[m], mask[m] = face_frames(path, t0, frame_no, hop, int(spec.get("image_size", 48)))
                standardise = spec.get("standardise", "none")
                if standardise == "session":
                    x[m] = standardise_faces(x[m], mask[m])
                elif standardise != "none":
                    raise ValueError(f"raw faces input {spec}: standardise must be 'none' or 'session', got '{standardise}'")
            if shapes.setdefault(m, x[m].shape[1:]) != x[m].shape[1:]:
                raise ValueError(f"{path}: per-frame shape {x[m].shape[1:]} differs from another session's {shapes[m]}")
        valid = frames["label_valid"].to_numpy(dtype=bool)
        y = frames[dims].to_numpy(dtype=np.float32, copy=True)
        y[~valid] = np.nan
        row = meta.loc[s]
        sessions.append(SessionArrays(session=str(s), speaker=str(row["speaker"]), partition=str(row["partition"] or ""),
                                      t_start=t0, t_end=t1, x=x, mask=mask, y=y, label_valid=valid))
    return SequenceData(sessions=sessions, modalities={m: [str(v[_source(v)])] for m, v in specs.items()},
                        dims=list(dims), raw_shapes={m: tuple(int(d) for d in v) for m, v in shapes.items()})
