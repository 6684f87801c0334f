"""Late fusion (rios-…): inputs, segments, models, HPO folds, Table 1 — on small label-only corpora."""
import numpy as np
import pandas as pd
import pytest

from affectflow.core import config, store
from affectflow.models.late_fusion import inputs, models, pipeline, report, segment_tables, training
from late_fusion_corpus import DIMS, make_corpus, write_predictions

OFFICIAL = {0: "train", 1: "train", 2: "train", 3: "devel", 4: "test", 5: "test"}


def fuse(roots, manifest, modalities, kinds, combination=None, **fusion):
    cfg = {"modalities": modalities, "models": kinds, "trials": 3, **fusion}
    return pipeline.run_combination("toy", manifest, cfg, combination or list(modalities), DIMS, roots=roots)


def test_external_avec_files_are_fused_and_temporal_context_recovers_a_lag(tmp_path):
    roots, manifest = make_corpus(tmp_path, partitions=OFFICIAL, smooth_frames=3)
    lag = 5  # the external system answers 0.5 s late: its frame t+5 carries the gold of frame t

    def late(table):
        table[DIMS] = table[DIMS].shift(lag).bfill().to_numpy()
        return table.iloc[:-20]  # and stops 2 s before the end of the session
    folder = write_predictions(tmp_path, roots, manifest, "other_system", {"arousal": 1.0, "valence": 1.0}, transform=late)
    external = {"ext": [{"avec": str(folder)}]}

    table, cols = inputs.fusion_frames("toy", manifest["session"].tolist(), external, roots, context_frames=lag)
    first = table[table["session"] == "s00_0"]
    raw = pd.read_csv(folder / "s00_0.csv", sep=";")
    assert np.allclose(first["ext/avec-other_system__arousal"].to_numpy()[:len(raw)], raw["arousal"], atol=1e-5)
    assert not first["ext/avec-other_system__present"].to_numpy()[-20:].any() and first["ext/avec-other_system__present"].to_numpy()[:-20].all()
    assert first["ext/avec-other_system__arousal"].isna().to_numpy()[-20:].all()  # missing stays NaN, never zero
    assert f"ext/avec-other_system__arousal@+{lag}" in cols and len(cols) == 2 * (2 * lag + 1) + 1

    _, without, _ = fuse(roots, manifest, external, ["svr"])
    _, with_context, _ = fuse(roots, manifest, external, ["svr"], context_frames=lag)
    print(without.drop(columns="params"), with_context.drop(columns="params"), sep="\n")
    for dim in DIMS:
        ccc_ctx = with_context.set_index("dimension").loc[dim, "ccc"]
        assert ccc_ctx > 0.9 and ccc_ctx > without.set_index("dimension").loc[dim, "ccc"] + 0.1


def test_unimodal_model_predictions_are_an_input(tmp_path):
    roots, manifest = make_corpus(tmp_path, n_speakers=2, sessions_per_speaker=1, duration_s=5)
    labels = pd.concat([store.read(f"{roots.labels}/toy/{s}.parquet") for s in manifest["session"]], ignore_index=True)
    pred = labels.assign(arousal_pred=labels["arousal"] * 2, valence_pred=np.nan).iloc[::2]  # every other frame only
    store.write(pred, f"{roots.predictions}/toy/ridge.parquet", {"model": "ridge"})
    table, cols = inputs.fusion_frames("toy", manifest["session"].tolist(), {"audio": [{"predictions": "ridge", "columns": ["arousal_pred"]}]}, roots)
    assert cols == ["audio/predictions-ridge__arousal_pred", "audio/predictions-ridge__present"]
    col = table["audio/predictions-ridge__arousal_pred"].to_numpy()
    assert np.allclose(col[::2], 2 * table["arousal"].to_numpy()[::2], atol=1e-5) and np.isnan(col[1::2]).all()
    with pytest.raises(inputs.FusionInputError, match=r"ridge\.parquet: column\(s\) \['dominance_pred'\] not found"):
        inputs.fusion_frames("toy", manifest["session"].tolist(), {"audio": [{"predictions": "ridge", "columns": ["dominance_pred"]}]}, roots)
    with pytest.raises(inputs.FusionInputError, match=r"nowhere/s00_0\.csv: prediction file not found"):
        inputs.fusion_frames("toy", manifest["session"].tolist(), {"x": [{"avec": str(tmp_path / "nowhere")}]}, roots)


