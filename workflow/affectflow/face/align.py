"""Face alignment: eyes rotated level, box enlarged, square crop resized.

One affine warp per face (OpenCV): rotate about the box centre by the eye-line angle, scale so a
square of side ``enlarge × max(box width, box height)`` fills ``size × size`` pixels. Parts of
the square outside the frame are black.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

from .detection import Face


def eye_angle_deg(eye_l: np.ndarray, eye_r: np.ndarray) -> float:
    """Angle of the line from the image-left to the image-right eye (0 = level; + = right eye lower)."""
    return math.degrees(math.atan2(float(eye_r[1] - eye_l[1]), float(eye_r[0] - eye_l[0])))


def alignment_matrix(face: Face, enlarge: float = 1.2, size: int = 224) -> np.ndarray:
    """The 2×3 affine that maps frame pixels to aligned-crop pixels."""
    x0, y0, x1, y1 = face.box
    centre = ((x0 + x1) / 2.0, (y0 + y1) / 2.0)
    side = max(x1 - x0, y1 - y0) * enlarge
    m = cv2.getRotationMatrix2D(centre, eye_angle_deg(face.landmarks[0], face.landmarks[1]), size / max(side, 1e-6))
    m[:, 2] += (size / 2.0 - centre[0], size / 2.0 - centre[1])
    return m


def align(frame: np.ndarray, face: Face, enlarge: float = 1.2, size: int = 224) -> tuple[np.ndarray, np.ndarray]:
    """The aligned ``size × size`` RGB crop and the face's landmarks in crop pixels."""
    m = alignment_matrix(face, enlarge, size)
    crop = cv2.warpAffine(frame, m, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    points = np.hstack([face.landmarks, np.ones((len(face.landmarks), 1))]) @ m.T
    return crop, points
