"""Waligora et al.'s branches on raw inputs in the DAG: per-clip spectrograms and face clips from the
sequence core, the waligora_visual / waligora_audio kinds, the JMT loading and freezing their
checkpoints of the same fold, the DAG that orders them, and Table 1 from the runs."""
import re

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from conftest import REPO, dry_run_inputs, small_demo_with, snakemake

from affectflow.core import config as config_mod
from affectflow.core import store
from affectflow.evaluation import metrics
from affectflow.face import cache as face_cache
from affectflow.models.backbones.r2plus1d import r2plus1d_18
from affectflow.models.jmt import waligora
from affectflow.models.jmt.spectrogram import clip_samples, log_mel
from affectflow.models.jmt.tables import waligora_networks
from affectflow.models.sequence import clips, raw, run
from affectflow.models.sequence.data import SequenceDataset
from affectflow.models.sequence.summary import over_fold_repeats
from affectflow.models.sequence.train import TrainConfig, dev_scores, fit, predict, save_checkpoint, seed_everything

pytestmark = pytest.mark.usefixtures("one_torch_thread")
HOP, SR, K = 0.1, 44100, 8
N = 96  # 12 clips of 8 frames
SESSIONS = {"s1": ("spkA", "train"), "s2": ("spkB", "train"), "s3": ("spkC", "devel"), "s4": ("spkD", "test")}


