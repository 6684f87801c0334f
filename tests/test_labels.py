import numpy as np
import pytest

from affectflow.core import labels


def _write(tmp_path, text, name="s.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_avec_layout_resampled_on_the_grid(tmp_path):
    rows = "\n".join(f"s;{t/10:.1f};{t/100:.2f};{-t/100:.2f}" for t in range(0, 31))
    p = _write(tmp_path, "name;timestamp;arousal;valence\n" + rows)
    df = labels.read_avec(p, ["arousal", "valence"])
    g = labels.to_grid(df, "s", duration_s=3.0, hop_s=0.1)
    assert len(g) == 30 and g["label_valid"].all()
    assert g["arousal"].iloc[7] == pytest.approx(0.07) and g["valence"].iloc[7] == pytest.approx(-0.07)


def test_annotation_delay_shifts_labels_to_the_front(tmp_path):
    rows = "\n".join(f"s;{t/10:.1f};{t:.1f};0" for t in range(0, 50))
    g = labels.to_grid(labels.read_avec(_write(tmp_path, "name;timestamp;arousal;valence\n" + rows)), "s", 5.0, 0.1, delay_s=2.0)
    assert g["arousal"].iloc[0] == pytest.approx(20.0)  # frame 0 carries the label annotated at 2.0 s
    assert not g["label_valid"].iloc[-1] and np.isnan(g["arousal"].iloc[-1])  # past the annotations: invalid, not zero
    assert g["label_valid"].sum() == 30


def test_nan_gaps_and_affwild_missing_marker_are_masked_not_zero_filled(tmp_path):
    vals = ["0.5"] * 20
    vals[5] = "nan"
    vals[12] = "-5"
    rows = "\n".join(f"s;{i/10:.1f};{v};0.1" for i, v in enumerate(vals))
    g = labels.to_grid(labels.read_avec(_write(tmp_path, "name;timestamp;arousal;valence\n" + rows)), "s", 2.0, 0.1)
    assert not g["label_valid"].iloc[5] and not g["label_valid"].iloc[12]
    assert g["label_valid"].sum() == 18
    assert not (g["arousal"] == 0).any()


def test_labels_shorter_than_media_leave_the_tail_invalid(tmp_path):
    rows = "\n".join(f"s;{t/10:.1f};0.2;0.3" for t in range(0, 10))
    g = labels.to_grid(labels.read_avec(_write(tmp_path, "name;timestamp;arousal;valence\n" + rows)), "s", 3.0, 0.1)
    assert g["label_valid"].sum() == 10 and len(g) == 30


@pytest.mark.parametrize("body,message", [
    ("name;timestamp;arousal\ns;0.0;0.1\ns;0.0;0.2\n", "duplicated timestamps"),
    ("name;timestamp;arousal\ns;0.1;0.1\ns;0.0;0.2\n", "not sorted"),
    ("name;time;arousal\ns;0.0;0.1\n", "no 'timestamp' column"),
])
def test_broken_label_files_name_the_file_and_the_problem(tmp_path, body, message):
    p = _write(tmp_path, body, "broken.csv")
    with pytest.raises(labels.LabelError, match=message) as err:
        labels.read_avec(p)
    assert "broken.csv" in str(err.value)


def test_missing_dimension_is_named(tmp_path):
    p = _write(tmp_path, "name;timestamp;arousal\ns;0.0;0.1\n")
    with pytest.raises(labels.LabelError, match=r"\['valence'\]"):
        labels.read_avec(p, ["arousal", "valence"])
