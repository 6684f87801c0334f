"""Speaker-independent k-fold evaluation of the temporal-aggregation model (birhala-…, Sec. IV).

Folds: actors are split into k groups with ``sklearn.model_selection.GroupKFold`` (no actor in
two folds, fold sizes balanced by clip count). With fewer actors than k, every actor is its own
fold and the reduction is logged. The score is the mean over folds of the per-fold accuracy
(the paper's "mean accuracy over all the folds"); per-class recall and the confusion matrix pool
the out-of-fold predictions of all folds.

Clips: one row per clip with ``session``, ``speaker``, ``label``, ``faces`` (the face-detection
cache Parquet; crops beside it) and ``audio``. A clip without video (``faces`` empty; e.g. the
audio-only CREMA-D actor of the shared subset) is sampled on a virtual frame grid of
``audio_only_fps`` over its audio: every segment then carries a black crop flagged
``face_found=False`` (counted in the predictions' ``faceless_segments``), never a made-up face. A clip's crops are read from its cache when the
clip is drawn, so memory stays bounded by a batch whatever the corpus size; its audio is decoded
once and kept.
"""
from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ...core import media
from ...face import cache as face_cache
from .sampling import DEFAULTS as SAMPLING_DEFAULTS, sample_clip

log = logging.getLogger(__name__)

TEST_STREAM = 1_000_000  # seed-sequence entry of the held-out draws, apart from every training epoch


class FoldError(ValueError):
    pass


def actor_folds(speakers, k: int) -> dict[str, int]:
    """speaker -> fold index (0 … k'−1, k' = min(k, number of actors))."""
    from sklearn.model_selection import GroupKFold

    speakers = np.asarray(speakers, dtype=str)
    actors = np.unique(speakers)
    if len(actors) < 2:
        raise FoldError(f"speaker-independent folds need at least 2 actors, got {len(actors)}")
    n = min(int(k), len(actors))
    if n < k:
        log.warning("only %d actors for %d folds: using %d folds (one actor each)", len(actors), k, n)
    folds: dict[str, int] = {}
    for fold, (_, test) in enumerate(GroupKFold(n_splits=n).split(speakers, groups=speakers)):
        for s in np.unique(speakers[test]):
            folds[str(s)] = fold
    return folds


class ClipSource:
    """Draws (face crops, spectrograms) for clips; seeded per (seed, stream, clip)."""

    def __init__(self, clips: pd.DataFrame, sampling: dict, sample_rate: int = 16000, seed: int = 0,
                 audio_only_fps: float = 25.0, crop_size: int = 224, record: bool = False):
        self.clips = clips.reset_index(drop=True)
        self.audio_only_fps, self.crop_size = float(audio_only_fps), int(crop_size)
        self.sampling = {**SAMPLING_DEFAULTS, **sampling}
        self.sr, self.seed = int(sample_rate), int(seed)
        self._audio: dict[int, np.ndarray] = {}
        self._faces: dict[int, tuple[pd.DataFrame, object]] = {}  # verified once; crops re-read per draw
        self.record = record
        self.draws: list[dict] = []  # the draws made, when recording (held-out clips: one draw each)

    def _load(self, i: int):
        row = self.clips.iloc[i]
        if i not in self._audio:
            self._audio[i] = media.load_audio(row["audio"], sample_rate=self.sr)
        if not row["faces"]:
            duration = len(self._audio[i]) / self.sr
            times = np.round(np.arange(0.0, duration, 1.0 / self.audio_only_fps), 6)
            rows = pd.DataFrame({"t_start": times, "t_end": np.append(times[1:], duration), "face_found": False})
            return row, rows, np.zeros((len(times), self.crop_size, self.crop_size, 3), np.uint8)
        if i not in self._faces:
            self._faces[i] = face_cache.load(row["faces"])  # reads the Parquet and hashes the crops file
        rows, crops_path = self._faces[i]
        crops = np.concatenate(list(face_cache.iter_crop_chunks(crops_path)))
        if len(crops) != len(rows):
            raise face_cache.FaceCacheError(f"{crops_path}: {len(crops)} crops for {len(rows)} rows")
        return row, rows, crops

    def draw(self, i: int, stream: int):
        row, rows, crops = self._load(i)
        duration = float(rows["t_end"].iloc[-1])
        rng = np.random.default_rng([self.seed, int(stream), i])
        faces, specs, draws = sample_clip(crops, rows["t_start"].to_numpy(), rows["face_found"].to_numpy(), self._audio[i],
                                                     self.sr, duration, self.sampling, rng, clip=row["session"])
        if self.record:
            self.draws += [{"session": row["session"], "stream": stream, **d.__dict__} for d in draws]
        return faces, specs

    def batch(self, indices, stream: int):
        pairs = [self.draw(int(i), stream) for i in indices]
        return np.stack([f for f, _ in pairs]), np.stack([s for _, s in pairs])


