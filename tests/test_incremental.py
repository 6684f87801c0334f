"""Only what a change invalidates re-runs: exact dry-run job lists after four kinds of change.

Each test copies the finished small-demo run (results + .snakemake metadata, mtimes kept), makes
one change and compares `snakemake -n`'s job list with the jobs that change must invalidate.
"""
import os
import shutil
import time

import pytest
import yaml
from conftest import REPO, snakemake

from affectflow.core.plan import job_set, planned_jobs

pytestmark = pytest.mark.slow

R = "results"
DOWNSTREAM = {  # what consumes any feature or label of the demo dataset
    ("train_model", f"{R}/predictions/demo/ridge_egemaps.parquet"),
    ("score_model", f"{R}/metrics/demo/ridge_egemaps.csv"),
    ("model_table", f"{R}/tables/demo/models.md"),
    ("all", ""),
}


def extraction(extractor, session):
    return ("extract_audio", f"{R}/features/demo/{extractor}/{session}.parquet")


@pytest.fixture
def work(small_demo_run, tmp_path):
    dst = tmp_path / "work"
    shutil.copytree(small_demo_run, dst, symlinks=True)  # copy2: mtimes are kept
    return dst


def later(path):
    """Set a file's mtime clearly after every output's."""
    t = time.time() + 5
    os.utime(path, (t, t))


def test_changed_media_of_one_session_reruns_only_that_session_and_the_aggregates(work):
    media = work / R / "demo/demo02/demo02.mp4"
    other = (work / R / "demo/demo03/demo03.mp4").read_bytes()
    assert other != media.read_bytes()
    media.write_bytes(other)  # a different, valid recording for demo02
    later(media)
    plan = snakemake(work, "-n").stdout
    assert job_set(plan) == {
        ("grid_labels", f"{R}/labels/demo/demo02.parquet"),  # labels are cut to the media's duration
        extraction("egemaps_lld", "demo02"),
        extraction("egemaps_func", "demo02"),
    } | DOWNSTREAM, plan
    reasons = {j.output: j.reason for j in planned_jobs(plan)}
    assert reasons[f"{R}/features/demo/egemaps_lld/demo02.parquet"].startswith("Updated input files: " + str(media.relative_to(work)))


def test_changed_extractor_parameter_reruns_only_that_extractor_and_its_consumers(work):
    cfg = yaml.safe_load((work / "config.yaml").read_text())
    cfg["features"]["egemaps_func"]["window_hop_s"] = 0.5
    (work / "config.yaml").write_text(yaml.safe_dump(cfg))
    plan = snakemake(work, "-n").stdout
    assert job_set(plan) == {extraction("egemaps_func", s) for s in ("demo01", "demo02", "demo03")} | DOWNSTREAM, plan
    assert all(j.reason.startswith("Params have changed since last execution") for j in planned_jobs(plan) if j.rule == "extract_audio")


def test_touched_media_without_content_change_reruns_nothing(work):
    media = work / R / "demo/demo02/demo02.mp4"
    later(media)
    # profiles/default raises --max-checksum-file-size to 1 GiB: a newer file whose checksum equals
    # the one recorded at the last run is not an update
    assert "Nothing to be done" in snakemake(work, "-n").stdout
    # Snakemake's own 1 MB default would compare mtimes only for larger files: a touched video re-runs
    # its session. The demo video is ~0.2 MB, so a 100 kB limit shows what a 60 s video would do.
    assert media.stat().st_size > 100_000
    plan = snakemake(work, "-n", "--max-checksum-file-size", "100000").stdout
    assert extraction("egemaps_lld", "demo02") in job_set(plan) and extraction("egemaps_lld", "demo01") not in job_set(plan)


def test_edited_rule_script_reruns_that_rules_jobs_and_their_consumers(work, tmp_path):
    # a copy of the workflow, so the test never edits the repository
    flow = tmp_path / "flow"
    flow.mkdir()
    for name in ("Snakefile", "rules", "scripts", "envs", "report", "profiles"):
        (shutil.copytree if (REPO / name).is_dir() else shutil.copy2)(REPO / name, flow / name)
    assert "Nothing to be done" in snakemake(work, "-n", snakefile=flow / "Snakefile").stdout
    script = flow / "scripts/extract_audio.py"
    script.write_text(script.read_text() + "# an edit that changes nothing is still an edit\n")
    plan = snakemake(work, "-n", snakefile=flow / "Snakefile").stdout
    features = {extraction(e, s) for e in ("egemaps_lld", "egemaps_func") for s in ("demo01", "demo02", "demo03")}
    assert job_set(plan) == features | DOWNSTREAM, plan
    assert all(j.reason.startswith("Code has changed since last execution") for j in planned_jobs(plan) if j.rule == "extract_audio")
