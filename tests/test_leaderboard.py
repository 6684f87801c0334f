"""The leaderboard ranks every family's test scores from the tables the families write."""
import numpy as np
import pandas as pd
import pytest

from affectflow.evaluation import leaderboard

DIMS = ["arousal", "valence"]
MODELS = {"ridge_audio": {"kind": "ridge"}, "lucas_av": {"kind": "dlstm_av"}, "tz_hier": {"kind": "attention_fusion"},
          "jmt": {"kind": "jmt"}}


def frame_table():
    return pd.DataFrame([{"model": "ridge_audio", "partition": p, "dimension": d, "ccc_pooled": v}
                         for p, vals in (("devel", (0.99, 0.99)), ("test", (0.9, 0.1))) for d, v in zip(DIMS, vals)])


def repeat_table(fold: bool):
    rows = []
    for model, vals in (("tz_hier", (0.85, 0.7)), ("jmt", (0.9, 0.6))) if fold else (("lucas_av", (0.8, 0.6)),):
        for fold_name in (["official", "1"] if fold else [None]):
            for p in ("devel", "test"):
                for d, v in zip(DIMS, vals):
                    row = {"model": model, "partition": p, "dimension": d, "ccc_pooled_mean": v if p == "test" and fold_name != "1" else 0.0,
                           "ccc_pooled_std": 0.01, "repeats": 2}
                    if fold:
                        row["fold"] = fold_name
                    rows.append(row)
    return pd.DataFrame(rows)


def late_table():
    return pd.DataFrame({"modalities": ["audio", "audio+text"], "arousal_model": ["SVR", "KNN"], "arousal_ccc": [0.95, 0.97],
                         "valence_model": ["SVR", "FF"], "valence_ccc": [0.02, 0.86]})


@pytest.fixture
def board():
    parts = [leaderboard.frame_rows(frame_table(), MODELS), leaderboard.repeat_rows(repeat_table(False), MODELS),
             leaderboard.repeat_rows(repeat_table(True), MODELS),
             leaderboard.late_fusion_rows(late_table(), "demo_late", DIMS, leaderboard.late_fusion_unit({"unit": {"kind": "segmenter", "name": "ipu"}}))]
    return leaderboard.leaderboard(parts, DIMS)


def test_models_are_ranked_by_their_mean_test_ccc_with_family_and_unit(board):
    assert list(board["model"]) == ["demo_late: audio+text", "tz_hier", "jmt", "lucas_av", "ridge_audio", "demo_late: audio"]
    assert list(board["rank"]) == list(range(1, 7))
    top = board.iloc[0]
    assert (top["family"], top["unit"], top["picked"]) == ("late fusion (Rios)", "ipu segments", "arousal: KNN, valence: FF")
    assert (top["arousal"], top["valence"]) == (pytest.approx(0.97), pytest.approx(0.86))
    row = board.set_index("model").loc["tz_hier"]
    assert (row["family"], row["arousal"], row["valence"], row["runs"], row["unit"]) == ("attention fusion (Tzirakis)", 0.85, 0.7, 2, "frames")
    # the official split only: fold 1 (all zeros here) never enters
    assert board.set_index("model").loc["jmt", "mean"] == pytest.approx(0.75)
    assert board.set_index("model").loc["ridge_audio", "family"] == "ridge baseline"
    assert np.isnan(board.set_index("model").loc["ridge_audio", "arousal_std"])


def test_best_per_family_names_the_winner_of_each_dimension(board):
    best = leaderboard.best_per_family(board, DIMS).set_index("family")
    assert best.loc["late fusion (Rios)", "arousal_model"] == "demo_late: audio+text"
    assert best.loc["ridge baseline", "valence"] == pytest.approx(0.1)
    assert best.loc["DLSTM (Lucas)", "arousal"] == pytest.approx(0.8)
    assert len(best) == 5


def test_the_plot_is_written_and_an_empty_board_is_an_error(board, tmp_path):
    leaderboard.plot(board, DIMS, tmp_path / "board.png", "demo")
    assert (tmp_path / "board.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="no model results"):
        leaderboard.leaderboard([pd.DataFrame(columns=leaderboard.COLUMNS)], DIMS)
