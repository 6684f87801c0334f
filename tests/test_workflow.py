"""The whole DAG on the demo corpus, run by Snakemake as a user would."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from affectflow import store

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile")]
# The arousal CCC threshold for the held-out speaker. Chance is 0; the ridge on eGeMAPS reaches
# about 0.8 on this corpus, so 0.5 fails only if the planted signal stops reaching the predictions.
AROUSAL_CCC_MIN = 0.5


def demo_config(**demo_options):
    cfg = yaml.safe_load((REPO / "config.yaml").read_text())
    cfg["datasets"]["demo"]["options"].update(demo_options)
    return cfg


def snakemake(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([*SNAKEMAKE, "--directory", str(workdir), *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"})
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}")
    return proc


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("demo_run")
    (work / "config.yaml").write_text(yaml.safe_dump(demo_config(duration_s=40)))
    snakemake(work, "--cores", "2")
    return work


@pytest.mark.slow
def test_planted_arousal_is_recovered_on_the_held_out_speaker(demo_run):
    table = pd.read_csv(demo_run / "results/tables/demo/models.csv")
    test = table[(table["partition"] == "test") & (table["model"] == "ridge_egemaps")].set_index("dimension")
    print(table.to_string())
    assert test.loc["arousal", "ccc_pooled"] > AROUSAL_CCC_MIN
    # valence is planted in the words, not the voice: the audio model must not find it
    assert abs(test.loc["valence", "ccc_pooled"]) < 0.3
    assert (demo_run / "results/tables/demo/models.md").read_text().count("CCC pooled over all sessions") == 1
    for png in ("results/plots/demo/models_test_ccc.png", "results/plots/demo/ridge_egemaps_test_traces.png"):
        assert (demo_run / png).read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_second_dry_run_has_nothing_to_do(demo_run):
    proc = snakemake(demo_run, "-n")
    assert "Nothing to be done" in proc.stdout + proc.stderr


@pytest.mark.slow
def test_feature_files_carry_the_contract_and_provenance(demo_run):
    path = demo_run / "results/features/demo/egemaps_lld/demo07.parquet"
    df = pd.read_parquet(path)
    assert list(df.columns[:3]) == ["session", "t_start", "t_end"] and len(df) == 400
    assert df["t_start"].diff().dropna().round(6).eq(0.1).all()
    meta = store.read_metadata(path)
    assert meta["model_id"] == "opensmile:eGeMAPSv02:lld" and meta["params"]["hop_s"] == 0.1
    assert meta["sources"]["audio"]["sha256"] == store.sha256_file(demo_run / "results/demo/demo07/demo07.mp4")
    assert set(meta["packages"]) >= {"opensmile", "numpy", "pyarrow"}
    labels = pd.read_parquet(demo_run / "results/labels/demo/demo07.parquet")
    assert labels["t_start"].equals(df["t_start"])


def test_lint_reports_nothing(tmp_path):
    (tmp_path / "config.yaml").write_text((REPO / "config.yaml").read_text())
    proc = snakemake(tmp_path, "--lint", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_bad_config_key_stops_the_run_naming_it(tmp_path):
    cfg = demo_config()
    cfg["features"]["egemaps_lld"]["feature_sett"] = "eGeMAPSv02"
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    proc = snakemake(tmp_path, "-n", check=False)
    assert proc.returncode != 0
    assert "'feature_sett' was unexpected" in proc.stdout + proc.stderr


def test_missing_media_file_stops_the_run_naming_it(tmp_path):
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "a.wav").write_bytes(b"RIFF")
    pd.DataFrame({"session": ["a", "b"], "speaker": ["1", "2"], "audio": ["media/a.wav", "media/gone.wav"]}).to_csv(tmp_path / "corpus.csv", index=False)
    cfg = demo_config()
    cfg["datasets"] = {"mine": {"adapter": "csv", "options": {"path": "corpus.csv"}, "features": ["egemaps_lld"]}}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    proc = snakemake(tmp_path, "-n", check=False)
    assert proc.returncode != 0
    assert "session b: audio file not found: media/gone.wav" in proc.stdout + proc.stderr


@pytest.mark.slow
def test_fused_demo_model_recovers_both_planted_dimensions_where_no_unimodal_one_does(demo_run):
    """audio = eGeMAPS pitch/loudness/rate functionals; text and face are the config's stand-ins
    until their extractors exist. The strict per-dimension "fused beats every unimodal" claim is
    tested on stand-ins in tests/test_fusion.py; on this 3-training-speaker demo the planted
    modality alone is already near the ceiling of its dimension."""
    table = pd.read_csv(demo_run / "results/tables/demo/fusion_demo_late_table1.csv")
    print(table.to_string())
    # combination names follow the config's modality order (yaml.safe_dump sorts it here)
    table = table.set_index(table["modalities"].map(lambda c: "+".join(sorted(c.split("+")))))
    assert table.loc["audio", "arousal_ccc"] > 0.8 and table.loc["audio", "valence_ccc"] < 0.3   # voice carries arousal only
    assert table.loc["text", "valence_ccc"] > 0.7 and table.loc["text", "arousal_ccc"] < 0.5     # words carry valence
    assert table.loc["audio+face+text", "arousal_ccc"] > 0.8 and table.loc["audio+face+text", "valence_ccc"] > 0.5
    grid = pd.read_csv(demo_run / "results/tables/demo/fusion_demo_late_grid.csv")
    assert len(grid) == 7 * 6 * 2 and set(grid["model"]) == {"KNN", "FF", "SVR", "XGB", "LGBM", "FF-MT"}
    assert "CCC pooled over all sessions" in (demo_run / "results/tables/demo/fusion_demo_late_table1.md").read_text()
    assert r"\multicolumn{3}{c}{Arousal}" in (demo_run / "results/tables/demo/fusion_demo_late_table1.tex").read_text()
    assert (demo_run / "results/plots/demo/fusion_demo_late.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_a_changed_modality_reruns_only_the_combinations_containing_it(demo_run):
    original = (demo_run / "config.yaml").read_text()
    cfg = yaml.safe_load(original)
    cfg["fusions"]["demo_late"]["modalities"]["face"] = [{"standin": "face_standin", "columns": ["arousal", "valence"]}]
    (demo_run / "config.yaml").write_text(yaml.safe_dump(cfg))
    try:
        proc = snakemake(demo_run, "-n")
    finally:
        (demo_run / "config.yaml").write_text(original)
    rerun = {frozenset(c.split("+")) for c in re.findall(r"combination=([A-Za-z0-9_+-]+)", proc.stdout + proc.stderr)}
    assert rerun == {frozenset(c) for c in (["face"], ["audio", "face"], ["text", "face"], ["audio", "text", "face"])}
