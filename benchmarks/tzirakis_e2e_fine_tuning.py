"""Why the end-to-end multimodal network (Tzirakis et al.) did or did not fuse: per-epoch pooled CCC
on the test and development speakers of the multimodal network initialised from its unimodal
checkpoints, on the stores of one run of the end-to-end demo (docs/attention-fusion.md,
"End-to-end networks").

- ``--mode e2e``: the network as the DAG trains it (fusion config overrides in ``--opts``, e.g.
  '{"frozen_epochs": 0, "pretrained_lr_scale": 1, "pretrained_batchnorm": "train"}' for plain end-to-end
  training from the first step); also checks that the networks equal the checkpoints at epoch 0.
- ``--mode frozen_cache``: the networks frozen throughout, their outputs computed once, so the fusion,
  LSTM and head train in seconds (what a frozen warm-up learns, over any number of epochs).

Usage (after ``snakemake --configfile .test/config-tzirakis-e2e.yaml -c2``, from the run's directory):
    python benchmarks/tzirakis_e2e_fine_tuning.py --mode frozen_cache --epochs 40 --opts '{"projection_size": 16}'
"""
from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from affectflow.core import config
from affectflow.evaluation import metrics
from affectflow.models.attention_fusion.network import AttentionFusionModel
from affectflow.models.sequence import raw as seqraw
from affectflow.models.sequence.data import SequenceData
from affectflow.models.sequence.train import TrainConfig, fit, predict, seed_everything
from affectflow.models.tzirakis_e2e import model as e2e

ap = argparse.ArgumentParser()
ap.add_argument("--root", default="results", help="the run's results/ folder")
ap.add_argument("--config", default=str(Path(__file__).resolve().parents[1] / ".test/config-tzirakis-e2e.yaml"))
ap.add_argument("--mode", choices=["frozen_cache", "e2e"], default="frozen_cache")
ap.add_argument("--epochs", type=int, default=30)
ap.add_argument("--opts", default="{}", help="fusion config overrides (json)")
ap.add_argument("--train", default="{}", help="TrainConfig overrides (json)")
ap.add_argument("--scratch", action="store_true")
ap.add_argument("--seed", type=int, default=0)
a = ap.parse_args()
torch.set_num_threads(1)
root = Path(a.root)
models = config.load(a.config)["models"]
name = "e2e_hierarchical"
models[name].update(json.loads(a.opts))
cfg = models[name]
manifest = pd.read_csv(root / "manifest/demo.csv")[["session", "speaker", "partition"]]
dims = ["arousal", "valence"]
data = seqraw.load("demo", manifest, e2e.raw_spec(name, models), dims, root / "labels", root / "features", root / "faces")
ckpts = None if a.scratch else {p: root / f"models/demo/{p}/foldofficial/repeat0/checkpoint.pt" for p in cfg["pretrained"]}
tcfg = TrainConfig.from_dict(cfg, seed=a.seed, max_epochs=a.epochs, patience=a.epochs, **json.loads(a.train))
seed_everything(a.seed)
model = e2e.build(name, models, data.input_dims, 2, ckpts, hop_s=data.hop_s)


def pooled(model, sessions, c=tcfg):
    out = predict(model, sessions, c)
    return [metrics.ccc(np.concatenate([s.y[s.label_valid, j] for s in sessions]),
                        np.concatenate([o["pred"][s.label_valid, j] for s, o in zip(sessions, out)])) for j in range(2)]


test, dev = data.partition("test"), data.partition("devel")
if ckpts:  # are the branches the checkpoints' at epoch 0?
    for p, path in ckpts.items():
        m = e2e.UNIMODAL[models[p]["kind"]]
        st = torch.load(path, weights_only=False)["state_dict"]
        same = all(torch.equal(v, st[f"encoders.{m}.{k}"]) for k, v in model.encoders[m].state_dict().items())
        print(f"branch {m} equals checkpoint of {p}: {same}")
rows = []
if a.mode == "frozen_cache":
    # frozen branches in eval mode = a feature-level fusion on their cached outputs
    model.eval()
    feats = []
    with torch.no_grad():
        for s in data.sessions:
            x = {}
            for m, enc in model.encoders.items():
                xm, mm = torch.as_tensor(s.x[m]), torch.as_tensor(s.mask[m])
                out = np.zeros((len(s), enc.output_size), np.float32)
                for i in range(0, len(s), 100):
                    out[i:i + 100] = enc(xm[None, i:i + 100], mm[None, i:i + 100])[0].numpy()
                x[m] = out
            feats.append(replace(s, x=x))
    fdata = SequenceData(feats, {m: [m] for m in model.encoders}, dims, feature_columns={m: [f"f{i}" for i in range(e.output_size)] for m, e in model.encoders.items()})
    seed_everything(a.seed)
    head = AttentionFusionModel(list(model.encoders), {m: e.output_size for m, e in model.encoders.items()}, 2, cfg["strategy"], **e2e._fusion_options(cfg))
    target, tdata = head, fdata
else:
    target, tdata = model, data
ftest, fdev = tdata.partition("test"), tdata.partition("devel")
orig = target.on_epoch_start
def hook(epoch):  # the model as it starts epoch `epoch`, i.e. after `epoch` epochs of training
    (ta, tv), (da, dv) = pooled(target, ftest), pooled(target, fdev)
    rows.append({"after_epochs": epoch, "test_A": ta, "test_V": tv, "dev_A": da, "dev_V": dv})
    print(json.dumps(rows[-1]), flush=True)
    orig(epoch)
target.on_epoch_start = hook
t0 = time.time()
res = fit(target, tdata, tcfg)
h = res.history
print(h[["epoch", "train_loss", "dev_ccc_arousal", "dev_ccc_valence", "seconds"]].to_string())
print("best epoch", res.best_epoch + 1, "test at best", np.round(pooled(target, ftest), 3), "dev", np.round(pooled(target, fdev), 3), f"{time.time()-t0:.0f}s")