def run_fold(clips: pd.DataFrame, folds: dict[str, int], fold: int, classes: list[str], params: dict, seed: int = 0):
    """Train on every fold but ``fold``, predict ``fold``. Returns (predictions, draws, history): the
    history has one row per epoch (``network.train``: train/validation loss and accuracy, wall seconds)."""
    import torch

    from . import network  # torch: only the training job loads it, not the DAG (clip_table, actor_folds) or the report

    unknown = sorted(set(clips["label"]) - set(classes))
    if unknown:
        raise FoldError(f"labels {unknown} are not among the classes {classes}")
    fold_of = clips["speaker"].astype(str).map(folds)
    if fold_of.isna().any():
        raise FoldError(f"speakers without a fold: {sorted(clips.loc[fold_of.isna(), 'speaker'].unique())}")
    train_clips, test_clips = clips[fold_of != fold], clips[fold_of == fold]
    if train_clips.empty or test_clips.empty:
        raise FoldError(f"fold {fold}: {len(train_clips)} training and {len(test_clips)} test clips")
    leak = set(train_clips["speaker"]) & set(test_clips["speaker"])
    assert not leak, f"speakers in both train and test: {leak}"
    torch.manual_seed(seed)
    sampling, net = params.get("sampling", {}), params.get("network", {})
    index = {c: k for k, c in enumerate(classes)}
    source = {"sample_rate": params.get("sample_rate", 16000), "seed": seed, "audio_only_fps": params.get("audio_only_fps", 25.0),
              "crop_size": params.get("crop_size", 224)}
    train_src = ClipSource(train_clips, sampling, **source)
    test_src = ClipSource(test_clips, sampling, **source)
    model = network.build(len(classes), net)
    log.info("fold %d: %d training clips (%d actors), %d test clips (%d actors), %d segments", fold, len(train_clips),
             train_clips["speaker"].nunique(), len(test_clips), test_clips["speaker"].nunique(), train_src.sampling["segments"])
    batch_size, device = int({**network.DEFAULTS, **net}["batch_size"]), {**network.DEFAULTS, **net}["device"]
    # the paper's validation curves (Fig. 3): the held-out fold after every epoch, with the same fixed
    # draw as the final prediction (recorded only then, so the draws file holds one draw per clip);
    # nothing is selected on it, so the fold's accuracy is not tuned on its own clips
    val_labels = test_clips["label"].map(index).to_numpy()

    def validate(m):
        return network.evaluate(m, lambda idx, epoch: test_src.batch(idx, TEST_STREAM), len(test_clips), val_labels, batch_size, device)

    history = network.train(model, lambda idx, epoch: train_src.batch(idx, epoch), len(train_clips),
                           train_clips["label"].map(index).to_numpy(), net, seed=seed, validate=validate)
    test_src.record = True
    scores, _ = network.predict(model, lambda idx, epoch: test_src.batch(idx, TEST_STREAM), len(test_clips), batch_size, device)
    pred = pd.DataFrame({"session": test_clips["session"].to_numpy(), "speaker": test_clips["speaker"].astype(str).to_numpy(),
                         "fold": fold, "label": test_clips["label"].to_numpy(),
                         "pred": [classes[k] for k in scores.argmax(axis=1)]})
    for k, c in enumerate(classes):
        pred[f"score_{c}"] = scores[:, k].astype(np.float64)
    test_draws = pd.DataFrame([d for d in test_src.draws])
    pred["faceless_segments"] = pred["session"].map(test_draws.groupby("session")["face_found"].apply(lambda f: int((~f).sum())))
    history = pd.DataFrame(history)
    history.insert(0, "fold", fold)
    history.insert(1, "segments", int(train_src.sampling["segments"]))
    return pred, test_draws, history


def summarise(pred: pd.DataFrame, classes: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Per-fold accuracy, per-class recall (pooled) and the confusion matrix (rows true, columns predicted)."""
    from sklearn.metrics import confusion_matrix

    per_fold = pred.groupby("fold").apply(lambda d: pd.Series({"actors": d["speaker"].nunique(), "clips": len(d),
                                                               "accuracy": float((d["label"] == d["pred"]).mean())}),
                                          include_groups=False).reset_index()
    per_fold = per_fold.astype({"fold": int, "actors": int, "clips": int})
    cm = confusion_matrix(pred["label"], pred["pred"], labels=classes)
    confusion = pd.DataFrame(cm, index=pd.Index(classes, name="true"), columns=classes)
    support = cm.sum(axis=1)
    recall = pd.DataFrame({"class": classes, "clips": support,
                           "recall": np.where(support > 0, np.diag(cm) / np.maximum(support, 1), np.nan)})
    return per_fold, recall, confusion


def clip_table(manifest: pd.DataFrame, target: str = "emotion", dataset: str = "") -> pd.DataFrame:
    """``session, speaker, label, audio`` of the clips with a single categorical ``target``.

    ``target``: ``emotion`` (the intended emotion of the file name) or a crowd-rating column such
    as ``vote_multimodal``; clips whose rating is missing or a tie (``"A:N"``) are left out (logged).
    """
    if not (manifest["label_kind"] == "categorical").all():
        raise FoldError(f"dataset '{dataset}': temporal aggregation needs categorical labels; this dataset has "
                        f"{sorted(set(manifest['label_kind']))} labels (the demo corpus is continuous only)")
    if target not in manifest:
        raise FoldError(f"dataset '{dataset}': no label column '{target}' (columns: {sorted(manifest.columns)})")
    table = manifest[["session", "speaker", target, "audio", "video"]].rename(columns={target: "label"})
    table["label"] = table["label"].fillna("").astype(str)
    keep = (table["label"] != "") & ~table["label"].str.contains(":")
    if not keep.all():
        log.warning("dataset '%s': %d clip(s) without a single '%s' label left out", dataset, int((~keep).sum()), target)
    if (table.loc[keep, "audio"] == "").any():
        raise FoldError(f"dataset '{dataset}': clips without audio: {table.loc[keep & (table['audio'] == ''), 'session'].tolist()}")
    return table[keep].reset_index(drop=True)
