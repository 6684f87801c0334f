"""The session manifest shared by every stage."""
from __future__ import annotations

import os

import re
from dataclasses import dataclass

import pandas as pd

COLUMNS = [
    "dataset",      # dataset name from the config
    "session",      # unique id within the dataset, safe as a file name
    "speaker",      # speaker id: folds and partitions are speaker-disjoint
    "partition",    # train / devel / test, or "" when the corpus has no official split
    "video",        # path of the video track (may be the same file as audio), or ""
    "audio",        # path of the audio track, or ""
    "transcript",   # path of the transcript (words.json, turn CSV, txt), or ""
    "labels",       # path of the continuous label file (AVEC layout), or ""
    "label_kind",   # "continuous", "categorical", "clip" (one value per dimension in the {dim} columns) or "none"
    "emotion",      # session-level category for categorical corpora, or ""
]
PARTITIONS = ("train", "devel", "test", "")
LABEL_KINDS = ("continuous", "categorical", "clip", "none")
_SESSION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class DatasetError(ValueError):
    """A dataset that cannot be used as configured; the message names the file and the problem."""


@dataclass
class Manifest:
    dataset: str
    table: pd.DataFrame

    def __post_init__(self):
        self.table = normalise(self.table, self.dataset)

    @property
    def sessions(self) -> list[str]:
        return self.table["session"].tolist()

    def row(self, session: str) -> dict:
        # an index built once per table: Snakemake calls this for every job while it builds the DAG
        # (filtering the table each time made a 1,000-session dry run quadratic)
        if getattr(self, "_rows_of", None) is not self.table:
            self._rows = {r["session"]: r for r in self.table.to_dict(orient="records")}
            self._rows_of = self.table
        if session not in self._rows:
            raise DatasetError(f"dataset '{self.dataset}': unknown session '{session}'")
        return dict(self._rows[session])

    def in_partition(self, partition: str) -> list[str]:
        return self.table.loc[self.table["partition"] == partition, "session"].tolist()


def normalise(table: pd.DataFrame, dataset: str) -> pd.DataFrame:
    table = table.copy()
    for col in COLUMNS:
        if col not in table.columns:
            table[col] = ""
    table["dataset"] = dataset
    table = table[COLUMNS + [c for c in table.columns if c not in COLUMNS]]
    table[COLUMNS] = table[COLUMNS].fillna("").astype(str)
    bad_ids = [s for s in table["session"] if not _SESSION_ID.match(s)]
    if bad_ids:
        raise DatasetError(f"dataset '{dataset}': session ids must be file-name safe ([A-Za-z0-9_.-]), got {bad_ids[:5]}")
    dup = table["session"][table["session"].duplicated()].unique().tolist()
    if dup:
        raise DatasetError(f"dataset '{dataset}': duplicated session ids {dup[:5]}")
    bad_part = sorted(set(table["partition"]) - set(PARTITIONS))
    if bad_part:
        raise DatasetError(f"dataset '{dataset}': unknown partition(s) {bad_part}; use one of train, devel, test or leave empty")
    bad_kind = sorted(set(table["label_kind"]) - set(LABEL_KINDS) - {""})
    if bad_kind:
        raise DatasetError(f"dataset '{dataset}': unknown label_kind {bad_kind}")
    table.loc[table["label_kind"] == "", "label_kind"] = "none"
    no_speaker = table.loc[table["speaker"] == "", "session"].tolist()
    if no_speaker:
        raise DatasetError(f"dataset '{dataset}': sessions without a speaker id {no_speaker[:5]} (speaker-disjoint splits need one)")
    # a session of labels (a file, or clip values) and other systems' predictions needs no media: its
    # grid comes from the label file (a clip-level label without media is one grid frame)
    no_media = table.loc[(table["audio"] == "") & (table["video"] == "") & (table["transcript"] == "")
                         & ~table["label_kind"].isin(["continuous", "clip"]), "session"].tolist()
    if no_media:
        raise DatasetError(f"dataset '{dataset}': sessions with no media, no transcript and no continuous labels {no_media[:5]}")
    return table.sort_values("session", kind="stable").reset_index(drop=True)


def check_files(manifest: Manifest, columns=("video", "audio", "transcript", "labels")) -> None:
    """Raise one error listing every referenced file that does not exist."""
    table = manifest.table
    exists = {}  # a file named by several columns or sessions (audio = video) is checked once
    missing = []
    values = {col: table[col].tolist() for col in columns}
    for i, session in enumerate(table["session"].tolist()):
        for col in columns:
            path = values[col][i]
            if path and path not in exists:
                exists[path] = os.path.exists(path)
            if path and not exists[path]:
                missing.append(f"  session {session}: {col} file not found: {path}")
    if missing:
        more = f"\n  … and {len(missing) - 20} more" if len(missing) > 20 else ""
        raise DatasetError(f"dataset '{manifest.dataset}': {len(missing)} missing file(s):\n" + "\n".join(missing[:20]) + more)