def test_fused_model_beats_every_unimodal_one_on_the_planted_dimensions(tmp_path):
    """Synthetic unimodal systems with the demo's planted signals (voice→arousal, words→valence, face→both, weaker)."""
    roots, manifest = make_corpus(tmp_path, partitions=OFFICIAL)
    planted = {"audio": {"arousal": 0.7, "valence": 0.1}, "text": {"valence": 0.7, "arousal": 0.1}, "face": {"arousal": 0.45, "valence": 0.45}}
    modalities = {name: [{"avec": str(write_predictions(tmp_path, roots, manifest, name, strength, seed=seed + 1))}]
                  for seed, (name, strength) in enumerate(planted.items())}
    combos = report.combinations(list(modalities))
    assert combos == ["audio", "text", "face", "audio+text", "audio+face", "text+face", "audio+text+face"]
    scores = {c: fuse(roots, manifest, modalities, ["svr"], c.split("+"), unit={"kind": "frames", "frame_step": 3})[1] for c in combos}
    table = report.table1(report.grid_table(scores), DIMS, combos).set_index("modalities")
    print(table)
    for dim in DIMS:
        assert table.loc["audio+text+face", f"{dim}_ccc"] > table.loc[["audio", "text", "face"], f"{dim}_ccc"].max() + 0.02
    assert table.loc["audio", "arousal_ccc"] > 0.5 and table.loc["text", "valence_ccc"] > 0.5


def test_labels_shuffled_across_speakers_give_ccc_near_zero_under_speaker_disjoint_folds(tmp_path):
    # speakers differ in their label level, and the input knows each speaker (it tracks the original labels)
    roots, manifest = make_corpus(tmp_path, n_speakers=40, sessions_per_speaker=1, duration_s=5, speaker_level=1.5, seed=3)
    signal = write_predictions(tmp_path, roots, manifest, "signal", {"arousal": 0.9, "valence": 0.9}, seed=5)
    sessions = manifest["session"].tolist()
    originals = {s: store.read(f"{roots.labels}/toy/{s}.parquet") for s in sessions}
    donors = np.roll(sessions, 7)  # every speaker gets another speaker's labels
    for s, d in zip(sessions, donors):
        store.write(originals[d].assign(session=s), f"{roots.labels}/toy/{s}.parquet", {"shuffled_from": d})
    pitch = dict(zip(sessions, np.random.default_rng(1).uniform(80, 250, len(sessions))))

    def speaker_pitch(table):  # a per-speaker constant, as a voice's mean pitch: it identifies the speaker
        table[DIMS] = pitch[table["name"].iloc[0]]
        return table
    voice = write_predictions(tmp_path, roots, manifest, "pitch", {}, transform=speaker_pitch)
    modalities = {"signal": [{"avec": str(signal)}], "voice": [{"avec": str(voice)}]}
    cfg = {"unit": {"kind": "frames", "frame_step": 5}}
    _, disjoint, info = fuse(roots, manifest, modalities, ["knn"], **cfg)
    assert info["split"] == "nested speaker-disjoint CV"
    # the control that proves the test can fail: folds that ignore speakers find the speakers' levels again
    leaky = manifest.assign(speaker=manifest["session"] + "_" + "row")
    table, cols, _ = pipeline.combination_table("toy", leaky, modalities, DIMS, cfg["unit"], roots=roots)
    table["speaker"] = np.arange(len(table)).astype(str)  # every row its own "speaker" = random folds
    _, leaked, _ = training.run(table, cols, DIMS, ["knn"], training.Tuner(trials=3))
    print(disjoint.drop(columns="params"), leaked.drop(columns="params"), sep="\n")
    assert (disjoint["ccc"].abs() < 0.2).all()
    assert (leaked["ccc"] > 0.4).all()


