"""``affectflow init``: a folder of recordings (and a label table) → a manifest CSV and a config.

The folder is scanned recursively. Files group into sessions by their name without the suffix
(``clip01.mp4``, ``clip01.wav`` and ``clip01.txt`` are session ``clip01``); when one name occurs in
two subfolders the ids carry the path (``a/clip01`` → ``a_clip01``) for every session. Ids keep
their characters (``01`` stays ``01``); anything not file-name safe becomes ``_``. Media: video (``VIDEO_EXTS``) with or without an audio track, audio
(``AUDIO_EXTS``), transcripts (``.txt``, ``.json``). A video with no audio file beside it gives
its own audio track (the csv adapter's rule; a video without one is reported by ``check``).

Labels (``--labels``), optional:

- a **table** (CSV, separator sniffed) with one row per clip: the clip in a ``session`` column (or
  ``file``, ``filename``, ``clip``, ``name``, ``path``: matched by the file name without suffix);
  ``emotion`` → categorical labels; every other column whose values are all numbers (``arousal``,
  ``valence``, …) → a clip-level dimension; ``speaker``, ``partition`` and ``group`` columns are
  taken as they are;
- a **folder** of per-frame files in the AVEC layout (``{session}.csv``:
  ``name;timestamp;arousal;valence;…``): continuous labels, the dimensions from the first file's
  header.

Speakers: the label table's ``speaker`` column; else ``speaker_pattern`` (a regular expression on
the session id: its first group, or the whole match); else one speaker per session.
Partitions: the label table's ``partition`` column; else AVEC-style name prefixes (``Train_``,
``Devel_``, ``Test_``); else, when the config trains a model and there are at least three speakers,
a speaker-disjoint split of the sorted speakers (the last 20 % test, the 20 % before them devel, at
least one speaker each, the rest train); else none.

Extractors follow the modalities every session has: audio → eGeMAPS LLDs and functionals; video
→ FER2013 face expression logits (BlazeFace detection); transcripts → VADER. A modality only some
sessions have is left out (an extractor would stop the run on the sessions without it) and said
so. Continuous labels (per-frame or clip-level dimensions) add a ridge model on all of them;
categorical labels alone add no model (the ridge is a regression).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from ..core import labels as labels_mod
from .avec import partition_from_name
from .manifest import DatasetError, Manifest

VIDEO_EXTS = (".mp4", ".avi", ".mov", ".mkv", ".flv", ".webm", ".m4v", ".mpg", ".mpeg")
AUDIO_EXTS = (".wav", ".mp3", ".flac", ".ogg", ".m4a", ".aac", ".opus")
TEXT_EXTS = (".txt", ".json")
KEY_COLUMNS = ("session", "file", "filename", "clip", "name", "path")
TAKEN_COLUMNS = ("speaker", "partition", "group", "emotion")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")

FEATURES = {
    "audio": {
        "egemaps_lld": {"kind": "opensmile", "feature_set": "eGeMAPSv02", "level": "lld"},
        "egemaps_func": {"kind": "opensmile", "feature_set": "eGeMAPSv02", "level": "functionals", "window_s": 4.0,
                         "window_hop_s": 1.0, "speech_flag": False},
    },
    "video": {"face_expression": {"kind": "face_expression", "detector": "blazeface"}},
    "transcript": {"vader": {"kind": "vader", "context": "window", "window_s": 3.0}},
}
FACE_DETECTORS = {"blazeface": {"backend": "mediapipe", "sample": 5, "size": 112, "select": "largest"}}
RIDGE = {"kind": "ridge", "alphas": [1.0, 10.0, 100.0, 1000.0, 10000.0], "standardise": "speaker", "context_frames": 0}


@dataclass
class Scan:
    table: pd.DataFrame                  # the manifest rows (absolute paths)
    dimensions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def has(self, column: str) -> bool:
        """Every session has this modality (a video counts as audio when it is the audio source)."""
        return bool(len(self.table)) and bool((self.table[column] != "").all())


def session_id(relative: Path) -> str:
    """``sub/clip01.mp4`` → ``sub_clip01`` (only the last suffix goes: ``a.b.wav`` → ``a.b``)."""
    stem = relative.with_suffix("")
    return _UNSAFE.sub("_", "_".join(stem.parts))


def _column(path: Path) -> str | None:
    ext = path.suffix.lower()
    return "video" if ext in VIDEO_EXTS else "audio" if ext in AUDIO_EXTS else "transcript" if ext in TEXT_EXTS else None


def _media_files(folder: Path, exclude: Path | None) -> dict[str, dict[str, str]]:
    paths = [p for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.startswith(".") and _column(p)
             and not (exclude is not None and (p.resolve() == exclude or exclude in p.resolve().parents))]
    folders_of: dict[str, set] = {}
    for p in paths:
        folders_of.setdefault(p.stem, set()).add(p.parent)
    by_path = any(len(f) > 1 for f in folders_of.values())
    sessions: dict[str, dict[str, str]] = {}
    for path in paths:
        column = _column(path)
        sid = session_id(path.relative_to(folder) if by_path else Path(path.name))
        row = sessions.setdefault(sid, {"video": "", "audio": "", "transcript": ""})
        if row[column]:
            raise DatasetError(f"{folder}: two {column} files for session '{sid}': {row[column]} and {path} "
                               "(give each recording its own name)")
        row[column] = str(path.resolve())
    return sessions


def _read_table(path: Path) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, sep=None, engine="python")
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DatasetError(f"label table {path} is not a readable CSV ({exc})") from exc
    table.columns = [str(c).strip() for c in table.columns]
    if table.empty:
        raise DatasetError(f"label table {path} has no rows")
    return table


def _clip_id(value: str, sessions: dict) -> str:
    """A label table's clip (``01``, ``01.mp4``, ``sub/01.wav``, ``a.b``) → the session id it names:
    a media or text suffix is dropped, a folder kept only where the ids carry folders."""
    path = Path(value.strip())
    if path.suffix.lower() in VIDEO_EXTS + AUDIO_EXTS + TEXT_EXTS:
        path = path.with_suffix("")
    candidates = [_UNSAFE.sub("_", "_".join(path.parts)), _UNSAFE.sub("_", path.name)]
    return next((c for c in candidates if c in sessions), candidates[-1])


def _numeric(values: pd.Series) -> bool:
    filled = values[values.str.strip() != ""]
    return len(filled) > 0 and pd.to_numeric(filled, errors="coerce").notna().all()


def _table_labels(path: Path, sessions: dict) -> tuple[dict[str, dict], list[str], str]:
    table = _read_table(path)
    lower = {c.lower(): c for c in table.columns}
    key = next((lower[k] for k in KEY_COLUMNS if k in lower), None)
    if key is None:
        raise DatasetError(f"label table {path} has none of the columns {list(KEY_COLUMNS)} naming the clip (columns: {list(table.columns)})")
    ids = [_clip_id(v, sessions) for v in table[key]]
    dup = sorted({s for s in ids if ids.count(s) > 1})
    if dup:
        raise DatasetError(f"label table {path}: clip(s) {dup[:5]} appear more than once in column '{key}'")
    unknown = [s for s in ids if s not in sessions]
    if unknown:
        raise DatasetError(f"label table {path}: {len(unknown)} clip(s) have no media in the folder: {unknown[:5]}"
                           f"{' …' if len(unknown) > 5 else ''} (column '{key}', matched by the file name without suffix)")
    taken = {c.lower(): c for c in table.columns if c.lower() in TAKEN_COLUMNS}
    dims = [c for c in table.columns if c != key and c.lower() not in TAKEN_COLUMNS and _numeric(table[c])]
    if not dims and "emotion" not in taken:
        raise DatasetError(f"label table {path}: no 'emotion' column and no numeric column (a dimension such as arousal); "
                           f"columns: {list(table.columns)}")
    rows = {}
    for sid, (_, r) in zip(ids, table.iterrows()):
        row = {k: r[c].strip() for k, c in taken.items()}
        row.update({d: r[d].strip() for d in dims})
        row["label_kind"] = "clip" if dims and any(row[d] for d in dims) else "categorical" if row.get("emotion") else "none"
        rows[sid] = row
    return rows, dims, f"label table {path.name}: " + (f"clip-level dimensions {dims}" if dims else "categories (emotion)")


def _folder_labels(folder: Path, sessions: dict) -> tuple[dict[str, dict], list[str], str]:
    found = sorted(folder.rglob("*.csv"))
    by_path = len({p.stem for p in found}) < len(found)
    files = {session_id(p.relative_to(folder) if by_path else Path(p.name)): p for p in found}
    if not files:
        raise DatasetError(f"label folder {folder} holds no .csv files (expected one AVEC-layout file per session)")
    unknown = [s for s in files if s not in sessions]
    if unknown:
        raise DatasetError(f"label folder {folder}: {len(unknown)} label file(s) have no media in the folder: {unknown[:5]}")
    first = next(iter(files.values()))
    try:
        dims = [c for c in labels_mod.read_avec(first).columns if c != "timestamp"]
    except labels_mod.LabelError as exc:
        raise DatasetError(f"label folder {folder}: {exc}") from exc
    rows = {s: {"labels": str(p.resolve()), "label_kind": "continuous"} for s, p in files.items()}
    return rows, dims, f"per-frame label files in {folder.name}/: dimensions {dims}"


def scan(folder: str | Path, labels: str | Path | None = None, speaker_pattern: str | None = None,
         split: bool = True) -> Scan:
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: not a folder")
    labels = Path(labels) if labels else None
    if labels is not None and not labels.exists():
        raise DatasetError(f"{labels}: label table or folder not found")
    sessions = _media_files(folder, labels.resolve() if labels is not None else None)
    if not sessions:
        raise DatasetError(f"{folder}: no media or transcripts found (video {VIDEO_EXTS}, audio {AUDIO_EXTS}, text {TEXT_EXTS})")
    notes, dims, label_rows = [], [], {}
    if labels is not None:
        label_rows, dims, what = (_folder_labels if labels.is_dir() else _table_labels)(labels.resolve() if labels.is_dir() else labels, sessions)
        notes.append(f"labels: {what}")
        unlabelled = sorted(set(sessions) - set(label_rows))
        if unlabelled:
            notes.append(f"{len(unlabelled)} session(s) have no labels (kept, label_kind none): {unlabelled[:5]}{' …' if len(unlabelled) > 5 else ''}")
    rows = []
    pattern = re.compile(speaker_pattern) if speaker_pattern else None
    for sid, media in sessions.items():
        row = {"session": sid, "speaker": "", "partition": "", **media, "labels": "", "label_kind": "none", "emotion": ""}
        row.update(label_rows.get(sid, {}))
        if not row["speaker"]:
            if pattern is not None:
                m = pattern.search(sid)
                if not m:
                    raise DatasetError(f"session '{sid}': the speaker pattern {speaker_pattern!r} does not match its id")
                row["speaker"] = m.group(1) if m.groups() else m.group(0)
            else:
                row["speaker"] = sid
        if not row["partition"]:
            row["partition"] = partition_from_name(sid)
        rows.append(row)
    table = pd.DataFrame(rows).fillna("")
    for d in dims:
        if d not in table.columns:
            table[d] = ""
    if pattern is None and not any("speaker" in r for r in label_rows.values()):
        notes.append("speakers: one per session (give a 'speaker' column in the label table or --speaker-pattern)")
    result = Scan(table, dims, notes)
    # the same rule as the csv adapter: a video without an audio file gives its own track
    from .generic_csv import audio_from_video
    audio_from_video(result.table)
    if split and dims and (table["partition"] == "").all():
        speakers = sorted(table["speaker"].unique())
        if len(speakers) >= 3:
            n_devel = max(1, round(0.2 * len(speakers)))
            n_train = len(speakers) - 2 * n_devel
            part = {s: "train" if i < n_train else "devel" if i < n_train + n_devel else "test" for i, s in enumerate(speakers)}
            result.table["partition"] = result.table["speaker"].map(part)
            counts = pd.Series(part).value_counts()
            notes.append(f"partitions: speaker-disjoint split of the sorted speakers: {counts.get('train', 0)} train, "
                         f"{counts.get('devel', 0)} devel, {counts.get('test', 0)} test speakers (edit the manifest to change it)")
        else:
            notes.append(f"partitions: none ({len(speakers)} speaker(s): too few to split; the ridge model needs a train partition)")
    for column, what in (("audio", "audio"), ("video", "video"), ("transcript", "transcripts")):
        present = int((result.table[column] != "").sum())
        if 0 < present < len(result.table):
            notes.append(f"{what}: only {present} of {len(result.table)} sessions have it; no {what} extractor configured")
    return result


def config_for(name: str, manifest_path: Path, s: Scan) -> dict:
    features: dict = {}
    for column in ("audio", "video", "transcript"):
        if s.has(column):
            features.update(FEATURES[column])
    # relative to the config's folder, which is the run's working directory (snakemake --directory, affectflow
    # check's default), against which every relative path of a config resolves: the folder can move as a whole
    dataset: dict = {"adapter": "csv", "options": {"path": manifest_path.name}, "hop_s": 0.1}
    if s.dimensions:
        dataset["dimensions"] = list(s.dimensions)
    dataset["features"] = list(features)
    cfg: dict = {"datasets": {name: dataset}}
    if "face_expression" in features:
        cfg["face_detectors"] = FACE_DETECTORS
    cfg["features"] = features
    continuous = s.table["label_kind"].isin(["continuous", "clip"]).any()
    if continuous and features:
        cfg["models"] = {f"ridge_{name}": {**RIDGE, "features": list(features)}}
        dataset["models"] = [f"ridge_{name}"]
    return cfg


def write(folder: str | Path, out: str | Path, labels: str | Path | None = None, name: str | None = None,
          speaker_pattern: str | None = None, force: bool = False) -> tuple[Path, Path, Scan]:
    """Scan ``folder`` and write ``out/manifest.csv`` and ``out/config.yaml``; both validated."""
    from ..core import config as config_mod

    out = Path(out)
    manifest_path, config_path = out / "manifest.csv", out / "config.yaml"
    for p in (manifest_path, config_path):
        if p.exists() and not force:
            raise DatasetError(f"{p} exists; pass --force to overwrite it")
    name = name or _UNSAFE.sub("_", Path(folder).resolve().name) or "mine"
    s = scan(folder, labels, speaker_pattern)
    Manifest(name, s.table)  # the adapter's own rules (ids, partitions, speakers) before anything is written
    cfg = config_for(name, manifest_path, s)
    config_mod.validate(yaml.safe_load(yaml.safe_dump(cfg)), source=str(config_path))  # before anything is written
    out.mkdir(parents=True, exist_ok=True)
    table = s.table.drop(columns=["audio_note"])  # the adapter works it out again from the files
    for col in ("video", "audio", "transcript", "labels"):
        table[col] = [os.path.relpath(p, out.resolve()) if p else "" for p in table[col]]
    table.to_csv(manifest_path, index=False)
    header = (f"# written by `affectflow init {folder}" + (f" --labels {labels}" if labels else "") + "`\n"
              + "".join(f"# {n}\n" for n in s.notes) + "# next: affectflow check --configfile config.yaml; snakemake --directory <this folder> --cores N\n")
    config_path.write_text(header + yaml.safe_dump(cfg, sort_keys=False))
    return manifest_path, config_path, s
