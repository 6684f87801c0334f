"""Validate a dataset before a long run: one row per session, every problem named.

For each session of each configured dataset: every referenced file exists; media open, carry the
streams the manifest promises and (unless ``quick``) decode to the end; video frame timing
(variable frame rate is reported, not refused); transcripts are non-empty UTF-8; label files
parse, and their span is compared with the media's; modalities the configured extractors need
are present; a speaker is in one partition only.

Each finding is an ``error`` (the run would fail or be wrong on this session) or a ``warning``
(the run goes on with frames flagged ``label_valid = false`` / ``speech = false``, or with
something worth knowing). ``check`` returns the table; ``affectflow check`` prints it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..datasets import build_manifest
from ..datasets.demo import session_files
from ..extractors import modality_of
from . import labels as labels_mod, media, silence, textfiles

# labels and media whose ends differ by more than this are reported
DURATION_TOLERANCE_S = 1.0
# a session whose audio is mostly silent is reported (its rows get speech = false); short clips
# of acted corpora are often half silence (CREMA-D: 50–70 % below −50 dBFS), which is normal
SILENT_FRACTION_WARNING = 0.8
ERROR, WARNING = "error", "warning"


@dataclass
class SessionReport:
    problems: list[tuple[str, str]] = field(default_factory=list)
    cells: dict[str, str] = field(default_factory=dict)
    media_s: float = math.nan
    labels_s: float = math.nan

    def add(self, level: str, message: str) -> None:
        self.problems.append((level, message))

    def saw_media(self, seconds: float) -> None:
        """The session's media duration: the longest of its streams."""
        self.media_s = seconds if math.isnan(self.media_s) else max(self.media_s, seconds)

    @property
    def status(self) -> str:
        levels = {lvl for lvl, _ in self.problems}
        return ERROR if ERROR in levels else WARNING if WARNING in levels else "ok"


def _check_video(path: str, rep: SessionReport, quick: bool) -> None:
    info = media.probe(path)
    if not info.has_video:
        rep.cells["video"] = "no stream"
        rep.add(ERROR, f"video: {path} has no video stream")
        return
    rep.saw_media(info.duration_s)
    rep.cells["video"] = f"{info.fps:.1f} fps" if info.fps else "ok"
    if not quick:
        times = media.video_frame_times(path)
        declared, n_declared = media.video_declared(path)
        try:
            media.check_span(path, "video", media.video_span(times, info.fps), declared, len(times), n_declared, verb="holds")
        except media.MediaError as exc:
            rep.cells["video"] = "truncated"
            rep.add(ERROR, f"video: {exc}")
            return
        if media.is_variable_frame_rate(times):
            rep.cells["video"] = "VFR"
            steps = np.diff(times)
            rep.add(WARNING, f"video: {path} has a variable frame rate (frame intervals {steps.min() * 1000:.0f}–{steps.max() * 1000:.0f} ms); "
                             "frames are placed on the grid by their timestamps")


def _check_audio(path: str, rep: SessionReport, quick: bool, hop_s: float) -> None:
    info = media.probe(path)
    if not info.has_audio:
        rep.cells["audio"] = "no stream"
        rep.add(ERROR, f"audio: {path} has no audio stream")
        return
    rep.cells["audio"] = f"{info.sample_rate} Hz×{info.channels}"
    duration = info.duration_s
    if not quick:
        samples = media.load_audio(path, sample_rate=16000)
        duration = len(samples) / 16000
        levels = silence.block_levels_dbfs(samples, 16000)
        silent = float(np.mean(levels <= silence.DEFAULT_SILENCE_DBFS)) if len(levels) else 1.0
        if silent >= SILENT_FRACTION_WARNING:
            rep.add(WARNING, f"audio: {path} is silent (below {silence.DEFAULT_SILENCE_DBFS:.0f} dBFS) for {silent:.0%} of its "
                             f"{duration:.1f} s; those rows get speech = false")
    if duration < hop_s:
        rep.add(ERROR, f"audio: {path} lasts {duration:.3f} s, shorter than one grid frame ({hop_s} s)")
    rep.saw_media(duration)


def _check_transcript(path: str, rep: SessionReport) -> None:
    text = textfiles.read_utf8(path)
    if not text.strip():
        rep.cells["transcript"] = "empty"
        rep.add(WARNING, f"transcript: {path} is empty; the session has no words")


