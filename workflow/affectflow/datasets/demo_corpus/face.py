"""Talking-head video frames built from the ``skimage.data.astronaut()`` photo.

The photo (a public-domain NASA portrait shipped inside scikit-image) is
cropped around the face, recoloured/flipped/zoomed per speaker and animated
with two deliberately WEAK, noisy affect cues:

* arousal -> head motion: small translation (peak ~1 -> 5 px at 256 px) and
  in-plane rotation (peak ~0.5 -> 3 degrees) whose amplitude and speed grow with
  arousal, multiplied by an arousal-independent random "fidget" factor;
* valence -> mouth corners: a local displacement field lifts the corners
  (smile) for positive and lowers them (frown) for negative valence, from
  valence + smoothed noise (sd 0.35) quantised to 9 levels.

Rotations are quantised to 0.5 degree and translations to whole pixels so
that every frame is a slice of one of a few precomputed canvases (plus a
precomputed mouth patch): a 60 s session renders in well under a second.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.ndimage import gaussian_filter1d, map_coordinates

from . import labels as _labels
from .speakers import Speaker

# Geometry in astronaut() pixel coordinates (512 x 512), found by inspection.
CROP_CENTER = (225.0, 132.0)        # (x, y): face roughly centred, hair to chin
CROP_SIDE = 240.0                   # source pixels shown at zoom 1
MOUTH_CORNERS = ((202.0, 140.0), (244.0, 140.0))
MOUTH_SIGMA = 9.0                   # spread of the corner displacement (source px)
MOUTH_LIFT = 5.0                    # vertical corner shift at |valence| = 1 (source px)
MOUTH_WIDEN = 2.0                   # outward corner shift at |valence| = 1 (source px)

MAX_ROT_DEG = 3.0
ROT_STEP_DEG = 0.5
VALENCE_LEVELS = np.linspace(-1.0, 1.0, 9)


@lru_cache(maxsize=1)
def _astronaut() -> np.ndarray:
    from skimage import data
    img = data.astronaut()
    img.setflags(write=False)
    return img


def rgb_to_yuv420p(rgb: np.ndarray) -> np.ndarray:
    """BT.601 limited-range RGB -> planar yuv420p (integer arithmetic, exact)."""
    h, w, _ = rgb.shape
    x = rgb.astype(np.int32)
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    y = ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16
    s = (x[0::2, 0::2] + x[1::2, 0::2] + x[0::2, 1::2] + x[1::2, 1::2] + 2) >> 2
    r, g, b = s[..., 0], s[..., 1], s[..., 2]
    u = ((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128
    v = ((112 * r - 94 * g - 18 * b + 128) >> 8) + 128
    out = np.empty((h * 3 // 2, w), np.uint8)
    out[:h] = y
    out[h:h + h // 4] = u.reshape(h // 4, w)
    out[h + h // 4:] = v.reshape(h // 4, w)
    return out


class FaceRig:
    """Renders frames of one speaker's face at a given output size."""

    def __init__(self, speaker: Speaker, size: int):
        if size < 32 or size % 2:
            raise ValueError("image_size must be an even number >= 32")
        self.size = size
        src = _astronaut().astype(np.float32)
        src = src * np.asarray(speaker.rgb_gain, np.float32) + np.float32(speaker.brightness)
        src = np.clip(src, 0.0, 255.0)
        cx, cy = CROP_CENTER
        corners = [np.array(c) for c in MOUTH_CORNERS]
        if speaker.flip:
            w = src.shape[1]
            src = src[:, ::-1]
            cx = (w - 1) - cx
            corners = [np.array([(w - 1) - c[0], c[1]]) for c in corners]
        self._src = [np.ascontiguousarray(src[..., c]) for c in range(3)]
        self._center = (cx, cy)
        mouth_x = 0.5 * (corners[0][0] + corners[1][0])
        self._corners = [(c, np.sign(c[0] - mouth_x)) for c in corners]
        self.margin = max(4, int(round(0.05 * size)))
        self._scale = CROP_SIDE / speaker.zoom / size     # source px per output px
        n = size + 2 * self.margin
        g = np.arange(n, dtype=np.float64) - (n - 1) / 2.0
        self._gx, self._gy = np.meshgrid(g, g)
        self.angles_deg = np.arange(-MAX_ROT_DEG, MAX_ROT_DEG + 1e-9, ROT_STEP_DEG)
        self._canvas: dict[int, tuple] = {}
        self._patch: dict[tuple[int, int], np.ndarray] = {}

    @property
    def max_shift(self) -> int:
        return self.margin - 1

    def _sample(self, qx: np.ndarray, qy: np.ndarray) -> np.ndarray:
        out = np.empty(qx.shape + (3,), np.uint8)
        for c in range(3):
            ch = map_coordinates(self._src[c], [qy, qx], order=1, mode="nearest")
            out[..., c] = np.clip(ch + 0.5, 0, 255)
        return out

    def _canvas_for(self, ai: int):
        if ai not in self._canvas:
            th = np.deg2rad(self.angles_deg[ai])
            c, s = np.cos(th), np.sin(th)
            cx, cy = self._center
            qx = cx + self._scale * (c * self._gx - s * self._gy)
            qy = cy + self._scale * (s * self._gx + c * self._gy)
            weights = [np.exp(-((qx - p[0]) ** 2 + (qy - p[1]) ** 2) / (2 * MOUTH_SIGMA ** 2))
                       for p, _ in self._corners]
            wsum = weights[0] + weights[1]
            rows = np.flatnonzero(wsum.max(1) > 1e-3)
            cols = np.flatnonzero(wsum.max(0) > 1e-3)
            bb = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
            ux = sum(sgn * w[bb] for (_, sgn), w in zip(self._corners, weights)) * MOUTH_WIDEN
            uy = -wsum[bb] * MOUTH_LIFT
            self._canvas[ai] = (self._sample(qx, qy), bb, qx[bb], qy[bb], ux, uy)
        return self._canvas[ai]

    def _patch_for(self, ai: int, li: int) -> np.ndarray:
        key = (ai, li)
        if key not in self._patch:
            _, _, qx, qy, ux, uy = self._canvas_for(ai)
            v = VALENCE_LEVELS[li]
            # backward map: content at a corner moves by v * (ux, uy)
            self._patch[key] = self._sample(qx - v * ux, qy - v * uy)
        return self._patch[key]

    def render(self, angle_index: int, valence_level: int, dx: int, dy: int) -> np.ndarray:
        """RGB frame: rotation/valence indices and integer shifts (|d| <= max_shift)."""
        canvas, bb, *_ = self._canvas_for(angle_index)
        patch = self._patch_for(angle_index, valence_level)
        y0, x0 = self.margin + dy, self.margin + dx
        frame = canvas[y0:y0 + self.size, x0:x0 + self.size].copy()
        r0, c0 = bb[0].start - y0, bb[1].start - x0
        # the mouth is near the centre: the patch always lies inside the frame,
        # but clip defensively for tiny image sizes
        fr0, fc0 = max(r0, 0), max(c0, 0)
        fr1 = min(r0 + patch.shape[0], self.size)
        fc1 = min(c0 + patch.shape[1], self.size)
        frame[fr0:fr1, fc0:fc1] = patch[fr0 - r0:fr1 - r0, fc0 - c0:fc1 - c0]
        return frame


