"""insightface (SCRFD / RetinaFace detector with its 5-point landmarks) from local model files.

insightface downloads its model packs at first use; here nothing may be downloaded at run time,
so the pack must already be in ``{model_root}/models/{model_name}/`` (default
``~/.insightface/models/buffalo_l/``, the folder insightface itself uses). When it is not, the
error names that folder. Its keypoints are already in our order (image-left eye first).

Never run on the project's machines: insightface and its model packs are not installed there
(they are not shipped in any registry package), so only the missing-pack error is tested.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .detection import Face, FaceDetectionError, FaceDetector


def model_dir(params: dict) -> Path:
    root = Path(params.get("model_root") or "~/.insightface").expanduser()
    return root / "models" / params.get("model_name", "buffalo_l")


class InsightFaceDetector(FaceDetector):
    def __init__(self, params: dict):
        super().__init__(params)
        folder = model_dir(params)
        self._files = sorted(folder.glob("*.onnx")) if folder.is_dir() else []
        if not self._files:
            raise FaceDetectionError(
                f"insightface model pack '{params.get('model_name', 'buffalo_l')}' not found: expected its .onnx files in "
                f"{folder} (copy the unpacked pack there, or set model_root / model_name); nothing is downloaded at run time")
        try:
            from insightface.app import FaceAnalysis
        except ImportError as exc:
            raise FaceDetectionError("face detector 'insightface' needs the insightface and onnxruntime packages") from exc
        import torch

        gpu = params.get("device", "auto") != "cpu" and torch.cuda.is_available()
        self._app = FaceAnalysis(name=params.get("model_name", "buffalo_l"), root=str(folder.parent.parent),
                                 allowed_modules=["detection"],
                                 providers=["CUDAExecutionProvider", "CPUExecutionProvider"] if gpu else ["CPUExecutionProvider"])
        self._app.prepare(ctx_id=0 if gpu else -1, det_thresh=float(params.get("min_confidence", 0.5)))

    def model_id(self) -> str:
        return f"insightface:{self.params.get('model_name', 'buffalo_l')}"

    def weights_files(self) -> dict[str, str]:
        return {f.stem: str(f) for f in self._files}

    def detect(self, frames: np.ndarray) -> list[list[Face]]:
        out = []
        for frame in frames:
            faces = self._app.get(np.ascontiguousarray(frame[:, :, ::-1]))  # insightface expects BGR
            out.append([Face(box=np.asarray(f.bbox, float), score=float(f.det_score), landmarks=np.asarray(f.kps, float))
                        for f in faces])
        return out
