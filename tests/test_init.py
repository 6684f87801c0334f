"""`affectflow init`: a folder of generated recordings and a label table → a manifest and a config
that the real `affectflow check` and a real `snakemake -n` accept."""
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from affectflow import cli
from affectflow.core import config as config_mod

from badinputs import label_times, ramp, tone, write_labels, write_mp4, write_wav
from conftest import snakemake


def _cli(capsys, *args):
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def job_counts(proc) -> dict[str, int]:
    """Jobs per rule; the shard rules of one per-session rule (`{rule}_shard_{dataset}_…`) counted as `{rule} (shards)`."""
    table = proc.stdout.split("Job stats:")[1].split("Reasons:")[0]
    counts = {}
    for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", table, flags=re.M):
        if m[1] != "total":
            rule = re.sub(r"_shard_\w+$", " (shards)", m[1])
            counts[rule] = counts.get(rule, 0) + int(m[2])
    return counts


def _check_table(capsys, config_path: Path, tmp_path: Path):
    # init's config names paths relative to its folder: the run's working directory, as with snakemake --directory
    code, out, err = _cli(capsys, "check", "--directory", str(config_path.parent), "--configfile", str(config_path),
                          "--csv", str(tmp_path / "check.csv"))
    return code, out, pd.read_csv(tmp_path / "check.csv", dtype=str, keep_default_na=False).set_index("session")


def test_talking_face_clips_with_clip_level_dimensions(tmp_path, capsys):
    """Videos with their own audio track and transcripts beside them, a table of clip-level valence/arousal."""
    corpus = tmp_path / "clips"
    corpus.mkdir()
    ids = ["01", "02", "03", "04", "05"]
    for s in ids:
        write_mp4(corpus / f"{s}.mp4")
        (corpus / f"{s}.txt").write_text("what a wonderful day\n")
    (tmp_path / "ratings.csv").write_text("file,arousal,valence,speaker\n"
                                          + "".join(f"{s}.mp4,0.{i},-0.{i},actor{i % 4}\n" for i, s in enumerate(ids)))
    code, out, err = _cli(capsys, "init", str(corpus), "--labels", str(tmp_path / "ratings.csv"), "--out", str(tmp_path / "run"))
    assert code == 0, err
    assert "5 sessions, 4 speakers: 5 with video, 5 with audio, 5 with transcript" in out
    assert "speaker-disjoint split of the sorted speakers: 2 train, 1 devel, 1 test speakers" in out

    manifest = pd.read_csv(tmp_path / "run" / "manifest.csv", dtype=str, keep_default_na=False)
    assert manifest["session"].tolist() == ids                      # ids stay strings
    assert (manifest["audio"] == manifest["video"]).all()            # the video's own track
    assert manifest["audio"].tolist() == [f"../clips/{s}.mp4" for s in ids]
    assert manifest["label_kind"].tolist() == ["clip"] * 5
    assert manifest["valence"].tolist() == ["-0.0", "-0.1", "-0.2", "-0.3", "-0.4"]
    assert dict(zip(manifest["speaker"], manifest["partition"])) == {"actor0": "train", "actor1": "train", "actor2": "devel", "actor3": "test"}

    cfg = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    ds = cfg["datasets"]["clips"]
    assert ds["features"] == ["egemaps_lld", "egemaps_func", "face_expression", "vader"]
    assert ds["dimensions"] == ["arousal", "valence"] and ds["models"] == ["ridge_clips"]
    assert cfg["models"]["ridge_clips"]["features"] == ds["features"]

    code, out, table = _check_table(capsys, tmp_path / "run" / "config.yaml", tmp_path)
    assert code == 0 and "5 sessions: 5 ok" in out
    assert table.loc["03", "labels"] == "arousal=0.2 valence=-0.2" and table.loc["03", "audio"] == "16000 Hz×1"

    proc = snakemake(tmp_path / "run", "-n")
    # short clips of known duration: each per-session rule's 5 jobs are one shard job (docs/configuration.md)
    assert job_counts(proc) == {"manifest": 1, "grid_labels (shards)": 1, "extract_audio (shards)": 2, "detect_faces (shards)": 1,
                                "extract_face (shards)": 1, "extract_text (shards)": 1, "train_model": 1, "score_model": 1,
                                "model_table": 1, "all": 1}


