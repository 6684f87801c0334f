"""The sequence training core: seeds, Adam or SGD, early stopping on dev CCC, checkpoints, prediction.

    data = sequence.data.load(dataset, manifest, {"audio": ["egemaps_lld"]}, ["arousal", "valence"])
    cfg = TrainConfig(sequence_length=100, max_epochs=50, loss="ccc", seed=0)
    seed_everything(cfg.seed)
    model = build(...)                                    # any SequenceModel
    result = fit(model, data, cfg, checkpoint="model.pt")  # best dev epoch restored into model
    table = prediction_table(data, predict(model, data.sessions, cfg))

Training sequences overlap (``train_hop``, by default half a sequence), so a small corpus still
gives the optimiser several steps per epoch; prediction cuts each session into non-overlapping
sequences. Every epoch is logged (train loss, dev CCC per dimension, seconds) and kept in
``result.history``. The dev score that selects the epoch is the mean over dimensions of the dev
CCC, aggregated ``per_sequence`` (mean of per-session CCCs, as the RECOLA DLSTM paper reports)
or ``pooled`` (one CCC over the concatenated sessions, as the challenge scorers).
"""
from __future__ import annotations

import copy
import logging
import random
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ...core.store import atomic_path
from ...evaluation import metrics
from .base import SequenceModel
from .data import SequenceData, SequenceDataset, SessionArrays
from .losses import LOSSES

log = logging.getLogger(__name__)
OPTIMISERS = ("adam", "sgd")
LR_SCHEDULES = ("constant", "onecycle", "cosine")


@dataclass
class TrainConfig:
    sequence_length: int = 100
    train_hop: int | None = None
    batch_size: int = 32
    learning_rate: float = 0.01
    optimiser: str = "adam"
    momentum: float = 0.0
    weight_decay: float = 0.0
    nesterov: bool = False
    max_epochs: int = 100
    patience: int = 10
    loss: str = "mse"
    selection: str = "per_sequence"
    variance: str = "population"
    grad_clip: float | None = None
    lr_schedule: str = "constant"
    seed: int = 0
    device: str = "auto"
    train_partitions: list[str] = field(default_factory=lambda: ["train"])
    dev_partitions: list[str] = field(default_factory=lambda: ["devel"])

    def __post_init__(self):
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss '{self.loss}'; known: {sorted(LOSSES)}")
        if self.selection not in metrics.AGGREGATIONS:
            raise ValueError(f"unknown selection '{self.selection}'; known: {metrics.AGGREGATIONS}")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"unknown lr_schedule '{self.lr_schedule}'; known: {LR_SCHEDULES}")
        if self.optimiser not in OPTIMISERS:
            raise ValueError(f"unknown optimiser '{self.optimiser}'; known: {OPTIMISERS}")
        if self.optimiser == "adam" and (self.momentum or self.nesterov):
            raise ValueError(f"momentum ({self.momentum}) and nesterov ({self.nesterov}) are SGD settings but the optimiser is adam: "
                             f"set momentum: 0 and nesterov: false (the jmt kind defaults them to 0.9 and true for its SGD)")
        if self.nesterov and self.momentum <= 0:
            raise ValueError("nesterov needs momentum > 0")

    @property
    def training_hop(self) -> int:
        """Frames between training sequences: ``train_hop``, or half a sequence when it is unset."""
        return self.train_hop or max(1, self.sequence_length // 2)

    @classmethod
    def from_dict(cls, cfg: dict, **overrides) -> "TrainConfig":
        """The known keys of a model's config section (others belong to the model)."""
        names = {f.name for f in fields(cls)}
        return cls(**{**{k: v for k, v in cfg.items() if k in names}, **overrides})


@dataclass
class TrainResult:
    best_epoch: int
    best_score: float
    history: pd.DataFrame
    device: str

    @property
    def seconds_per_epoch(self) -> float:
        return float(self.history["seconds"].mean())

    @property
    def cpu_seconds_per_epoch(self) -> float:
        """CPU time of this process per epoch: what an epoch costs even on a shared, loaded machine."""
        return float(self.history["cpu_seconds"].mean())


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def resolve_device(name: str = "auto") -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"device '{name}' requested but CUDA is not available")
    return torch.device(name)


