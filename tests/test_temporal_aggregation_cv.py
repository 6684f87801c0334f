"""Speaker-independent folds and the report tables of the temporal-aggregation model."""
import logging
import re

import numpy as np
import pandas as pd
import pytest

from affectflow.models.temporal_aggregation import cv


def test_ten_folds_keep_each_of_91_actors_in_one_fold():
    rng = np.random.default_rng(0)
    speakers = np.repeat([str(1001 + a) for a in range(91)], rng.integers(60, 100, 91))
    folds = cv.actor_folds(speakers, 10)
    assert set(folds) == set(speakers) and sorted(set(folds.values())) == list(range(10))
    sizes = pd.Series(speakers).map(folds).value_counts()
    assert sizes.max() - sizes.min() < 100  # balanced by clips


def test_fewer_actors_than_folds_use_one_fold_per_actor(caplog):
    with caplog.at_level(logging.WARNING):
        folds = cv.actor_folds(["1001"] * 6 + ["1002"] * 6, 10)
    assert folds == {"1001": 0, "1002": 1} or folds == {"1001": 1, "1002": 0}
    assert "only 2 actors for 10 folds: using 2 folds" in caplog.text
    with pytest.raises(cv.FoldError, match="at least 2 actors"):
        cv.actor_folds(["1001"] * 3, 10)


def test_summary_counts_and_recall():
    pred = pd.DataFrame({"fold": [0, 0, 0, 1, 1], "speaker": ["a", "a", "a", "b", "b"],
                         "label": ["anger", "sadness", "anger", "sadness", "anger"],
                         "pred": ["anger", "anger", "anger", "sadness", "sadness"]})
    per_fold, recall, confusion = cv.summarise(pred, ["anger", "neutral", "sadness"])
    assert per_fold["accuracy"].tolist() == pytest.approx([2 / 3, 1 / 2])
    assert recall.set_index("class")["recall"].loc[["anger", "sadness"]].tolist() == pytest.approx([2 / 3, 1 / 2])
    assert np.isnan(recall.set_index("class").loc["neutral", "recall"])
    assert confusion.loc["anger", "anger"] == 2 and confusion.loc["sadness", "anger"] == 1 and confusion.to_numpy().sum() == 5


def test_crowd_votes_as_targets_leave_out_ties():
    manifest = pd.DataFrame({"session": ["x", "y", "z"], "speaker": ["1", "1", "2"], "emotion": ["anger"] * 3,
                             "vote_voice": ["anger", "anger:neutral", ""], "audio": ["a.wav"] * 3, "video": [""] * 3, "label_kind": ["categorical"] * 3})
    assert cv.clip_table(manifest, "vote_voice")["session"].tolist() == ["x"]
    with pytest.raises(cv.FoldError, match="categorical labels"):
        cv.clip_table(manifest.assign(label_kind="continuous"), "emotion", "demo")


# What Birhala et al. (Sec. II and IV) state, quoted: the values the schema defaults must equal.
PAPER = {("sampling", "window_s"): 1.28,          # "The length of the audio signal d was set to 1.28 seconds"
         ("sampling", "offset_s"): 0.01,          # "the offset b was set to 0.01 seconds"
         ("sampling", "shape"): [192, 120],       # "the spectrograms were resized to 192 × 120"
         ("network", "momentum"): 0.9,            # "stochastic gradient descent ... with 0.9 momentum"
         ("network", "lr"): 1e-3,                 # "the learning rate was initially set to 1e-3"
         ("network", "lr_gamma"): 0.1,            # "decayed by a factor of 10"
         ("network", "lr_step"): 50,              # "every 50 training steps"
         ("network", "batch_size"): 16,           # "The batch size was set to 16"
         ("folds",): 10}                          # "user-independent 10-fold cross validation"
# Settings the paper does not give: the schema must call them our choice, never the paper's.
NOT_IN_PAPER = [("sampling", "n_fft"), ("sampling", "win_s"), ("sampling", "hop_s"), ("sampling", "floor_db"),
                ("network", "video_channels"), ("network", "audio_channels"), ("network", "hidden"), ("network", "epochs"),
                ("network", "weight_decay")]


def test_schema_defaults_are_the_papers_values_and_the_rest_are_marked_as_choices():
    from affectflow.core import config

    spec = config.schema()["$defs"]["temporal_aggregation"]["properties"]

    def prop(path):
        node = spec[path[0]]
        return node["properties"][path[1]] if len(path) == 2 else node

    for path, value in PAPER.items():
        assert prop(path)["default"] == value, path
    for path in NOT_IN_PAPER:
        assert "not given in the paper" in prop(path).get("description", ""), path


def test_cremad_config_validates_and_states_its_detector_is_not_the_papers(tmp_path):
    import copy

    import yaml

    from affectflow.core import config
    from conftest import REPO

    text = (REPO / ".test/config-cremad.yaml").read_text()
    cfg = config.load(REPO / ".test/config-cremad.yaml")
    model = cfg["temporal_aggregation"]["birhala_av"]
    assert {k: model["sampling"][k] for k in ("window_s", "offset_s", "shape")} == {"window_s": 1.28, "offset_s": 0.01, "shape": [192, 120]}
    # the paper detects faces with MTCNN; this config uses mediapipe and must say so
    assert cfg["face_detectors"][model["detector"]]["backend"] == "mediapipe"
    assert "the paper uses MTCNN" in text and "the paper's setting" not in text
    default = config.load(REPO / "config.yaml")
    assert default["temporal_aggregation"] == {} and all(not d["temporal_aggregation"] for d in default["datasets"].values())
    bad = copy.deepcopy(yaml.safe_load(text))
    bad["datasets"]["cremad"]["temporal_aggregation"] = ["nope"]
    bad["temporal_aggregation"]["birhala_av"]["detector"] = "missing"
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(bad))
    with pytest.raises(config.ConfigError, match="'nope' is not defined under temporal_aggregation") as err:
        config.load(tmp_path / "c.yaml")
    assert "temporal_aggregation/birhala_av/detector: 'missing'" in str(err.value)