def test_speech_clips_with_per_frame_avec_labels_and_a_speaker_pattern(tmp_path, capsys):
    corpus = tmp_path / "speech"
    (corpus / "wav").mkdir(parents=True)
    labels = tmp_path / "labels"
    labels.mkdir()
    ids = [f"{spk}_{take}" for spk in ("f01", "f02", "m01") for take in ("a", "b")]
    for s in ids:
        write_wav(corpus / "wav" / f"{s}.wav", tone())
        write_labels(labels / f"{s}.csv", label_times(2.0), ramp(21))
    (corpus / "wav" / "f01_a.txt").write_text("only one clip has words\n")  # text in 1 of 6 sessions: no text extractor
    code, out, err = _cli(capsys, "init", str(corpus), "--labels", str(labels), "--out", str(tmp_path / "run"),
                          "--speaker-pattern", r"^([fm]\d+)_", "--name", "speech")
    assert code == 0, err
    assert "6 sessions, 3 speakers: 0 with video, 6 with audio, 1 with transcript" in out
    assert "transcripts: only 1 of 6 sessions have it; no transcripts extractor configured" in out
    manifest = pd.read_csv(tmp_path / "run" / "manifest.csv", dtype=str, keep_default_na=False).set_index("session")
    assert manifest.index.tolist() == ids
    assert manifest["speaker"].tolist() == ["f01", "f01", "f02", "f02", "m01", "m01"]
    assert manifest["partition"].tolist() == ["train", "train", "devel", "devel", "test", "test"]
    assert (manifest["label_kind"] == "continuous").all() and manifest.loc["m01_b", "labels"] == "../labels/m01_b.csv"
    assert manifest.loc["f01_a", "transcript"] == "../speech/wav/f01_a.txt" and manifest.loc["f01_b", "transcript"] == ""
    cfg = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert cfg["datasets"]["speech"]["features"] == ["egemaps_lld", "egemaps_func"] and "face_detectors" not in cfg
    code, out, table = _check_table(capsys, tmp_path / "run" / "config.yaml", tmp_path)
    assert code == 0 and (table["labels"] == "100% valid").all()
    proc = snakemake(tmp_path / "run", "-n")
    assert job_counts(proc) == {"manifest": 1, "grid_labels (shards)": 1, "extract_audio (shards)": 2, "train_model": 1,
                                "score_model": 1, "model_table": 1, "all": 1}


def test_categories_on_videos_without_audio_tracks_give_face_features_and_no_model(tmp_path, capsys):
    corpus = tmp_path / "faces"
    corpus.mkdir()
    for s in ("s1", "s2"):
        write_mp4(corpus / f"{s}.mp4", audio=False)
    (tmp_path / "emo.csv").write_text("session;emotion\ns1;happy\ns2;sad\n")
    code, out, err = _cli(capsys, "init", str(corpus), "--labels", str(tmp_path / "emo.csv"), "--out", str(tmp_path / "run"))
    assert code == 0, err
    assert "2 sessions, 2 speakers: 2 with video, 0 with audio, 0 with transcript" in out
    cfg = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert cfg["datasets"]["faces"]["features"] == ["face_expression"] and "models" not in cfg["datasets"]["faces"]
    assert "models" not in cfg  # the section is optional
    code, out, table = _check_table(capsys, tmp_path / "run" / "config.yaml", tmp_path)
    assert code == 0 and table["status"].tolist() == ["warning", "warning"] and table["labels"].tolist() == ["happy", "sad"]
    assert table.loc["s1", "problems"] == "warning: audio: no audio file, and the video ../faces/s1.mp4 has no audio stream; the session has no audio"  # relative to the run's folder
    assert job_counts(snakemake(tmp_path / "run", "-n")) == {"manifest": 1, "detect_faces (shards)": 1, "extract_face (shards)": 1, "all": 1}


