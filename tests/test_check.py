"""`affectflow check`: one row per session, problems named, exit status by severity."""
from pathlib import Path

import pandas as pd
import pytest
import yaml

from affectflow import cli
from affectflow.datasets import DatasetError, build_manifest

from badinputs import label_times, make_truncated_wav, ramp, tone, write_labels, write_mp4, write_wav

REPO = Path(__file__).resolve().parents[1]


def _config(tmp_path, datasets):
    cfg = yaml.safe_load((REPO / "config.yaml").read_text())
    cfg["datasets"] = datasets
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def _run(capsys, *args):
    code = cli.main(["check", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_check_prints_one_row_per_session_with_status_and_problems(tmp_path, capsys):
    d = tmp_path / "corpus"
    d.mkdir()
    t = label_times(2.0)
    write_wav(d / "good.wav", tone())
    write_labels(d / "good.csv", t, ramp(len(t)))
    write_mp4(d / "clip.mp4")
    write_mp4(d / "silent_film.mp4", audio=False)
    make_truncated_wav(d)
    (d / "words.txt").write_text("hello there\n")
    write_labels(d / "long.csv", label_times(9.0), ramp(len(label_times(9.0))))
    rows = [
        {"session": "ok1", "speaker": "p1", "partition": "train", "audio": "good.wav", "labels": "good.csv", "transcript": "words.txt"},
        {"session": "av", "speaker": "p2", "partition": "devel", "video": "clip.mp4", "audio": "clip.mp4", "labels": "good.csv"},
        {"session": "noaudio", "speaker": "p3", "partition": "test", "video": "silent_film.mp4", "audio": "silent_film.mp4", "labels": "good.csv"},
        {"session": "cut", "speaker": "p4", "partition": "test", "audio": "truncated.wav", "labels": "good.csv"},
        {"session": "gone", "speaker": "p4", "partition": "test", "audio": "nowhere.wav", "labels": "good.csv"},
        {"session": "longlab", "speaker": "p1", "partition": "test", "audio": "good.wav", "labels": "long.csv"},
        {"session": "textonly", "speaker": "p5", "partition": "train", "transcript": "words.txt"},
    ]
    pd.DataFrame(rows).fillna("").to_csv(d / "manifest.csv", index=False)
    config = _config(tmp_path, {"mine": {"adapter": "csv", "options": {"path": str(d / "manifest.csv")}, "features": ["egemaps_lld"]}})
    code, out, _ = _run(capsys, "--configfile", str(config), "--csv", str(tmp_path / "check.csv"))
    assert code == 1
    assert out.splitlines()[0].startswith("| dataset   | session ")
    assert "7 sessions: 1 ok, 2 with warnings, 4 with errors" in out
    table = pd.read_csv(tmp_path / "check.csv", keep_default_na=False).set_index("session")
    assert table.loc["ok1", "status"] == "warning" and table.loc["ok1", "audio"] == "16000 Hz×1" and table.loc["ok1", "labels"] == "100% valid"
    assert table.loc["av", "status"] == "ok" and table.loc["av", "video"] == "10.0 fps" and float(table.loc["av", "media_s"]) == 2.05
    assert table.loc["noaudio", "audio"] == "no stream" and "silent_film.mp4 has no audio stream" in table.loc["noaudio", "problems"]
    assert "truncated.wav: truncated WAV" in table.loc["cut", "problems"] and table.loc["cut", "audio"] == "unreadable"
    assert table.loc["gone", "audio"] == "missing" and "file not found: " in table.loc["gone", "problems"]
    assert table.loc["gone", "problems"].count("nowhere.wav") == 1
    assert table.loc["longlab", "status"] == "warning" and "7.00 s past the end of the media" in table.loc["longlab", "problems"]
    for session in ("ok1", "longlab"):  # p1 speaks in train and in test
        assert "speaker 'p1' is in several partitions (test, train): not speaker-disjoint" in table.loc[session, "problems"]
    assert table.loc["textonly", "audio"] == "—" and "audio: none for this session, but extractor 'egemaps_lld' needs it" in table.loc["textonly", "problems"]


def test_check_on_the_demo_config_before_the_run_reports_generated_files(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = _run(capsys, "--configfile", str(REPO / "config.yaml"))
    rows = [line for line in out.splitlines() if line.startswith("| demo ")]
    assert code == 0 and len(rows) == 8 and all(line.count("| generated ") == 4 for line in rows) and "8 sessions: 8 ok" in out


@pytest.mark.parametrize("edit,message", [
    (lambda d: d["mine"].update(hop_s="0.1"), "at datasets/mine/hop_s: '0.1' is not of type 'number'"),
    (lambda d: d["mine"]["options"].update(path=3), "at datasets/mine/options/path: 3 is not of type 'string'"),
    (lambda d: d["mine"]["options"].update(pth="x.csv"), "'pth' was unexpected"),
])
def test_check_refuses_a_config_with_wrong_types_naming_the_key(tmp_path, capsys, edit, message):
    datasets = {"mine": {"adapter": "csv", "options": {"path": "m.csv"}}}
    edit(datasets)
    code, _, err = _run(capsys, "--configfile", str(_config(tmp_path, datasets)))
    assert code == 2 and message in err and "config.yaml: invalid configuration" in err


def _avec_corpus(tmp_path, speakers_csv: str):
    (tmp_path / "labels").mkdir()
    (tmp_path / "media").mkdir()
    for s in ("Train_01", "Devel_01", "Test_01"):
        write_labels(tmp_path / "labels" / f"{s}.csv", label_times(2.0), ramp(21))
        write_wav(tmp_path / "media" / f"{s}.wav", tone())
    (tmp_path / "speakers.csv").write_text(speakers_csv)
    return {"adapter": "avec", "options": {"labels_dir": str(tmp_path / "labels"), "media_dir": str(tmp_path / "media"),
                                           "speakers": str(tmp_path / "speakers.csv")}}


def test_a_session_missing_from_the_speakers_file_is_an_unknown_speaker_error(tmp_path, capsys):
    dcfg = _avec_corpus(tmp_path, "session,speaker\nTrain_01,A\nDevel_01,B\n")
    with pytest.raises(DatasetError, match=r"session\(s\) \['Test_01'\] have no speaker in .*speakers\.csv \(unknown speaker id\)"):
        build_manifest("sewa", dcfg)
    code, _, err = _run(capsys, "--configfile", str(_config(tmp_path, {"sewa": dcfg})))
    assert code == 2 and "Test_01" in err


@pytest.mark.parametrize("speakers_csv,message", [
    ("session,who\nTrain_01,A\n", r"lacks column\(s\) \['speaker'\]"),
    ("session,speaker\nTrain_01,A\nDevel_01,\nTest_01,C\n", r"gives no speaker for session\(s\) \['Devel_01'\]"),
    ("session,speaker\nTrain_01,A\nTrain_01,B\nDevel_01,B\nTest_01,C\n", r"lists session\(s\) \['Train_01'\] more than once"),
])
def test_a_broken_speakers_file_is_named(tmp_path, speakers_csv, message):
    with pytest.raises(DatasetError, match=r"speakers file .*speakers\.csv " + message):
        build_manifest("sewa", _avec_corpus(tmp_path, speakers_csv))


def test_a_complete_speakers_file_sets_the_speakers(tmp_path):
    m = build_manifest("sewa", _avec_corpus(tmp_path, "session,speaker\nTrain_01,A\nDevel_01,B\nTest_01,A\n"))
    assert dict(zip(m.table["session"], m.table["speaker"])) == {"Devel_01": "B", "Test_01": "A", "Train_01": "A"}


def test_a_manifest_speaker_missing_from_the_speaker_table_is_an_unknown_speaker_error(tmp_path):
    pd.DataFrame({"session": ["a", "b", "c"], "speaker": ["p1", "p2", "P1"], "audio": ["a.wav", "b.wav", "c.wav"]}).to_csv(tmp_path / "m.csv", index=False)
    (tmp_path / "speakers.csv").write_text("speaker,gender\np1,f\np2,m\n")
    dcfg = {"adapter": "csv", "options": {"path": str(tmp_path / "m.csv"), "speakers": str(tmp_path / "speakers.csv")}}
    with pytest.raises(DatasetError, match=r"speaker id\(s\) \['P1'\] in .*m\.csv are not in the speaker table .*speakers\.csv"):
        build_manifest("mine", dcfg)
    (tmp_path / "speakers.csv").write_text("speaker,gender\np1,f\np2,m\nP1,f\n")
    assert build_manifest("mine", dcfg).row("c")["speaker"] == "P1"


def test_audio_comes_from_the_video_track_and_a_video_without_one_is_reported(tmp_path, capsys):
    d = tmp_path / "corpus"
    d.mkdir()
    write_mp4(d / "talk.mp4")
    write_mp4(d / "mute.mp4", audio=False)
    pd.DataFrame({"session": ["talk", "mute"], "speaker": ["p1", "p2"], "video": ["talk.mp4", "mute.mp4"]}).to_csv(d / "m.csv", index=False)
    dcfg = {"adapter": "csv", "options": {"path": str(d / "m.csv")}}
    m = build_manifest("mine", dcfg)
    assert m.row("talk")["audio"] == m.row("talk")["video"] == str(d / "talk.mp4")
    assert m.row("mute")["audio"] == "" and m.row("mute")["audio_note"] == f"no audio file, and the video {d / 'mute.mp4'} has no audio stream"
    # no audio extractor: a warning; with one: an error that says why there is no audio
    code, out, _ = _run(capsys, "--configfile", str(_config(tmp_path, {"mine": dcfg})), "--csv", str(tmp_path / "a.csv"))
    table = pd.read_csv(tmp_path / "a.csv", keep_default_na=False).set_index("session")
    assert code == 0 and table.loc["talk", "status"] == "ok" and table.loc["talk", "audio"].endswith(" Hz×1")
    assert table.loc["mute", "status"] == "warning" and "mute.mp4 has no audio stream; the session has no audio" in table.loc["mute", "problems"]
    code, out, _ = _run(capsys, "--configfile", str(_config(tmp_path, {"mine": {**dcfg, "features": ["egemaps_lld"]}})), "--csv", str(tmp_path / "b.csv"))
    table = pd.read_csv(tmp_path / "b.csv", keep_default_na=False).set_index("session")
    assert code == 1 and table.loc["talk", "status"] == "ok"
    assert table.loc["mute", "problems"] == (f"error: audio: none for this session (no audio file, and the video {d / 'mute.mp4'} "
                                              "has no audio stream), but extractor 'egemaps_lld' needs it")
