"""Speaker-independent folds and the report tables of the temporal-aggregation model."""
import logging

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


def test_cremad_config_validates_with_paper_defaults_and_is_not_the_default(tmp_path):
    import copy

    import yaml

    from affectflow.core import config
    from conftest import REPO

    cfg = config.load(REPO / ".test/config-cremad.yaml")
    model = cfg["temporal_aggregation"]["birhala_av"]
    assert model["sampling"] == {"offset_s": 0.01, "window_s": 1.28, "shape": [192, 120], "n_fft": 1024, "win_s": 0.02,
                                 "hop_s": 0.01, "floor_db": -100.0}
    assert model["network"]["momentum"] == 0.9 and model["gpu"] == 1
    default = config.load(REPO / "config.yaml")
    assert default["temporal_aggregation"] == {} and all(not d["temporal_aggregation"] for d in default["datasets"].values())
    bad = copy.deepcopy(yaml.safe_load((REPO / ".test/config-cremad.yaml").read_text()))
    bad["datasets"]["cremad"]["temporal_aggregation"] = ["nope"]
    bad["temporal_aggregation"]["birhala_av"]["detector"] = "missing"
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(bad))
    with pytest.raises(config.ConfigError, match="'nope' is not defined under temporal_aggregation") as err:
        config.load(tmp_path / "c.yaml")
    assert "temporal_aggregation/birhala_av/detector: 'missing'" in str(err.value)
