"""The sequence training core: data cutting and masks, losses, training, checkpoints, export."""
import numpy as np
import pandas as pd
import pytest
import torch

from affectflow.core import store
from affectflow.evaluation import metrics
from affectflow.models.dlstm.network import DLSTM
from affectflow.models.sequence import data as seqdata
from affectflow.models.sequence.base import SequenceModel
from affectflow.models.sequence.losses import ccc_loss, ccc_per_sequence, mse_loss
from affectflow.models.sequence.train import TrainConfig, fit, load_checkpoint, predict, prediction_table, seed_everything

pytestmark = pytest.mark.usefixtures("one_torch_thread")
HOP = 0.1
SESSIONS = {"s1": ("spkA", "train"), "s2": ("spkA", "train"), "s3": ("spkB", "train"), "s4": ("spkB", "train"),
            "s5": ("spkC", "devel"), "s6": ("spkD", "test")}


def _write(root, dataset, extractor, session, df):
    store.write(df, store.feature_path(root, dataset, extractor, session),
                store.provenance(extractor=extractor, extractor_version="test/1", dataset=dataset, session=session, params={}))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Six sessions of 230 frames: arousal follows a smoothed 'voice' feature, valence a 'face' one.

    The face extractor has no rows for frames 50–59 of s1 (a missing modality); s2's last 10
    labels are not valid.
    """
    root = tmp_path_factory.mktemp("store")
    rng = np.random.default_rng(0)
    n = 230
    t0 = np.round(np.arange(n) * HOP, 6)
    for k, s in enumerate(SESSIONS):
        voice = rng.standard_normal(n).cumsum() / 4
        face = rng.standard_normal(n).cumsum() / 4
        arousal = np.tanh(np.convolve(voice, np.ones(5) / 5, mode="same") - voice.mean())
        valence = np.tanh(face - face.mean())
        valid = np.ones(n, bool)
        if s == "s2":
            valid[-10:] = False
        labels = pd.DataFrame({"session": s, "t_start": t0, "t_end": np.round(t0 + HOP, 6),
                               "arousal": np.where(valid, arousal, np.nan), "valence": np.where(valid, valence, np.nan), "label_valid": valid})
        store.write(labels, root / "labels" / "toy" / f"{s}.parquet",
                    store.provenance(extractor="labels", extractor_version="t", dataset="toy", session=s, params={}))
        _write(root / "features", "toy", "voice", s, pd.DataFrame({"session": s, "t_start": t0, "t_end": t0 + HOP,
                                                                   "pitch": (voice + 3 * k).astype(np.float32), "noise": rng.standard_normal(n).astype(np.float32)}))
        rows = np.ones(n, bool)
        if s == "s1":
            rows[50:60] = False
        _write(root / "features", "toy", "face", s, pd.DataFrame({"session": s, "t_start": t0[rows], "t_end": t0[rows] + HOP,
                                                                  "smile": face[rows].astype(np.float32)}))
    manifest = pd.DataFrame({"session": list(SESSIONS), "speaker": [v[0] for v in SESSIONS.values()],
                             "partition": [v[1] for v in SESSIONS.values()]})
    return root, manifest


def load(corpus, modalities=None):
    root, manifest = corpus
    return seqdata.load("toy", manifest, modalities or {"audio": ["voice"], "video": ["face"]}, ["arousal", "valence"],
                        labels_root=root / "labels", features_root=root / "features")


def test_windows_cover_every_frame_once_without_overlap_and_pad_the_last():
    assert seqdata.windows(230, 100) == [0, 100, 200]
    assert seqdata.windows(200, 100) == [0, 100]
    assert seqdata.windows(50, 100) == [0]
    assert seqdata.windows(230, 100, hop=50) == [0, 50, 100, 150]
    assert seqdata.windows(0, 100) == []
    with pytest.raises(ValueError, match="hop <= length"):
        seqdata.windows(230, 100, hop=150)


def test_modalities_are_joined_on_the_grid_with_masks_and_speaker_standardisation(corpus):
    data = load(corpus)
    assert [s.session for s in data.sessions] == list(SESSIONS)
    assert data.input_dims == {"audio": 2, "video": 1}
    s1 = data.sessions[0]
    assert s1.x["audio"].shape == (230, 2) and s1.x["video"].shape == (230, 1)
    # the face had no rows for frames 50–59: masked, held as zeros, never as a value
    assert not s1.mask["video"][50:60].any() and s1.mask["video"][:50].all() and s1.mask["video"][60:].all()
    assert (s1.x["video"][50:60] == 0).all() and s1.mask["audio"].all()
    # per-speaker z-scores: spkA (s1+s2) pitch has mean 0 and std 1 over its frames
    pitch = np.concatenate([data.sessions[0].x["audio"][:, 0], data.sessions[1].x["audio"][:, 0]])
    assert abs(pitch.mean()) < 1e-5 and abs(pitch.std(ddof=1) - 1) < 1e-4
    s2 = data.sessions[1]
    assert not s2.label_valid[-10:].any() and np.isnan(s2.y[-10:]).all() and np.isfinite(s2.y[:-10]).all()
    assert [s.session for s in data.partition("devel")] == ["s5"]


def test_sequences_are_padded_and_flag_real_frames_and_valid_labels(corpus):
    data = load(corpus)
    ds = seqdata.SequenceDataset(data.partition("train"), length=100)
    assert len(ds) == 4 * 3
    last = ds[5]  # s2, frames 200..229 then padding
    assert (last["session"], last["start"]) == (1, 200)
    assert last["x"]["audio"].shape == (100, 2) and last["y"].shape == (100, 2)
    assert last["frame_ok"][:30].all() and not last["frame_ok"][30:].any()
    assert last["valid"][:20].all() and not last["valid"][20:].any()  # s2's last 10 labels are invalid
    assert torch.isfinite(last["y"]).all() and not last["mask"]["video"][30:].any()
    batch = next(iter(torch.utils.data.DataLoader(ds, batch_size=4)))
    assert batch["x"]["video"].shape == (4, 100, 1) and batch["mask"]["audio"].shape == (4, 100)


def test_ccc_loss_is_one_minus_population_ccc_per_sequence_averaged_over_sequences_and_dims():
    gold = torch.tensor([[[0.0, 1.0], [1.0, 2.0], [2.0, 3.0], [9.0, 9.0]],
                         [[5.0, 1.0], [6.0, 2.0], [7.0, 3.0], [0.0, 0.0]]])
    pred = torch.tensor([[[0.0, 2.0], [1.0, 3.0], [1.0, 4.0], [-9.0, 0.0]],
                         [[5.0, 1.0], [6.0, 2.0], [6.0, 4.0], [3.0, 3.0]]])
    valid = torch.tensor([[True, True, True, False], [True, True, True, False]])
    per_seq, usable = ccc_per_sequence(pred, gold, valid)
    assert usable.all()
    # the field's test vector: [0,1,2] vs [0,1,1] → 0.666667 with population moments (the 4th frame is masked)
    assert per_seq[0, 0].item() == pytest.approx(2 / 3, abs=1e-5)
    expected = [[metrics.ccc(gold[b, :3, d].numpy(), pred[b, :3, d].numpy()) for d in range(2)] for b in range(2)]
    assert per_seq.numpy() == pytest.approx(np.array(expected), abs=1e-5)
    assert ccc_loss(pred, gold, valid).item() == pytest.approx(1 - np.mean(expected), abs=1e-5)
    # a sequence with one valid frame has no CCC and does not count
    valid2 = valid.clone()
    valid2[1] = torch.tensor([True, False, False, False])
    assert ccc_loss(pred, gold, valid2).item() == pytest.approx(1 - np.mean(expected[0]), abs=1e-5)
    assert mse_loss(pred, gold, valid).item() == pytest.approx(((pred - gold)[:, :3] ** 2).mean().item())


class _Linear(SequenceModel):
    """A per-frame linear model, to test the training loop apart from any architecture."""

    def __init__(self, warmup=0):
        super().__init__()
        self.lin = torch.nn.Linear(3, 2)
        self.warmup_epochs = warmup
        self.epochs_seen = []

    def on_epoch_start(self, epoch):
        self.epochs_seen.append(epoch)

    def forward(self, x, mask):
        return {"pred": self.lin(torch.cat([x["audio"], x["video"]], -1))}


def test_fit_learns_the_planted_signal_restores_the_best_epoch_and_checkpoints_it(corpus, tmp_path):
    data = load(corpus)
    cfg = TrainConfig(sequence_length=50, batch_size=8, learning_rate=0.01, max_epochs=30, patience=30, loss="ccc", seed=1)
    seed_everything(cfg.seed)
    model = DLSTM(["audio", "video"], data.input_dims, 2, hidden_size=16)
    res = fit(model, data, cfg, checkpoint=tmp_path / "m.pt", checkpoint_info={"note": "x"})
    hist = res.history
    assert list(hist.columns[:4]) == ["epoch", "train_loss", "dev_ccc_arousal", "dev_ccc_valence"]
    assert res.best_score == pytest.approx(hist["dev_score"].max())
    assert res.best_score > 0.6, hist.to_string()
    assert hist["train_loss"].iloc[-1] < hist["train_loss"].iloc[0] - 0.3
    ckpt = load_checkpoint(tmp_path / "m.pt")
    assert ckpt["epoch"] == res.best_epoch and ckpt["note"] == "x" and ckpt["train_config"]["loss"] == "ccc"
    again = DLSTM(["audio", "video"], data.input_dims, 2, hidden_size=16)
    load_checkpoint(tmp_path / "m.pt", again)
    a, b = predict(model, data.sessions, cfg), predict(again, data.sessions, cfg)
    np.testing.assert_allclose(a[4]["pred"], b[4]["pred"], atol=1e-6)
    dev = data.sessions[4]
    score = np.mean([metrics.ccc(dev.y[:, j], a[4]["pred"][:, j]) for j in range(2)])
    assert score == pytest.approx(res.best_score, abs=1e-5)


def test_same_seed_same_history_and_early_stopping_waits_patience_epochs(corpus):
    data = load(corpus)
    cfg = TrainConfig(sequence_length=50, batch_size=8, learning_rate=0.05, max_epochs=40, patience=2, loss="mse", seed=3)
    runs = []
    for _ in range(2):
        seed_everything(cfg.seed)
        runs.append(fit(_Linear(), data, cfg).history)
    timing = ["seconds", "cpu_seconds"]
    pd.testing.assert_frame_equal(runs[0].drop(columns=timing), runs[1].drop(columns=timing))
    hist = runs[0]
    assert len(hist) < 40  # stopped early
    after_best = hist.loc[hist["epoch"] > hist.loc[hist["best"], "epoch"].max()]
    assert len(after_best) == 2


def test_warm_up_epochs_are_trained_but_never_selected(corpus):
    data = load(corpus)
    cfg = TrainConfig(sequence_length=50, max_epochs=6, patience=10, learning_rate=0.05, seed=0)
    model = _Linear(warmup=4)
    res = fit(model, data, cfg)
    assert model.epochs_seen == [0, 1, 2, 3, 4, 5]
    assert res.best_epoch >= 4 and not res.history.loc[:3, "selectable"].any()
    with pytest.raises(ValueError, match="warm-up"):
        fit(_Linear(warmup=6), data, cfg)


class _BrokenAfterWarmup(_Linear):
    """Predicts a constant (dev CCC 0) once its warm-up is over: only a warm-up epoch can be best."""

    def __init__(self, warmup, selectable):
        super().__init__(warmup)
        self.warmup_selectable = selectable

    def forward(self, x, mask):
        pred = super().forward(x, mask)["pred"]
        return {"pred": pred * (0.0 if self.epochs_seen[-1] >= self.warmup_epochs else 1.0)}


def test_selectable_warm_up_epochs_can_be_chosen_but_never_end_training(corpus):
    data = load(corpus)
    cfg = TrainConfig(sequence_length=50, max_epochs=20, patience=3, learning_rate=0.05, seed=0)
    res = fit(_BrokenAfterWarmup(warmup=4, selectable=True), data, cfg)
    hist = res.history
    assert res.best_epoch < 4 and res.best_score > 0.3, hist.to_string()
    assert hist["selectable"].all()
    # patience counts only after the warm-up: 4 warm-up epochs, then 3 without improvement
    assert len(hist) == 4 + 3, hist.to_string()
    res = fit(_BrokenAfterWarmup(warmup=4, selectable=False), data, cfg)
    assert res.best_epoch >= 4 and res.best_score == pytest.approx(0.0, abs=1e-6), res.history.to_string()


def test_prediction_table_has_the_store_layout_and_extra_outputs(corpus):
    data = load(corpus)
    cfg = TrainConfig(sequence_length=100)
    model = DLSTM(["video"], data.input_dims, 2, hidden_size=8, embedding_attention=True, attention_window=3, bypass_epochs=0)
    model.on_epoch_start(0)
    table = prediction_table(data, predict(model, data.sessions, cfg, extras=True))
    assert list(table.columns[:9]) == ["session", "t_start", "t_end", "partition", "label_valid", "arousal", "valence",
                                       "arousal_pred", "valence_pred"]
    assert list(table.columns[9:]) == ["embedding_attention_0", "embedding_attention_1", "embedding_attention_2"]
    assert len(table) == 6 * 230 and table[["arousal_pred", "valence_pred"]].notna().all().all()
    w = table[["embedding_attention_0", "embedding_attention_1", "embedding_attention_2"]].to_numpy()
    # weights sum to 1 over each window, except where the whole window lacks the modality (s1, 51–58)
    expected = np.ones(len(table))
    expected[51:59] = 0.0
    np.testing.assert_allclose(w.sum(1), expected, atol=1e-5)
    store.validate_table(table)


def test_training_needs_a_dev_partition(corpus):
    root, manifest = corpus
    no_dev = manifest.assign(partition=manifest["partition"].replace("devel", "train"))
    data = seqdata.load("toy", no_dev, {"audio": ["voice"]}, ["arousal"], labels_root=root / "labels", features_root=root / "features")
    with pytest.raises(ValueError, match="no sessions in the dev partition"):
        fit(_Linear(), data, TrainConfig(max_epochs=1))


def test_sgd_with_momentum_and_weight_decay_is_the_configured_optimiser_and_learns(corpus):
    from affectflow.models.sequence.train import make_optimiser

    sgd = make_optimiser(_Linear().parameters(), TrainConfig(optimiser="sgd", learning_rate=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4))
    assert isinstance(sgd, torch.optim.SGD)
    assert {k: sgd.defaults[k] for k in ("lr", "momentum", "nesterov", "weight_decay")} == {"lr": 0.1, "momentum": 0.9, "nesterov": True,
                                                                                          "weight_decay": 1e-4}
    assert isinstance(make_optimiser(_Linear().parameters(), TrainConfig()), torch.optim.Adam)
    with pytest.raises(ValueError, match="unknown optimiser 'rmsprop'"):
        TrainConfig(optimiser="rmsprop")
    with pytest.raises(ValueError, match="nesterov needs momentum > 0"):
        TrainConfig(optimiser="sgd", nesterov=True)
    with pytest.raises(ValueError, match=r"momentum \(0.9\) and nesterov \(False\) are SGD settings but the optimiser is adam"):
        TrainConfig(momentum=0.9)
    data = load(corpus)
    cfg = TrainConfig(sequence_length=50, batch_size=8, optimiser="sgd", learning_rate=0.05, momentum=0.9, max_epochs=15, patience=15,
                      loss="ccc", seed=1)
    seed_everything(cfg.seed)
    res = fit(_Linear(), data, cfg)
    assert res.best_score > 0.6, res.history.to_string()


@pytest.mark.parametrize("schedule", ["onecycle", "cosine"])
def test_an_lr_schedule_steps_every_batch_over_max_epochs_and_still_learns(corpus, schedule):
    from affectflow.models.sequence.train import make_optimiser, make_scheduler

    cfg = TrainConfig(sequence_length=50, batch_size=8, learning_rate=0.03, lr_schedule=schedule, max_epochs=10, patience=10, loss="ccc")
    lrs, opt = [], make_optimiser(_Linear().parameters(), cfg)
    sched = make_scheduler(opt, cfg, steps_per_epoch=5)
    for _ in range(50):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    peak = int(np.argmax(lrs))
    if schedule == "onecycle":  # from peak / 25 up to the peak at 30 % of the steps, then down to ~peak / 10^4
        assert lrs[0] == pytest.approx(0.03 / 25) and 13 <= peak <= 15 and max(lrs) == pytest.approx(0.03, rel=1e-3)
        assert lrs[-1] < 0.03 / 100
    else:
        assert peak == 0 and lrs[0] == 0.03 and lrs[-1] < 0.03 / 100 and lrs[25] == pytest.approx(0.015, rel=0.05)
    seed_everything(0)
    res = fit(_Linear(), load(corpus), cfg)
    assert res.history["lr"].iloc[-1] < res.history["lr"].max() / 10, res.history.to_string()
    assert res.best_score > 0.6, res.history.to_string()
    with pytest.raises(ValueError, match="unknown lr_schedule 'step'"):
        TrainConfig(lr_schedule="step")


def test_separate_dimensions_trains_a_network_per_dimension_each_kept_at_its_own_best_dev_epoch(corpus, tmp_path):
    root, manifest = corpus
    from affectflow.core import config
    from affectflow.models.sequence import run
    models = {"d": config.model_defaults({"kind": "dlstm", "modalities": {"audio": ["voice"], "video": ["face"]}, "hidden_size": 8,
                                          "sequence_length": 50, "batch_size": 8, "max_epochs": 12, "patience": 12, "loss": "ccc",
                                          "repeats": 1, "separate_dimensions": True})}
    out = {k: tmp_path / f"{k}" for k in ("predictions", "checkpoint", "history", "info")}
    summary = run.train_repeat(dataset="toy", name="d", models=models, manifest=manifest, dims=["arousal", "valence"], repeat=0, seed=3,
                               **out, labels_root=root / "labels", features_root=root / "features")
    history = pd.read_csv(out["history"])
    ckpt = load_checkpoint(out["checkpoint"])
    assert sorted(ckpt["per_dimension"]) == ["arousal", "valence"] and ckpt["dims"] == ["arousal", "valence"]
    data = load(corpus)
    table = store.read(out["predictions"])
    for dim in ["arousal", "valence"]:
        own = history[history["dimension"] == dim].reset_index(drop=True)
        assert len(own) == 12 and own[f"dev_ccc_{dim}"].notna().all()
        assert [c for c in own.dropna(axis=1).columns if c.startswith("dev_ccc_")] == [f"dev_ccc_{dim}"]
        # each network is kept at the epoch best for its own dimension, not for the mean of both
        assert ckpt["per_dimension"][dim]["epoch"] == own[f"dev_ccc_{dim}"].idxmax() == summary["best_epochs"][dim] - 1
        # and the table's column of the dimension is that network's prediction
        net = run.build("d", models, data.input_dims, 1)
        net.load_state_dict(ckpt["per_dimension"][dim]["state_dict"])
        pred = predict(net, data.sessions, TrainConfig(sequence_length=50))
        np.testing.assert_allclose(table[f"{dim}_pred"].to_numpy(), np.concatenate([p["pred"][:, 0] for p in pred]), atol=1e-5)
    assert summary["dev_score"] > 0.5, history.to_string()
    with pytest.raises(ValueError, match="one network per dimension"):
        load_checkpoint(out["checkpoint"], run.build("d", models, data.input_dims, 2))
