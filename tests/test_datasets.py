import pandas as pd
import pytest

from affectflow.datasets import DatasetError, build_manifest, check_files

from conftest import shared_data


def test_cremad_adapter_reads_the_file_name_convention_and_the_ratings():
    root = shared_data("cremad_subset")
    m = build_manifest("cremad", {"adapter": "cremad", "options": {"root": str(root)}})
    t = m.table.set_index("session")
    assert len(t) == 12 and set(t["speaker"]) == {"1001", "1002"}
    assert t.loc["1001_DFA_HAP_XX", "emotion"] == "happiness"
    assert t.loc["1001_DFA_HAP_XX", "video"].endswith(".flv")
    assert t.loc["1002_DFA_SAD_XX", "audio"].endswith(".wav") and t.loc["1002_DFA_SAD_XX", "video"] == ""
    assert t["vote_multimodal"].notna().all()
    check_files(m)


def test_emodb_adapter_has_ten_speakers_and_seven_emotions():
    m = build_manifest("emodb", {"adapter": "emodb", "options": {"root": str(shared_data("emodb"))}})
    assert len(m.table) == 535 and m.table["speaker"].nunique() == 10 and m.table["emotion"].nunique() == 7
    assert m.row("03a01Fa")["emotion"] == "happiness"


def test_generic_csv_manifest_resolves_relative_paths_and_names_missing_files(tmp_path):
    (tmp_path / "a.wav").write_bytes(b"x")
    pd.DataFrame({"session": ["a", "b"], "speaker": ["p1", "p2"], "partition": ["train", "test"],
                  "audio": ["a.wav", "missing.wav"]}).to_csv(tmp_path / "m.csv", index=False)
    m = build_manifest("mine", {"adapter": "csv", "options": {"path": str(tmp_path / "m.csv")}})
    assert m.row("a")["audio"] == str(tmp_path / "a.wav")
    with pytest.raises(DatasetError, match=r"session b: audio file not found: .*missing\.wav"):
        check_files(m)


def test_avec_adapter_partitions_from_session_names(tmp_path):
    (tmp_path / "labels").mkdir()
    (tmp_path / "media").mkdir()
    for s in ("Train_01", "Devel_01", "Test_01"):
        (tmp_path / "labels" / f"{s}.csv").write_text("name;timestamp;arousal;valence\n")
        (tmp_path / "media" / f"{s}.wav").write_bytes(b"x")
    m = build_manifest("sewa", {"adapter": "avec", "options": {"labels_dir": str(tmp_path / "labels"), "media_dir": str(tmp_path / "media")}})
    assert dict(zip(m.table["session"], m.table["partition"])) == {"Devel_01": "devel", "Test_01": "test", "Train_01": "train"}
    assert (m.table["video"] == "").all()


def test_manifest_refuses_duplicates_unknown_partitions_and_missing_speakers(tmp_path):
    def csv(rows):
        pd.DataFrame(rows).to_csv(tmp_path / "m.csv", index=False)
        return build_manifest("x", {"adapter": "csv", "options": {"path": str(tmp_path / "m.csv")}})
    with pytest.raises(DatasetError, match="duplicated session ids"):
        csv({"session": ["a", "a"], "speaker": ["1", "2"], "audio": ["x", "y"]})
    with pytest.raises(DatasetError, match="unknown partition"):
        csv({"session": ["a"], "speaker": ["1"], "audio": ["x"], "partition": ["training"]})
    with pytest.raises(DatasetError, match="without a speaker id"):
        csv({"session": ["a"], "speaker": [""], "audio": ["x"]})