def test_report_counts_faceless_segments(tmp_path):
    from affectflow.models.temporal_aggregation import report

    # 4 held-out clips, N = 3: faceless segments 0, 1, 3, 0 → 4 of 12; 2 clips with any, 1 with only faceless
    pred = pd.DataFrame({"fold": [0, 0, 1, 1], "speaker": ["a", "a", "b", "b"], "session": list("wxyz"),
                         "label": ["anger", "sadness", "anger", "sadness"], "pred": ["anger", "anger", "anger", "sadness"],
                         "faceless_segments": [0, 1, 3, 0]})
    out = {k: tmp_path / f"{k}.{ext}" for k, ext in (("markdown", "md"), ("summary", "csv"), ("confusion_csv", "csv"), ("confusion_png", "png"))}
    row = report.write_segments_report(pred, ["anger", "sadness"], 3, "m", out)
    assert (row["segments_drawn"], row["faceless_segments"], row["clips_with_a_faceless_segment"], row["clips_without_any_face"]) == (12, 4, 2, 1)
    text = out["markdown"].read_text()
    assert "**4 of 12** held-out segments; 2 of 4 clips have at least one, 1 have no face in any segment" in text
    assert pd.read_csv(out["summary"]).iloc[0]["faceless_segments"] == 4
    per_fold = text.split("## Accuracy per fold")[1].split("## Recall")[0]
    assert "faceless_segments" in per_fold  # a column of the per-fold table: folds 0 and 1 hold 1 and 3


def _summary(segments, folds, acc, seconds, digest):
    return pd.DataFrame([{"segments": segments, "folds": folds, "clips": 12, "mean_accuracy": acc, "std_accuracy": 0.05,
                          "train_seconds": seconds, "train_seconds_per_fold": seconds / folds, "folds_digest": digest}])


def test_table1_puts_the_single_segment_baseline_first_and_refuses_other_folds(tmp_path):
    from affectflow.models.temporal_aggregation import report

    md, csv = tmp_path / "t.md", tmp_path / "t.csv"
    out = report.write_table1([_summary(3, 2, 0.5, 30.0, "abc"), _summary(1, 2, 0.25, 12.0, "abc")], "m", md, csv)
    assert out["segments"].tolist() == [1, 3] and out["accuracy_pct"].tolist() == pytest.approx([25.0, 50.0])
    assert out["train_seconds_per_fold"].tolist() == pytest.approx([6.0, 15.0])
    text = md.read_text()
    ours, paper = text.split("Reported in the paper")
    assert re.search(r"\| Single segment \(N = 1\), same folds *\| *25\.0 *\| *5\.0 *\| *12\.0 *\| *6\.0 *\|", ours)
    assert re.search(r"\| Temporal aggregation, N = 3 *\| *50\.0 *\| *5\.0 *\| *30\.0 *\| *15\.0 *\|", ours)
    assert re.search(r"\| Proposed method \(N = 10\) *\| *68\.4 *\|", paper) and "68.4" not in ours  # quoted apart from ours
    with pytest.raises(report.ReportError, match="needs the N = 1 baseline"):
        report.write_table1([_summary(3, 2, 0.5, 30.0, "abc")], "m", md, csv)
    with pytest.raises(report.ReportError, match="different folds"):
        report.write_table1([_summary(1, 2, 0.5, 30.0, "abc"), _summary(3, 2, 0.5, 30.0, "abd")], "m", md, csv)


def test_folds_digest_changes_when_a_clip_moves_fold():
    from affectflow.models.temporal_aggregation import report

    pred = pd.DataFrame({"session": ["a", "b", "c"], "fold": [0, 0, 1]})
    assert report.folds_digest(pred) == report.folds_digest(pred.iloc[::-1])  # row order does not matter
    assert report.folds_digest(pred) != report.folds_digest(pred.assign(fold=[0, 1, 1]))


def test_learning_curves_average_the_folds_per_epoch_and_refuse_nan():
    from affectflow.models.temporal_aggregation import report

    history = pd.DataFrame({"fold": [0, 0, 1, 1], "epoch": [0, 1, 0, 1], "train_loss": [2.0, 1.0, 4.0, 3.0],
                            "train_accuracy": [0.1, 0.3, 0.3, 0.5], "val_loss": [2.5, 2.0, 3.5, 3.0], "val_accuracy": [0.0, 0.5, 0.5, 0.5]})
    curves = report.learning_curves(history)
    assert curves["epoch"].tolist() == [0, 1] and curves["train_loss"].tolist() == [3.0, 2.0]
    assert curves["val_accuracy"].tolist() == [0.25, 0.5] and (curves["folds"] == 2).all()
    with pytest.raises(report.ReportError, match=r"non-finite .* \[\[1, 1\]\]"):
        report.learning_curves(history.assign(val_loss=[2.5, 2.0, 3.5, np.nan]))
    with pytest.raises(report.ReportError, match="different numbers of epochs"):
        report.learning_curves(history.iloc[:3])
