"""Clip corpora at scale: sharded extraction against the extractors' own in-process time, and DAG
building for 10,000 clips (printed as ratios within one run).

1. A synthesised corpus of --clips clips of 2-3 s with video, audio and words (cut from the demo
   generator's sessions: a face video, formant speech and a words.json per clip;
   ``affectflow.datasets.demo_corpus.clips``) in a csv manifest, with the dataset's ``shards:`` on.
   Face detection and the extractors (--features: audio, face and text) run
   a) in this process, one instance per detector and extractor looping over the clips (the floor:
      no Snakemake, no process start-up), and
   b) as the workflow (``snakemake --cores N``, features only).
   Ratio = b / a (issue 15's target: <= 2).
2. ``snakemake -n`` on a manifest of --dag clips (fake files with a ``duration_s`` column: a dry run
   opens nothing), sharded and not: dry-run seconds and jobs (each a sbatch submission on SLURM).

    python benchmarks/clip_corpus.py [--clips 1000] [--cores 2] [--features egemaps_func,egemaps_lld,face_expression,vader,minilm] [--dag 10000]
    python benchmarks/clip_corpus.py --smoke   # CI: 24 clips, manifests of 200
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def config(corpus: Path, features: list[str], shards: bool) -> dict:
    cfg = yaml.safe_load((REPO / "config.yaml").read_text())
    ds = {"adapter": "csv", "options": {"path": str(corpus)}, "hop_s": 0.1, "features": features, "models": [], "segments": [], "fusions": []}
    ds["shards"] = dict(SHARDS) if shards else False  # (on by default for clips of known duration)
    cfg["datasets"] = {"clips": ds}
    cfg.pop("fusions", None)
    return cfg


def extraction(root: Path, n: int, features: list[str], cores: str) -> None:
    from affectflow import extractors
    from affectflow.core import config as config_mod
    from affectflow.datasets.demo_corpus.clips import write_clips
    from affectflow.face import cache as face_cache

    work = root / "clips"
    rows = write_clips(work / "media", n)
    lines = ["session,speaker,partition,video,audio,transcript"]  # no duration_s: the media's headers are probed
    lines += [f"{r['session']},{r['speaker']},train,media/{r['video']},media/{r['audio']},media/{r['transcript']}" for r in rows]
    (work / "corpus.csv").write_text("\n".join(lines) + "\n")
    media_s = sum(float(r["duration_s"]) for r in rows)
    words = sum(len(json.loads((work / "media" / r["transcript"]).read_text())["words"]) for r in rows)
    cfg = config(work / "corpus.csv", features, shards=True)
    (work / "config.yaml").write_text(yaml.safe_dump(cfg))

    # a) in process: the schema's defaults filled in, as the workflow passes them; face extractors read
    # the detection caches, written first by one detector instance per detector
    full = config_mod.load(work / "config.yaml")
    out = root / "inprocess"
    media = [{"dataset": "clips", "session": r["session"], "video": str(work / "media" / r["video"]),
              "audio": str(work / "media" / r["audio"]), "transcript": str(work / "media" / r["transcript"])} for r in rows]
    detectors = list(dict.fromkeys(full["features"][ex]["detector"] for ex in features if "detector" in full["features"][ex]))
    t0 = time.perf_counter()
    for det in detectors:
        face_cache.run_shard(det, full["face_detectors"][det], media, 0.1, [str(out / "faces" / det / f"{m['session']}.parquet") for m in media])
    for ex in features:
        params = dict(full["features"][ex])
        faces = (lambda s: str(out / "faces" / params["detector"] / f"{s}.parquet")) if "detector" in params else (lambda s: "")
        sessions = [extractors.SessionMedia(**m, faces=faces(m["session"])) for m in media]
        extractors.run_shard(ex, params, sessions, 0.1, [str(out / ex / f"{m.session}.parquet") for m in sessions])
    inproc_s = time.perf_counter() - t0

    # b) the workflow
    jobs = [j for j in planned_jobs(snakemake(work, "-n")[1]) if j.rule.startswith(("extract_", "detect_faces"))]
    wall_s, _ = snakemake(work, "--cores", cores)
    produced = sum(1 for _ in (work / "results/features/clips").glob("*/*.parquet"))
    assert produced == n * len(features), f"{produced} feature files for {n} clips x {len(features)} extractors"
    print(f"\n## Extraction: {n} clips with video, audio and words ({media_s:.0f} s of media, {words} words), "
          f"extractors {', '.join(features)}" + (f" (face detection: {', '.join(detectors)})" if detectors else ""))
    print("| how | extraction jobs | wall s | ratio to in-process |\n|---|---:|---:|---:|")
    print(f"| in process, one instance per detector and extractor, serial | - | {inproc_s:.1f} | 1.00 |")
    print(f"| snakemake --cores {cores}, shards of ~{SHARDS['target_s']:g} s | {len(jobs)} | {wall_s:.1f} | {wall_s / inproc_s:.2f} |")


def fake_corpus(folder: Path, n: int) -> Path:
    media = folder / "media"
    media.mkdir(parents=True)
    rows = ["session,speaker,partition,video,audio,transcript,duration_s"]
    for i in range(n):
        (media / f"c{i:05d}.mp4").write_bytes(b"\0")
        (media / f"c{i:05d}.words.json").write_text("{}")
        rows.append(f"c{i:05d},spk{i % 91:02d},train,media/c{i:05d}.mp4,media/c{i:05d}.mp4,media/c{i:05d}.words.json,"
                    f"{2.0 + (i % 11) / 10:.1f}")
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
    for shards, label in ((False, "one job per (clip, extractor or detector)"), (True, f"shards of ~{SHARDS['target_s']:g} s")):
        jobs, s = results[shards]
        print(f"| {label} | {jobs} | {s:.1f} | {s / results[False][1]:.2f} |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", type=int, default=1000)
    ap.add_argument("--cores", default="2")
    ap.add_argument("--features", default="egemaps_func,egemaps_lld,face_expression,vader,minilm",
                    help="extractor names of config.yaml (audio, face, text)")
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