def _to(batch: dict, device: torch.device) -> dict:
    return {k: ({m: t.to(device) for m, t in v.items()} if isinstance(v, dict) else v.to(device) if torch.is_tensor(v) else v)
            for k, v in batch.items()}


def _loader(sessions, cfg: TrainConfig, shuffle: bool, seed: int | None = None, hop: int | None = None) -> torch.utils.data.DataLoader:
    ds = SequenceDataset(sessions, cfg.sequence_length, hop)
    gen = torch.Generator().manual_seed(seed) if seed is not None else None
    return torch.utils.data.DataLoader(ds, batch_size=cfg.batch_size, shuffle=shuffle, generator=gen)


@torch.no_grad()
def predict(model: SequenceModel, sessions: list[SessionArrays], cfg: TrainConfig, extras: bool = False) -> list[dict]:
    """Per session: ``{"pred": (T, n_dims)}`` (plus the model's other outputs if ``extras``).

    Sessions are cut into non-overlapping sequences of ``cfg.sequence_length`` frames, each
    starting from a zero state, exactly as in training.
    """
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    out: list[dict] = [{} for _ in sessions]
    for batch in _loader(sessions, cfg, shuffle=False):
        inputs = _to({"x": batch["x"], "mask": batch["mask"]}, device)
        res = model(inputs["x"], inputs["mask"])
        keys = res.keys() if extras else ["pred"]
        for b, (i, start) in enumerate(zip(batch["session"].tolist(), batch["start"].tolist())):
            n = min(cfg.sequence_length, len(sessions[i]) - start)
            for key in keys:
                value = res[key][b, :n].float().cpu().numpy()
                if key not in out[i]:
                    out[i][key] = np.full((len(sessions[i]), *value.shape[1:]), np.nan, dtype=np.float32)
                out[i][key][start:start + n] = value
    model.train(was_training)
    return out


def dev_scores(sessions: list[SessionArrays], outputs: list[dict], dims: list[str], aggregation: str, variance: str) -> dict[str, float]:
    """CCC per dimension over the valid frames of ``sessions``."""
    scores = {}
    for j, dim in enumerate(dims):
        gold = [s.y[s.label_valid, j] for s in sessions]
        pred = [o["pred"][s.label_valid, j] for s, o in zip(sessions, outputs)]
        keep = [k for k, g in enumerate(gold) if len(g) >= 2]
        scores[dim] = metrics.ccc_sequences([gold[k] for k in keep], [pred[k] for k in keep], aggregation, variance) if keep else float("nan")
    return scores


def _score(scores: dict[str, float]) -> float:
    value = float(np.mean(list(scores.values())))
    return value if np.isfinite(value) else -np.inf


def save_checkpoint(path: str | Path, model: SequenceModel, **info) -> None:
    with atomic_path(path) as tmp:
        torch.save({"state_dict": model.state_dict(), **info}, tmp)


def save_per_dimension_checkpoint(path: str | Path, networks: dict[str, tuple[SequenceModel, "TrainResult"]], **info) -> None:
    """One file for a network per dimension: ``per_dimension`` {dimension: {state_dict, epoch, dev_scores}} and ``info``."""
    per_dimension = {dim: {"state_dict": model.state_dict(), "epoch": result.best_epoch,
                           "dev_scores": result.history.loc[result.best_epoch, [c for c in result.history if c.startswith("dev_ccc_")]].to_dict()}
                     for dim, (model, result) in networks.items()}
    with atomic_path(path) as tmp:
        torch.save({"per_dimension": per_dimension, **info}, tmp)