@pytest.mark.parametrize("labels,message", [
    ("file,arousal\nclip9.wav,0.1\n", r"label table .*lab\.csv: 1 clip\(s\) have no media in the folder: \['clip9'\]"),
    ("file,comment\nclip1.wav,loud\n", r"label table .*lab\.csv: no 'emotion' column and no numeric column"),
    ("take,arousal\nclip1,0.1\n", r"label table .*lab\.csv has none of the columns \['session', 'file'"),
    ("session,arousal\nclip1,0.1\nclip1,0.2\n", r"clip\(s\) \['clip1'\] appear more than once"),
])
def test_init_names_the_problem_of_a_label_table(tmp_path, capsys, labels, message):
    (tmp_path / "c").mkdir()
    write_wav(tmp_path / "c" / "clip1.wav", tone())
    (tmp_path / "lab.csv").write_text(labels)
    code, out, err = _cli(capsys, "init", str(tmp_path / "c"), "--labels", str(tmp_path / "lab.csv"), "--out", str(tmp_path / "run"))
    assert code == 2 and re.search(message, err), err
    assert not (tmp_path / "run" / "config.yaml").exists()


def test_init_refuses_two_files_of_one_kind_for_a_session_and_an_existing_config(tmp_path, capsys):
    (tmp_path / "c").mkdir()
    write_wav(tmp_path / "c" / "a.wav", tone())
    write_wav(tmp_path / "c" / "a.flac", tone())
    code, _, err = _cli(capsys, "init", str(tmp_path / "c"), "--out", str(tmp_path / "run"))
    assert code == 2 and "two audio files for session 'a'" in err
    (tmp_path / "c" / "a.flac").unlink()
    assert _cli(capsys, "init", str(tmp_path / "c"), "--out", str(tmp_path / "run"))[0] == 0
    code, _, err = _cli(capsys, "init", str(tmp_path / "c"), "--out", str(tmp_path / "run"))
    assert code == 2 and f"{tmp_path / 'run' / 'manifest.csv'} exists; pass --force to overwrite it" in err
    assert _cli(capsys, "init", str(tmp_path / "c"), "--out", str(tmp_path / "run"), "--force")[0] == 0


def test_snakefile_accepts_a_config_without_features_and_models_and_names_schema_problems_in_one_line_each(tmp_path):
    write_wav(tmp_path / "a.wav", tone())
    (tmp_path / "m.csv").write_text("session,speaker,audio\n01,p1,a.wav\n")
    (tmp_path / "config.yaml").write_text("datasets:\n  mine:\n    adapter: csv\n    options: {path: m.csv}\nfeatures:\n")
    assert job_counts(snakemake(tmp_path, "-n")) == {"manifest": 1, "all": 1}
    (tmp_path / "config.yaml").write_text("datasets:\n  mine:\n    adapter: csv\n    options: {path: m.csv, pth: x}\n    hop_s: fast\n")
    proc = snakemake(tmp_path, "-n", check=False)
    assert proc.returncode != 0
    assert "invalid configuration\n  at datasets/mine/hop_s: 'fast' is not of type 'number'\n" \
           "  at datasets/mine/options: Additional properties are not allowed ('pth' was unexpected)\n" in proc.stdout
    assert len(proc.stdout.splitlines()) < 15 and "$defs" not in proc.stdout  # no schema dump


def test_a_cut_video_is_reported_by_check_and_in_the_log_of_every_branch(tmp_path, capsys):
    """157 frames declared, 109 decodable: check, face detection, the text branch and the audio
    branch all refuse it, naming the file with decoded (or found) vs declared."""
    from badinputs import make_truncated_video

    corpus = tmp_path / "cut"
    corpus.mkdir()
    video = make_truncated_video(corpus)
    (corpus / "truncated_video.txt").write_text("the end is missing\n")
    assert _cli(capsys, "init", str(corpus), "--out", str(tmp_path / "run"))[0] == 0
    code, out, table = _check_table(capsys, tmp_path / "run" / "config.yaml", tmp_path)
    found = "holds only 109 of the 157 frames, 10.90 s of the 15.70 s of video the file declares (truncated?)"
    assert code == 1 and table.loc["truncated_video", "video"] == "truncated"
    assert f"video: ../cut/{video.name}: {found}" in table.loc["truncated_video", "problems"]  # relative to the run's folder
    targets = [f"results/{d}/cut/{x}/truncated_video.parquet" for d, x in
               (("faces", "blazeface"), ("features", "vader"), ("features", "egemaps_lld"))]
    proc = snakemake(tmp_path / "run", "--cores", "2", "--keep-going", *targets, check=False)
    assert proc.returncode != 0 and "3 of 3 steps" not in proc.stdout
    logs = {x: (tmp_path / "run" / "results" / "logs" / d / "cut" / x / "truncated_video.log").read_text()
            for d, x in (("faces", "blazeface"), ("features", "vader"), ("features", "egemaps_lld"))}
    assert f"{video.name}: decoded only 109 of the 157 frames, 10.90 s of the 15.70 s of video the file declares (truncated?)" in logs["blazeface"]
    assert f"{video.name}: {found}" in logs["vader"]
    assert re.search(rf"{video.name}: audio stream is corrupt or cut at \d+\.\d\d s", logs["egemaps_lld"])
    assert not any((tmp_path / "run" / t).exists() for t in targets)


