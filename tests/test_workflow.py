"""The whole DAG on the demo corpus, run by Snakemake as a user would."""
import pandas as pd
import pytest
import yaml
from conftest import REPO, demo_config, snakemake

from affectflow import store

# The arousal CCC threshold for the held-out speaker. Chance is 0; the ridge on eGeMAPS reaches
# about 0.8 on this corpus, so 0.5 fails only if the planted signal stops reaching the predictions.
AROUSAL_CCC_MIN = 0.5


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
    assert "Nothing to be done" in proc.stdout


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
    assert proc.returncode == 0, proc.stdout


def test_bad_config_key_stops_the_run_naming_it(tmp_path):
    cfg = demo_config()
    cfg["features"]["egemaps_lld"]["feature_sett"] = "eGeMAPSv02"
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    proc = snakemake(tmp_path, "-n", check=False)
    assert proc.returncode != 0
    assert "'feature_sett' was unexpected" in proc.stdout


def test_missing_media_file_stops_the_run_naming_it(tmp_path):
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "a.wav").write_bytes(b"RIFF")
    pd.DataFrame({"session": ["a", "b"], "speaker": ["1", "2"], "audio": ["media/a.wav", "media/gone.wav"]}).to_csv(tmp_path / "corpus.csv", index=False)
    cfg = demo_config()
    cfg["datasets"] = {"mine": {"adapter": "csv", "options": {"path": "corpus.csv"}, "features": ["egemaps_lld"]}}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    proc = snakemake(tmp_path, "-n", check=False)
    assert proc.returncode != 0
    assert "session b: audio file not found: media/gone.wav" in proc.stdout
