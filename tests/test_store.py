import json
import os
import subprocess
import sys

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest

from affectflow.core import store


def _table(n=5, session="s1"):
    return pd.DataFrame({"session": session, "t_start": np.arange(n) * 0.1, "t_end": (np.arange(n) + 1) * 0.1,
                         "f0": np.linspace(1, 2, n).astype(np.float32), "loud": np.arange(n, dtype=np.float32)})


def _record(tmp_path, session="s1"):
    src = tmp_path / "src.wav"
    src.write_bytes(b"RIFF fake media bytes")
    return store.provenance(extractor="egemaps_lld", extractor_version="opensmile/1", dataset="demo", session=session,
                            params={"kind": "opensmile", "level": "lld"}, model_id="opensmile:eGeMAPSv02:lld",
                            weights_sha256=None, packages=("opensmile",), sources={"audio": src})


def test_write_read_roundtrip_with_provenance(tmp_path):
    path = store.feature_path(tmp_path, "demo", "egemaps_lld", "s1")
    store.write(_table(), path, _record(tmp_path))
    back = store.read(path)
    pd.testing.assert_frame_equal(back, _table(), check_dtype=True)
    meta = store.read_metadata(path)
    assert meta["extractor"] == "egemaps_lld" and meta["model_id"] == "opensmile:eGeMAPSv02:lld"
    assert meta["params_hash"] == store.params_hash({"level": "lld", "kind": "opensmile"})
    assert meta["sources"]["audio"]["sha256"] == store.sha256_file(tmp_path / "src.wav")
    assert "opensmile" in meta["packages"] and meta["created_at"]


def test_plain_pandas_polars_duckdb_read_the_file_and_its_metadata(tmp_path):
    path = store.feature_path(tmp_path, "demo", "egemaps_lld", "s1")
    store.write(_table(), path, _record(tmp_path))
    assert pd.read_parquet(path)["loud"].sum() == 10
    assert pl.read_parquet(path)["f0"].to_list()[0] == pytest.approx(1.0)
    con = duckdb.connect()
    assert con.execute(f"select count(*) from read_parquet('{path}')").fetchone()[0] == 5
    kv = dict(con.execute(f"select decode(key), decode(value) from parquet_kv_metadata('{path}')").fetchall())
    assert json.loads(kv["affectflow"])["extractor"] == "egemaps_lld"
    assert json.loads(pq.read_schema(path).metadata[b"affectflow"])["dataset"] == "demo"


def test_load_concatenates_sessions_and_names_a_missing_one(tmp_path):
    for s in ("a", "b"):
        store.write(_table(session=s), store.feature_path(tmp_path, "demo", "x", s), _record(tmp_path, s))
    df = store.load("demo", "x", root=tmp_path)
    assert sorted(df["session"].unique()) == ["a", "b"] and len(df) == 10
    assert len(store.load("demo", "x", sessions=["b"], root=tmp_path)) == 5
    with pytest.raises(FileNotFoundError, match="session 'c'"):
        store.load("demo", "x", sessions=["c"], root=tmp_path)


def test_identical_inputs_give_identical_bytes_apart_from_created_at(tmp_path):
    rec = _record(tmp_path)
    store.write(_table(), tmp_path / "one.parquet", rec, created_at="2026-01-01T00:00:00+00:00")
    store.write(_table(), tmp_path / "two.parquet", rec, created_at="2026-01-01T00:00:00+00:00")
    assert (tmp_path / "one.parquet").read_bytes() == (tmp_path / "two.parquet").read_bytes()


def test_contract_violations_are_refused(tmp_path):
    with pytest.raises(store.StoreError, match="t_start"):
        store.write(_table().drop(columns="t_start"), tmp_path / "x.parquet", _record(tmp_path))
    bad = _table()
    bad.loc[0, "t_end"] = -1
    with pytest.raises(store.StoreError, match="t_end < t_start"):
        store.write(bad, tmp_path / "x.parquet", _record(tmp_path))
    assert not (tmp_path / "x.parquet").exists()


def test_a_writer_killed_mid_write_leaves_no_complete_looking_file(tmp_path):
    target = tmp_path / "feat.parquet"
    code = f"""
import os, pandas as pd, numpy as np
from affectflow.core import store
import pyarrow.parquet as pq
real = pq.ParquetWriter.close
def dying(self):
    real(self)
    os._exit(9)   # killed after the whole file hit the temporary, before the rename
pq.ParquetWriter.close = dying
df = pd.DataFrame({{"session": "s", "t_start": np.arange(3.0), "t_end": np.arange(1.0, 4.0), "x": np.ones(3)}})
store.write(df, {str(target)!r}, {{"extractor": "x"}})
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True)
    assert proc.returncode == 9
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".parquet"] == []
