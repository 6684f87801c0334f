"""Cost of the late fusion with the schema defaults on the size of a real corpus: wall time, model fits, CCC.

The case (issue 16): per-frame predictions of 9 published unimodal systems for 28 sessions that
are 14 two-person conversations (the manifest's ``group``), ~40k frames on a 0.1 s grid, no
official partitions (nested conversation-disjoint CV). The systems are synthetic (tests/
late_fusion_corpus.py): each predicts arousal and valence with its own planted strength, errors
independent. Every system is its own modality (``combinations: each``); this runs the combination
with all nine (the most expensive job) through the rule's code path (``pipeline.run_combination``
on a fusion config filled with the schema's defaults) and prints its wall time, fits made and
planned, and the held-out CCC per dimension of the selected fused model against the best single
system and the plain mean of all systems.

    python benchmarks/late_fusion_cost.py                      # schema defaults, all nine model kinds
    python benchmarks/late_fusion_cost.py --set trials=10 inner_folds=5 max_fit_rows=null ff.epochs=60  # the old defaults
    python benchmarks/late_fusion_cost.py --smoke              # CI: 6 sessions of 20 s, knn and the averages

Timings depend on the machine and its load: say which when quoting them.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

from affectflow.core import config
from affectflow.evaluation import metrics
from affectflow.models.late_fusion import inputs, pipeline

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from late_fusion_corpus import DIMS, make_corpus, write_predictions  # noqa: E402

# planted strength (correlation with the gold label) per system: arousal, valence — a few good,
# most weak, as published unimodal systems of different modalities are
STRENGTHS = [(0.60, 0.35), (0.55, 0.50), (0.50, 0.20), (0.45, 0.45), (0.40, 0.30), (0.35, 0.55), (0.30, 0.15),
             (0.20, 0.25), (0.13, 0.10)]
DATASET = "bench"
ALL_KINDS = ["knn", "ff", "svr", "xgb", "lgbm", "ff_mt", "mean", "wmean", "best_input"]


def corpus(root: Path, sessions: int, duration_s: float, n_systems: int):
    roots, manifest = make_corpus(root, n_speakers=sessions, sessions_per_speaker=1, duration_s=duration_s, seed=16, smooth_frames=30,
                                  dataset=DATASET)
    manifest["group"] = [f"conv{i // 2:02d}" for i in range(len(manifest))]  # two partners per conversation
    modalities = {}
    for k, (a, v) in enumerate(STRENGTHS[:n_systems]):
        folder = write_predictions(root, roots, manifest, f"sys{k}", {"arousal": a, "valence": v}, seed=k, dataset=DATASET)
        modalities[f"sys{k}"] = [{"avec": str(folder)}]
    return roots, manifest, modalities


def with_defaults(fusion: dict, overrides: list[str]) -> dict:
    for item in overrides:
        key, value = item.split("=", 1)
        *path, last = key.split(".")
        node = fusion
        for p in path:
            node = node.setdefault(p, {})
        node[last] = yaml.safe_load(value)
    return config.fusion_defaults(fusion)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=28)
    ap.add_argument("--duration", type=float, default=143.0, help="seconds per session (28 × 143 s = 40k frames)")
    ap.add_argument("--systems", type=int, default=9)
    ap.add_argument("--models", default=",".join(ALL_KINDS))
    ap.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="fusion options over the defaults, e.g. trials=10 ff.epochs=60")
    ap.add_argument("--threads", type=int, default=1, help="the rule's threads (n_jobs of the boosted trees)")
    ap.add_argument("--smoke", action="store_true", help="a quick run on a small corpus (CI)")
    args = ap.parse_args(argv)
    if args.smoke:
        args.sessions, args.duration, args.systems, args.models = 6, 20.0, 3, "knn,mean,wmean,best_input"
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        roots, manifest, modalities = corpus(root, args.sessions, args.duration, args.systems)
        fusion = with_defaults({"modalities": modalities, "models": args.models.split(","), "combinations": "each"}, args.set)
        shown = {k: v for k, v in fusion.items() if k != "modalities"}
        print(f"corpus: {args.sessions} sessions × {args.duration:g} s, {manifest['group'].nunique()} conversations, "
              f"{args.systems} systems; load {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print(f"fusion (schema defaults + --set): {shown}")
        starts = KindTimes()
        t0, cpu0 = time.perf_counter(), time.process_time()
        pred, scores, info = pipeline.run_combination(DATASET, manifest, fusion, list(modalities), DIMS, seed=0,
                                                      n_jobs=args.threads, roots=roots)
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        starts.close()
        table, _ = inputs.fusion_frames(DATASET, manifest["session"].tolist(), modalities, roots)
        singles = single_systems(table, DIMS)

    rows = info["counts"]["rows"]
    print(f"rows {rows} (frames {info['counts']['frames']}), every {info.get('fit_step', 1)}. training row enters a fit, "
          f"split: {info['split']}")
    print(f"wall {wall:.1f} s, fits {info['fits']} (planned_fits {info['planned_fits']}), {wall / max(info['fits'], 1) * 1000:.1f} ms per fit")
    # on a shared machine the wall time is the CPU time stretched by the load: quote both
    print(f"CPU {cpu:.1f} s of this process (wall / CPU {wall / max(cpu, 1e-9):.1f}), load {os.getloadavg()[0]:.1f} at the end")
    by = scores.set_index(["kind", "dimension"])
    print("| dimension | selected | mean of the systems | best single system | selected − best | selected − mean | chosen per outer fold |")
    print("|---|---|---|---|---|---|---|")
    for d in DIMS:
        sel = by.loc[("selected", d), "ccc"]
        print(f"| {d} | {sel:.3f} | {singles[d]['mean']:.3f} | {singles[d]['best']:.3f} | {sel - singles[d]['best']:+.3f} "
              f"| {sel - singles[d]['mean']:+.3f} | {by.loc[('selected', d), 'model']} |")
    seconds = starts.seconds(t0 + wall)
    print("| model kind | seconds | " + " | ".join(f"{d} CCC" for d in DIMS) + " |")
    print("|---|---|" + "---|" * len(DIMS))
    for kind in dict.fromkeys(scores["kind"]):
        print(f"| {kind} | {seconds.get(kind, 0.0):.1f} | " + " | ".join(f"{by.loc[(kind, d), 'ccc']:.3f}" for d in DIMS) + " |")


class KindTimes(logging.Handler):
    """When training.run starts each model kind (its "tuning on" log line): seconds per kind."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.events = []
        self.logger = logging.getLogger("affectflow.models.late_fusion.training")
        self.logger.setLevel(logging.INFO)
        self.logger.addHandler(self)

    def emit(self, record):
        if "tuning on" in record.getMessage():
            self.events.append((time.perf_counter(), record.getMessage().split()[0]))

    def close(self):
        self.logger.removeHandler(self)
        super().close()

    def seconds(self, end: float) -> dict:
        out = {}
        for (t, kind), (t_next, _) in zip(self.events, [*self.events[1:], (end, "")]):
            out[kind] = out.get(kind, 0.0) + t_next - t
        return out


def single_systems(table, dims) -> dict:
    """Per dimension: the CCC of the best single system on every labelled frame (chosen with every label: an
    optimistic bar) and of the plain, unscaled mean of all systems."""
    out = {}
    for d in dims:
        cols = [c for c in table.columns if c.endswith(f"__{d}")]
        gold = table[d].to_numpy(dtype=float)
        ok = table["label_valid"].to_numpy(dtype=bool) & np.isfinite(gold)
        ccc = [metrics.ccc(gold[ok], table[c].to_numpy(dtype=float)[ok]) for c in cols]
        out[d] = {"best": float(np.nanmax(ccc)), "mean": float(metrics.ccc(gold[ok], table[cols].to_numpy(dtype=float)[ok].mean(axis=1)))}
    return out


if __name__ == "__main__":
    main()
