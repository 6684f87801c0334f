"""The core audio-visual CNN of birhala-… (Fig. 2) and its temporal aggregation (Fig. 1).

Per modality a stack of conv blocks (3×3 conv → batch norm → ReLU → 2×2 max-pool), global
average pooling, the two feature vectors concatenated, one fully connected layer, softmax. One
network is shared by the N segments (the paper's "N networks" see the same kind of input; sharing
the weights is the TSN practice it follows). The clip score is the **sum** of the segment class
probabilities; the clip label its argmax.

Training loss: cross-entropy of the clip's mean segment distribution, ``−log(score_y / N)``, so
the loss is minimised through the same aggregation that makes the decision (sum and mean share
the argmax). SGD, momentum 0.9, lr 1e-3 ×0.1 every 50 optimiser steps, batch 16 (all settable).
The paper: "For each epoch, the learning rate was initially set to 1e-3 and decayed by a factor of
10 every 50 training steps" — read literally, the schedule restarts at 1e-3 every epoch
(``lr_restart: epoch``, the default); ``lr_restart: never`` decays over the whole run (on the full
CREMA-D, ~420 steps per epoch, that leaves 1e-11 after the first epoch).
"""
from __future__ import annotations

import logging
import time

import numpy as np
import torch
from torch import nn

log = logging.getLogger(__name__)

DEFAULTS = {"video_channels": [32, 64, 128, 128], "audio_channels": [32, 64, 128, 128], "hidden": 0, "epochs": 30,
            "batch_size": 16, "lr": 1e-3, "momentum": 0.9, "lr_step": 50, "lr_gamma": 0.1, "lr_restart": "epoch", "weight_decay": 0.0, "device": "auto"}


def conv_stack(in_channels: int, channels: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for out in channels:
        layers += [nn.Conv2d(in_channels, out, 3, padding=1, bias=False), nn.BatchNorm2d(out), nn.ReLU(inplace=True), nn.MaxPool2d(2)]
        in_channels = out
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())


class AudioVisualNet(nn.Module):
    """Segment-level network: face crop ``(B, 3, H, W)`` + spectrogram ``(B, 1, F, T)`` → class logits."""

    def __init__(self, n_classes: int, video_channels: list[int], audio_channels: list[int], hidden: int = 0):
        super().__init__()
        self.video = conv_stack(3, video_channels)
        self.audio = conv_stack(1, audio_channels)
        width = video_channels[-1] + audio_channels[-1]
        head: list[nn.Module] = [nn.Linear(width, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, n_classes)] if hidden else [nn.Linear(width, n_classes)]
        self.head = nn.Sequential(*head)

    def forward(self, faces: torch.Tensor, specs: torch.Tensor) -> torch.Tensor:
        return self.head(torch.cat([self.video(faces), self.audio(specs)], dim=1))


class TemporalAggregation(nn.Module):
    """Clip input ``faces (B, N, 3, H, W)``, ``specs (B, N, 1, F, T)`` → segment probabilities ``(B, N, C)``."""

    def __init__(self, net: AudioVisualNet):
        super().__init__()
        self.net = net

    def segment_probabilities(self, faces: torch.Tensor, specs: torch.Tensor) -> torch.Tensor:
        b, n = faces.shape[:2]
        logits = self.net(faces.flatten(0, 1), specs.flatten(0, 1))
        return torch.softmax(logits, dim=1).view(b, n, -1)

    def forward(self, faces: torch.Tensor, specs: torch.Tensor) -> torch.Tensor:
        """Clip scores ``(B, C)``: the sum over segments of the class probabilities."""
        return clip_scores(self.segment_probabilities(faces, specs))


def clip_scores(segment_probs: torch.Tensor) -> torch.Tensor:
    return segment_probs.sum(dim=1)


def aggregation_loss(scores: torch.Tensor, n_segments: int, target: torch.Tensor) -> torch.Tensor:
    return nn.functional.nll_loss(torch.log(scores / n_segments + 1e-12), target)


