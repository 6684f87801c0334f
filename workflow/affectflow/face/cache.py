"""The per-session face-detection cache, computed once and read by every face-embedding extractor.

Two files per (dataset, detector, session), written atomically, crops first:

``{session}.parquet`` — one row per sampled video frame, in the store's contract:
  ``session``, ``t_start`` (the frame's own presentation timestamp, s), ``t_end`` (the next
  sampled frame's timestamp; the last row adds one sampling period), ``frame_index`` (decode
  order), ``face_found`` (bool), ``n_faces`` (faces detected in the frame), ``face_score``
  (detector confidence), ``box_x0 … box_y1`` (pixels of the decoded frame), the five landmarks
  ``{eye_l,eye_r,nose,mouth_l,mouth_r}_{x,y}`` (frame pixels), and ``roll_deg`` (eye-line angle
  before alignment). Detector columns are NaN where ``face_found`` is false. The provenance
  metadata adds ``weights_files`` (each detector weights file with its sha256) and ``crops``
  (the crops file name and sha256).

``{session}.crops.npz`` — the aligned crops, uint8 RGB ``(size, size, 3)``, one per Parquet row
  in row order, stored as consecutive chunks ``crops_000000``, ``crops_000001``, … (a zip of
  ``.npy`` members, deflate-compressed; ``numpy.load`` opens it). Chunks let a session of any
  length be written and read with bounded memory. Rows without a face hold an all-black crop,
  which models that need an image may consume; their features are still NaN downstream.
"""
from __future__ import annotations

import hashlib
import io
import logging
import os
import time
import zipfile
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from ..core import store, video
from .align import align, eye_angle_deg
from .detection import LANDMARKS, FaceDetector, FaceSelector, backend_packages, create

log = logging.getLogger(__name__)
VERSION = "1"
DEFAULTS = {"backend": "mediapipe", "sample": "grid", "enlarge": 1.2, "size": 224, "select": "largest", "batch_size": 32}
PACKAGES = ("av", "opencv-python-headless")  # plus the chosen backend's (detection.BACKEND_PACKAGES)


class FaceCacheError(RuntimeError):
    """A detection cache that is missing, inconsistent or unreadable; the message names the file."""


def crops_path_for(parquet: str | os.PathLike) -> Path:
    parquet = Path(parquet)
    return parquet.with_name(parquet.name.removesuffix(".parquet") + ".crops.npz")


def sampling_fps(sample, hop_s: float) -> float | None:
    """``grid``: one frame per grid hop (1 / hop_s); ``all``: every frame; a number: that rate."""
    if sample == "grid":
        return 1.0 / hop_s
    if sample == "all" or sample is None:
        return None
    if isinstance(sample, (int, float)) and sample > 0:
        return float(sample)
    raise ValueError(f"face sampling must be 'grid', 'all' or a positive frame rate, got {sample!r}")


def combined_sha256(files: dict[str, str]) -> tuple[str, dict[str, dict[str, str]]]:
    """One hash over several weight files (name-sorted) and each file's own hash."""
    each = {k: {"path": Path(v).name, "sha256": store.sha256_file(v)} for k, v in sorted(files.items())}
    joined = "".join(f"{k}:{v['sha256']}\n" for k, v in each.items())
    return hashlib.sha256(joined.encode()).hexdigest(), each


class CropWriter:
    """Appends crop chunks to a zip of ``.npy`` members (see module docstring)."""

    def __init__(self, path: Path):
        self._zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        self._n = 0

    def add(self, crops: np.ndarray) -> None:
        buf = io.BytesIO()
        np.save(buf, np.ascontiguousarray(crops, dtype=np.uint8))
        # a fixed member time (zip's earliest): the same crops give the same bytes, and so the same
        # sha256 in the detection Parquet, whenever they are written
        member = zipfile.ZipInfo(f"crops_{self._n:06d}.npy", date_time=(1980, 1, 1, 0, 0, 0))
        member.compress_type = zipfile.ZIP_DEFLATED
        self._zip.writestr(member, buf.getvalue(), compresslevel=1)
        self._n += 1

    def close(self) -> None:
        self._zip.close()


def iter_crop_chunks(path: str | os.PathLike) -> Iterator[np.ndarray]:
    """The crops of a cache, chunk by chunk, in row order."""
    path = Path(path)
    if not path.exists():
        raise FaceCacheError(f"{path}: face crops file not found (run the face detection rule first)")
    try:
        with zipfile.ZipFile(path) as z:
            for name in sorted(n for n in z.namelist() if n.startswith("crops_")):
                with z.open(name) as f:
                    yield np.load(io.BytesIO(f.read()))
    except zipfile.BadZipFile as exc:
        raise FaceCacheError(f"{path}: not a readable crops file ({exc})") from exc


def _rows(batch: video.FrameBatch, faces_per_frame, selector: FaceSelector, enlarge: float, size: int):
    rows, crops = [], np.zeros((len(batch.times), size, size, 3), np.uint8)
    for k, (frame, faces) in enumerate(zip(batch.frames, faces_per_frame)):
        face = selector.pick(faces)
        row = {"frame_index": int(batch.indices[k]), "t_start": float(batch.times[k]), "face_found": face is not None,
               "n_faces": len(faces)}
        if face is not None:
            crops[k], _ = align(frame, face, enlarge, size)
            row.update(face_score=face.score, box_x0=face.box[0], box_y0=face.box[1], box_x1=face.box[2], box_y1=face.box[3],
                       roll_deg=eye_angle_deg(face.landmarks[0], face.landmarks[1]))
            for name, (x, y) in zip(LANDMARKS, face.landmarks):
                row[f"{name}_x"], row[f"{name}_y"] = x, y
        rows.append(row)
    return rows, crops


