"""The feature store: one Parquet file per (dataset, extractor, session).

Layout: ``{root}/{dataset}/{extractor}/{session}.parquet`` with time-indexed rows
(``session``, ``t_start``, ``t_end``, then feature columns). The file's schema metadata holds
the provenance under the key ``affectflow`` (JSON): extractor name and version, model id,
weights sha256, parameters and their hash, package versions, source files and their sha256.
The creation time is kept apart under ``affectflow.created_at`` so that two runs on the same
inputs give byte-identical files once that key is ignored.

Files are written atomically (hidden temporary ``.{name}.*.tmp`` in the same folder, fsync,
rename): a killed job never leaves a file that looks complete — Parquet readers skip hidden
files, and the next write of the same target removes the stale temporary. Any Parquet reader (pandas, polars, DuckDB) reads the
files without importing affectflow.
"""
from __future__ import annotations

import glob
import hashlib
import json
import os
import tempfile
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

METADATA_KEY = b"affectflow"
CREATED_AT_KEY = b"affectflow.created_at"
INDEX_COLUMNS = ("session", "t_start", "t_end")
STORE_FORMAT_VERSION = 1


class StoreError(ValueError):
    """A table or file that breaks the store contract."""


def feature_path(root: str | os.PathLike, dataset: str, extractor: str, session: str) -> Path:
    return Path(root) / dataset / extractor / f"{session}.parquet"


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def content_sha256(path: str | os.PathLike) -> str:
    """sha256 of a source file; for a store Parquet, with its ``created_at`` stamp blanked out, so
    that a file built from identical inputs records the same hash whenever its inputs were written."""
    path = Path(path)
    if path.suffix == ".parquet":
        try:
            stamp = pq.read_metadata(path).metadata.get(CREATED_AT_KEY, b"")
        except (OSError, ValueError, AttributeError):
            stamp = b""
        if stamp:
            data = path.read_bytes()
            return hashlib.sha256(data.replace(stamp, b"#" * len(stamp))).hexdigest()
    return sha256_file(path)


def params_hash(params: dict) -> str:
    """Stable hash of a parameter dict (key order and int/float spelling do not matter)."""
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def package_versions(names: Iterable[str]) -> dict[str, str]:
    out = {}
    for name in sorted(set(names)):
        try:
            out[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def provenance(
    *,
    extractor: str,
    extractor_version: str,
    dataset: str,
    session: str,
    params: dict,
    model_id: str | None = None,
    weights_sha256: str | None = None,
    packages: Iterable[str] = (),
    sources: dict[str, str | os.PathLike] | None = None,
    extra: dict | None = None,
) -> dict:
    """The provenance record stored in every file's metadata."""
    record = {
        "store_format": STORE_FORMAT_VERSION,
        "extractor": extractor,
        "extractor_version": extractor_version,
        "dataset": dataset,
        "session": session,
        "model_id": model_id,
        "weights_sha256": weights_sha256,
        "params": params,
        "params_hash": params_hash(params),
        "packages": package_versions(["affectflow", "numpy", "pandas", "pyarrow", *packages]),
        "sources": {k: {"path": Path(v).name, "sha256": content_sha256(v)} for k, v in (sources or {}).items()},
    }
    if extra:
        record.update(extra)
    return record


def validate_table(df: pd.DataFrame, where: str = "table") -> None:
    missing = [c for c in INDEX_COLUMNS if c not in df.columns]
    if missing:
        raise StoreError(f"{where}: missing index column(s) {missing}; the store needs {list(INDEX_COLUMNS)}")
    if len(df) and df["session"].isna().any():
        raise StoreError(f"{where}: 'session' has empty values")
    for col in ("t_start", "t_end"):
        if not np.issubdtype(df[col].dtype, np.number):
            raise StoreError(f"{where}: '{col}' must be numeric seconds, got {df[col].dtype}")
    if len(df) and (df["t_end"] < df["t_start"]).any():
        raise StoreError(f"{where}: rows with t_end < t_start")


@contextmanager
def atomic_path(final: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``final``; rename it into place only if the block succeeds."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    # temporaries of the same target left by a killed earlier attempt (one writer per target:
    # Snakemake runs one job per output)
    for stale in final.parent.glob(f".{glob.escape(final.name)}.*.tmp"):
        stale.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp_path, final)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write(df: pd.DataFrame, path: str | os.PathLike, record: dict, created_at: str | None = None) -> Path:
    """Write a time-indexed table with its provenance, atomically."""
    validate_table(df, where=str(path))
    df = df.reset_index(drop=True)
    front = [c for c in INDEX_COLUMNS] + [c for c in df.columns if c not in INDEX_COLUMNS]
    table = pa.Table.from_pandas(df[front], preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta.pop(b"pandas", None)  # pandas' own blob embeds its version and column dtypes: not provenance
    meta[METADATA_KEY] = json.dumps(record, sort_keys=True, default=str).encode()
    table = table.replace_schema_metadata(meta)
    stamp = (created_at or datetime.now(timezone.utc).isoformat(timespec="seconds")).encode()
    with atomic_path(path) as tmp:
        with pq.ParquetWriter(tmp, table.schema, compression="zstd", write_statistics=True) as writer:
            writer.write_table(table)
            # added to the footer only, not to the schema: the Arrow schema blob that pyarrow
            # stores repeats the schema metadata base64-encoded, where a time stamp would change
            # bytes beyond its own field
            writer.add_key_value_metadata({CREATED_AT_KEY: stamp})
    return Path(path)


def read_metadata(path: str | os.PathLike) -> dict:
    """The provenance record of one store file (plus ``created_at``)."""
    meta = pq.read_metadata(path).metadata or {}  # the file's key-value footer (created_at is only there)
    if METADATA_KEY not in meta:
        raise StoreError(f"{path}: no affectflow provenance in the Parquet metadata")
    record = json.loads(meta[METADATA_KEY])
    record["created_at"] = meta.get(CREATED_AT_KEY, b"").decode()
    return record


def read(path: str | os.PathLike) -> pd.DataFrame:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"feature file not found: {path}")
    return pq.read_table(path).to_pandas()


def stored_sessions(root: str | os.PathLike, dataset: str, extractor: str) -> list[str]:
    folder = Path(root) / dataset / extractor
    return sorted(p.stem for p in folder.glob("*.parquet"))


def load(
    dataset: str,
    extractor: str,
    sessions: Iterable[str] | None = None,
    root: str | os.PathLike = "results/features",
    columns: list[str] | None = None,
) -> pd.DataFrame:
    """All rows of one extractor for the given sessions (all stored ones by default), concatenated."""
    wanted = list(sessions) if sessions is not None else stored_sessions(root, dataset, extractor)
    if not wanted:
        raise FileNotFoundError(f"no stored sessions for dataset '{dataset}', extractor '{extractor}' under {root}")
    frames = []
    for s in wanted:
        path = feature_path(root, dataset, extractor, s)
        if not path.exists():
            raise FileNotFoundError(f"feature file not found: {path} (dataset '{dataset}', extractor '{extractor}', session '{s}')")
        cols = None if columns is None else list(dict.fromkeys([*INDEX_COLUMNS, *columns]))
        frames.append(pq.read_table(path, columns=cols).to_pandas())
    return pd.concat(frames, ignore_index=True)


def feature_columns(df: pd.DataFrame, exclude: Iterable[str] = ()) -> list[str]:
    """Numeric feature columns: everything but the index, flags and ``exclude``."""
    skip = set(INDEX_COLUMNS) | set(exclude)
    return [c for c in df.columns if c not in skip and pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])]
