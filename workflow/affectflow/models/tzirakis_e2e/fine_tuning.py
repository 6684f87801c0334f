"""What a multimodal end-to-end network does epoch by epoch while it trains: pooled CCC on the test
and development partitions after every epoch, next to what early stopping saw and chose (the
measurements of docs/attention-fusion.md, "End-to-end networks").

- ``trace``: trains a model with the sequence core's ``fit`` and scores it before every epoch.
- ``frozen_features``: the data as the frozen networks see it (their outputs computed once), so a
  fusion head over frozen networks trains in seconds (what a frozen warm-up can learn).
- ``branches_match``: whether an initialised network's branches equal its unimodal checkpoints.

On a finished run of the end-to-end demo (``snakemake --configfile .test/config-tzirakis-e2e.yaml
-c2 --directory RUN``), from the repository root; it reads the run's stores and unimodal checkpoints
and retrains only the multimodal network, in process::

    python -m affectflow.models.tzirakis_e2e.fine_tuning --root RUN/results --config .test/config-tzirakis-e2e.yaml \\
        --opts '{"pretrained_lr_scale": 0.01}' --csv trace.csv
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ...core import config
from ..attention_fusion.network import AttentionFusionModel
from ..sequence import raw as seqraw
from ..sequence.data import SequenceData
from ..sequence.train import TrainConfig, TrainResult, dev_scores, fit, predict, seed_everything
from . import model as e2e


def pooled_ccc(model, sessions, cfg: TrainConfig, dims: list[str]) -> dict[str, float]:
    """CCC per dimension over the labelled frames of ``sessions`` pooled."""
    return dev_scores(sessions, predict(model, sessions, cfg), dims, "pooled", cfg.variance)


def trace(model, data: SequenceData, cfg: TrainConfig) -> tuple[TrainResult, pd.DataFrame]:
    """``fit(model, data, cfg)``, scoring the model on test and devel as each epoch starts.

    Row ``epochs`` = k is the model after k epochs (k = 0: untrained), its CCC pooled over each
    partition; ``dev_score`` (``cfg.selection``'s aggregation), ``selectable`` and ``selected``
    are early stopping's view of the epoch that produced it. The state after the last epoch is
    not scored (``fit`` restores the selected one)."""
    test, dev = data.partition("test"), data.partition("devel")
    if not test:
        raise ValueError("trace: no sessions in the 'test' partition")
    rows, start = [], model.on_epoch_start

    def score_then_start(epoch):
        row = {"epochs": epoch}
        for part, sessions in (("test", test), ("devel", dev)):
            row.update({f"{part}_{d}": v for d, v in pooled_ccc(model, sessions, cfg, data.dims).items()})
        rows.append(row)
        start(epoch)

    model.on_epoch_start = score_then_start
    try:
        result = fit(model, data, cfg)
    finally:
        del model.on_epoch_start  # back to the class's method
    table = pd.DataFrame(rows)
    hist = result.history.set_index(result.history["epoch"] + 1)
    table["dev_score"] = table["epochs"].map(hist["dev_score"])
    table["selectable"] = table["epochs"].map(hist["selectable"]).fillna(False).astype(bool)
    table["selected"] = table["epochs"] == result.best_epoch + 1
    return result, table


def branches_match(model: e2e.TzirakisE2E, models: dict, checkpoints: dict) -> dict[str, bool]:
    """{unimodal model: its branch in ``model`` equals its checkpoint, weight for weight}."""
    same = {}
    for name, path in checkpoints.items():
        m = e2e.UNIMODAL[models[name]["kind"]]
        state = torch.load(path, map_location="cpu", weights_only=False)["state_dict"]
        same[name] = all(torch.equal(v, state[f"encoders.{m}.{k}"]) for k, v in model.encoders[m].state_dict().items())
    return same


@torch.no_grad()
def frozen_features(model: e2e.TzirakisE2E, data: SequenceData, chunk: int = 100) -> SequenceData:
    """Each session's inputs replaced by the networks' outputs in eval mode (``chunk`` frames at a
    time): a feature-level fusion on them trains as the fusion does over frozen networks."""
    model.eval()
    sessions = []
    for s in data.sessions:
        x = {}
        for m, enc in model.encoders.items():
            xm, mm = torch.as_tensor(s.x[m]), torch.as_tensor(s.mask[m])
            out = np.zeros((len(s), enc.output_size), np.float32)
            for i in range(0, len(s), chunk):
                out[i:i + chunk] = enc(xm[None, i:i + chunk], mm[None, i:i + chunk])[0].numpy()
            x[m] = out
        sessions.append(replace(s, x=x))
    columns = {m: [f"{m}_{i}" for i in range(e.output_size)] for m, e in model.encoders.items()}
    return SequenceData(sessions, {m: [m] for m in model.encoders}, data.dims, feature_columns=columns)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", default="results", help="the run's results/ folder")
    ap.add_argument("--config", required=True, help="the run's config (e.g. .test/config-tzirakis-e2e.yaml)")
    ap.add_argument("--dataset", default="demo")
    ap.add_argument("--model", default="e2e_hierarchical", help="a tzirakis_e2e_fusion model of the config")
    ap.add_argument("--fold", default="official")
    ap.add_argument("--repeat", type=int, default=0)
    ap.add_argument("--frozen-head", action="store_true",
                    help="the networks frozen throughout: train only the fusion, LSTM and head on their cached outputs")
    ap.add_argument("--epochs", type=int, help="max_epochs (default: the config's), with patience = epochs")
    ap.add_argument("--opts", default="{}", help="model config overrides (json)")
    ap.add_argument("--train", default="{}", help="TrainConfig overrides (json)")
    ap.add_argument("--scratch", action="store_true", help="do not initialise from the unimodal checkpoints")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--csv", help="write the per-epoch table here")
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    root = Path(a.root)
    models = config.load(a.config)["models"]
    if models.get(a.model, {}).get("kind") != e2e.FUSION:
        raise SystemExit(f"{a.config}: '{a.model}' is not a {e2e.FUSION} model")
    models[a.model].update(json.loads(a.opts))
    cfg = models[a.model]
    dims = cfg.get("dimensions") or config.load(a.config)["datasets"][a.dataset]["dimensions"]
    manifest = pd.read_csv(root / f"manifest/{a.dataset}.csv")[["session", "speaker", "partition"]]
    data = seqraw.load(a.dataset, manifest, e2e.raw_spec(a.model, models), list(dims), root / "labels", root / "features", root / "faces")
    checkpoints = None if a.scratch else {
        p: root / f"models/{a.dataset}/{p}/fold{a.fold}/repeat{a.repeat}/checkpoint.pt" for p in cfg["pretrained"]}
    missing = [str(p) for p in (checkpoints or {}).values() if not p.exists()]
    if missing:
        raise SystemExit(f"no unimodal checkpoints {missing}: run the config's DAG first (or pass --scratch)")
    epochs = {"max_epochs": a.epochs, "patience": a.epochs} if a.epochs else {}
    tcfg = TrainConfig.from_dict(cfg, seed=a.seed, **epochs, **json.loads(a.train))
    seed_everything(a.seed)
    model = e2e.build(a.model, models, data.input_dims, len(dims), checkpoints, hop_s=data.hop_s)
    if checkpoints:
        print("branches equal their checkpoints:", branches_match(model, models, checkpoints))
    if a.frozen_head:
        data = frozen_features(model, data)
        seed_everything(a.seed)
        model = AttentionFusionModel(list(model.encoders), {m: e.output_size for m, e in model.encoders.items()}, len(dims),
                                     cfg.get("strategy", "hierarchical"), **e2e._fusion_options(cfg))
    result, table = trace(model, data, tcfg)
    pd.set_option("display.width", 200)
    print(table.round(3).to_string(index=False))
    best = table.loc[table["selected"]]
    print(f"selected: after epoch {result.best_epoch + 1} of {len(result.history)}, test",
          best.filter(like="test_").round(3).to_dict("records") if len(best) else "(the last epoch: not scored)")
    if a.csv:
        table.to_csv(a.csv, index=False)


if __name__ == "__main__":
    main(sys.argv[1:])
