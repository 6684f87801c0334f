"""The temporal-aggregation rules end to end on the shared CREMA-D subset (mechanics, not accuracy).

12 clips of 2 actors (1001 with video, 1002 audio only) -> 2 actor-disjoint folds, N in {2, 3}
(and N = 1, Table I's single-segment baseline), a tiny network trained for 2 epochs on CPU.
"""
import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPO, shared_data, snakemake

B, D = 0.01, 1.28


@pytest.fixture(scope="module")
def cremad_run(tmp_path_factory):
    root = shared_data("cremad_subset")
    cfg = yaml.safe_load((REPO / ".test/config-cremad.yaml").read_text())
    cfg["datasets"]["cremad"]["options"]["root"] = str(root)
    work = tmp_path_factory.mktemp("cremad_ta")
    (work / "config.yaml").write_text(yaml.safe_dump(cfg))
    proc = snakemake(work, "--cores", "2", "--resources", "gpu=0")
    return work, proc


@pytest.mark.slow
def test_folds_are_actor_disjoint_and_predictions_sum_segment_probabilities(cremad_run):
    work, proc = cremad_run
    assert "only 2 actors for 10 folds: using 2 folds" in proc.stdout
    for n in (2, 3):
        folds = [pd.read_parquet(work / f"results/temporal_aggregation/cremad/birhala_av/N{n}/fold{k}.parquet") for k in (0, 1)]
        actors = [set(f["speaker"]) for f in folds]
        assert len(actors[0]) == len(actors[1]) == 1 and not actors[0] & actors[1] and actors[0] | actors[1] == {"1001", "1002"}
        pred = pd.concat(folds)
        assert len(pred) == 12 and pred["session"].is_unique
        scores = pred.filter(like="score_").to_numpy()
        assert scores.shape[1] == 6 and np.allclose(scores.sum(axis=1), n, atol=1e-4)  # N segments, each summing to 1
        assert (pred["pred"] == pred.filter(like="score_").idxmax(axis=1).str.removeprefix("score_")).all()
        # actor 1002 has no video: every segment flagged faceless; actor 1001's frames have faces
        assert (pred.set_index("speaker").loc["1002", "faceless_segments"] == n).all()
        assert (pred.set_index("speaker").loc["1001", "faceless_segments"] == 0).all()


@pytest.mark.slow
def test_random_offsets_stay_in_bounds_on_the_real_clips(cremad_run):
    work, _ = cremad_run
    draws = pd.concat(pd.read_parquet(work / f"results/temporal_aggregation/cremad/birhala_av/N3/fold{k}_draws.parquet") for k in (0, 1))
    assert len(draws) == 12 * 3 and sorted(draws["segment"].unique()) == [0, 1, 2]
    assert (np.abs(draws["centre"] - draws["frame_time"]) <= B + 1e-9).all()
    assert ((draws["frame_time"] >= draws["seg_start"]) & (draws["frame_time"] <= draws["seg_end"])).all()
    clip_end = draws.groupby("session")["seg_end"].transform("max")
    assert ((draws["win_start"] >= -D / 2 - B) & (draws["win_end"] <= clip_end + D / 2 + B)).all()
    assert np.allclose(draws["win_end"] - draws["win_start"], D)
    assert 1.5 < clip_end.min() and clip_end.max() < 3.5  # CREMA-D clips are 2-3 s long


