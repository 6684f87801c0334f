import os
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("AFFECTFLOW_SHARED_DATA", REPO.parent / "shared" / "data"))


def shared_data(sub: str) -> Path:
    """A folder of ../shared/data, or skip the test with the reason."""
    path = SHARED_DATA / sub
    if not path.is_dir():
        pytest.skip(f"real data folder {path} is absent (set AFFECTFLOW_SHARED_DATA to the shared data folder)")
    return path


@pytest.fixture
def one_torch_thread():
    """Tiny torch models run fastest on one thread (intra-op threads only add overhead at this size)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
# --- running the workflow as a user would (shared by the workflow, incremental and SLURM tests) ---
import subprocess  # noqa: E402
import sys  # noqa: E402

import yaml  # noqa: E402

SNAKEFILE = REPO / "Snakefile"
# The small demo the incremental, cache, report and SLURM tests share: 3 sessions (train, devel,
# test: the ridge needs all three partitions) of 10 s. Its full DAG is 17 jobs.
SMALL_DEMO = {"n_sessions": 3, "duration_s": 10}


def demo_config(**demo_options) -> dict:
    cfg = yaml.safe_load((REPO / "config.yaml").read_text())
    cfg["datasets"]["demo"]["options"].update(demo_options)
    return cfg


def skeleton_config(**demo_options) -> dict:
    """The demo restricted to the audio path (eGeMAPS → ridge): the small, stable DAG that the
    incremental, cache, report and SLURM tests count jobs on."""
    cfg = demo_config(**demo_options)
    # one job per session (the demo's own config batches sessions into shards, tests/test_shards.py):
    # these tests count and re-run per-session jobs
    cfg["datasets"]["demo"].update(features=["egemaps_lld", "egemaps_func"], models=["ridge_egemaps"], segments=[], fusions=[],
                                   shards=False)
    return cfg


def small_demo_with(path: str, folds: int = 2) -> dict:
    """The default config with a `.test/` config's demo dataset, detectors, features and models laid
    over it, on 6 sessions x 10 s, its models on ``folds`` folds by session (for dry-run tests)."""
    cfg = demo_config(n_sessions=6, duration_s=10)
    extra = yaml.safe_load((REPO / path).read_text())
    cfg["datasets"]["demo"].update({k: v for k, v in extra["datasets"]["demo"].items() if k != "options"})
    for section in ("face_detectors", "features", "models"):
        cfg[section].update(extra[section])
    for m in extra["models"]:
        cfg["models"][m].update(folds=folds, fold_by="session")
    return cfg


def dry_run_inputs(dry_run: str, output: str) -> list[str]:
    """The inputs `snakemake -n` lists for the job that writes ``output``."""
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", dry_run):
        if f"output: {output}" in block:
            return re.search(r"^\s+input: (.*)$", block, re.MULTILINE).group(1).split(", ")
    raise AssertionError(f"no job writes {output}:\n{dry_run[-3000:]}")


def snakemake(workdir: Path, *args: str, check: bool = True, snakefile: Path = SNAKEFILE, cwd: Path | None = None,
              env: dict | None = None, timeout: float | None = None) -> subprocess.CompletedProcess:
    """``python -m snakemake --snakefile … --directory workdir args…``; stdout+stderr in ``.stdout``."""
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(snakefile), "--directory", str(workdir), *args]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=cwd, timeout=timeout,
                          env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-8000:]}")
    return proc


@pytest.fixture(scope="session")
def small_demo_run(tmp_path_factory) -> Path:
    """A finished local run of the whole DAG on the small demo (never modified by tests: copy it)."""
    work = tmp_path_factory.mktemp("small_demo")
    (work / "config.yaml").write_text(yaml.safe_dump(skeleton_config(**SMALL_DEMO)))
    snakemake(work, "--cores", "2")
    return work
