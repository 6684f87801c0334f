"""`--profile slurm` on a real single-node SLURM: the small demo goes through sbatch and gives
the same results as a local run. Installs slurm-wlm + munge when missing (see slurm_cluster.py)."""
import re
from collections import Counter
import pandas as pd
import pytest
import yaml
from conftest import REPO, SMALL_DEMO, skeleton_config, snakemake
from slurm_cluster import LocalSlurm, SlurmUnavailable, ensure_installed

from affectflow.core.plan import planned_jobs

# The slice of the small demo's DAG run through SLURM (each SLURM job costs seconds of Snakemake
# start-up): two sessions' media, their eGeMAPS LLDs and their labels (a localrule).
SESSIONS = ("demo01", "demo03")
TARGETS = [f"results/{kind}/{s}.parquet" for s in SESSIONS for kind in ("features/demo/egemaps_lld", "labels/demo")]
REMOTE = {"demo_session": 2, "extract_audio": 2}


def test_profile_slurm_is_found_from_the_repo_root_and_sets_resources_per_rule(tmp_path):
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(skeleton_config(**SMALL_DEMO)))
    out = snakemake(tmp_path, "-n", "--profile", "slurm", cwd=REPO).stdout  # a dry run needs no SLURM
    assert "Using profiles slurm and workflow specific profile" in out
    res = {j.rule: j.resources for j in planned_jobs(out)}
    assert {r["slurm_partition"] for r in res.values()} == {"debug"}
    assert (res["demo_session"]["mem_mb"], res["demo_session"]["runtime"]) == ("4000", "60")  # default-resources
    assert (res["extract_audio"]["mem_mb"], res["extract_audio"]["runtime"]) == ("2000", "30")  # set-resources
    assert (res["train_model"]["mem_mb"], res["train_model"]["runtime"]) == ("16000", "240")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    try:
        ensure_installed()
    except SlurmUnavailable as e:
        pytest.skip(f"no SLURM here: {e}")
    slurm = LocalSlurm(tmp_path_factory.mktemp("slurm"))
    try:
        slurm.start()  # a failure to start on a machine where SLURM is installed fails the test
        yield slurm
    finally:
        slurm.stop()


def rule_of(job):
    m = re.match(r"rule_(\w+?)(_wildcards_|$)", job["comment"])
    return m.group(1) if m else job["comment"]


@pytest.mark.slurm
def test_small_demo_runs_through_sbatch_and_equals_a_local_run(cluster, small_demo_run, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    (work / "config.yaml").write_text(yaml.safe_dump(skeleton_config(**SMALL_DEMO)))
    # from the repository root, exactly as docs/slurm.md says; only the status polling is made faster
    proc = snakemake(work, "--profile", "slurm", "--slurm-init-seconds-before-status-checks", "2", *TARGETS,
                     cwd=REPO, env=cluster.env, timeout=600)
    assert "Using profiles slurm and workflow specific profile" in proc.stdout

    jobs = cluster.jobs()
    print("\n".join(map(str, jobs)))
    assert Counter(rule_of(j) for j in jobs) == Counter(REMOTE)
    assert {j["state"] for j in jobs} == {"COMPLETED"}
    assert "localrule grid_labels:" in proc.stdout  # ran by Snakemake itself, not submitted
    # SLURM's controller log has one batch submission per job
    assert len(re.findall(r"_slurm_rpc_submit_batch_job: JobId=\d+", cluster.log())) == sum(REMOTE.values())
    # profiles/slurm reached sbatch: default-resources and the per-rule set-resources
    by_rule = {rule_of(j): j for j in jobs}
    assert {j["partition"] for j in jobs} == {"debug"}
    assert by_rule["extract_audio"]["min_memory"] == "2000M" and by_rule["extract_audio"]["time_limit"] == "30:00"
    assert by_rule["demo_session"]["min_memory"] == "4000M" and by_rule["demo_session"]["time_limit"] == "1:00:00"

    for rel in TARGETS:
        pd.testing.assert_frame_equal(pd.read_parquet(work / rel), pd.read_parquet(small_demo_run / rel), obj=rel)
    assert "Nothing to be done" in snakemake(work, "-n", *TARGETS).stdout