FLOAT_COLUMNS = ["face_score", "box_x0", "box_y0", "box_x1", "box_y1",
                 *[f"{n}_{a}" for n in LANDMARKS for a in "xy"], "roll_deg"]


def detect_video(video_path: str | os.PathLike, params: dict, hop_s: float, session: str,
                 crops_out: Path | None = None, detector: FaceDetector | None = None) -> pd.DataFrame:
    """Detect, select and align faces in one video; write crops to ``crops_out`` if given."""
    p = {**DEFAULTS, **params}
    fps = sampling_fps(p["sample"], hop_s)
    owned = detector is None
    detector = create(p) if owned else detector
    selector = FaceSelector(p["select"])
    writer = CropWriter(crops_out) if crops_out is not None else None
    rows = []
    try:
        for batch in video.prefetch(video.iter_frames(video_path, fps=fps, batch_size=int(p["batch_size"]))):
            batch_rows, crops = _rows(batch, detector.detect(batch.frames), selector, float(p["enlarge"]), int(p["size"]))
            rows += batch_rows
            if writer is not None:
                writer.add(crops)
    finally:
        if writer is not None:
            writer.close()
        if owned:
            detector.close()
    if not rows:
        raise FaceCacheError(f"{video_path}: the video stream holds no frames")
    df = pd.DataFrame(rows)
    for col in FLOAT_COLUMNS:
        df[col] = df[col].astype(np.float64) if col in df else np.nan
    period = 1.0 / fps if fps else 1.0 / video.nominal_fps(video_path)
    t = df["t_start"].to_numpy()
    df["t_end"] = np.round(np.append(t[1:], t[-1] + period), video.TIME_DECIMALS)
    df.insert(0, "session", session)
    ordered = ["session", "t_start", "t_end", "frame_index", "face_found", "n_faces", *FLOAT_COLUMNS]
    return df[ordered]


def run(detector_name: str, params: dict, dataset: str, session: str, video_path: str, hop_s: float,
        out_parquet: str | os.PathLike, detector: FaceDetector | None = None) -> pd.DataFrame:
    """Build one session's cache: crops file then Parquet with provenance, both atomic.

    ``detector``: an instance to reuse (a shard job runs one per shard; its caller closes it)."""
    p = {**DEFAULTS, **params}
    out_parquet = Path(out_parquet)
    crops_final = crops_path_for(out_parquet)
    started = time.perf_counter()
    owned = detector is None
    detector = create(p) if owned else detector
    try:
        with store.atomic_path(crops_final) as tmp:
            df = detect_video(video_path, p, hop_s, session, crops_out=tmp, detector=detector)
        weights_sha, weights_files = combined_sha256(detector.weights_files())
        model_id = detector.model_id()
    finally:
        if owned:
            detector.close()
    record = store.provenance(
        extractor=detector_name, extractor_version=f"face_detection/{VERSION}", dataset=dataset, session=session,
        params={**p, "hop_s": hop_s}, model_id=model_id, weights_sha256=weights_sha,
        packages=(*PACKAGES, *backend_packages(p["backend"])),
        sources={"video": video_path},
        extra={"weights_files": weights_files, "crops": {"path": crops_final.name, "sha256": store.sha256_file(crops_final)}},
    )
    store.write(df, out_parquet, record)
    log.info("face detector %s (%s) on %s/%s: a face in %d of %d sampled frames, %.1f s", detector_name, model_id, dataset,
             session, int(df["face_found"].sum()), len(df), time.perf_counter() - started)
    return df


def run_shard(detector_name: str, params: dict, sessions: list[dict], hop_s: float, out_parquets: list[str]) -> None:
    """The caches of several sessions (``sessions``: dicts with dataset, session, video), one
    detector instance for all, each written exactly as ``run`` writes it."""
    if len(sessions) != len(out_parquets):
        raise ValueError(f"{len(sessions)} sessions for {len(out_parquets)} output files")
    detector = create({**DEFAULTS, **params})
    try:
        for media, out in zip(sessions, out_parquets):
            run(detector_name, params, media["dataset"], media["session"], media["video"], hop_s, out, detector=detector)
    finally:
        detector.close()


def load(parquet: str | os.PathLike) -> tuple[pd.DataFrame, Path]:
    """A cache's rows and its crops path, checked to belong together."""
    parquet = Path(parquet)
    if not parquet.exists():
        raise FaceCacheError(f"{parquet}: face detection cache not found (run the face detection rule first)")
    rows = store.read(parquet)
    crops = crops_path_for(parquet)
    expected = store.read_metadata(parquet).get("crops", {}).get("sha256")
    if not crops.exists():
        raise FaceCacheError(f"{crops}: face crops file not found beside {parquet.name}")
    if expected and store.sha256_file(crops) != expected:
        raise FaceCacheError(f"{crops}: crops file does not match {parquet.name} (sha256 differs; re-run face detection)")
    return rows, crops