def test_segments_pool_inputs_and_average_right_shifted_labels():
    t = np.round(np.arange(100) * 0.1, 6)
    frames = pd.DataFrame({"session": "a", "t_start": t, "t_end": np.round(t + 0.1, 6), "speaker": "x", "partition": "",
                           "arousal": t, "valence": -t, "label_valid": True, "f": 2 * t})
    frames.loc[frames["t_start"] >= 9.0, "label_valid"] = False
    frames.loc[frames["t_start"] < 0.5, "f"] = np.nan  # an input missing on some frames: ignored, never zero
    segs = segment_tables.rolling_windows(frames, 2.0, 1.5)
    assert segs["t_start"].tolist() == [0.0, 1.5, 3.0, 4.5, 6.0, 7.5] and segs["t_end"].iloc[-1] == 9.5
    table = segment_tables.segment_table(frames, segs, ["f"], ["arousal", "valence"], {"arousal": 1.0, "valence": 0.0}, keep=("speaker",))
    assert table.loc[0, "f"] == pytest.approx(2 * np.mean(t[5:20]))  # mean of 2t over [0.5, 2)
    assert table.loc[0, "arousal"] == pytest.approx(1.95)   # mean of t over [1, 3): shifted right by 1 s
    assert table.loc[0, "valence"] == pytest.approx(-0.95)  # its own shift: none
    assert table.loc[5, "arousal"] == pytest.approx(8.7)    # [8.5, 9.5) minus the unlabelled frames from 9 s
    assert (table["speaker"] == "x").all() and table["segment_id"].tolist()[:2] == ["a-0000", "a-0001"]
    late = segment_tables.segment_table(frames, pd.DataFrame({"session": ["a"], "t_start": [8.5], "t_end": [9.0]}), ["f"], ["arousal"], 1.0)
    assert not late.loc[0, "label_valid"] and np.isnan(late.loc[0, "arousal"])  # its shifted window holds no labelled frame
    with pytest.raises(segment_tables.SegmentError, match="ipus.csv: missing column"):
        segment_tables.check_segments(pd.DataFrame({"session": ["a"], "start": [0.0]}), "ipus.csv")


def test_the_optimised_label_shift_recovers_a_planted_annotation_delay(tmp_path):
    """Annotators who react 2 s late (arousal) and 1 s late (valence): the shift search finds both delays."""
    roots, manifest = make_corpus(tmp_path, partitions=OFFICIAL, duration_s=40, smooth_frames=15)
    delay = {"arousal": 20, "valence": 10}  # frames

    def on_time(table):  # the system sees the emotion when it happens: the labels' future
        for d, k in delay.items():
            table[d] = table[d].shift(-k).ffill().to_numpy()
        return table
    system = write_predictions(tmp_path, roots, manifest, "system", {"arousal": 0.95, "valence": 0.95}, seed=2, transform=on_time)
    unit = {"kind": "rolling", "length_s": 3.0, "hop_s": 1.0, "label_shift_s": [0.0, 1.0, 2.0, 3.0]}
    table, cols, chosen = pipeline.combination_table("toy", manifest, {"x": [{"avec": str(system)}]}, DIMS, unit, roots=roots)
    print(chosen)
    assert chosen["label_shift"]["chosen_s"] == {"arousal": 2.0, "valence": 1.0}
    ccc = chosen["label_shift"]["cv_ccc"]
    assert ccc["arousal"][2] > ccc["arousal"][0] + 0.2 and ccc["valence"][1] > ccc["valence"][3] + 0.1
    pool = pipeline.tuning_pool(table)  # the rows the choice looked at: never the test partition
    assert set(table.loc[pool, "partition"]) == {"train", "devel"} and set(table.loc[~pool, "partition"]) == {"test"}


def test_ff_keeps_the_epoch_with_the_best_dev_ccc():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 5))
    Y = np.column_stack([X[:, 0] + 0.5 * rng.standard_normal(400), X[:, 1] - X[:, 2]])
    net = models.build("ff_mt", {"epochs": 12, "hidden": 16, "lr": 0.01}, n_outputs=2).fit(X[:300], Y[:300], None, X[300:], Y[300:])
    assert len(net.dev_curve) == 12 and net.best_epoch == int(np.argmax(net.dev_curve))
    # the best epoch is not the last one here, so keeping the best is visible in the predictions
    assert net.best_epoch < 11 and net.dev_curve[net.best_epoch] - net.dev_curve[-1] > 2e-4
    P = net.predict(X[300:])

    def ccc(x, y):  # Lin's CCC with population moments, written out here (not affectflow's metrics)
        return 2 * np.mean((x - x.mean()) * (y - y.mean())) / (x.var() + y.var() + (x.mean() - y.mean()) ** 2)

    dev_ccc = np.mean([ccc(Y[300:, j], P[:, j]) for j in range(2)])
    assert dev_ccc == pytest.approx(net.dev_curve[net.best_epoch], abs=1e-4) and dev_ccc > 0.5
    assert abs(dev_ccc - net.dev_curve[-1]) > 1e-4
    layers = [type(m).__name__ for m in net.net]
    assert layers == ["BatchNorm1d", "Linear", "Sigmoid", "Dropout", "Linear"] and net.net[3].p == 0.1 and net.p["batch_size"] == 40


