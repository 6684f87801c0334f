"""Late fusion (rios-…): inputs, segments, models, HPO folds, Table 1 — on small label-only corpora."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from affectflow.core import config, store
from affectflow.evaluation import metrics
from affectflow.models.late_fusion import combinations, inputs, models, pipeline, report, segment_tables, training
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
    combos = combinations.combinations(list(modalities))
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
    # the choice never looks at the test partition: reversing the test sessions' labels changes nothing it chose
    for session in manifest.loc[manifest["partition"] == "test", "session"]:
        path = Path(roots.labels) / "toy" / f"{session}.parquet"
        grid = pd.read_parquet(path)
        grid[DIMS] = grid[DIMS].to_numpy()[::-1]
        store.write(grid, path, store.provenance(extractor="labels", extractor_version="test", dataset="toy", session=session, params={}))
    _, _, again = pipeline.combination_table("toy", manifest, {"x": [{"avec": str(system)}]}, DIMS, unit, roots=roots)
    assert again["label_shift"] == chosen["label_shift"]
    assert (manifest["partition"] == "test").any()


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


def _delayed_system(tmp_path, roots, manifest, name, delay, seed):
    """A system that sees the emotion when it happens: annotators (the labels) react ``delay`` frames later."""
    def on_time(table):
        for d, k in delay.items():
            table[d] = table[d].shift(-k).ffill().to_numpy()
        return table
    return write_predictions(tmp_path, roots, manifest, name, {"arousal": 0.95, "valence": 0.95}, seed=seed, transform=on_time)


def test_without_partitions_the_label_shift_is_chosen_per_outer_fold_and_shared_by_every_combination(tmp_path):
    """Old behaviour: the shift was searched on every row (the scored ones too) and per combination,
    so the audio and text rows of Table 1 were scored against different targets."""
    roots, manifest = make_corpus(tmp_path, n_speakers=6, sessions_per_speaker=1, duration_s=40, smooth_frames=15)
    modalities = {"audio": [{"avec": str(_delayed_system(tmp_path, roots, manifest, "audio", {"arousal": 20, "valence": 20}, 1))}],
                  "text": [{"avec": str(_delayed_system(tmp_path, roots, manifest, "text", {"arousal": 0, "valence": 0}, 2))}]}
    unit = {"kind": "rolling", "length_s": 3.0, "hop_s": 1.0, "label_shift_s": [0.0, 1.0, 2.0]}
    fusion = {"modalities": modalities, "models": ["svr"], "trials": 2, "folds": 3, "unit": unit}
    record = pipeline.shift_record("toy", manifest, fusion, DIMS, roots=roots)
    assert record["mode"] == "nested" and len(record["folds"]) == 3
    assert sorted(g for f in record["folds"] for g in f["held_out"]) == sorted(manifest["speaker"])
    # each fold's choice never sees its held-out rows: destroying their labels changes nothing
    held = record["folds"][0]["held_out"]
    for s in manifest.loc[manifest["speaker"].isin(held), "session"]:
        lab = store.read(f"{roots.labels}/toy/{s}.parquet")
        lab[DIMS] = np.random.default_rng(9).uniform(0, 1, (len(lab), len(DIMS)))
        store.write(lab, f"{roots.labels}/toy/{s}.parquet", {"destroyed": True})
    again = pipeline.shift_record("toy", manifest, fusion, DIMS, roots=roots)
    assert again["folds"][0]["chosen_s"] == record["folds"][0]["chosen_s"]
    assert np.allclose(again["folds"][0]["cv_ccc"]["arousal"], record["folds"][0]["cv_ccc"]["arousal"])
    assert not np.allclose(again["folds"][1]["cv_ccc"]["arousal"], record["folds"][1]["cv_ccc"]["arousal"])
    # one set of targets for every row of Table 1
    preds = {c: pipeline.run_combination("toy", manifest, fusion, [c], DIMS, roots=roots, shift=again)[0] for c in modalities}
    assert np.allclose(preds["audio"][DIMS].to_numpy(), preds["text"][DIMS].to_numpy(), equal_nan=True)
    # without the shared record each combination chooses its own shift: audio's delay is 2 s, text's 0 s
    own = {c: pipeline.combination_table("toy", manifest, {c: modalities[c]}, DIMS, unit, roots=roots, folds=3)[2] for c in modalities}
    print(own["audio"]["label_shift"]["folds"][1]["chosen_s"], own["text"]["label_shift"]["folds"][1]["chosen_s"])
    assert own["audio"]["label_shift"]["folds"][1]["chosen_s"]["arousal"] == 2.0
    assert own["text"]["label_shift"]["folds"][1]["chosen_s"]["arousal"] == 0.0


def test_nested_table1_reports_the_model_chosen_per_outer_fold_not_by_the_mean_over_folds(tmp_path):
    roots, manifest = make_corpus(tmp_path, n_speakers=4, sessions_per_speaker=1, duration_s=20)
    system = write_predictions(tmp_path, roots, manifest, "system", {"arousal": 0.8, "valence": 0.8})
    pred, scores, info = fuse(roots, manifest, {"x": [{"avec": str(system)}]}, ["knn", "svr"], folds=4,
                              unit={"kind": "frames", "frame_step": 4})
    sel = scores[scores["kind"] == "selected"].set_index("dimension")
    for dim in DIMS:
        chosen = info["selected"][dim]
        assert len(chosen) == 4 and set(chosen) <= {"KNN", "SVR"}
        # per fold, the kind with the best inner CV on that fold's training rows predicts its held-out rows
        for k, fold_name in enumerate(chosen):
            kinds = {"KNN": "knn", "SVR": "svr"}
            cvs = {n: info["models"][f"{kk}:{dim}"]["folds"][k]["cv_ccc"][0] for n, kk in kinds.items()}
            assert fold_name == max(cvs, key=cvs.get)
            held = pred["speaker"].isin(info["models"][f"knn:{dim}"]["folds"][k]["held_out"]).to_numpy()
            assert np.allclose(pred.loc[held, f"selected:{dim}_pred"], pred.loc[held, f"{kinds[fold_name].lower()}:{dim}_pred"])
        assert sel.loc[dim, "ccc"] > 0.5
    table = report.table1(report.grid_table({"x": scores}), DIMS, ["x"])
    assert table.loc[0, "arousal_ccc"] == pytest.approx(sel.loc["arousal", "ccc"])


def _partner_corpus(tmp_path):
    """6 conversations of 2 partners: partners share the conversation's labels (± a little) and a copy of
    one feature track that carries no information about the labels."""
    roots, manifest = make_corpus(tmp_path, n_speakers=12, sessions_per_speaker=1, duration_s=10, smooth_frames=4)
    manifest["group"] = [f"conv{i // 2}" for i in range(len(manifest))]
    noise = write_predictions(tmp_path, roots, manifest, "noise", {}, seed=4)
    rng = np.random.default_rng(0)
    for a, b in zip(manifest["session"][::2], manifest["session"][1::2]):
        lab = store.read(f"{roots.labels}/toy/{a}.parquet")
        lab[DIMS] = lab[DIMS].to_numpy() + 0.01 * rng.standard_normal((len(lab), len(DIMS)))
        store.write(lab.assign(session=b), f"{roots.labels}/toy/{b}.parquet", {"partner_of": a})
        pd.read_csv(noise / f"{a}.csv", sep=";").assign(name=b).to_csv(noise / f"{b}.csv", sep=";", index=False)
    return roots, manifest, {"x": [{"avec": str(noise)}]}


def test_partners_of_one_conversation_are_held_out_together_when_the_manifest_has_a_group(tmp_path):
    roots, manifest, modalities = _partner_corpus(tmp_path)
    unit = {"kind": "frames", "frame_step": 2}
    _, by_speaker, leak = fuse(roots, manifest.drop(columns="group"), modalities, ["knn"], folds=6, unit=unit)
    _, by_conv, clean = fuse(roots, manifest, modalities, ["knn"], folds=6, unit=unit)
    print(by_speaker[["kind", "dimension", "ccc"]], by_conv[["kind", "dimension", "ccc"]], sep="\n")
    # split by speaker: KNN finds the partner's identical frame and copies its label
    assert leak["held_out_exact_matches"] == len(manifest) * 50 and "group" in leak["warning"]
    assert (by_speaker["ccc"] > 0.9).all()
    assert clean["split"] == "nested group-disjoint CV" and clean["held_out_exact_matches"] == 0 and "warning" not in clean
    assert (by_conv["ccc"].abs() < 0.25).all()


def test_numeric_looking_session_ids_in_a_csv_segments_table_stay_text_and_nothing_is_dropped_silently(tmp_path):
    """Old behaviour: session ids 00-09 of a CSV segments table became 0-9 and their segments were dropped silently."""
    roots, manifest = make_corpus(tmp_path, n_speakers=12, sessions_per_speaker=1, duration_s=6)
    renamed = {s: f"{i:02d}" for i, s in enumerate(manifest["session"])}
    for old, new in renamed.items():
        store.write(store.read(f"{roots.labels}/toy/{old}.parquet").assign(session=new), f"{roots.labels}/toy/{new}.parquet", {})
    manifest = manifest.assign(session=manifest["session"].map(renamed))
    system = write_predictions(tmp_path, roots, manifest, "system", {"arousal": 0.9, "valence": 0.9})
    path = tmp_path / "segs.csv"
    pd.DataFrame({"session": [s for s in manifest["session"] for _ in range(2)], "t_start": [0.0, 3.0] * 12,
                  "t_end": [3.0, 6.0] * 12}).to_csv(path, index=False)
    fusion = {"modalities": {"x": [{"avec": str(system)}]}, "models": ["svr"], "trials": 1, "folds": 3,
              "unit": {"kind": "table", "path": str(path), "label_shift_s": 0.0}}
    pred, scores, info = pipeline.run_combination("toy", manifest, fusion, ["x"], DIMS, roots=roots)
    assert len(pred) == 24 and sorted(pred["session"].unique()) == [f"{i:02d}" for i in range(12)]
    assert info["counts"]["rows"] == 24 and info["counts"]["sessions_without_rows"] == []
    # a third of the sessions missing from the table: counted, and past max_dropped_fraction the job fails
    pd.read_csv(path, dtype=str).iloc[:8].to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"sessions without any row: 8 of 12"):
        pipeline.run_combination("toy", manifest, {**fusion, "max_dropped_fraction": 0.5}, ["x"], DIMS, roots=roots)
    _, _, info = pipeline.run_combination("toy", manifest, {**fusion, "max_dropped_fraction": 0.9}, ["x"], DIMS, roots=roots)
    assert len(info["counts"]["sessions_without_rows"]) == 8


def test_speaker_standardisation_with_one_row_per_speaker_falls_back_to_global_statistics(tmp_path):
    """Old behaviour: one clip per speaker gave std NaN, every input NaN and CCC about 0."""
    roots, manifest = make_corpus(tmp_path, n_speakers=30, sessions_per_speaker=1, duration_s=1, speaker_level=2.0)
    system = write_predictions(tmp_path, roots, manifest, "system", {"arousal": 0.9, "valence": 0.9})
    for s in manifest["session"]:  # clip-level: one labelled row per speaker
        store.write(store.read(f"{roots.labels}/toy/{s}.parquet").iloc[:1], f"{roots.labels}/toy/{s}.parquet", {"clip": True})
    fusion = {"modalities": {"x": [{"avec": str(system)}]}, "models": ["svr"], "trials": 2, "folds": 5, "standardise": "speaker",
              "unit": {"kind": "frames"}}
    table, cols, chosen = pipeline.combination_table("toy", manifest, fusion["modalities"], DIMS, fusion["unit"], standardise="speaker", roots=roots)
    assert len(table) == 30 and np.isfinite(table[cols].to_numpy()).all()
    assert chosen["standardise_fallback"] == sorted(manifest["speaker"])
    _, scores, _ = pipeline.run_combination("toy", manifest, fusion, ["x"], DIMS, roots=roots)
    print(scores[["kind", "dimension", "ccc"]])
    assert (scores["ccc"] > 0.5).all()


def test_the_mean_of_prediction_inputs_beats_the_best_input_and_table1_shows_that_input(tmp_path):
    """Three systems with independent errors: their mean beats each (old behaviour: no such candidate, and
    shrinking regressors stayed at the best input's level)."""
    roots, manifest = make_corpus(tmp_path, n_speakers=6, sessions_per_speaker=1, duration_s=30)
    modalities = {f"m{i}": [{"avec": str(write_predictions(tmp_path, roots, manifest, f"sys{i}", {"arousal": r, "valence": r}, seed=i))}]
                  for i, r in enumerate([0.6, 0.55, 0.5])}
    kinds = ["mean", "wmean", "best_input", "knn"]
    _, scores, info = fuse(roots, manifest, modalities, kinds, folds=3, unit={"kind": "frames", "frame_step": 3})
    by = scores.set_index(["kind", "dimension"])["ccc"]
    print(scores[["kind", "dimension", "ccc", "cv_ccc"]])
    for dim in DIMS:
        assert by["mean", dim] > by["best_input", dim] + 0.05 and by["wmean", dim] > by["best_input", dim] + 0.05
        assert by["selected", dim] >= by["best_input", dim] + 0.05  # chosen in the training folds: a mean
        assert 0.5 < by["best_input", dim] < 0.7  # the strongest system (r = 0.6) alone
    assert set(info["selected"]["arousal"]) <= {"Mean", "CV-weighted mean"}
    table = report.table1(report.grid_table({"m0+m1+m2": scores}), DIMS, ["m0+m1+m2"]).set_index("modalities")
    assert table.loc["best single input", "arousal_ccc"] == pytest.approx(by["best_input", "arousal"])
    assert table.loc["m0+m1+m2", "arousal_ccc"] == pytest.approx(by["selected", "arousal"])
    with pytest.raises(ValueError, match="needs inputs that are predictions of the dimension"):
        fuse(roots, manifest, {"m0": [{"avec": str(tmp_path / "external" / "sys0"), "columns": ["valence"]}]}, ["mean"], folds=3,
             unit={"kind": "frames", "frame_step": 3})


def test_ccc_aware_output_scaling_undoes_the_shrinkage_of_a_smoothing_regressor(tmp_path):
    roots, manifest = make_corpus(tmp_path, n_speakers=6, sessions_per_speaker=1, duration_s=30)
    weak = write_predictions(tmp_path, roots, manifest, "weak", {"arousal": 0.4, "valence": 0.4})
    table, cols, _ = pipeline.combination_table("toy", manifest, {"x": [{"avec": str(weak)}]}, DIMS, {"kind": "frames", "frame_step": 2}, roots=roots)
    tuned = training.Tuner(trials=0, folds=3)
    knn = {"n_neighbors": 200}  # strong smoothing: predictions shrink towards the mean
    X, Y = table[cols].to_numpy(), table[DIMS].to_numpy()
    groups = table["speaker"].to_numpy()
    plain = tuned.cv_predict("knn", knn, X, Y, groups)
    tuned.scale_output = True
    scaled = tuned.cv_predict("knn", knn, X, Y, groups)
    for j, dim in enumerate(DIMS):
        c_plain, c_scaled = metrics.ccc(Y[:, j], plain[:, j]), metrics.ccc(Y[:, j], scaled[:, j])
        print(dim, c_plain, c_scaled, plain[:, j].std(), scaled[:, j].std(), Y[:, j].std())
        assert c_scaled > c_plain + 0.05
        assert plain[:, j].std() < 0.6 * Y[:, j].std() and abs(scaled[:, j].std() / Y[:, j].std() - 1) < 0.35


def test_the_documented_cost_model_counts_the_fits_and_each_runs_every_modality_alone(tmp_path):
    assert combinations.combinations(["a", "b", "c"], "each") == ["a", "b", "c", "a+b+c"]
    assert len(combinations.combinations([f"m{i}" for i in range(9)], "each")) == 10
    assert len(combinations.combinations([f"m{i}" for i in range(9)])) == 511
    with pytest.raises(ValueError, match="'some'; expected 'all' or 'each'"):
        combinations.combinations(["a"], "some")
    roots, manifest = make_corpus(tmp_path, n_speakers=6, sessions_per_speaker=1, duration_s=6)
    system = write_predictions(tmp_path, roots, manifest, "system", {"arousal": 0.8, "valence": 0.8})
    _, _, info = fuse(roots, manifest, {"x": [{"avec": str(system)}]}, ["knn", "mean", "ff_mt"], folds=3, trials=2,
                      unit={"kind": "frames", "frame_step": 2}, ff={"epochs": 2})
    # outer folds × (trials × inner folds + 1) per model and task: knn 2 dims × 3 × (2·3+1), mean 2 × 3 × (3+1), ff_mt 1 × 3 × (3+1)
    assert info["planned_fits"] == 2 * 3 * 7 + 2 * 3 * 4 + 3 * 4 == 78
    assert info["fits"] == info["planned_fits"]
    assert training.planned_fits(["svr"], ["arousal"], trials=10, inner_folds=5, outer_folds=5) == 255


def test_the_frame_stride_thins_the_fits_but_every_frame_is_predicted_and_scored(tmp_path):
    roots, manifest = make_corpus(tmp_path, n_speakers=6, sessions_per_speaker=1, duration_s=20)
    system = write_predictions(tmp_path, roots, manifest, "system", {"arousal": 0.8, "valence": 0.8})
    modalities = {"x": [{"avec": str(system)}]}
    pred, scores, info = fuse(roots, manifest, modalities, ["knn", "wmean"], folds=3, inner_folds=2, trials=2, max_fit_rows=200)
    # 6 × 200 frames; an outer fold trains on 4 sessions = 800 frames -> every 4th frame, 200 rows per fit
    assert (info["fit_step"], info["fit_rows"]) == (4, 200)
    assert (scores["n"] == 1200).all() and pred["knn:arousal_pred"].notna().all()
    # inner folds are their own setting: knn 2 dims × 3 outer × (2 trials × 2 inner + 1), wmean 2 × 3 × (2 + 1)
    assert info["planned_fits"] == info["fits"] == 2 * 3 * 5 + 2 * 3 * 3
    _, every, every_info = fuse(roots, manifest, modalities, ["knn"], folds=3, inner_folds=2, trials=2, max_fit_rows=None)
    assert (every_info["fit_step"], every_info["fit_rows"]) == (1, 800)
    # neighbouring frames are near copies: a quarter of them tunes and fits about as well
    thin = scores.set_index(["kind", "dimension"])["ccc"]
    full = every.set_index(["kind", "dimension"])["ccc"]
    for d in DIMS:
        assert thin["knn", d] > 0.5 and abs(thin["knn", d] - full["knn", d]) < 0.1
