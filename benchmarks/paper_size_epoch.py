"""Seconds per training epoch at the papers' sizes: Waligora et al.'s branches and JMT, Tzirakis et al.'s end-to-end networks.

    python benchmarks/paper_size_epoch.py                      # every network; CUDA when available
    python benchmarks/paper_size_epoch.py --steps 1 --warmup 0 --only waligora_visual
    python benchmarks/paper_size_epoch.py --smoke              # CI: tiny sizes, one step each

Each network is built by the sequence core's builder from its kind's config block with the schema's
defaults, which are the papers' sizes (``--smoke`` cuts them): Waligora et al. (Aff-Wild2): R(2+1)D-18
over 8 clips × 8 face crops of 224 px (loaded at 256, random crop), batch 8, SGD; ResNet18 + GRU over
8 spectrograms of 64 × 107, batch 64, Adam; the JMT (d_model 512) over both frozen branches, batch 2,
SGD. Tzirakis et al. (SEWA): text network over 16 words of 384-d MiniLM vectors per frame, batch 20;
raw-waveform CNN over 0.1 s at 16 kHz (1 channel), batch 20; HRNet-W18 (4 blocks) over 112 px crops,
batch 3; sequences of 100 frames.

A step is one optimiser step (forward, CCC loss, backward, update) on synthetic tensors of the inputs'
shapes (only time is measured). ``--micro-batch`` sequences are run per measured step (default: the
paper's batch on CUDA, 1 on CPU, where a step's time grows linearly with the batch and the paper's
visual batch does not fit in memory) and the time is scaled to the paper's batch. An epoch is the
training sequences of the corpus (its frames / the core's training hop, half a sequence) in steps of
the paper's batch, without the dev pass. Corpora: SEWA train, 54,813 frames (Tzirakis et al., §5.1);
Aff-Wild2 VA train, ~1,690,000 frames — an estimate: the paper gives 341 training videos of 564, the
database page ~2.8 M frames in 564 videos; 2.8 M × 341 / 564 (``--affwild2-train-frames`` to change).
"""
from __future__ import annotations

import argparse
import math
import time

import pandas as pd
import torch

from affectflow.core.config import model_defaults
from affectflow.models.jmt import waligora
from affectflow.models.sequence import clips, run
from affectflow.models.sequence.losses import LOSSES
from affectflow.models.sequence.train import TrainConfig, make_optimiser, resolve_device

SEWA_TRAIN_FRAMES = 54_813
AFFWILD2_TRAIN_FRAMES = 1_690_000
MINILM_DIM, SEWA_RATE, HOP_S = 384, 16_000, 0.1

CONFIGS = {
    "waligora_visual": {"kind": "waligora_visual", "faces": "faces"},
    "waligora_audio": {"kind": "waligora_audio", "waveform": "wave"},
    "waligora_jmt": {"kind": "waligora_jmt", "pretrained": ["waligora_visual", "waligora_audio"]},
    "tzirakis_e2e_text": {"kind": "tzirakis_e2e_text", "words": "words"},
    "tzirakis_e2e_audio": {"kind": "tzirakis_e2e_audio", "waveform": "wave"},
    "tzirakis_e2e_visual": {"kind": "tzirakis_e2e_visual", "faces": "faces"},
}
SMOKE = {  # tiny sizes: every network still runs one real step
    "waligora_visual": {"image_size": 16, "crop_from": 18, "width": 4, "sequence_length": 16, "batch_size": 2},
    "waligora_audio": {"width": 4, "sequence_length": 16, "batch_size": 2},
    "waligora_jmt": {"d_model": 16, "heads": 2, "fc_sizes": [16, 8], "sequence_length": 16, "batch_size": 2},
    "tzirakis_e2e_text": {"max_words": 4, "projections": 1, "projection_size": 8, "context_size": 4, "hidden_size": 8,
                          "sequence_length": 10, "batch_size": 2},
    "tzirakis_e2e_audio": {"hidden_size": 8, "sequence_length": 10, "batch_size": 2},
    "tzirakis_e2e_visual": {"image_size": 32, "width": 4, "blocks": 1, "hidden_size": 8, "sequence_length": 10, "batch_size": 2},
}


def frame_shape(name: str, models: dict, smoke: bool) -> tuple[tuple[int, ...], torch.dtype]:
    """The per-frame input of a network (``sequence.raw``'s layout) and its dtype."""
    cfg = models[name]
    kind = cfg["kind"]
    if kind == "waligora_visual":
        return (3, waligora.crop_from(cfg), waligora.crop_from(cfg)), torch.uint8
    if kind == "waligora_audio":
        return (64, clips.columns_per_frame(cfg["clip_frames"])), torch.float32
    if kind == "tzirakis_e2e_text":
        return (cfg["max_words"], (8 if smoke else MINILM_DIM) + 1), torch.float32
    if kind == "tzirakis_e2e_audio":
        return (1, int(round(HOP_S * SEWA_RATE))), torch.float32
    if kind == "tzirakis_e2e_visual":
        return (3, cfg["image_size"], cfg["image_size"]), torch.uint8
    raise ValueError(f"no raw input for {kind}")