def load_checkpoint(path: str | Path, model: SequenceModel | None = None, map_location="cpu") -> dict:
    """The checkpoint dict; its weights are loaded into ``model`` when one is given."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    ckpt = torch.load(path, map_location=map_location, weights_only=False)
    if model is not None:
        model.load_state_dict(one_network(ckpt, path))
    return ckpt


def one_network(ckpt: dict, path: str | Path) -> dict:
    """The state dict of a checkpoint of one network; a clear error for one of a network per dimension."""
    if "state_dict" not in ckpt:
        raise ValueError(f"{path}: holds one network per dimension ({sorted(ckpt.get('per_dimension', {}))}: separate_dimensions), "
                         f"not one network to load")
    return ckpt["state_dict"]


def make_optimiser(params, cfg: TrainConfig) -> torch.optim.Optimizer:
    if cfg.optimiser == "sgd":
        return torch.optim.SGD(params, lr=cfg.learning_rate, momentum=cfg.momentum, weight_decay=cfg.weight_decay, nesterov=cfg.nesterov)
    return torch.optim.Adam(params, lr=cfg.learning_rate, weight_decay=cfg.weight_decay)


def optimiser_groups(model: SequenceModel, cfg: TrainConfig) -> list[dict]:
    """The model's parameter groups, each at ``lr_scale`` (default 1) × ``cfg.learning_rate``."""
    return [{**{k: v for k, v in g.items() if k != "lr_scale"}, "lr": cfg.learning_rate * g.get("lr_scale", 1.0)}
            for g in model.parameter_groups()]


def make_scheduler(optimiser: torch.optim.Optimizer, cfg: TrainConfig, steps_per_epoch: int):
    """Per-step learning-rate schedule over ``max_epochs`` (early stopping may end it sooner), or None.

    ``onecycle``: torch's OneCycleLR, each group's ``lr`` as its peak (warm-up over the first 30 % of
    the steps from peak / 25, then cosine annealing to peak / 10^4; Adam's beta1 / SGD's momentum
    cycle inversely). ``cosine``: cosine annealing from ``lr`` to 0 over all steps."""
    total = max(1, steps_per_epoch * cfg.max_epochs)
    if cfg.lr_schedule == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=[g["lr"] for g in optimiser.param_groups], total_steps=total,
                                                   cycle_momentum=cfg.optimiser == "adam" or cfg.momentum > 0)
    if cfg.lr_schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=total)
    return None


