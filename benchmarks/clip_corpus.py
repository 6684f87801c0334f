"""Clip corpora at scale: sharded extraction against the extractors' own in-process time, and DAG
building for 10,000 clips (printed as ratios within one run).

1. A synthesised corpus of --clips clips of 2-3 s (16 kHz speech-like audio: voiced harmonics with
   a moving pitch and syllable-rate loudness, written by this script) in a csv manifest, with the
   dataset's ``shards:`` on. The extractors (--features) run
   a) in this process, one instance per extractor looping over the clips (the floor: no Snakemake,
      no process start-up), and
   b) as the workflow (``snakemake --cores N``, features only).
   Ratio = b / a (issue 15's target: <= 2).
2. ``snakemake -n`` on a manifest of --dag clips (fake files with a ``duration_s`` column: a dry run
   opens nothing), sharded and not: dry-run seconds and jobs (each a sbatch submission on SLURM).

    python benchmarks/clip_corpus.py [--clips 1000] [--cores 2] [--features egemaps_func,egemaps_lld] [--dag 10000]
    python benchmarks/clip_corpus.py --smoke   # CI: 24 clips, manifests of 200
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

from affectflow.core.plan import planned_jobs

REPO = Path(__file__).resolve().parents[1]
SHARDS = {"max_session_s": 30.0, "target_s": 300.0}


def snakemake(workdir: Path, *args: str) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir), *args],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"snakemake {' '.join(args)} failed in {workdir}:\n{proc.stdout[-4000:]}")
    return elapsed, proc.stdout


def clip(rng, seconds: float, sr: int = 16000) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    f0 = rng.uniform(100, 220) * (1 + 0.1 * np.sin(2 * np.pi * rng.uniform(0.5, 2) * t))
    phase = 2 * np.pi * np.cumsum(f0) / sr
    voiced = sum(np.sin(k * phase) / k for k in range(1, 6))
    envelope = np.clip(np.sin(2 * np.pi * rng.uniform(3, 5) * t), 0, None)  # syllables and pauses
    return (0.2 * voiced * envelope + 0.005 * rng.standard_normal(len(t))).astype(np.float32)


def config(corpus: Path, features: list[str], shards: bool) -> dict:
    cfg = yaml.safe_load((REPO / "config.yaml").read_text())
    ds = {"adapter": "csv", "options": {"path": str(corpus)}, "hop_s": 0.1, "features": features, "models": [], "segments": [], "fusions": []}
    ds["shards"] = dict(SHARDS) if shards else False  # (on by default for clips of known duration)
    cfg["datasets"] = {"clips": ds}
    cfg.pop("fusions", None)
    return cfg


def extraction(root: Path, n: int, features: list[str], cores: str) -> None:
    import soundfile as sf

    from affectflow import extractors
    from affectflow.core import config as config_mod

    work = root / "clips"
    (work / "media").mkdir(parents=True)
    rng = np.random.default_rng(0)
    rows, audio_s = ["session,speaker,partition,audio"], 0.0
    for i in range(n):
        x = clip(rng, rng.uniform(2.0, 3.0))
        audio_s += len(x) / 16000
        sf.write(work / f"media/c{i:05d}.wav", x, 16000)
        rows.append(f"c{i:05d},spk{i % 20:02d},train,media/c{i:05d}.wav")
    (work / "corpus.csv").write_text("\n".join(rows) + "\n")
    cfg = config(work / "corpus.csv", features, shards=True)
    (work / "config.yaml").write_text(yaml.safe_dump(cfg))

    # a) in process: the schema's defaults filled in, as the workflow passes them
    full = config_mod.load(work / "config.yaml")
    out = root / "inprocess"
    t0 = time.perf_counter()
    for ex in features:
        params = dict(full["features"][ex])
        sessions = [extractors.SessionMedia("clips", f"c{i:05d}", audio=str(work / f"media/c{i:05d}.wav")) for i in range(n)]
        extractors.run_shard(ex, params, sessions, 0.1, [str(out / ex / f"{m.session}.parquet") for m in sessions])
    inproc_s = time.perf_counter() - t0

    # b) the workflow
    jobs = [j for j in planned_jobs(snakemake(work, "-n")[1]) if j.rule.startswith("extract_audio")]
    wall_s, _ = snakemake(work, "--cores", cores)
    produced = sum(1 for _ in (work / "results/features/clips").glob("*/*.parquet"))
    assert produced == n * len(features), f"{produced} feature files for {n} clips x {len(features)} extractors"
    print(f"\n## Extraction: {n} clips, {audio_s:.0f} s of audio, extractors {', '.join(features)}")
    print("| how | extraction jobs | wall s | ratio to in-process |\n|---|---:|---:|---:|")
    print(f"| in process, one extractor instance per extractor, serial | - | {inproc_s:.1f} | 1.00 |")
    print(f"| snakemake --cores {cores}, shards of ~{SHARDS['target_s']:g} s | {len(jobs)} | {wall_s:.1f} | {wall_s / inproc_s:.2f} |")


def fake_corpus(folder: Path, n: int) -> Path:
    media = folder / "media"
    media.mkdir(parents=True)
    rows = ["session,speaker,partition,audio,duration_s"]
    for i in range(n):
        (media / f"c{i:05d}.wav").write_bytes(b"RIFF")
        rows.append(f"c{i:05d},spk{i % 91:02d},train,media/c{i:05d}.wav,{2.0 + (i % 11) / 10:.1f}")
    (folder / "corpus.csv").write_text("\n".join(rows) + "\n")
    return folder / "corpus.csv"


def dag(root: Path, n: int, features: list[str]) -> None:
    print(f"\n## DAG building: `snakemake -n`, {n} clips of 2-3 s, extractors {', '.join(features)}")
    print("| layout | jobs | dry run s | ratio to one job per clip |\n|---|---:|---:|---:|")
    results = {}
    for shards in (False, True):
        work = root / f"dag{n}{'_shards' if shards else ''}"
        corpus = fake_corpus(work, n)
        (work / "config.yaml").write_text(yaml.safe_dump(config(corpus, features, shards)))
        elapsed, out = snakemake(work, "-n")
        results[shards] = (len([j for j in planned_jobs(out) if j.rule != "all"]), elapsed)
    for shards, label in ((False, "one job per (clip, extractor)"), (True, f"shards of ~{SHARDS['target_s']:g} s")):
        jobs, s = results[shards]
        print(f"| {label} | {jobs} | {s:.1f} | {s / results[False][1]:.2f} |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", type=int, default=1000)
    ap.add_argument("--cores", default="2")
    ap.add_argument("--features", default="egemaps_func,egemaps_lld", help="extractor names of config.yaml (audio)")
    ap.add_argument("--dag", type=int, default=10000, help="clips in the dry-run manifest")
    ap.add_argument("--smoke", action="store_true", help="24 clips, manifests of 200 (CI)")
    args = ap.parse_args(argv)
    if args.smoke:
        args.clips, args.dag = 24, 200
    features = args.features.split(",")
    root = Path(tempfile.mkdtemp(prefix="affectflow-clips-"))
    try:
        extraction(root, args.clips, features, args.cores)
        dag(root, args.dag, features)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
