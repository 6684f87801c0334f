"""Faults during a run: one bad session under --keep-going, a job killed mid-write, and
determinism of the whole DAG — each through Snakemake, as a user runs it."""
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from affectflow.core import store

from badinputs import make_labels_longer, make_labels_unsorted, make_truncated_wav, label_times, ramp, tone, write_labels, write_wav

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile")]
FEATURES = "results/features/mine/egemaps_lld"


def csv_corpus(work: Path, sessions: dict[str, tuple[Path, Path | None]]) -> None:
    """A csv-adapter dataset 'mine' (egemaps_lld only) over ``{session: (audio, labels)}``, one job per
    session (`shards: false`: these tests are about what one job's failure or kill does; in a shard a
    bad clip fails its whole shard, docs/bad-input.md)."""
    rows = [{"session": s, "speaker": f"p{i}", "audio": str(a), "labels": str(lab) if lab else ""}
            for i, (s, (a, lab)) in enumerate(sessions.items())]
    pd.DataFrame(rows).to_csv(work / "corpus.csv", index=False)
    cfg = yaml.safe_load((REPO / "config.yaml").read_text())
    cfg["datasets"] = {"mine": {"adapter": "csv", "options": {"path": "corpus.csv"}, "features": ["egemaps_lld"], "shards": False}}
    (work / "config.yaml").write_text(yaml.safe_dump(cfg))


def run_snakemake(work: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*SNAKEMAKE, "--directory", str(work), *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})


def test_a_session_without_the_modality_an_extractor_needs_stops_the_dag_naming_it(tmp_path):
    (tmp_path / "words.txt").write_text("hello\n")
    pd.DataFrame([{"session": "textonly", "speaker": "p1", "transcript": "words.txt", "audio": ""}]).to_csv(tmp_path / "corpus.csv", index=False)
    cfg = yaml.safe_load((REPO / "config.yaml").read_text())
    cfg["datasets"] = {"mine": {"adapter": "csv", "options": {"path": "corpus.csv"}, "features": ["egemaps_lld"]}}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    proc = run_snakemake(tmp_path, "-n")
    assert proc.returncode != 0 and "dataset 'mine', session 'textonly': no audio file" in proc.stdout + proc.stderr


def test_keep_going_fails_only_the_bad_sessions_jobs(tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    good = write_wav(media / "good.wav", tone())
    t = label_times(2.0)
    good_labels = write_labels(media / "good.csv", t, ramp(len(t)))
    csv_corpus(tmp_path, {"s_good": (good, good_labels),
                          "s_badmedia": (make_truncated_wav(media), good_labels),
                          "s_badlabels": (good, make_labels_unsorted(media)),
                          "s_longlabels": (good, make_labels_longer(media))})
    targets = [f"{FEATURES}/{s}.parquet" for s in ("s_good", "s_badmedia", "s_badlabels")]
    targets += [f"results/labels/mine/{s}.parquet" for s in ("s_good", "s_badmedia", "s_badlabels", "s_longlabels")]
    proc = run_snakemake(tmp_path, "--cores", "1", "--keep-going", *targets)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-3000:]
    built = {t for t in targets if (tmp_path / t).exists()}
    # the good session is complete; each bad file fails only the jobs that read it
    assert built == {f"{FEATURES}/s_good.parquet", f"{FEATURES}/s_badlabels.parquet", "results/labels/mine/s_good.parquet",
                     "results/labels/mine/s_longlabels.parquet"}, out[-3000:]
    media_log = (tmp_path / "results/logs/features/mine/egemaps_lld/s_badmedia.log").read_text()
    assert "truncated.wav: truncated WAV (header declares 2.000 s of audio" in media_log
    assert "truncated.wav: truncated WAV" in (tmp_path / "results/logs/labels/mine/s_badmedia.log").read_text()
    assert "labels_unsorted.csv: timestamps are not sorted" in (tmp_path / "results/logs/labels/mine/s_badlabels.log").read_text()
    assert store.read(tmp_path / f"{FEATURES}/s_good.parquet")["speech"].dtype == bool
    # labels running past the media are used up to its end, and the job's log says so
    assert "labels_longer.csv runs to 6.00 s, 4.00 s past the end of the media (2.00 s)" in \
        (tmp_path / "results/logs/labels/mine/s_longlabels.log").read_text()
    assert store.read(tmp_path / "results/labels/mine/s_longlabels.parquet")["label_valid"].all()


# Loaded by every Python process of the killed run (PYTHONPATH): the extraction job of session b
# writes its rows but not the Parquet footer, says so, and stalls — so the test kills it mid-write.
SLOW_WRITE_HOOK = textwrap.dedent('''
    import os, time
    marker = os.environ.get("AFFECTFLOW_TEST_STALL_MARKER")
    if marker:
        import pyarrow.parquet as pq
        real_write = pq.ParquetWriter.write_table
        def stalling_write(self, table, *args, **kwargs):
            real_write(self, table, *args, **kwargs)  # the row group is on disk, the footer is not
            if os.path.basename(str(self.where)).startswith(".b.parquet."):
                self.file_handle and self.file_handle.flush()
                open(marker, "w").close()
                time.sleep(300)
        pq.ParquetWriter.write_table = stalling_write
''')