def test_label_table_clips_match_sessions_with_or_without_suffix_and_folder(tmp_path):
    from affectflow.datasets.scan import scan

    for sub in ("x", "y"):  # one name in two folders: the ids carry the folder
        (tmp_path / "c" / sub).mkdir(parents=True)
        write_wav(tmp_path / "c" / sub / "a.b.wav", tone())
    (tmp_path / "lab.csv").write_text("clip,valence\nx/a.b.wav,0.5\ny_a.b,-0.5\n")
    s = scan(tmp_path / "c", tmp_path / "lab.csv")
    rows = s.table.set_index("session")
    assert rows.index.tolist() == ["x_a.b", "y_a.b"] and s.dimensions == ["valence"]
    assert rows["valence"].tolist() == ["0.5", "-0.5"] and rows["label_kind"].tolist() == ["clip", "clip"]
    assert rows["speaker"].tolist() == ["x_a.b", "y_a.b"] and rows["partition"].tolist() == ["", ""]  # 2 speakers: no split
    assert "partitions: none (2 speaker(s): too few to split; the ridge model needs a train partition)" in s.notes


def test_the_written_config_names_no_absolute_path_and_the_run_folder_can_move(tmp_path, capsys):
    import os
    import shutil

    from affectflow.datasets.generic_csv import manifest as csv_manifest

    before = tmp_path / "before"
    (before / "c").mkdir(parents=True)
    for s in ("a1", "a2"):
        write_wav(before / "c" / f"{s}.wav", tone())
    (before / "emo.csv").write_text("session,emotion\na1,happy\na2,sad\n")
    code, out, err = _cli(capsys, "init", str(before / "c"), "--labels", str(before / "emo.csv"), "--out", str(before / "run"))
    assert code == 0, err
    settings = [line for line in (before / "run" / "config.yaml").read_text().splitlines() if not line.startswith("#")]
    assert not [line for line in settings if str(tmp_path) in line]  # only the header comment quotes the command as typed

    def strings(node):
        if isinstance(node, dict):
            return [s for v in node.values() for s in strings(v)]
        return [s for v in node for s in strings(v)] if isinstance(node, list) else [node] if isinstance(node, str) else []

    cfg = config_mod.load(before / "run" / "config.yaml")  # validates against the schema
    assert not [s for s in strings(cfg) if os.path.isabs(s)]
    assert cfg["datasets"]["c"]["options"]["path"] == "manifest.csv"
    after = tmp_path / "after"
    shutil.move(before, after)  # the corpus and its run folder moved together: nothing points at the old place
    cwd = os.getcwd()
    try:
        os.chdir(after / "run")  # the run's working directory (snakemake --directory)
        table = csv_manifest("c", cfg["datasets"]["c"]["options"]).table
        resolved = table["audio"].map(lambda p: Path(p).resolve()).tolist()
    finally:
        os.chdir(cwd)
    assert table["audio"].tolist() == ["../c/a1.wav", "../c/a2.wav"] and resolved == [after / "c" / "a1.wav", after / "c" / "a2.wav"]
    # from elsewhere, check --directory resolves the config's relative paths against the run's folder, as the run will
    code, out, table = _check_table(capsys, after / "run" / "config.yaml", tmp_path)
    assert code == 0 and "2 sessions:" in out and table["labels"].tolist() == ["happy", "sad"]
