"""Incremental re-runs and DAG building, measured (printed as ratios within one run).

1. The demo corpus with N sessions: jobs and wall time of a full run, then of the run after one
   session's media changed (its bytes replaced by another session's). Ratio = after / full.
2. DAG building: wall time of `snakemake -n` over a generic csv manifest of 10, 100 and 1,000
   sessions (fake but existing media and label files: a dry run never opens them), with
   every extractor and model of the default config (so each session has video, audio, words and
   labels). Marginal cost = extra seconds per extra session against the smallest manifest (which
   carries Snakemake's fixed start-up).

    python benchmarks/incremental.py [--sessions 4] [--duration 10] [--cores 2] [--dag 10,100,1000]
    python benchmarks/incremental.py --smoke   # CI: 3 sessions x 5 s on the audio path only, manifests of 10 and 20
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from affectflow.core.plan import planned_jobs

REPO = Path(__file__).resolve().parents[1]


def snakemake(workdir: Path, *args: str) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
                           "--directory", str(workdir), *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"snakemake {' '.join(args)} failed in {workdir}:\n{proc.stdout[-4000:]}")
    return elapsed, proc.stdout


def jobs_planned(workdir: Path) -> int:
    return len([j for j in planned_jobs(snakemake(workdir, "-n")[1]) if j.rule != "all"])


def incremental(root: Path, n_sessions: int, duration_s: float, cores: str, audio_only: bool = False) -> None:
    work = root / "demo"
    work.mkdir()
    cfg = yaml.safe_load((REPO / "config.yaml").read_text())
    cfg["datasets"]["demo"]["options"].update(n_sessions=n_sessions, duration_s=duration_s)
    # one job per session, so that what re-runs is counted per session (the default config batches the
    # demo's short sessions into shards, and a changed session re-runs its shard: tests/test_shards.py)
    cfg["datasets"]["demo"]["shards"] = False
    if audio_only:  # the eGeMAPS -> ridge path the incremental tests count jobs on
        cfg["datasets"]["demo"].update(features=["egemaps_lld", "egemaps_func"], models=["ridge_egemaps"], segments=[], fusions=[])
    (work / "config.yaml").write_text(yaml.safe_dump(cfg))
    full_jobs = jobs_planned(work)
    full_s, _ = snakemake(work, "--cores", cores)
    media = work / "results/demo/demo02/demo02.mp4"
    media.write_bytes((work / "results/demo/demo01/demo01.mp4").read_bytes())
    after_jobs = jobs_planned(work)
    after_s, _ = snakemake(work, "--cores", cores)
    what = "eGeMAPS -> ridge only" if audio_only else "config.yaml's DAG"
    print(f"\n## Incremental: demo, {n_sessions} sessions x {duration_s:g} s, {what}, --cores {cores}")
    print("| run | jobs | wall s |\n|---|---:|---:|")
    print(f"| full | {full_jobs} | {full_s:.1f} |")
    print(f"| after one session's media changed | {after_jobs} | {after_s:.1f} |")
    print(f"| ratio (after / full) | {after_jobs / full_jobs:.3f} | {after_s / full_s:.3f} |")


def fake_corpus(folder: Path, n: int) -> Path:
    """A csv-adapter manifest of n sessions whose files exist (a few bytes each): video, audio and
    words, as the default config's face, audio and text extractors need."""
    media = folder / "media"
    media.mkdir(parents=True)
    parts = ["train", "devel", "test"]
    rows = ["session,speaker,partition,video,audio,transcript,labels"]
    for i in range(n):
        s = f"s{i:04d}"
        (media / f"{s}.mp4").write_bytes(b"\0\0\0\x18ftyp")
        (media / f"{s}.wav").write_bytes(b"RIFF")
        (media / f"{s}.words.json").write_text("[]")
        (media / f"{s}.csv").write_text("name;timestamp;arousal;valence\n")
        rows.append(f"{s},spk{i // 4},{parts[i % 3]},media/{s}.mp4,media/{s}.wav,media/{s}.words.json,media/{s}.csv")
    (folder / "corpus.csv").write_text("\n".join(rows) + "\n")
    return folder / "corpus.csv"


def dag_building(root: Path, sizes: list[int]) -> None:
    base = yaml.safe_load((REPO / "config.yaml").read_text())
    demo = base["datasets"].pop("demo")
    print("\n## DAG building: `snakemake -n` over a csv manifest (all extractors and models of config.yaml)")
    print("| sessions | jobs | dry run s | ms per extra session vs smallest | ratio to smallest |\n|---:|---:|---:|---:|---:|")
    first = None
    for n in sizes:
        work = root / f"dag{n}"
        corpus = fake_corpus(work, n)
        cfg = {**base, "datasets": {"bench": {**demo, "adapter": "csv", "options": {"path": str(corpus)}}}}
        (work / "config.yaml").write_text(yaml.safe_dump(cfg))
        elapsed, out = snakemake(work, "-n")
        jobs = len([j for j in planned_jobs(out) if j.rule != "all"])
        first = first or (n, elapsed)
        marginal = f"{(elapsed - first[1]) / (n - first[0]) * 1000:.1f}" if n > first[0] else "-"
        print(f"| {n} | {jobs} | {elapsed:.1f} | {marginal} | {elapsed / first[1]:.2f} |")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, default=4)
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--cores", default="2")
    ap.add_argument("--dag", default="10,100,1000", help="manifest sizes for the DAG-building dry runs")
    ap.add_argument("--skip-incremental", action="store_true")
    ap.add_argument("--smoke", action="store_true", help="a quick run that exercises every part (CI: tests/test_benchmarks.py)")
    args = ap.parse_args(argv)
    if args.smoke:
        args.sessions, args.duration, args.dag = 3, 5.0, "10,20"
    root = Path(tempfile.mkdtemp(prefix="affectflow-bench-"))
    try:
        if not args.skip_incremental:
            incremental(root, args.sessions, args.duration, args.cores, audio_only=args.smoke)
        dag_building(root, [int(n) for n in args.dag.split(",")])
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