def _smooth_noise(gen: np.random.Generator, n: int, sigma: float) -> np.ndarray:
    x = gaussian_filter1d(gen.standard_normal(n), sigma=max(sigma, 1.0), mode="reflect")
    return x / (x.std() + 1e-9)


def motion_plan(gen: np.random.Generator, rig: FaceRig, t: np.ndarray, arousal: np.ndarray,
                valence: np.ndarray, n_frames: int, fps: int) -> dict[str, np.ndarray]:
    """Per-frame rotation index, valence level and integer shifts."""
    tf = np.arange(n_frames) / fps
    a = _labels.at(tf, t, arousal)
    v = _labels.at(tf, t, valence)
    unit = (a + 1.0) / 2.0                                   # 0..1
    fidget = np.exp(0.4 * _smooth_noise(gen, n_frames, 2.0 * fps))   # arousal-independent
    speed_hz = 0.25 + 0.9 * unit                             # oscillation speed
    amp_px = (1.0 + 4.0 * unit) * fidget * rig.size / 256.0
    amp_deg = (0.5 + 2.5 * unit) * fidget
    ratios = np.array([1.0, 1.618, 2.414])
    weights = np.array([0.6, 0.3, 0.1])

    def wobble():
        phase0 = gen.uniform(0.0, 2.0 * np.pi, 3)
        ph = phase0[:, None] + 2.0 * np.pi * np.cumsum(speed_hz)[None, :] * ratios[:, None] / fps
        return (weights[:, None] * np.sin(ph)).sum(0)

    x = np.clip(np.round(amp_px * wobble()), -rig.max_shift, rig.max_shift).astype(int)
    y = np.clip(np.round(amp_px * wobble()), -rig.max_shift, rig.max_shift).astype(int)
    rot = np.clip(amp_deg * wobble(), -MAX_ROT_DEG, MAX_ROT_DEG)
    ai = np.round((rot + MAX_ROT_DEG) / ROT_STEP_DEG).astype(int)
    v_face = np.clip(v + 0.35 * _smooth_noise(gen, n_frames, 1.0 * fps), -1.0, 1.0)
    li = np.round((v_face + 1.0) / 2.0 * (len(VALENCE_LEVELS) - 1)).astype(int)
    return {"angle_index": ai, "valence_level": li, "dx": x, "dy": y}


def frames(rig: FaceRig, plan: dict[str, np.ndarray]):
    """Yield yuv420p frames (as (H*3/2, W) uint8 arrays) for a motion plan."""
    for ai, li, dx, dy in zip(plan["angle_index"], plan["valence_level"], plan["dx"], plan["dy"]):
        yield rgb_to_yuv420p(rig.render(int(ai), int(li), int(dx), int(dy)))