def pick_device(name: str = "auto") -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def to_tensors(faces: np.ndarray, specs: np.ndarray, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 crops ``(B, N, H, W, 3)`` → float in [0, 1] channels-first; spectrograms gain a channel axis."""
    f = torch.from_numpy(np.ascontiguousarray(faces)).to(device).permute(0, 1, 4, 2, 3).float().div_(255.0)
    s = torch.from_numpy(np.ascontiguousarray(specs, dtype=np.float32)).to(device).unsqueeze(2)
    return f, s


def build(n_classes: int, params: dict) -> TemporalAggregation:
    p = {**DEFAULTS, **params}
    return TemporalAggregation(AudioVisualNet(n_classes, list(p["video_channels"]), list(p["audio_channels"]), int(p["hidden"])))


def train(model: TemporalAggregation, sample_batch, n_clips: int, labels: np.ndarray, params: dict, seed: int = 0,
          validate=None) -> list[dict]:
    """Train on ``n_clips`` clips; ``sample_batch(indices, epoch)`` returns ``(faces, specs)`` arrays
    drawn afresh for each epoch. Returns one record per epoch (the paper's Fig. 3): ``train_loss`` and
    ``train_accuracy`` over the epoch's batches (as trained, in training mode), ``val_loss`` and
    ``val_accuracy`` from ``validate(model)`` after the epoch (NaN without it), ``lr``, and the wall
    seconds of the epoch's training (``train_seconds``: sampling + optimisation) and of its validation."""
    p = {**DEFAULTS, **params}
    device = pick_device(p["device"])
    model.to(device).train()
    opt = torch.optim.SGD(model.parameters(), lr=float(p["lr"]), momentum=float(p["momentum"]), weight_decay=float(p["weight_decay"]))
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=int(p["lr_step"]), gamma=float(p["lr_gamma"]))
    rng = np.random.default_rng(seed)
    y_all = torch.tensor(np.array(labels, dtype=np.int64))
    history = []
    if p["lr_restart"] not in ("epoch", "never"):
        raise ValueError(f"lr_restart must be 'epoch' or 'never', got {p['lr_restart']!r}")
    for epoch in range(int(p["epochs"])):
        if p["lr_restart"] == "epoch" and epoch:
            for group in opt.param_groups:
                group["lr"] = float(p["lr"])
            sched = torch.optim.lr_scheduler.StepLR(opt, step_size=int(p["lr_step"]), gamma=float(p["lr_gamma"]))
        order = rng.permutation(n_clips)
        model.train()
        started = time.perf_counter()
        loss_sum, correct, seen = 0.0, 0, 0
        for start in range(0, n_clips, int(p["batch_size"])):
            idx = order[start:start + int(p["batch_size"])]
            if len(idx) < 2 and n_clips > 1:  # batch norm needs more than one clip per batch in training
                continue
            faces, specs = to_tensors(*sample_batch(idx, epoch), device)
            y = y_all[idx].to(device)
            scores = model(faces, specs)
            loss = aggregation_loss(scores, faces.shape[1], y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()  # the paper's decay counts training steps, not epochs
            loss_sum += loss.item() * len(idx)
            correct += int((scores.argmax(dim=1) == y).sum().item())
            seen += len(idx)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        record = {"epoch": epoch, "train_loss": loss_sum / seen if seen else float("nan"),
                  "train_accuracy": correct / seen if seen else float("nan"), "val_loss": float("nan"),
                  "val_accuracy": float("nan"), "lr": opt.param_groups[0]["lr"], "train_seconds": time.perf_counter() - started}
        started = time.perf_counter()
        if validate is not None:
            record["val_loss"], record["val_accuracy"] = (float(v) for v in validate(model))
        record["val_seconds"] = time.perf_counter() - started
        history.append(record)
        log.info("epoch %d: train loss %.4f acc %.3f, validation loss %.4f acc %.3f, lr %.2e, %.1f s", epoch, record["train_loss"],
                 record["train_accuracy"], record["val_loss"], record["val_accuracy"], record["lr"], record["train_seconds"])
    return history


def evaluate(model: TemporalAggregation, sample_batch, n_clips: int, labels: np.ndarray, batch_size: int = 16,
             device: str = "auto") -> tuple[float, float]:
    """Mean aggregation loss and accuracy of the clip labels on held-out clips (eval mode)."""
    scores, seg = predict(model, sample_batch, n_clips, batch_size, device)
    y = torch.tensor(np.asarray(labels, dtype=np.int64))
    loss = aggregation_loss(torch.from_numpy(scores), seg.shape[1], y).item()
    return loss, float((scores.argmax(axis=1) == y.numpy()).mean())


@torch.no_grad()
def predict(model: TemporalAggregation, sample_batch, n_clips: int, batch_size: int = 16, device: str = "auto") -> tuple[np.ndarray, np.ndarray]:
    """Clip scores ``(n, C)`` (sums of segment probabilities) and segment probabilities ``(n, N, C)``."""
    dev = pick_device(device)
    model.to(dev).eval()
    probs = []
    for start in range(0, n_clips, batch_size):
        idx = np.arange(start, min(start + batch_size, n_clips))
        probs.append(model.segment_probabilities(*to_tensors(*sample_batch(idx, 0), dev)).cpu().numpy())
    seg = np.concatenate(probs)
    return seg.sum(axis=1), seg