@pytest.mark.slow
def test_tables_and_plots_are_written(cremad_run):
    work, _ = cremad_run
    base = work / "results/tables/cremad/birhala_av"
    for n in (2, 3):
        confusion = pd.read_csv(base / f"N{n}/confusion.csv", index_col=0)
        assert list(confusion.index) == list(confusion.columns) == ["anger", "disgust", "fear", "happiness", "neutral", "sadness"]
        assert confusion.to_numpy().sum() == 12 and (confusion.sum(axis=1) == 2).all()
        summary = pd.read_csv(base / f"N{n}/summary.csv").iloc[0]
        assert summary["folds"] == 2 and summary["clips"] == 12
        assert summary["mean_accuracy"] == pytest.approx(np.trace(confusion.to_numpy()) / 12, abs=1e-6)  # equal fold sizes; CSV keeps 6 decimals
        text = (base / f"N{n}/accuracy.md").read_text()
        assert "Speaker-independent 2-fold" in text and "## Confusion matrix" in text
        # the 6 clips of actor 1002 have no video: all their n segments are faceless, none of 1001's
        assert (summary["segments_drawn"], summary["faceless_segments"]) == (12 * n, 6 * n)
        assert (summary["clips_with_a_faceless_segment"], summary["clips_without_any_face"]) == (6, 6)
        assert f"**{6 * n} of {12 * n}** held-out segments" in text
        assert (work / f"results/plots/cremad/birhala_av/N{n}_confusion.png").read_bytes()[:4] == b"\x89PNG"
    assert pd.read_csv(base / "accuracy_vs_segments.csv")["segments"].tolist() == [2, 3]
    assert (work / "results/plots/cremad/birhala_av/accuracy_vs_segments.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_table1_has_the_single_segment_baseline_on_the_same_folds_and_the_training_time(cremad_run):
    work, _ = cremad_run
    base = work / "results/temporal_aggregation/cremad/birhala_av"
    fold_of = {n: pd.concat(pd.read_parquet(base / f"N{n}/fold{k}.parquet") for k in (0, 1)).set_index("session")["fold"].sort_index()
               for n in (1, 2, 3)}
    assert fold_of[1].equals(fold_of[2]) and fold_of[1].equals(fold_of[3])  # N = 1 evaluated on the very same folds
    tables = work / "results/tables/cremad/birhala_av"
    table = pd.read_csv(tables / "table1.csv", dtype={"folds_digest": str})
    assert table["segments"].tolist() == [1, 2, 3] and table["folds_digest"].nunique() == 1
    for n in (1, 2, 3):
        summary = pd.read_csv(tables / f"N{n}/summary.csv", dtype={"folds_digest": str}).iloc[0]
        row = table.set_index("segments").loc[n]
        assert row["accuracy_pct"] == pytest.approx(100 * summary["mean_accuracy"], abs=1e-3)
        # training time: the sum of the measured per-epoch seconds of both folds' histories
        hist = pd.concat(pd.read_csv(base / f"N{n}/fold{k}_history.csv") for k in (0, 1))
        assert row["train_seconds"] == pytest.approx(hist["train_seconds"].sum(), abs=1e-3) and row["train_seconds"] > 0
    text = (tables / "table1.md").read_text()
    assert "Single segment (N = 1), same folds" in text and "Temporal aggregation, N = 3" in text


@pytest.mark.slow
def test_learning_curves_have_one_finite_row_per_epoch_and_a_plot(cremad_run):
    work, _ = cremad_run
    base = work / "results/temporal_aggregation/cremad/birhala_av"
    cols = ["train_loss", "train_accuracy", "val_loss", "val_accuracy"]
    for n in (1, 2, 3):
        curves = pd.read_csv(work / f"results/tables/cremad/birhala_av/N{n}/curves.csv")
        assert curves["epoch"].tolist() == [0, 1] and np.isfinite(curves[cols].to_numpy()).all()  # 2 epochs configured
        assert ((curves[["train_accuracy", "val_accuracy"]] >= 0) & (curves[["train_accuracy", "val_accuracy"]] <= 1)).all().all()
        hist = pd.concat(pd.read_csv(base / f"N{n}/fold{k}_history.csv") for k in (0, 1))
        assert np.allclose(curves[cols], hist.groupby("epoch")[cols].mean())  # the mean of the two folds
        # validation = the held-out fold with its final draw: the last epoch's accuracy is the fold's accuracy
        for k in (0, 1):
            pred = pd.read_parquet(base / f"N{n}/fold{k}.parquet")
            last = hist[(hist["fold"] == k)].iloc[-1]
            assert last["val_accuracy"] == pytest.approx((pred["label"] == pred["pred"]).mean(), abs=1e-6)
        assert (work / f"results/plots/cremad/birhala_av/N{n}_curves.png").read_bytes()[:4] == b"\x89PNG"
