"""Segments of a session (interpausal units, rolling windows, transcript utterances) and their targets.

A segments table obeys the store contract: ``session``, ``t_start``, ``t_end`` (seconds), then
``segment`` (0-based index within the session) and, for utterances, ``text``. Stored per session
under ``results/segments/{dataset}/{segmenter}/{session}.parquet``.

API for models that work on segments (e.g. late fusion over IPUs):

- :func:`build_segments` — one session's segments from a segmenter configuration;
- :func:`segment_targets` — the mean of the grid labels over each segment, right-shifted by
  ``shift_s`` (the annotators' reaction delay), with ``target_valid`` and the frame count.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import grid

SEGMENT_KINDS = ("ipu", "rolling", "utterances")


class SegmentError(ValueError):
    """A transcript or parameter that cannot produce segments; the message names the file."""


def _table(session: str, t_start, t_end, **extra) -> pd.DataFrame:
    t_start = np.round(np.asarray(t_start, dtype=np.float64), grid.TIME_DECIMALS)
    t_end = np.round(np.asarray(t_end, dtype=np.float64), grid.TIME_DECIMALS)
    df = pd.DataFrame({"session": pd.Series([session] * len(t_start), dtype=str), "t_start": t_start, "t_end": t_end,
                       "segment": np.arange(len(t_start), dtype=np.int32)})
    for k, v in extra.items():
        df[k] = v
    return df


def interpausal_units(session: str, regions: pd.DataFrame, min_pause_s: float = 0.2,
                      min_duration_s: float = 0.0) -> pd.DataFrame:
    """Merge speech regions separated by pauses shorter than ``min_pause_s`` into IPUs.

    IPUs shorter than ``min_duration_s`` are dropped. Pure silence gives an empty table.
    """
    if min_pause_s < 0:
        raise SegmentError(f"min_pause_s must be >= 0, got {min_pause_s}")
    r = regions.sort_values("t_start")
    units: list[list[float]] = []
    for t0, t1 in zip(r["t_start"].to_numpy(), r["t_end"].to_numpy()):
        if units and t0 - units[-1][1] < min_pause_s:
            units[-1][1] = max(units[-1][1], t1)
        else:
            units.append([t0, t1])
    units = [u for u in units if u[1] - u[0] >= min_duration_s]
    return _table(session, [u[0] for u in units], [u[1] for u in units])


def rolling_windows(session: str, duration_s: float, window_s: float = 6.0, hop_s: float | None = None) -> pd.DataFrame:
    """Fixed windows of ``window_s`` every ``hop_s`` (default: ``window_s``, no overlap) inside the session.

    A session shorter than one window gives one segment over the whole session.
    """
    if window_s <= 0:
        raise SegmentError(f"window_s must be positive, got {window_s}")
    spans = window_spans(duration_s, window_s, hop_s or window_s)
    return _table(session, [s for s, _ in spans], [e for _, e in spans])


def window_spans(duration_s: float, window_s: float | None, hop_s: float | None) -> list[tuple[float, float]]:
    """``(t_start, t_end)`` of windows of ``window_s`` every ``hop_s`` that fit in the session;
    one span over the whole session when ``window_s`` is None or longer than the session."""
    if window_s is None or duration_s <= float(window_s):
        return [(0.0, round(float(duration_s), grid.TIME_DECIMALS))]
    window, step = float(window_s), float(hop_s or window_s)
    n = int(np.floor((duration_s - window) / step + 1e-9)) + 1
    starts = np.round(np.arange(n) * step, grid.TIME_DECIMALS)
    return [(float(s), round(float(s) + window, grid.TIME_DECIMALS)) for s in starts]


def read_utterances(path: str | Path, max_gap_s: float = 0.5) -> pd.DataFrame:
    """Utterances ``t_start``, ``t_end``, ``text`` of a transcript in any format the text branch
    reads (:func:`affectflow.text.transcripts.read`: words/utterances JSON, CSV/TSV, SRT/VTT);
    timed words alone are grouped into utterances at gaps longer than ``max_gap_s``."""
    from ..text import transcripts

    try:
        tr = transcripts.read(path, pause_s=max_gap_s)
    except transcripts.TranscriptError as exc:
        raise SegmentError(str(exc)) from exc
    df = pd.DataFrame([(u.start, u.end, u.text) for u in tr.utterances], columns=["t_start", "t_end", "text"])
    return df.sort_values("t_start", kind="stable").reset_index(drop=True)


def transcript_utterances(session: str, path: str | Path, max_gap_s: float = 0.5) -> pd.DataFrame:
    u = read_utterances(path, max_gap_s)
    return _table(session, u["t_start"], u["t_end"], text=u["text"].astype(str).to_numpy())


def build_segments(session: str, params: dict, *, audio_path: str = "", transcript_path: str = "") -> tuple[pd.DataFrame, dict]:
    """One session's segments for a segmenter configuration (``kind`` ipu / rolling / utterances).

    Returns the segments table and the provenance extras (model file and hash for ``ipu``).
    """
    from . import media, store, vad

    kind = params.get("kind")
    if kind == "ipu":
        if not audio_path:
            raise SegmentError(f"session {session}: interpausal units need an audio track")
        audio = media.load_audio(audio_path, sample_rate=16000)
        regions = vad.speech_regions(audio, 16000, **{k: params[k] for k in vad.DEFAULTS if k in params})
        seg = interpausal_units(session, regions, params.get("min_pause_s", 0.2), params.get("min_duration_s", 0.0))
        return seg, {"model_id": "silero-vad:silero_vad.onnx", "weights_sha256": store.sha256_file(vad.model_path())}
    if kind == "rolling":
        source = audio_path or transcript_path
        duration = media.probe(audio_path).duration_s if audio_path else float(read_utterances(source)["t_end"].max())
        return rolling_windows(session, duration, params.get("window_s", 6.0), params.get("hop_s")), {}
    if kind == "utterances":
        if not transcript_path:
            raise SegmentError(f"session {session}: utterance segments need a transcript")
        return transcript_utterances(session, transcript_path, params.get("max_gap_s", 0.5)), {}
    raise SegmentError(f"unknown segmenter kind '{kind}'; known: {list(SEGMENT_KINDS)}")


def segment_targets(segments: pd.DataFrame, labels: pd.DataFrame, dimensions: list[str], shift_s: float = 0.0) -> pd.DataFrame:
    """Mean of the valid grid labels whose frame start lies in ``[t_start + shift_s, t_end + shift_s)``.

    ``labels`` is a session's label table on the grid (``t_start``, the dimensions, ``label_valid``).
    Returns the segments' index columns plus one column per dimension, ``n_frames`` (valid frames
    averaged) and ``target_valid`` (at least one valid frame; otherwise the targets are NaN).
    """
    missing = [d for d in dimensions if d not in labels.columns]
    if missing:
        raise SegmentError(f"label dimension(s) {missing} not in the label table (columns: {list(labels.columns)})")
    out = segments[["session", "t_start", "t_end", "segment"]].copy().reset_index(drop=True)
    if "session" not in labels.columns:
        labels = labels.assign(session=out["session"].iloc[0] if len(out) else "")
    means = np.full((len(out), len(dimensions)), np.nan)
    counts = np.zeros(len(out), dtype=np.int64)
    eps = 10 ** -grid.TIME_DECIMALS / 2
    by_session = {s: f.sort_values("t_start") for s, f in labels.groupby("session", sort=False)}
    for s, rows in out.groupby("session", sort=False).groups.items():
        frames = by_session.get(s)
        if frames is None:
            continue
        values = frames[dimensions].to_numpy(dtype=np.float64)
        valid = np.isfinite(values).all(axis=1)
        if "label_valid" in frames.columns:
            valid &= frames["label_valid"].to_numpy(bool)
        # cumulative sums over the sorted frames turn each segment's mean into two lookups
        csum = np.vstack([np.zeros(len(dimensions)), np.cumsum(np.where(valid[:, None], values, 0.0), axis=0)])
        ccount = np.r_[0, np.cumsum(valid)]
        starts = frames["t_start"].to_numpy(dtype=np.float64)
        rows = np.asarray(rows)
        lo = np.searchsorted(starts, out.loc[rows, "t_start"].to_numpy() + shift_s - eps, side="left")
        hi = np.searchsorted(starts, out.loc[rows, "t_end"].to_numpy() + shift_s - eps, side="left")
        n = ccount[hi] - ccount[lo]
        counts[rows] = n
        with np.errstate(invalid="ignore", divide="ignore"):
            means[rows] = np.where(n[:, None] > 0, (csum[hi] - csum[lo]) / np.maximum(n, 1)[:, None], np.nan)
    for j, d in enumerate(dimensions):
        out[d] = means[:, j].astype(np.float32)
    out["n_frames"] = counts.astype(np.int32)
    out["target_valid"] = counts > 0
    return out


def load_segments(dataset: str, segmenter: str, sessions=None, root: str | Path = "results/segments") -> pd.DataFrame:
    """Stored segments of a dataset (all stored sessions by default), concatenated."""
    from . import store

    return store.load(dataset, segmenter, sessions=sessions, root=root)


def run(dataset: str, session: str, segmenter: str, params: dict, out_path: str | Path, *,
        audio_path: str = "", transcript_path: str = "") -> pd.DataFrame:
    """Build one session's segments and write them to the store with provenance (atomically)."""
    from . import store

    seg, extra = build_segments(session, params, audio_path=audio_path, transcript_path=transcript_path)
    kind = params.get("kind")
    used = {"audio": audio_path} if kind == "ipu" or (kind == "rolling" and audio_path) else {"transcript": transcript_path}
    record = store.provenance(
        extractor=segmenter, extractor_version=f"segments/{kind}/1", dataset=dataset, session=session,
        params=params, model_id=extra.get("model_id"), weights_sha256=extra.get("weights_sha256"),
        packages=("silero-vad", "onnxruntime", "av") if kind == "ipu" else ("av",), sources=used,
    )
    store.write(seg, out_path, record)
    return seg