def test_extraction_killed_mid_write_leaves_no_complete_looking_file_and_the_rerun_completes_it(tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    csv_corpus(tmp_path, {s: (write_wav(media / f"{s}.wav", tone()), None) for s in ("a", "b")})
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(SLOW_WRITE_HOOK)
    marker = tmp_path / "stalled"
    targets = [f"{FEATURES}/{s}.parquet" for s in ("a", "b")]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "AFFECTFLOW_TEST_STALL_MARKER": str(marker),
           "PYTHONPATH": os.pathsep.join([str(hook), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([*SNAKEMAKE, "--directory", str(tmp_path), "--cores", "1", *targets],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    deadline = time.monotonic() + 240
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert marker.exists(), f"the extraction of b never reached its write:\n{proc.communicate()[0][-3000:]!r}"
    os.killpg(proc.pid, signal.SIGKILL)  # the whole run: Snakemake and the job writing b
    proc.wait()

    folder = tmp_path / FEATURES
    assert not (folder / "b.parquet").exists()
    partial = list(folder.glob(".b.parquet.*.tmp"))
    assert len(partial) == 1 and partial[0].stat().st_size > 0
    with pytest.raises(pa.ArrowInvalid, match="Parquet magic bytes not found in footer"):
        pq.read_table(partial[0])  # half a Parquet file: no footer, it does not even parse
    assert "b" not in store.stored_sessions(tmp_path / "results/features", "mine", "egemaps_lld")
    for done in folder.glob("*.parquet"):  # whatever is visible is complete
        assert len(store.read(done)) == 20
    if (folder / "a.parquet").exists():
        assert set(pd.read_parquet(folder)["session"]) == {"a"}  # readers of the folder skip the temporary

    assert run_snakemake(tmp_path, "--unlock").returncode == 0
    rerun = run_snakemake(tmp_path, "--cores", "1", *targets)
    assert rerun.returncode == 0, (rerun.stdout + rerun.stderr)[-3000:]
    assert len(store.read(folder / "b.parquet")) == 20 and store.read_metadata(folder / "b.parquet")["session"] == "b"
    assert list(folder.glob(".*.tmp")) == []
    assert "Nothing to be done" in (lambda p: p.stdout + p.stderr)(run_snakemake(tmp_path, "-n", *targets))


def _without_created_at(path: Path) -> bytes:
    stamp = store.read_metadata(path)["created_at"].encode()
    data = path.read_bytes()
    assert stamp and data.count(stamp) == 1, path  # the stamp is one footer field, nowhere else
    return data.replace(stamp, b"#" * len(stamp))


@pytest.mark.slow
def test_same_inputs_and_seed_give_identical_bytes_and_metrics_in_two_workdirs(tmp_path):
    cfg = yaml.safe_load((REPO / "config.yaml").read_text())
    cfg["datasets"]["demo"]["options"].update(n_sessions=3, duration_s=6)  # one train, one devel, one test session
    # every extractor and the frame models; the sequence models' seeding has its own test (test_sequence_core)
    cfg["datasets"]["demo"]["models"] = ["ridge_egemaps", "ridge_text"]
    # late fusion tunes in speaker-disjoint CV over train+devel, which here is one speaker
    cfg["datasets"]["demo"]["fusions"] = []
    works = [tmp_path / "one", tmp_path / "two"]
    procs = []
    for work in works:  # the two runs side by side, one core each
        work.mkdir()
        (work / "config.yaml").write_text(yaml.safe_dump(cfg))
        procs.append(subprocess.Popen([*SNAKEMAKE, "--directory", str(work), "--cores", "1"], stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"}))
    for proc in procs:
        out = proc.communicate()[0]
        assert proc.returncode == 0, out[-3000:]
    one, two = ((w / "results") for w in works)
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file() and p.parts[len(one.parts)] != "logs")
    assert files == sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file() and p.parts[len(two.parts)] != "logs")
    parquet = [f for f in files if f.suffix == ".parquet"]
    n_features = 3 * len(cfg["datasets"]["demo"]["features"])
    assert len([f for f in parquet if f.parts[0] == "features"]) == n_features and Path("predictions/demo/ridge_egemaps.parquet") in parquet
    for f in files:
        if f.suffix == ".parquet":
            assert _without_created_at(one / f) == _without_created_at(two / f), f
        else:  # demo media, manifest, metrics, tables, plots, training info
            assert (one / f).read_bytes() == (two / f).read_bytes(), f
    metrics = pd.read_csv(one / "metrics/demo/ridge_egemaps.csv")
    assert len(metrics) == 6 and metrics["ccc_pooled"].notna().all()
