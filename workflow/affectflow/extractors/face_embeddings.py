"""Face extractors: frame (or clip) embeddings computed from the aligned crops of the face
detection cache (``affectflow.face.cache``), never from the video directly.

Rows are the cache's rows — one per sampled video frame, ``t_start``/``t_end`` its timestamps —
with ``face_found`` (bool) and the features (float32). Frames without a face keep their row
with NaN features. Crops are embedded in batches of ``batch_size`` on ``cuda`` when present
(``device: auto``), else CPU.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..core import pretrained
from ..face import cache
from ..face.detection import FaceDetectionError, backend_packages, torch_device
from .base import Extractor, ExtractorError, SessionMedia

IMAGENET = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))


def to_tensor(crops: np.ndarray, size: int, mean, std, scale: float = 255.0):
    """(n, h, w, 3) uint8 RGB → (n, 3, size, size) float, ``(x / scale − mean) / std``."""
    import cv2
    import torch

    if len(crops) and crops.shape[1] != size:
        crops = np.stack([cv2.resize(c, (size, size), interpolation=cv2.INTER_AREA) for c in crops])
    x = torch.from_numpy(np.ascontiguousarray(crops)).permute(0, 3, 1, 2).float().div_(scale)
    return (x - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)


class FaceExtractor(Extractor):
    """Subclasses set ``columns`` and implement ``_load`` and ``_embed`` (a batch of crops → array)."""

    version = "1"
    packages = ("torch", "opencv-python-headless", "av")  # extract() adds the detector's packages

    def __init__(self, name: str, params: dict):
        super().__init__(name, params)
        self._net = None
        self._weights: str | list[str] | None = None

    @property
    def device(self):
        try:
            return torch_device(self.params.get("device", "auto"))
        except FaceDetectionError as exc:
            raise ExtractorError(f"extractor '{self.name}': {exc}") from exc

    def net(self):
        if self._net is None:
            self._net = self._load()
        return self._net

    def weights_sha256(self) -> str | None:
        from ..core import store

        self.net()
        if isinstance(self._weights, list):  # a from_pretrained checkpoint: every shard
            return pretrained.files_sha256(self._weights)
        return store.sha256_file(self._weights) if self._weights else None

    def source_files(self, media: SessionMedia) -> dict[str, str]:
        return {"video": media.video, "faces": media.faces, "crops": str(cache.crops_path_for(media.faces))}

    def columns(self) -> list[str]:
        raise NotImplementedError

    def _load(self):
        raise NotImplementedError

    def _embed(self, crops: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _cache(self, media: SessionMedia):
        """The session's detection rows and crops; provenance then lists the packages of the
        detector that actually made those crops (from the cache's own provenance)."""
        from ..core import store

        if not media.faces:
            raise ExtractorError(f"extractor '{self.name}': session {media.session} has no face detection cache")
        rows, crops_path = cache.load(media.faces)
        backend = store.read_metadata(media.faces).get("params", {}).get("backend", cache.DEFAULTS["backend"])
        self.packages = (*type(self).packages, *backend_packages(backend))
        return rows, crops_path

    def extract(self, media: SessionMedia, hop_s: float) -> pd.DataFrame:
        rows, crops_path = self._cache(media)
        found = rows["face_found"].to_numpy(bool)
        feats = self._features(crops_path, found)
        out = rows[["session", "t_start", "t_end", "face_found"]].reset_index(drop=True)
        return pd.concat([out, pd.DataFrame(feats, columns=self.columns())], axis=1)

    def _features(self, crops_path: Path, found: np.ndarray) -> np.ndarray:
        import torch

        batch = int(self.params.get("batch_size", 64))
        feats = np.full((len(found), len(self.columns())), np.nan, dtype=np.float32)
        start = 0
        with torch.inference_mode():
            for chunk in cache.iter_crop_chunks(crops_path):
                idx = start + np.flatnonzero(found[start:start + len(chunk)])
                faces = chunk[idx - start]
                for lo in range(0, len(faces), batch):
                    feats[idx[lo:lo + batch]] = self._embed(faces[lo:lo + batch])
                start += len(chunk)
        if start != len(found):
            raise ExtractorError(f"{crops_path}: {start} crops for {len(found)} detection rows; re-run face detection")
        return feats


class ExpressionLogits(FaceExtractor):
    """FER2013 mini-Xception (weights from the ``fer`` package): 7 expression logits."""

    def model_id(self) -> str:
        return "fer2013-mini-xception"

    def columns(self):
        from ..face.nets.mini_xception import CLASSES

        return [f"logit_{c}" for c in CLASSES]

    def _load(self):
        from ..face.nets import mini_xception

        path = self.params.get("weights") or mini_xception.default_weights()
        self._weights = str(path)
        return mini_xception.load(path).to(self.device)

    def _embed(self, crops):
        from ..face.nets.mini_xception import preprocess

        return self.net()(preprocess(crops).to(self.device)).float().cpu().numpy()


class EfficientNetLite0(FaceExtractor):
    """ImageNet EfficientNet-Lite0 (registry package weights): 1280-d pooled features."""

    def model_id(self) -> str:
        return "efficientnet-lite0-imagenet"

    def columns(self):
        return [f"emb_{i:04d}" for i in range(1280)]

    def _load(self):
        from ..face.nets import efficientnet_lite

        path = self.params.get("weights") or efficientnet_lite.default_weights()
        self._weights = str(path)
        return efficientnet_lite.load(path).to(self.device)

    def _embed(self, crops):
        from ..face.nets import efficientnet_lite as el

        return self.net().features(to_tensor(crops, el.INPUT_SIZE, el.MEAN, el.STD).to(self.device)).float().cpu().numpy()


class TransformersEfficientNet(FaceExtractor):
    """EfficientNet (B0 by default) through transformers ``from_pretrained`` with
    ``local_files_only=True`` (a local folder, or a hub id already in the local cache): ``output: logits`` needs a classification head (columns from its ``id2label``, e.g. an
    AffectNet-fine-tuned B0), ``output: features`` gives the pooled embedding."""

    def model_id(self) -> str:
        return f"transformers:{self.params['model']}:{self.params.get('output', 'logits')}"

    def _load(self):
        import transformers

        model = self.params["model"]
        cls = transformers.AutoModelForImageClassification if self.params.get("output", "logits") == "logits" else transformers.AutoModel
        try:
            net = pretrained.load_local(cls.from_pretrained, model, f"extractor '{self.name}'")
        except pretrained.PretrainedNotLocal as exc:
            raise ExtractorError(str(exc)) from exc
        self._weights = pretrained.weights_files(model)
        cfg = net.config
        self._size = int(getattr(cfg, "image_size", 224))
        self._labels = [cfg.id2label[i] for i in range(len(cfg.id2label))] if self.params.get("output", "logits") == "logits" else None
        self._dim = getattr(cfg, "hidden_dim", None)
        return net.eval().to(self.device)

    def columns(self):
        self.net()
        if self._labels is not None:
            return [f"logit_{label}" for label in self._labels]
        return [f"emb_{i:04d}" for i in range(self._dim)]

    def _embed(self, crops):
        mean, std = self.params.get("mean", IMAGENET[0]), self.params.get("std", IMAGENET[1])
        out = self.net()(pixel_values=to_tensor(crops, self._size, mean, std).to(self.device))
        y = out.logits if self._labels is not None else out.pooler_output
        return y.reshape(len(crops), -1).float().cpu().numpy()


class VGG16LastConv(FaceExtractor):
    """VGG-16 / VGGFace conv5_3 activations pooled over space (``pool: mean|max``), 512-d; the
    weights file is the user's (``weights:``, a state dict with ``features.N`` names)."""

    def model_id(self) -> str:
        return f"vgg16-conv5_3:{Path(self.params['weights']).name}:{self.params.get('pool', 'mean')}"

    def columns(self):
        return [f"conv5_{i:03d}" for i in range(512)]

    def _load(self):
        from ..face.nets import vgg

        self._weights = str(self.params["weights"])
        try:
            return vgg.load(self._weights).to(self.device)
        except (FileNotFoundError, ValueError) as exc:
            raise ExtractorError(f"extractor '{self.name}': {exc}") from exc

    def _embed(self, crops):
        from ..face.nets import vgg

        mean, std = vgg.PREPROCESS[self.params.get("preprocess", "vggface")]
        x = to_tensor(crops, vgg.INPUT_SIZE, mean, std, scale=1.0).to(self.device)
        a = self.net()(x)
        pooled = a.amax(dim=(2, 3)) if self.params.get("pool", "mean") == "max" else a.mean(dim=(2, 3))
        return pooled.float().cpu().numpy()


class ClipEmbedding(FaceExtractor):
    """Clips of ``clip_len`` consecutive sampled frames every ``clip_hop`` frames → one row per
    clip (``t_start`` of its first frame, ``t_end`` of its last) from a clip backbone
    (``affectflow.face.nets.clip``). ``face_found`` is true when any frame of the clip has a face;
    a clip without any face has NaN features."""

    def model_id(self) -> str:
        return f"clip:{self.params.get('backbone', 'lite0_tsn')}:{int(self.params.get('clip_len', 8))}"

    def _load(self):
        from ..face.nets.clip import BACKBONES

        net = BACKBONES[self.params.get("backbone", "lite0_tsn")](self.params.get("weights")).to(self.device)
        self._weights = net.weights_path()
        return net

    def columns(self):
        return [f"emb_{i:04d}" for i in range(self.net().dim)]

    def extract(self, media: SessionMedia, hop_s: float) -> pd.DataFrame:
        import torch

        rows, crops_path = self._cache(media)
        length = int(self.params.get("clip_len", 8))
        hop = int(self.params.get("clip_hop") or length)
        found = rows["face_found"].to_numpy(bool)
        starts = np.arange(0, len(rows) - length + 1, hop) if len(rows) >= length else np.zeros(0, int)
        net = self.net()
        feats = np.full((len(starts), net.dim), np.nan, np.float32)
        per_batch = max(1, int(self.params.get("batch_size", 64)) // length)
        pending: list[tuple[int, np.ndarray]] = []

        def flush():
            keep = [(k, clip) for k, clip in pending if found[starts[k]:starts[k] + length].any()]
            if keep:
                clips = np.stack([clip for _, clip in keep])
                x = to_tensor(clips.reshape(-1, *clips.shape[2:]), net.input_size, net.mean, net.std)
                mask = torch.from_numpy(np.stack([found[starts[k]:starts[k] + length] for k, _ in keep]))
                y = net.embed(x.view(len(clips), length, *x.shape[1:]).to(self.device), mask.to(self.device))
                feats[[k for k, _ in keep]] = y.float().cpu().numpy()
            pending.clear()

        with torch.inference_mode():
            for k, clip in enumerate(clips_of(crops_path, starts, length)):
                pending.append((k, clip))
                if len(pending) == per_batch:
                    flush()
            flush()
        index = pd.DataFrame({"session": media.session, "t_start": rows["t_start"].to_numpy()[starts],
                              "t_end": rows["t_end"].to_numpy()[starts + length - 1],
                              "face_found": [bool(found[s:s + length].any()) for s in starts]})
        return pd.concat([index, pd.DataFrame(feats, columns=self.columns())], axis=1)


def clips_of(crops_path: Path, starts: np.ndarray, length: int):
    """The crops of each clip ``[start, start + length)``, streaming the cache's chunks (memory
    holds one chunk plus one clip, whatever the session's length)."""
    buf, offset, todo = None, 0, iter(starts.tolist())
    start = next(todo, None)
    for chunk in cache.iter_crop_chunks(crops_path):
        buf = chunk if buf is None else np.concatenate([buf, chunk])
        while start is not None and start + length <= offset + len(buf):
            yield buf[start - offset:start - offset + length]
            start = next(todo, None)
        if start is None:
            return
        drop = min(start - offset, len(buf))  # rows before the next clip are done with
        buf, offset = buf[drop:], offset + drop