def _record(name, s):
    return store.provenance(extractor=name, extractor_version="test/1", dataset="toy", session=s, params={})


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Four sessions of 9.6 s. Arousal = the loudness of the voice, per clip; valence = the brightness
    of the face, per clip. s1 has no waveform chunk at frame 20 (clip 2) and no face in clip 5 (frames
    40-47: the detector's rows there found nothing)."""
    root = tmp_path_factory.mktemp("waligora")
    rng = np.random.default_rng(0)
    t0 = np.round(np.arange(N) * HOP, 6)
    n = int(round(HOP * SR))
    for s in SESSIONS:
        loud = np.repeat(rng.uniform(0.05, 1.0, N // K), K)
        bright = np.repeat(rng.uniform(40, 215, N // K), K)
        tone = np.sin(2 * np.pi * 300 * np.arange(N * n) / SR).reshape(N, n)
        wave = (tone * loud[:, None] + 0.01 * rng.standard_normal((N, n))).astype(np.float32)
        rows = np.ones(N, bool)
        if s == "s1":
            rows[20] = False
        table = pd.DataFrame({"session": s, "t_start": t0[rows], "t_end": t0[rows] + HOP})
        table["waveform"] = list(wave[rows])
        store.write(table, store.feature_path(root / "features", "toy", "wave", s), _record("wave", s))
        found = np.ones(N, bool)
        if s == "s1":
            found[40:48] = False
        faces = pd.DataFrame({"session": s, "t_start": t0, "t_end": t0 + HOP, "frame_index": np.arange(N), "face_found": found})
        crops = np.broadcast_to(bright[:, None, None, None], (N, 20, 20, 3)).astype(np.uint8).copy()
        crops[~found] = 0
        path = root / "faces" / "toy" / "det" / f"{s}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = face_cache.CropWriter(face_cache.crops_path_for(path))
        writer.add(crops)
        writer.close()
        store.write(faces, path, store.provenance(extractor="det", extractor_version="t", dataset="toy", session=s, params={},
                                                  extra={"crops": {"path": face_cache.crops_path_for(path).name,
                                                                   "sha256": store.sha256_file(face_cache.crops_path_for(path))}}))
        labels = pd.DataFrame({"session": s, "t_start": t0, "t_end": np.round(t0 + HOP, 6),
                               "arousal": (loud - loud.mean()) / loud.std(), "valence": (bright - bright.mean()) / bright.std(),
                               "label_valid": True})
        store.write(labels, root / "labels" / "toy" / f"{s}.parquet", _record("labels", s))
        if s == "s1":
            s1_signal = np.where(rows[:, None], wave, 0).reshape(-1)
    manifest = pd.DataFrame({"session": list(SESSIONS), "speaker": [v[0] for v in SESSIONS.values()],
                             "partition": [v[1] for v in SESSIONS.values()]})
    return root, manifest, s1_signal


def _tiny(epochs=3):
    common = {"folds": 0, "repeats": 1, "sequence_length": 32, "clip_frames": K, "max_epochs": epochs, "patience": epochs,
              "loss": "ccc", "selection": "pooled"}
    return {
        # Adam, not the paper's SGD: on 24 training clips SGD (lr 0.01-0.05, momentum 0.9) reached 0.04-0.45 test CCC in 12-25 epochs
        "v": {"kind": "waligora_visual", "faces": "det", "image_size": 16, "crop_from": 18, "width": 4, "dropout": 0.0,
              "optimiser": "adam", "learning_rate": 0.003, "batch_size": 4, **common},
        "a": {"kind": "waligora_audio", "waveform": "wave", "width": 4, "optimiser": "adam", "learning_rate": 0.003, "batch_size": 4,
              **common},
        "j": {"kind": "waligora_jmt", "pretrained": ["v", "a"], "d_model": 16, "heads": 2, "fc_sizes": [16, 8], "optimiser": "adam",
              "learning_rate": 0.003, "batch_size": 4, **common},
    }


def load(corpus, name, models):
    root, manifest, _ = corpus
    return raw.load("toy", manifest, waligora.raw_spec(name, models), ["arousal", "valence"], root / "labels", root / "features",
                    root / "faces")


def test_each_clip_gets_the_64_by_107_spectrogram_of_the_audio_centred_on_it(corpus):
    data = load(corpus, "a", _tiny())
    s1 = data.sessions[0]
    assert data.input_dims["audio"] == (64, clips.columns_per_frame(K)) == (64, 14)
    x = torch.from_numpy(s1.x["audio"])[None]
    spec = clips.assemble(x, K)[0]
    assert spec.shape == (N // K, 64, 107)
    signal, span, n = corpus[2], clip_samples(SR), int(HOP * SR)
    own = {}
    for c in range(N // K):
        lo = int(round((c * K + K / 2) * n - span / 2))
        seg = np.zeros(span, np.float32)
        a, b = max(lo, 0), min(lo + span, len(signal))
        seg[a - lo:b - lo] = signal[a:b]
        own[c] = log_mel(seg, SR, normalise=False)
    present = np.stack([v for c, v in own.items() if c != 2])  # clip 2 is masked: not in the session's statistics
    for c in (0, 4, 11):  # first (zero-padded before 0 s), inner, last (zero-padded past the end)
        np.testing.assert_allclose(spec[c].numpy(), (own[c] - present.mean()) / present.std(), atol=1e-4)
    # per-session normalisation keeps loudness: the louder of two clips has the higher mean log power
    loud = np.repeat(np.random.default_rng(0).uniform(0.05, 1.0, N // K), K)  # the fixture's first draw, s1's loudness
    inner = [1, 3, 4, 5, 6, 7, 8, 9, 10]  # spans within the recording, away from the missing chunk
    assert np.corrcoef(np.log(loud[::K][inner]), spec[inner].mean(dim=(1, 2)).numpy())[0, 1] > 0.9
    # clip 2 lacks one frame's chunk: all its 8 frames are masked and hold zeros, its neighbours are present
    mask = s1.mask["audio"]
    assert not mask[16:24].any() and mask[:16].all() and mask[24:].all()
    assert not s1.x["audio"][16:24].any()


def test_face_clips_keep_frame_order_and_a_clip_without_a_face_is_masked(corpus):
    data = load(corpus, "v", _tiny())
    s1 = data.sessions[0]
    assert data.input_dims["visual"] == (3, 18, 18)
    x = torch.from_numpy(s1.x["visual"][:32])[None]
    c = clips.frame_clips(x, K)
    assert c.shape == (1, 4, 3, K, 18, 18)
    torch.testing.assert_close(c[0, 1, :, 3], x[0, 11].float() / 255)
    keep = clips.clip_mask(torch.from_numpy(s1.mask["visual"])[None], K)[0]
    assert keep.tolist() == [True] * 5 + [False] + [True] * 6


def test_a_masked_clip_does_not_reach_a_branchs_prediction(corpus):
    models = _tiny()
    for name in ("v", "a"):
        data = load(corpus, name, models)
        m = run.build(name, models, data.input_dims, 2).eval()
        batch = next(iter(torch.utils.data.DataLoader(SequenceDataset(data.sessions[:1], 32), batch_size=4)))
        mod = "visual" if name == "v" else "audio"
        x = {k: v.clone() for k, v in batch["x"].items()}
        masked = ~batch["mask"][mod]
        assert masked.any()
        x[mod][masked] = 200 if name == "v" else 50
        a, b = m(batch["x"], batch["mask"])["pred"], m(x, batch["mask"])["pred"]
        if name == "v":  # the visual clip's features do not leave it: only the masked clip's frames are checked
            torch.testing.assert_close(a[masked], b[masked])
        else:
            torch.testing.assert_close(a, b)


def test_the_jmt_loads_both_branch_checkpoints_and_trains_only_the_fusion(corpus, tmp_path):
    models = _tiny()
    data = load(corpus, "j", models)
    paths = {}
    for name in ("v", "a"):
        torch.manual_seed(ord(name))
        paths[name] = tmp_path / f"{name}.pt"
        save_checkpoint(paths[name], run.build(name, models, data.input_dims, 2), dims=["arousal", "valence"])
    torch.manual_seed(99)
    fused = run.build("j", models, data.input_dims, 2, pretrained_checkpoints=paths)
    # a JMT per dimension (separate_dimensions) fuses the same branches, trained on both dimensions
    one = run.build("j", models, data.input_dims, 1, pretrained_checkpoints=paths)
    assert one.fusion.head[-1].out_features == 1 and one.audio.branch.head.out_features == 2
    for name, branch in (("v", fused.visual), ("a", fused.audio)):
        state = torch.load(paths[name], weights_only=False)["state_dict"]
        assert branch.state_dict().keys() == state.keys()
        for k, v in branch.state_dict().items():
            torch.testing.assert_close(v, state[k])
    trainable = {n.split(".")[0] for n, p in fused.named_parameters() if p.requires_grad}
    assert trainable == {"fusion"}
    fused.train()
    assert not fused.visual.training and not fused.audio.training
    with pytest.raises(ValueError, match="but not for the other branch"):
        run.build("j", models, data.input_dims, 2, pretrained_checkpoints={"v": paths["v"]})
    wider = {**models, "v": {**models["v"], "width": 8}}
    with pytest.raises(ValueError, match=r"v\.pt.*does not fit"):
        run.build("j", wider, data.input_dims, 2, pretrained_checkpoints=paths)
    with pytest.raises(ValueError, match="sequence_length"):
        waligora.members("j", {**models, "j": {**models["j"], "sequence_length": 64}})


def test_reduced_widths_refuse_published_weights_and_paper_defaults_are_published_sizes(tmp_path):
    with pytest.raises(ValueError, match="cannot load published weights"):
        r2plus1d_18(tmp_path / "r2plus1d_18-91a641e6.pth", width=16)
    assert sum(p.numel() for p in r2plus1d_18().parameters()) == 31_505_325
    assert r2plus1d_18(width=8).feature_dim == 64


def test_branches_then_jmt_train_in_process_and_the_jmt_reads_both_signals(corpus, tmp_path):
    """The DAG's three jobs in process on the toy corpus: each branch learns its own dimension on the
    test speaker; the JMT over both, frozen, gets both."""
    models = _tiny(epochs=12)
    paths, test_ccc = {}, {}
    for name in ("v", "a", "j"):
        data = load(corpus, name, models)
        seed_everything(0)
        model = run.build(name, models, data.input_dims, 2, pretrained_checkpoints=paths if name == "j" else None)
        cfg = TrainConfig.from_dict(models[name], seed=0)
        paths[name] = tmp_path / f"{name}.pt"
        fit(model, data, cfg, paths[name])
        test = data.partition("test")
        out = predict(model, test, cfg)
        test_ccc[name] = dev_scores(test, out, data.dims, "pooled", "population")
    assert test_ccc["v"]["valence"] > 0.6, test_ccc
    assert test_ccc["a"]["arousal"] > 0.6, test_ccc
    assert test_ccc["j"]["valence"] > 0.5 and test_ccc["j"]["arousal"] > 0.5, test_ccc


def test_a_jmt_per_dimension_trains_in_the_dag_job_over_branches_trained_on_both(corpus, tmp_path):
    """The DAG's job function (run.train_repeat): branches on both dimensions, then one JMT per dimension over them."""
    root, manifest, _ = corpus
    adam = {"momentum": 0.0, "nesterov": False, "weight_decay": 0.0}  # the schema's SGD defaults off, as _tiny's Adam needs
    models = {k: config_mod.model_defaults({**v, **adam}) for k, v in _tiny(epochs=12).items()}
    models["j"]["separate_dimensions"] = True
    out = {}
    for name in ("v", "a", "j"):
        files = {k: tmp_path / f"{name}.{k}" for k in ("predictions", "checkpoint", "history", "info")}
        run.train_repeat(dataset="toy", name=name, models=models, manifest=manifest, dims=["arousal", "valence"], repeat=0, seed=0,
                         pretrained_checkpoints={p: out[p]["checkpoint"] for p in ("v", "a")} if name == "j" else None,
                         labels_root=root / "labels", features_root=root / "features", faces_root=root / "faces", **files)
        out[name] = files
    ckpt = torch.load(out["j"]["checkpoint"], weights_only=False)
    assert sorted(ckpt["per_dimension"]) == ["arousal", "valence"]
    table = store.read(out["j"]["predictions"])
    test = table[(table["partition"] == "test") & table["label_valid"]]
    ccc = {d: metrics.ccc(test[d].to_numpy(), test[f"{d}_pred"].to_numpy()) for d in ("arousal", "valence")}
    assert ccc["arousal"] > 0.5 and ccc["valence"] > 0.5, ccc


def waligora_config(folds=2):
    return small_demo_with(".test/config-waligora.yaml", folds)


def test_dag_jmt_job_of_a_fold_waits_for_both_branch_jobs_of_that_fold(tmp_path):
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(waligora_config()))
    out = snakemake(tmp_path, "-n").stdout
    target = "results/predictions/demo/wal_jmt/fold1/repeat0.parquet"
    inputs = dry_run_inputs(out, target)
    assert [i for i in inputs if i.endswith("checkpoint.pt")] == [f"results/models/demo/{m}/fold1/repeat0/checkpoint.pt"
                                                                   for m in ("wal_visual", "wal_audio")]
    assert any(i.startswith("results/faces/demo/blazeface/") and i.endswith(".crops.npz") for i in inputs)
    assert "results/features/demo/wave44k/demo01.parquet" in inputs
    visual = dry_run_inputs(out, "results/predictions/demo/wal_visual/fold1/repeat0.parquet")
    assert not [i for i in visual if i.endswith("checkpoint.pt")] and not [i for i in visual if "wave44k" in i]
    assert "results/features/demo/wave44k/demo01.parquet" in dry_run_inputs(out, "results/predictions/demo/wal_audio/fold1/repeat0.parquet")
    assert "results/tables/demo/waligora_table1.md" in out


def test_the_small_config_dry_runs_as_shipped(tmp_path):
    (tmp_path / "config.yaml").write_text((REPO / "config.yaml").read_text())
    out = snakemake(tmp_path, "--configfile", str(REPO / ".test/config-waligora.yaml"), "-n").stdout
    jobs = {rule: int(n) for rule, n in re.findall(r"^(\w+)\s+(\d+)$", out, re.MULTILINE)}
    per_rule = {r: sum(n for j, n in jobs.items() if j.startswith(r)) for r in ("train_sequence_fold", "waligora_table1",
                                                                           "extract_audio", "detect_faces", "demo_session")}
    # the 8 x 60 s demo sessions run in two shard jobs each for generation, the waveform store and face detection
    assert per_rule == {"train_sequence_fold": 3, "waligora_table1": 1, "extract_audio": 2, "detect_faces": 2, "demo_session": 2}, out
    inputs = dry_run_inputs(out, "results/predictions/demo/wal_jmt/foldofficial/repeat0.parquet")
    assert [i for i in inputs if i.endswith("checkpoint.pt")] == [f"results/models/demo/{m}/foldofficial/repeat0/checkpoint.pt"
                                                                   for m in ("wal_visual", "wal_audio")]


def test_config_refuses_a_jmt_over_branches_of_other_folds(tmp_path):
    cfg = waligora_config()
    cfg["models"]["wal_audio"]["folds"] = 3
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    proc = snakemake(tmp_path, "-n", check=False)
    assert proc.returncode != 0 and "'wal_audio' has other folds than 'wal_jmt'" in proc.stdout


@pytest.mark.parametrize("change, message", [
    (lambda c: c["models"]["wal_jmt"].update(repeats=2), "models/wal_jmt/repeats: 2 repeats, but 'wal_visual' has 1"),
    (lambda c: c["models"]["wal_audio"].update(clip_frames=4, sequence_length=64), "clip_frames differs between the JMT and its branches"),
    (lambda c: c["models"]["wal_jmt"].update(pretrained=["wal_visual", "wal_visual2"]) or c["models"].update(wal_visual2=dict(c["models"]["wal_visual"])),
     "needs one waligora_visual and one waligora_audio model"),
])
def test_config_refuses_a_jmt_whose_branches_do_not_fit_it(change, message):
    # caught when the config is read, before any branch job trains (not in the JMT job after both)

    cfg = waligora_config()
    change(cfg)
    with pytest.raises(ValueError, match=re.escape(message)):
        config_mod.validate(cfg)


def test_table1_networks_rows_put_the_branches_beside_the_jmt():
    rows = []
    for model, a, v in (("wv", 0.1, 0.7), ("wa", 0.8, 0.05), ("wj", 0.82, 0.66)):
        for part in ("devel", "test"):
            for dim, c in (("arousal", a), ("valence", v)):
                rows.append({"model": model, "fold": "official", "repeat": 0, "partition": part, "dimension": dim,
                             "ccc_pooled": c, "ccc_per_sequence": c, "n_sessions": 1})
    summary = over_fold_repeats(pd.DataFrame(rows))
    models = {"wv": {"kind": "waligora_visual"}, "wa": {"kind": "waligora_audio"}, "wj": {"kind": "waligora_jmt"}}
    t = waligora_networks(summary, models, ["arousal", "valence"])
    assert list(t.columns) == ["Model", "Network", "Partition", "Valence", "Arousal", "Avg."]
    assert len(t) == 6
    row = t[(t["Model"] == "wj") & (t["Partition"] == "test")].iloc[0]
    assert (row["Valence"], row["Arousal"], row["Avg."]) == ("0.660", "0.820", "0.740")


def test_faces_standardised_per_session_keep_the_motion_and_drop_the_look():
    rng = np.random.default_rng(0)
    x = np.broadcast_to(rng.integers(0, 200, (1, 3, 6, 6)), (10, 3, 6, 6)).astype(np.uint8).copy()
    x[:, 0, 2, 3] = np.arange(10) * 5  # one moving pixel
    mask = np.ones(10, bool)
    mask[9] = False
    z = raw.standardise_faces(x, mask)
    assert z.dtype == np.float16 and not z[9].any()
    moving = z[:9, 0, 2, 3].astype(np.float32)
    np.testing.assert_allclose(moving, (np.arange(9) - 4) / np.arange(9).std(), atol=2e-3)
    brighter = raw.standardise_faces(np.clip(x.astype(int) + 40, 0, 255).astype(np.uint8), mask)
    np.testing.assert_allclose(brighter[:9, 0, 2, 3], z[:9, 0, 2, 3], atol=2e-3)  # a brighter look: the same input
    assert np.abs(z[:9].astype(np.float32)).sum() == pytest.approx(np.abs(moving).sum(), rel=1e-3)  # still pixels: 0



def test_standardise_session_feeds_the_visual_branch_z_scored_crops_and_a_mismatch_is_refused(corpus):
    models = {"v": {**_tiny()["v"], "standardise": "session"}}
    data = load(corpus, "v", models)
    s2 = data.sessions[1]
    assert s2.x["visual"].dtype == np.float16
    z = s2.x["visual"].astype(np.float32)
    np.testing.assert_allclose(z.mean(0), 0, atol=1e-2)  # each pixel: mean 0 over the session's face frames
    assert z[:, 0, 9, 9].std() == pytest.approx(1, abs=1e-2)  # a pixel that varies: unit deviation
    batch = next(iter(torch.utils.data.DataLoader(SequenceDataset(data.sessions[:1], 32), batch_size=2)))
    seed_everything(0)
    standardised = run.build("v", models, data.input_dims, 2).eval()
    assert torch.isfinite(standardised(batch["x"], batch["mask"])["pred"]).all()
    seed_everything(0)
    kinetics = run.build("v", _tiny(), data.input_dims, 2).eval()
    with pytest.raises(ValueError, match="expects uint8 crops"):
        kinetics(batch["x"], batch["mask"])
    with pytest.raises(ValueError, match="standardise must be 'none' or 'session'"):
        load(corpus, "v", {"v": {**_tiny()["v"], "standardise": "speaker"}})


MOUTH_SESSIONS = {"m1": ("spkA", "train"), "m2": ("spkB", "train"), "m3": ("spkC", "devel"), "m4": ("spkD", "test")}


def _mouth_corpus(root, n=512, size=24, seed=0):
    """The demo's valence cue, planted: each speaker is a face texture of its own (random, colour-shifted; spkB
    and spkD mirrored) with a dark mouth line whose corners the frame's valence lifts (> 0) or lowers (< 0) by
    up to 2 px, sub-pixel, plus noise in the cue (sd 0.1) and in the pixels (sd 4 grey levels). Valence:
    smoothed noise in [-1, 1], per session."""
    from scipy.ndimage import gaussian_filter, gaussian_filter1d

    rng = np.random.default_rng(seed)
    t0 = np.round(np.arange(n) * HOP, 6)
    rows = np.arange(size)[:, None]
    for k, (s, (speaker, part)) in enumerate(MOUTH_SESSIONS.items()):
        face = gaussian_filter(rng.uniform(60, 200, (size, size, 3)), (1.5, 1.5, 0)) * rng.uniform(0.8, 1.2, 3)
        valence = gaussian_filter1d(rng.standard_normal(n), 6)
        valence /= np.abs(valence).max()
        cue = np.clip(valence + 0.1 * gaussian_filter1d(rng.standard_normal(n), 3) / 0.32, -1, 1)
        crops = np.empty((n, size, size, 3), np.uint8)
        for i, v in enumerate(cue):
            img = face.copy()
            for x0, x1, lift in ((5, 9, 2 * v), (9, 15, 0.0), (15, 19, 2 * v)):  # corner, middle, corner
                line = np.clip(1 - np.abs(rows - (15 - lift)), 0, 1)  # one pixel high at a sub-pixel row
                img[:, x0:x1] *= (1 - 0.6 * line)[:, :, None]
            crops[i] = np.clip(img + rng.normal(0, 4, img.shape), 0, 255)
        if k % 2:
            crops = crops[:, :, ::-1].copy()
        path = root / "faces" / "toy" / "det" / f"{s}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = face_cache.CropWriter(face_cache.crops_path_for(path))
        writer.add(crops)
        writer.close()
        faces = pd.DataFrame({"session": s, "t_start": t0, "t_end": t0 + HOP, "frame_index": np.arange(n), "face_found": True})
        store.write(faces, path, store.provenance(extractor="det", extractor_version="t", dataset="toy", session=s, params={},
                                                  extra={"crops": {"path": face_cache.crops_path_for(path).name,
                                                                   "sha256": store.sha256_file(face_cache.crops_path_for(path))}}))
        labels = pd.DataFrame({"session": s, "t_start": t0, "t_end": np.round(t0 + HOP, 6), "valence": valence, "label_valid": True})
        store.write(labels, root / "labels" / "toy" / f"{s}.parquet", _record("labels", s))
    return pd.DataFrame({"session": list(MOUTH_SESSIONS), "speaker": [v[0] for v in MOUTH_SESSIONS.values()],
                         "partition": [v[1] for v in MOUTH_SESSIONS.values()]})


def _test_valence(root, manifest, visual):
    from affectflow.core.config import model_defaults

    cfg = model_defaults(visual)
    data = raw.load("toy", manifest, waligora.raw_spec("v", {"v": cfg}), ["valence"], root / "labels", root / "features", root / "faces")
    train = TrainConfig.from_dict(cfg, seed=0)
    seed_everything(0)
    model = run.build("v", {"v": cfg}, data.input_dims, 1)
    fit(model, data, train)
    test = data.partition("test")
    return dev_scores(test, predict(model, test, train), ["valence"], "pooled", "population")["valence"]


def test_the_shipped_visual_training_learns_a_mouth_cue_across_speakers_of_different_looks(tmp_path):
    """The demo's visual branch from scratch (issue 18): the training settings of .test/config-waligora.yaml's
    wal_visual (one-cycle Adam at peak 1e-2, session-standardised crops, light dropout) learn a planted mouth
    cue on two training speakers and carry it to a third, mirrored, look; the settings before (constant Adam
    1e-3) learn far less in the same 15 epochs. Sizes are cut (20 px from 24, 512 frames a session; 384 frames or
    12 epochs are too few for either)."""
    manifest = _mouth_corpus(tmp_path)
    shipped = yaml.safe_load((REPO / ".test/config-waligora.yaml").read_text())["models"]["wal_visual"]
    training = {k: shipped[k] for k in ("standardise", "optimiser", "learning_rate", "lr_schedule", "momentum", "nesterov", "weight_decay",
                                        "dropout", "batch_size", "width") if k in shipped}
    assert training["lr_schedule"] == "onecycle" and training["standardise"] == "session"
    tiny = {"kind": "waligora_visual", "faces": "det", "image_size": 20, "crop_from": 24, "folds": 0, "repeats": 1, "max_epochs": 15,
            "patience": 15}
    learned = _test_valence(tmp_path, manifest, {**tiny, **training})
    before = _test_valence(tmp_path, manifest, {**tiny, **training, "learning_rate": 0.001, "lr_schedule": "constant"})
    # measured: 0.66 against 0.12 (another corpus seed: 0.70 against 0.31)
    assert learned > 0.5 and learned - before > 0.3, (learned, before)