def _check_labels(path: str, dims: list[str], hop_s: float, delay_s: float, rep: SessionReport) -> None:
    raw = labels_mod.read_avec(path, dims)
    ts = raw["timestamp"].to_numpy()
    rep.labels_s = float(ts[-1])
    values = raw[dims].to_numpy(dtype=np.float64)
    missing = ~np.isfinite(values) | np.isclose(values, labels_mod.AFFWILD_MISSING)
    if missing.any():
        rep.add(WARNING, f"labels: {path} has {int(missing.any(axis=1).sum())} of {len(ts)} annotation rows with NaN or −5 "
                         "(frames there get label_valid = false)")
    gaps = np.diff(ts)
    long_gaps = gaps > labels_mod.default_max_gap(ts, hop_s) + 1e-9
    if long_gaps.any():
        rep.add(WARNING, f"labels: {path} has {int(long_gaps.sum())} gap(s) in its timestamps, the longest {gaps.max():.2f} s "
                         f"from {ts[np.argmax(gaps)]:.2f} s (frames there get label_valid = false)")
    if math.isnan(rep.media_s):
        return
    mismatch = labels_mod.span_mismatch(path, raw, rep.media_s, delay_s, DURATION_TOLERANCE_S)
    if mismatch:
        rep.add(WARNING, f"labels: {mismatch}")
    grid = labels_mod.to_grid(raw, "x", rep.media_s, hop_s, delay_s)
    rep.cells["labels"] = f"{grid['label_valid'].mean():.0%} valid" if len(grid) else "no frames"


def check_session(row: dict, dcfg: dict, features: dict, quick: bool = False) -> SessionReport:
    rep = SessionReport()
    for col in ("video", "audio", "transcript", "labels"):
        path = row[col]
        if not path:
            rep.cells[col] = "—"
        elif not Path(path).exists():
            rep.cells[col] = "missing"
            rep.add(ERROR, f"{col}: file not found: {path}")
        else:
            rep.cells[col] = "ok"
    checks = (
        ("video", lambda p: _check_video(p, rep, quick)),
        ("audio", lambda p: _check_audio(p, rep, quick, dcfg.get("hop_s", 0.1))),
        ("transcript", lambda p: _check_transcript(p, rep)),
    )
    for col, run in checks:
        if rep.cells[col] == "ok":
            try:
                run(row[col])
            except (media.MediaError, textfiles.TextFileError) as exc:
                rep.cells[col] = "unreadable"
                rep.add(ERROR, f"{col}: {exc}")
    if row["label_kind"] == "continuous":
        if not row["labels"]:
            rep.add(ERROR, "labels: label_kind is continuous but no label file is given")
        elif rep.cells["labels"] == "ok":
            try:
                _check_labels(row["labels"], dcfg.get("dimensions", ["arousal", "valence"]), dcfg.get("hop_s", 0.1),
                              dcfg.get("annotation_delay_s", 0.0), rep)
            except labels_mod.LabelError as exc:
                rep.cells["labels"] = "unreadable"
                rep.add(ERROR, f"labels: {exc}")
    elif row["label_kind"] == "clip":
        dims = dcfg.get("dimensions", ["arousal", "valence"])
        try:
            values = labels_mod.clip_values(row, dims, f"session {row['session']}")
            rep.cells["labels"] = " ".join(f"{d}={v:g}" for d, v in values.items())
        except labels_mod.LabelError as exc:
            rep.cells["labels"] = "unreadable"
            rep.add(ERROR, f"labels: {exc}")
    elif row["label_kind"] == "categorical":
        rep.cells["labels"] = row["emotion"] or "—"
        if not row["emotion"]:
            rep.add(ERROR, "labels: label_kind is categorical but the session has no emotion")
    for name in dcfg.get("features", []):
        modality = modality_of(features[name]["kind"])
        column = "transcript" if modality == "text" else modality
        if not row.get(column):
            why = f" ({row['audio_note']})" if column == "audio" and row.get("audio_note") else ""
            rep.add(ERROR, f"{column}: none for this session{why}, but extractor '{name}' needs it")
    if row.get("audio_note") and not any(msg.startswith("audio: none") for _, msg in rep.problems):
        rep.add(WARNING, f"audio: {row['audio_note']}; the session has no audio")
    return rep


def check(cfg: dict, quick: bool = False) -> pd.DataFrame:
    """One row per session of every dataset in ``cfg``: what is present, durations, status, problems."""
    rows = []
    for ds, dcfg in cfg["datasets"].items():
        table = build_manifest(ds, dcfg).table
        speakers_partitions = table[table["partition"] != ""].groupby("speaker")["partition"].unique()
        for _, r in table.iterrows():
            row = r.to_dict()
            if dcfg["adapter"] == "demo" and not Path(session_files(row["session"])["media"]).exists():
                rep = SessionReport(cells={c: "generated" for c in ("video", "audio", "transcript", "labels")})
            else:
                rep = check_session(row, dcfg, cfg["features"], quick)
            parts = speakers_partitions.get(row["speaker"], [])
            if len(parts) > 1:
                rep.add(WARNING, f"speaker '{row['speaker']}' is in several partitions ({', '.join(sorted(parts))}): not speaker-disjoint")
            rows.append({"dataset": ds, "session": row["session"], "speaker": row["speaker"], "partition": row["partition"] or "-",
                         **{c: rep.cells[c] for c in ("video", "audio", "transcript", "labels")},
                         "media_s": round(rep.media_s, 2), "labels_s": round(rep.labels_s, 2), "status": rep.status,
                         "problems": "; ".join(f"{lvl}: {msg}" for lvl, msg in rep.problems)})
    return pd.DataFrame(rows)