def test_table1_picks_the_best_cv_model_and_says_how_ccc_was_computed(tmp_path):
    grid = pd.DataFrame([
        {"combination": "audio", "model": "SVR", "dimension": "arousal", "ccc": 0.41, "mae": 0.10, "cv_ccc": 0.5},
        {"combination": "audio", "model": "KNN", "dimension": "arousal", "ccc": 0.60, "mae": 0.09, "cv_ccc": 0.3},
        {"combination": "audio+text", "model": "FF-MT", "dimension": "arousal", "ccc": 0.57, "mae": 0.08, "cv_ccc": 0.6},
    ])
    table = report.table1(grid, ["arousal"], ["audio", "audio+text"])
    assert table["arousal_model"].tolist() == ["SVR", "FF-MT"] and table["arousal_ccc"].tolist() == [0.41, 0.57]
    caption = report.caption("avec", "official partitions")
    report.write_table1(table, ["arousal"], caption, "t", tmp_path / "t.md", tmp_path / "t.csv", tmp_path / "t.tex", "tab:t")
    md, tex = (tmp_path / "t.md").read_text(), (tmp_path / "t.tex").read_text()
    assert "CCC pooled over all sessions" in md and "covariance 1/N, variances N−1" in md
    assert r"\multicolumn{3}{c}{Arousal}" in tex and r"audio-text & FF-MT & \textbf{.57} & .08 \\" in tex
    assert pd.read_csv(tmp_path / "t.csv").columns.tolist() == ["modalities", "arousal_model", "arousal_ccc", "arousal_mae"]


def test_config_names_an_unlisted_segmenter_and_a_foreign_extractor():
    cfg = config.load("config.yaml")
    cfg["fusions"]["demo_late"]["unit"] = {"kind": "segmenter", "name": "utterances_elsewhere"}
    cfg["fusions"]["demo_late"]["modalities"]["audio"] = [{"store": "opensmile_elsewhere"}]
    with pytest.raises(config.ConfigError) as err:
        config.check_references(cfg)
    assert "segmenter 'utterances_elsewhere' is not among dataset 'demo' segments" in str(err.value) and "extractor 'opensmile_elsewhere' is not among dataset 'demo'" in str(err.value)
    cfg = config.load("config.yaml")
    cfg["fusions"]["demo_late"]["models"] = ["knn", "random_forest"]
    with pytest.raises(config.ConfigError, match="random_forest"):
        config.validate(cfg)


def test_segmenter_units_read_the_stored_segments_and_name_a_missing_file(tmp_path):
    roots, manifest = make_corpus(tmp_path, n_speakers=3, sessions_per_speaker=1, duration_s=10)
    system = write_predictions(tmp_path, roots, manifest, "system", {"arousal": 0.9, "valence": 0.9})
    modalities = {"x": [{"avec": str(system)}]}
    unit = {"kind": "segmenter", "name": "ipu", "label_shift_s": 0.5}
    with pytest.raises(segment_tables.SegmentError, match=r"segments/toy/ipu/s00_0\.parquet: segments not found \(segmenter 'ipu'; 3 session"):
        pipeline.combination_table("toy", manifest, modalities, DIMS, unit, roots=roots)
    for s in manifest["session"]:  # two units per session, as the ipu rule writes them
        store.write(pd.DataFrame({"session": s, "t_start": [0.5, 4.0], "t_end": [3.0, 9.0], "segment": np.arange(2, dtype=np.int32)}),
                    f"{roots.segments}/toy/ipu/{s}.parquet", {"segmenter": "ipu"})
    table, cols, chosen = pipeline.combination_table("toy", manifest, modalities, DIMS, unit, roots=roots)
    assert len(table) == 6 and table["segment_id"].tolist()[:2] == ["s00_0-0000", "s00_0-0001"]
    labels = store.read(f"{roots.labels}/toy/s00_0.parquet")
    t, a = labels["t_start"].to_numpy(), labels["arousal"].to_numpy()
    expected = a[(t >= 1.0 - 1e-9) & (t < 3.5 - 1e-9)].mean()  # [0.5, 3.0) shifted right by 0.5 s: frames 10..34
    unshifted = a[5:30].mean()
    assert abs(expected - unshifted) > 1e-3  # the labels vary enough for the check to see a missing shift
    assert table.loc[0, "arousal"] == pytest.approx(expected, abs=1e-5)
    assert table.loc[1, "arousal"] == pytest.approx(a[45:95].mean(), abs=1e-5)  # [4.0, 9.0) → [4.5, 9.5): frames 45..94
    assert chosen["label_shift"]["chosen_s"] == {"arousal": 0.5, "valence": 0.5}