def inputs(name: str, models: dict, batch: int, device, smoke: bool, gen: torch.Generator) -> tuple[dict, dict]:
    members = waligora.members(name, models) if models[name]["kind"] == "waligora_jmt" else (name,)
    L = models[name]["sequence_length"]
    x, mask = {}, {}
    for m in members:
        modality = {"waligora_visual": "visual", "waligora_audio": "audio", "tzirakis_e2e_text": "text",
                    "tzirakis_e2e_audio": "audio", "tzirakis_e2e_visual": "visual"}[models[m]["kind"]]
        shape, dtype = frame_shape(m, models, smoke)
        if dtype == torch.uint8:
            x[modality] = torch.randint(0, 256, (batch, L, *shape), dtype=torch.uint8, generator=gen).to(device)
        else:
            x[modality] = torch.randn((batch, L, *shape), generator=gen).to(device)
        mask[modality] = torch.ones(batch, L, dtype=torch.bool, device=device)
    return x, mask


def measure(name: str, models: dict, device: torch.device, micro: int | None, steps: int, warmup: int, smoke: bool) -> dict:
    cfg = models[name]
    batch = cfg["batch_size"]
    micro = min(batch, micro or batch)
    members = waligora.members(name, models) if cfg["kind"] == "waligora_jmt" else (name,)
    dims = {}
    for m in members:
        modality = "visual" if "visual" in models[m]["kind"] else "audio" if "audio" in models[m]["kind"] else "text"
        dims[modality] = frame_shape(m, models, smoke)[0]
    torch.manual_seed(0)
    model = run.build(name, models, dims, 2).to(device).train()
    optimiser = make_optimiser([p for p in model.parameters() if p.requires_grad], TrainConfig.from_dict(cfg))
    loss_fn = LOSSES["ccc"]
    gen = torch.Generator().manual_seed(0)
    x, mask = inputs(name, models, micro, device, smoke, gen)
    L = cfg["sequence_length"]
    y = torch.randn(micro, L, 2, generator=gen).to(device)
    valid = torch.ones(micro, L, dtype=torch.bool, device=device)
    times = []
    for step in range(warmup + steps):
        if device.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        loss = loss_fn(model(x, mask)["pred"], y, valid)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        if step >= warmup:
            times.append(time.perf_counter() - t0)
    per_micro = sorted(times)[len(times) // 2]
    per_step = per_micro * batch / micro
    frames = SEWA_TRAIN_FRAMES if cfg["kind"].startswith("tzirakis") else AFFWILD2_TRAIN_FRAMES_ARG[0]
    hop = TrainConfig.from_dict(cfg).training_hop
    sequences = math.ceil(frames / hop)
    steps_per_epoch = math.ceil(sequences / batch)
    return {"network": name, "corpus": "SEWA train" if cfg["kind"].startswith("tzirakis") else "Aff-Wild2 train (est.)",
            "train_frames": frames, "device": str(device), "input_per_frame": "×".join(map(str, next(iter(dims.values())))) if len(dims) == 1
            else " + ".join(f"{m} {'×'.join(map(str, s))}" for m, s in dims.items()),
            "sequence_length": L, "batch": batch, "micro_batch": micro,
            "trainable_parameters": sum(p.numel() for p in model.parameters() if p.requires_grad),
            "s_per_step": round(per_step, 3), "steps_per_epoch": steps_per_epoch, "s_per_epoch": int(round(per_step * steps_per_epoch)),
            "h_per_epoch": round(per_step * steps_per_epoch / 3600, 2)}


AFFWILD2_TRAIN_FRAMES_ARG = [AFFWILD2_TRAIN_FRAMES]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    ap.add_argument("--steps", type=int, default=2, help="timed steps per network (the median is kept)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed steps first")
    ap.add_argument("--micro-batch", type=int, default=None, help="sequences per measured step (default: the paper's batch on CUDA, 1 on CPU)")
    ap.add_argument("--only", default=None, help=f"comma-separated subset of {','.join(CONFIGS)}")
    ap.add_argument("--affwild2-train-frames", type=int, default=AFFWILD2_TRAIN_FRAMES)
    ap.add_argument("--csv", default=None, help="also write the table here")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes, one step each (CI)")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.smoke:
        args.steps, args.warmup = 1, 0
    AFFWILD2_TRAIN_FRAMES_ARG[0] = args.affwild2_train_frames
    device = torch.device("cpu") if args.smoke else resolve_device(args.device)
    micro = args.micro_batch or (None if device.type == "cuda" else 1)
    models = {n: model_defaults({**c, **(SMOKE[n] if args.smoke else {})}, n) for n, c in CONFIGS.items()}
    names = args.only.split(",") if args.only else list(CONFIGS)
    unknown = [n for n in names if n not in CONFIGS]
    if unknown:
        raise SystemExit(f"unknown network(s) {unknown}; known: {list(CONFIGS)}")
    print(f"device {device}{' (' + torch.cuda.get_device_name(device) + ')' if device.type == 'cuda' else ''}, "
          f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads{', smoke sizes' if args.smoke else ''}", flush=True)
    rows = []
    for name in names:
        rows.append(measure(name, models, device, micro, args.steps, args.warmup, args.smoke))
        print(" ".join(f"{k}={v}" for k, v in rows[-1].items()), flush=True)
    table = pd.DataFrame(rows)
    print(table.to_markdown(index=False))
    if args.csv:
        table.to_csv(args.csv, index=False)


if __name__ == "__main__":
    main()
