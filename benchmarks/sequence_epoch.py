"""Seconds per training epoch of the DLSTM family at the demo corpus' size, as ratios to a plain DLSTM.

    python benchmarks/sequence_epoch.py [--device cuda] [--threads 1] [--frames 400]
    python benchmarks/sequence_epoch.py --smoke   # CI: 50 frames, 2 epochs

Data: 4 train + 2 dev sessions of --frames frames (the demo: 40–60 s at 10 Hz), 25 audio and
88 "video" features (the demo's eGeMAPS LLDs and functionals), random values: only the time is
measured. An epoch = one pass over the train sequences + prediction of the dev sessions.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from affectflow.models.sequence import run
from affectflow.models.sequence.data import SequenceData, SessionArrays
from affectflow.models.sequence.train import TrainConfig, fit, save_checkpoint


def toy(frames: int) -> SequenceData:
    rng = np.random.default_rng(0)
    sessions = []
    for k, part in enumerate(["train"] * 4 + ["devel"] * 2):
        x = {"audio": rng.standard_normal((frames, 25)).astype(np.float32), "video": rng.standard_normal((frames, 88)).astype(np.float32)}
        t = np.arange(frames) * 0.1
        sessions.append(SessionArrays(f"s{k}", f"p{k}", part, t, t + 0.1, x, {m: np.ones(frames, bool) for m in x},
                                      rng.standard_normal((frames, 2)).astype(np.float32), np.ones(frames, bool)))
    return SequenceData(sessions, {"audio": ["a"], "video": ["v"]}, ["arousal", "valence"],
                        {"audio": [f"a{i}" for i in range(25)], "video": [f"v{i}" for i in range(88)]})


MODELS = {
    "dlstm_audio": {"kind": "dlstm", "modalities": {"audio": ["a"]}, "hidden_size": 32},
    "dlstm_video": {"kind": "dlstm", "modalities": {"video": ["v"]}, "hidden_size": 128},
    "dlstm_video_att": {"kind": "dlstm", "modalities": {"video": ["v"]}, "hidden_size": 128, "embedding_attention": True, "attention_bypass_epochs": 0},
    "fusion_attention": {"kind": "dlstm_fusion", "pretrained": ["dlstm_audio", "dlstm_video"], "method": "attention"},
    "dlstm_av": {"kind": "dlstm_av", "modalities": {"audio": ["a"], "video": ["v"]}, "embedding_attention": ["video"], "attention_bypass_epochs": 0},
}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--frames", type=int, default=400)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--smoke", action="store_true", help="a quick run of every model (CI)")
    args = ap.parse_args(argv)
    if args.smoke:
        args.frames, args.epochs = 50, 2
    torch.set_num_threads(args.threads)
    data = toy(args.frames)
    cfg = TrainConfig(max_epochs=args.epochs, patience=args.epochs, device=args.device)
    ckpts, rows = {}, []
    for name in MODELS:
        torch.manual_seed(0)
        model = run.build(name, MODELS, data.input_dims, 2, ckpts)
        res = fit(model, data, cfg)
        if MODELS[name]["kind"] == "dlstm":
            ckpts[name] = f"/tmp/affectflow-bench-{name}.pt"
            save_checkpoint(ckpts[name], model)
        later = res.history.iloc[1:]  # epoch 0 includes one-off costs
        rows.append((name, later["seconds"].mean(), later["cpu_seconds"].mean(), res.device))
    base = rows[0][2]
    print(f"{'model':<18} {'wall s/epoch':>12} {'CPU s/epoch':>12} {'CPU × dlstm_audio':>18}  device (threads={args.threads}, frames/session={args.frames})")
    for name, sec, cpu, device in rows:
        print(f"{name:<18} {sec:12.3f} {cpu:12.3f} {cpu / base:18.1f}  {device}")


if __name__ == "__main__":
    main()