def fit(model: SequenceModel, data: SequenceData, cfg: TrainConfig, checkpoint: str | Path | None = None,
        checkpoint_info: dict | None = None) -> TrainResult:
    """Train with ``cfg.optimiser`` (Adam or SGD) on the train partitions, keep the epoch with the best dev score.

    The best weights are restored into ``model`` and, when ``checkpoint`` is given, saved there
    with ``checkpoint_info``, the epoch, the dev scores and the training config.
    """
    train = data.partition(*cfg.train_partitions)
    dev = data.partition(*cfg.dev_partitions)
    if not train:
        raise ValueError(f"no sessions in the training partition(s) {cfg.train_partitions}")
    if not dev:
        raise ValueError(f"no sessions in the dev partition(s) {cfg.dev_partitions}: early stopping needs one")
    if cfg.max_epochs <= model.warmup_epochs:
        raise ValueError(f"max_epochs={cfg.max_epochs} leaves no epoch after the model's {model.warmup_epochs} warm-up epochs")
    device = resolve_device(cfg.device)
    model.to(device)
    groups = optimiser_groups(model, cfg)
    params = [p for g in groups for p in g["params"]]
    optimiser = make_optimiser(groups, cfg)
    steps_per_epoch = len(_loader(train, cfg, shuffle=False, hop=cfg.training_hop))
    scheduler = make_scheduler(optimiser, cfg, steps_per_epoch)
    loss_fn = LOSSES[cfg.loss]
    best = {"score": -np.inf, "epoch": -1, "state": None, "scores": {}}
    history, waited = [], 0
    log.info("training on %s: %d train / %d dev sessions, %d parameters", device, len(train), len(dev), sum(p.numel() for p in params))
    for epoch in range(cfg.max_epochs):
        t0, cpu0 = time.perf_counter(), time.process_time()
        model.on_epoch_start(epoch)
        model.train()
        losses = []
        for batch in _loader(train, cfg, shuffle=True, seed=cfg.seed * 100003 + epoch, hop=cfg.training_hop):
            batch = _to(batch, device)
            pred = model(batch["x"], batch["mask"])["pred"]
            loss = loss_fn(pred, batch["y"], batch["valid"])
            optimiser.zero_grad()
            loss.backward()
            if cfg.grad_clip:
                torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
            optimiser.step()
            if scheduler is not None:
                scheduler.step()
            losses.append(loss.item())
        scores = dev_scores(dev, predict(model, dev, cfg), data.dims, cfg.selection, cfg.variance)
        score = _score(scores)
        seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - cpu0
        after_warmup = epoch >= model.warmup_epochs
        eligible = after_warmup or model.warmup_selectable
        improved = eligible and score > best["score"]
        if improved:
            best = {"score": score, "epoch": epoch, "state": copy.deepcopy(model.state_dict()), "scores": scores}
            waited = 0
        elif after_warmup:
            waited += 1
        history.append({"epoch": epoch, "train_loss": float(np.mean(losses)), **{f"dev_ccc_{d}": v for d, v in scores.items()},
                        "dev_score": score, "selectable": eligible, "best": improved, "lr": optimiser.param_groups[0]["lr"],
                        "seconds": seconds, "cpu_seconds": cpu_seconds})
        log.info("epoch %d/%d  train %s %.4f  dev CCC %s  %.2fs%s%s", epoch + 1, cfg.max_epochs, cfg.loss, history[-1]["train_loss"],
                 " ".join(f"{d}={v:.4f}" for d, v in scores.items()), seconds, "" if after_warmup else "  (warm-up)", "  *" if improved else "")
        if after_warmup and waited >= cfg.patience:
            log.info("early stop: no dev improvement for %d epochs", cfg.patience)
            break
    if best["state"] is None:
        raise RuntimeError("no epoch produced a finite dev score; check the dev partition's labels and features")
    model.load_state_dict(best["state"])
    log.info("best epoch %d, dev score %.4f", best["epoch"] + 1, best["score"])
    if checkpoint is not None:
        save_checkpoint(checkpoint, model, epoch=best["epoch"], dev_scores=best["scores"], train_config=asdict(cfg),
                        **(checkpoint_info or {}))
    return TrainResult(best_epoch=best["epoch"], best_score=best["score"], history=pd.DataFrame(history), device=str(device))


def prediction_table(data: SequenceData, outputs: list[dict], sessions: list[SessionArrays] | None = None) -> pd.DataFrame:
    """The store's predictions layout: session, t_start, t_end, partition, label_valid, {dim}, {dim}_pred.

    Further per-frame outputs (attention weights…) become columns ``{name}_{i}`` (flattened).
    """
    sessions = data.sessions if sessions is None else sessions
    parts = []
    for s, out in zip(sessions, outputs):
        cols = {"session": s.session, "t_start": s.t_start, "t_end": s.t_end, "partition": s.partition, "label_valid": s.label_valid}
        cols.update({d: s.y[:, j].astype(np.float64) for j, d in enumerate(data.dims)})
        cols.update({f"{d}_pred": out["pred"][:, j].astype(np.float64) for j, d in enumerate(data.dims)})
        for key, value in out.items():
            if key != "pred":
                flat = value.reshape(len(s), -1)
                cols.update({f"{key}_{i}": flat[:, i] for i in range(flat.shape[1])})
        parts.append(pd.DataFrame(cols))
    return pd.concat(parts, ignore_index=True)
