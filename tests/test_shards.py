"""Shards of short sessions (affectflow.core.shards, rules/audio.smk): the assignment is stable,
a shard job writes each session's file exactly as the per-session job does, and a changed clip
re-runs only its shard (an exact `snakemake -n` job list, as in tests/test_incremental.py)."""
import contextlib
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import yaml
from conftest import REPO, snakemake

from affectflow import extractors
from affectflow.core import shards, store
from affectflow.core.plan import job_set, planned_jobs

R = "results"


def test_bucket_count_is_the_smallest_power_of_two_that_keeps_shards_under_target():
    assert [shards.n_buckets(t, 10) for t in (5, 10, 10.5, 20, 21, 80, 81)] == [1, 1, 2, 2, 4, 8, 16]


def test_adding_a_session_moves_no_other_session():
    durations = {f"1{i:03d}_DFA_ANG_XX": 2.5 for i in range(400)}
    before = shards.plan(durations, 30, 100)  # 1,000 s: 16 buckets
    assert len(before) == 16
    durations["9999_NEW_HAP_XX"] = 2.5
    after = shards.plan(durations, 30, 100)
    moved = {k: set(after[k]) ^ set(before.get(k, [])) for k in after}
    assert {k: v for k, v in moved.items() if v} == {shards.bucket("9999_NEW_HAP_XX", 16): {"9999_NEW_HAP_XX"}}


def test_doubling_splits_each_bucket_in_two():
    for s in (f"s{i}" for i in range(200)):
        assert shards.bucket(s, 16) in (shards.bucket(s, 8), shards.bucket(s, 8) + 8)


def test_long_and_unknown_sessions_keep_their_own_jobs():
    plan = shards.plan({"a": 2.0, "b": 3.0, "c": 2.0, "long": 31.0, "unknown": None, "nan": float("nan")}, 30, 100)
    assert plan == {0: ["a", "b", "c"]}
    assert shards.plan({"a": 2.0, "long": 60.0}, 30, 100) == {}  # a shard of one is the per-session job


@pytest.fixture(scope="module")
def clip_run(tmp_path_factory):
    """12 synthetic clips of 2-3 s and one 40 s session, eGeMAPS functionals, shards of ~10 s; run once."""
    work = tmp_path_factory.mktemp("clips")
    (work / "media").mkdir()
    rng = np.random.default_rng(0)
    rows = ["session,speaker,partition,audio"]
    for i, d in enumerate([2.0, 2.5, 3.0] * 4):
        t = np.arange(int(d * 16000)) / 16000
        x = 0.3 * np.sin(2 * np.pi * (150 + 10 * i) * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t)) + 0.01 * rng.standard_normal(len(t))
        sf.write(work / f"media/c{i:02d}.wav", x.astype(np.float32), 16000)
        rows.append(f"c{i:02d},spk{i % 4},train,media/c{i:02d}.wav")
    sf.write(work / "media/long.wav", (0.3 * np.sin(2 * np.pi * 200 * np.arange(40 * 16000) / 16000)).astype(np.float32), 16000)
    rows.append("long,spk9,train,media/long.wav")
    (work / "corpus.csv").write_text("\n".join(rows) + "\n")
    cfg = yaml.safe_load((REPO / "config.yaml").read_text())
    cfg["datasets"] = {"clips": {"adapter": "csv", "options": {"path": "corpus.csv"}, "hop_s": 0.1, "features": ["egemaps_func"],
                                 "models": [], "segments": [], "fusions": [], "shards": {"max_session_s": 30, "target_s": 10}}}
    cfg.pop("fusions")
    (work / "config.yaml").write_text(yaml.safe_dump(cfg))
    plan = snakemake(work, "-n").stdout
    snakemake(work, "--cores", "2")
    return work, plan


def expected_shards():
    durations = {f"c{i:02d}": d for i, d in enumerate([2.0, 2.5, 3.0] * 4)}
    return shards.plan(durations, 30, 10)  # 30 s of short clips: 4 buckets


@pytest.mark.slow
def test_short_clips_share_jobs_and_the_long_session_keeps_its_own(clip_run):
    work, plan = clip_run
    exp = expected_shards()
    assert len(exp) >= 2 and sum(map(len, exp.values())) >= 10
    jobs = planned_jobs(plan)
    shard_jobs = {j.rule: j for j in jobs if j.rule.startswith("extract_audio_shard_")}
    assert set(shard_jobs) == {f"extract_audio_shard_clips_egemaps_func_{k}" for k in exp}
    singles = {j.output for j in jobs if j.rule == "extract_audio"}
    sharded = {s for members in exp.values() for s in members}
    alone = {f"c{i:02d}" for i in range(12)} - sharded | {"long"}
    assert singles == {f"{R}/features/clips/egemaps_func/{s}.parquet" for s in alone}
    assert len(jobs) == len(exp) + len(alone) + 2  # + manifest, all


@pytest.mark.slow
def test_a_shard_writes_each_session_as_the_per_session_job_does(clip_run, tmp_path):
    work, _ = clip_run
    session = expected_shards()[min(expected_shards())][1]
    path = work / f"{R}/features/clips/egemaps_func/{session}.parquet"
    meta = store.read_metadata(path)
    # the provenance a per-session extract_audio job of the same run wrote (the 40 s session)
    single = store.read_metadata(work / f"{R}/features/clips/egemaps_func/long.parquet")
    for key in ("extractor", "extractor_version", "dataset", "params", "packages", "model_id"):
        assert meta[key] == single[key], key
    assert meta["session"] == session
    assert meta["sources"]["audio"] == {"path": f"{session}.wav", "sha256": store.content_sha256(work / f"media/{session}.wav")}
    # the same rows as one extractor run on that session alone
    params = {k: v for k, v in meta["params"].items() if k != "hop_s"}
    media = extractors.SessionMedia("clips", session, audio=str(work / f"media/{session}.wav"))
    alone = extractors.run("egemaps_func", params, media, 0.1, tmp_path / "alone.parquet")
    pd.testing.assert_frame_equal(store.read(path), alone)


@contextlib.contextmanager
def changed(path: Path, content: bytes):
    """``path`` holds ``content`` inside the block, then its own bytes and times again. (The run is
    changed in place: the csv adapter's paths are absolute, so a copied run would re-run everything.)"""
    before, st = path.read_bytes(), path.stat()
    path.write_bytes(content)
    try:
        yield
    finally:
        path.write_bytes(before)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


@pytest.mark.slow
def test_a_changed_clip_reruns_only_its_shard(clip_run, tmp_path):
    work = clip_run[0]
    k, members = next((k, m) for k, m in expected_shards().items())
    clip = work / f"media/{members[0]}.wav"
    x, sr = sf.read(clip)
    sf.write(tmp_path / "new.wav", (0.5 * x).astype(np.float32), sr)
    with changed(clip, (tmp_path / "new.wav").read_bytes()):  # new content
        plan = snakemake(work, "-n").stdout
    assert job_set(plan) == {(f"extract_audio_shard_clips_egemaps_func_{k}", f"{R}/features/clips/egemaps_func/{members[0]}.parquet"),
                             ("all", "")}, plan
    assert "Nothing to be done" in snakemake(work, "-n").stdout


# ---- every branch: face detection + face extractor, text extractor, labels, segments (and audio)

CLIPS = {f"v{i}": 5.0 for i in range(7)} | {"long": 8.0}  # max_session_s 6: "long" keeps its own jobs
BRANCHES = {  # shard rule prefix -> the per-session file of session s it writes
    "extract_audio_shard_clips_egemaps_func": f"{R}/features/clips/egemaps_func/{{s}}.parquet",
    "detect_faces_shard_clips_blazeface": f"{R}/faces/clips/blazeface/{{s}}.parquet",
    "extract_face_shard_clips_face_expression": f"{R}/features/clips/face_expression/{{s}}.parquet",
    "extract_text_shard_clips_vader": f"{R}/features/clips/vader/{{s}}.parquet",
    "grid_labels_shard_clips": f"{R}/labels/clips/{{s}}.parquet",
    "segment_session_shard_clips_ipu": f"{R}/segments/clips/ipu/{{s}}.parquet",
}


# labels are no target of a dataset without models: name them
LABEL_TARGETS = ["all", *(f"{R}/labels/clips/{s}.parquet" for s in CLIPS)]


def all_branch_plan():
    return shards.plan({s: d for s, d in CLIPS.items()}, 6, 12)  # 35 s of short clips: 4 buckets


@pytest.fixture(scope="module")
def av_run(tmp_path_factory):
    """8 demo-generator sessions (face video with speech, words, a clip-level arousal) with every
    branch on; shards automatic (no `shards:` key) but tuned small; run once."""
    from affectflow.datasets.demo_corpus.synth import generate_session

    work = tmp_path_factory.mktemp("av")
    rows = ["session,speaker,partition,video,transcript,arousal"]
    for i, (s, d) in enumerate(CLIPS.items()):
        paths = generate_session(work / "media", s, i, duration_s=d)
        rows.append(f"{s},spk{i % 3},train,media/{paths['media'].name},media/{paths['transcript'].name},{0.1 * i:.1f}")
    (work / "corpus.csv").write_text("\n".join(rows) + "\n")
    cfg = yaml.safe_load((REPO / "config.yaml").read_text())
    cfg["datasets"] = {"clips": {"adapter": "csv", "options": {"path": "corpus.csv"}, "hop_s": 0.1, "dimensions": ["arousal"],
                                 "features": ["egemaps_func", "face_expression", "vader"], "models": [], "segments": ["ipu"],
                                 "fusions": [], "shards": {"max_session_s": 6, "target_s": 12}}}
    cfg.pop("fusions")
    (work / "config.yaml").write_text(yaml.safe_dump(cfg))
    plan = snakemake(work, "-n", *LABEL_TARGETS).stdout
    snakemake(work, "--cores", "2", *LABEL_TARGETS)
    return work, plan


@pytest.mark.slow
def test_every_branch_shards_the_same_clips(av_run):
    work, plan = av_run
    exp = all_branch_plan()
    assert len(exp) >= 2
    jobs = planned_jobs(plan)
    sharded = {s for members in exp.values() for s in members}
    expected = {(f"{prefix}_{k}", path.format(s=s)) for prefix, path in BRANCHES.items() for k, members in exp.items() for s in members}
    got = {(j.rule, o) for j in jobs if "_shard_" in j.rule for o in j.outputs if not o.endswith(".crops.npz")}
    assert got == expected, plan
    alone = set(CLIPS) - sharded
    assert "long" in alone
    per_session = {"extract_audio": "extract_audio_shard_clips_egemaps_func", "detect_faces": "detect_faces_shard_clips_blazeface",
                   "extract_face": "extract_face_shard_clips_face_expression", "extract_text": "extract_text_shard_clips_vader",
                   "grid_labels": "grid_labels_shard_clips", "segment_session": "segment_session_shard_clips_ipu"}
    singles = {(j.rule, j.output) for j in jobs if j.rule in per_session}
    assert singles == {(r, BRANCHES[b].format(s=s)) for r, b in per_session.items() for s in alone}, plan
    assert len(jobs) == len(BRANCHES) * len(exp) + len(per_session) * len(alone) + 2  # + manifest, all
    assert "Nothing to be done" in snakemake(work, "-n", *LABEL_TARGETS).stdout


@pytest.mark.slow
def test_sharded_branches_write_what_the_per_session_rules_write(av_run):
    work, _ = av_run
    exp = all_branch_plan()
    session = exp[min(exp)][0]
    for path in BRANCHES.values():
        meta, single = (store.read_metadata(work / path.format(s=s)) for s in (session, "long"))
        for key in ("extractor", "extractor_version", "dataset", "packages", "model_id"):
            assert meta[key] == single[key], (path, key)
        assert {k: v for k, v in meta["params"].items() if k != "label_kind"} == {k: v for k, v in single["params"].items() if k != "label_kind"}, path
        assert meta["session"] == session and set(meta["sources"]) == set(single["sources"]), path
    assert (work / f"{R}/faces/clips/blazeface/{session}.crops.npz").is_file()
    # each session's log where its own job writes it, for the rules run by session_shard.py
    assert "frames" in (work / f"{R}/logs/labels/clips/{session}.log").read_text()


@pytest.mark.slow
def test_a_changed_clip_reruns_only_its_shard_in_every_branch(av_run):
    work = av_run[0]
    k, members = next((k, m) for k, m in sorted(all_branch_plan().items()))
    clip = members[0]
    # another clip's video, as long (a longer one would leave the shards): new content for every branch
    # (its audio, face, the words' grid span, the labels' grid)
    other = next(s for s, d in CLIPS.items() if d == CLIPS[clip] and s != clip)
    with changed(work / f"media/{clip}.mp4", (work / f"media/{other}.mp4").read_bytes()):
        plan = snakemake(work, "-n", *LABEL_TARGETS).stdout
    assert {j.rule for j in planned_jobs(plan)} == {f"{prefix}_{k}" for prefix in BRANCHES} | {"all"}, plan
    # new words only: the text shard alone
    words = work / f"media/{clip}.words.json"
    with changed(words, words.read_bytes() + b"\n"):
        plan = snakemake(work, "-n", *LABEL_TARGETS).stdout
    assert {j.rule for j in planned_jobs(plan)} == {f"extract_text_shard_clips_vader_{k}", "all"}, plan
    assert "Nothing to be done" in snakemake(work, "-n", *LABEL_TARGETS).stdout


@pytest.mark.parametrize("setting,expected", [
    (None, {"extract_audio_shard_few_egemaps_func_0": 1}),           # absent: on, the schema's defaults
    (True, {"extract_audio_shard_few_egemaps_func_0": 1}),
    ({"target_s": 3}, None),                                         # 2 buckets: computed below
    (False, {"extract_audio": 3}),                                    # one job per session
    ({"max_session_s": 1}, {"extract_audio": 3}),                     # no session short enough
])
def test_shards_are_automatic_for_short_clips_and_switched_off_by_false(tmp_path, setting, expected):
    (tmp_path / "media").mkdir()
    rows = ["session,speaker,audio"]
    for s in ("a", "b", "c"):
        sf.write(tmp_path / f"media/{s}.wav", np.zeros(32000, np.float32), 16000)  # 2 s each
        rows.append(f"{s},p,media/{s}.wav")
    (tmp_path / "corpus.csv").write_text("\n".join(rows) + "\n")
    cfg = yaml.safe_load((REPO / "config.yaml").read_text())
    cfg["datasets"] = {"few": {"adapter": "csv", "options": {"path": "corpus.csv"}, "features": ["egemaps_func"]}}
    if setting is not None:
        cfg["datasets"]["few"]["shards"] = setting
    cfg.pop("fusions")
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    counts = {}
    for j in planned_jobs(snakemake(tmp_path, "-n").stdout):
        if j.rule.startswith("extract_audio"):
            counts[j.rule] = counts.get(j.rule, 0) + 1
    # 6 s of clips: one shard at the default 300 s; at 3 s, 2 buckets (which hold 2 + 1 clips, or 3 + 0)
    if expected is None:
        plan = shards.plan({"a": 2.0, "b": 2.0, "c": 2.0}, 30, 3)
        expected = {f"extract_audio_shard_few_egemaps_func_{k}": 1 for k in plan}
        expected |= {"extract_audio": 3 - sum(map(len, plan.values()))} if sum(map(len, plan.values())) < 3 else {}
    assert counts == expected


def test_shard_inputs_and_targets_name_the_shard_rule_that_writes_them(tmp_path):
    """`wired` (rules/common.smk): an input or target a shard writes is that shard rule's own output,
    so Snakemake knows its producer without matching the path against every rule's outputs (the
    match compiles one regular expression per declared output: ~a quarter of a 10,000-clip dry run,
    benchmarks/clip_corpus.py). Checked on the rules Snakemake builds from the Snakefile."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import OutputSettings, ResourceSettings

    (tmp_path / "media").mkdir()
    rows = ["session,speaker,partition,video,audio,transcript,duration_s"]
    for i in range(12):
        for ext in ("mp4", "words.json"):
            (tmp_path / f"media/c{i:02d}.{ext}").write_bytes(b"")
        rows.append(f"c{i:02d},spk{i % 3},train,media/c{i:02d}.mp4,media/c{i:02d}.mp4,media/c{i:02d}.words.json,2.5")
    (tmp_path / "corpus.csv").write_text("\n".join(rows) + "\n")
    cfg = yaml.safe_load((REPO / "config.yaml").read_text())
    cfg["datasets"] = {"clips": {"adapter": "csv", "options": {"path": "corpus.csv"}, "hop_s": 0.1,
                                 "features": ["egemaps_func", "face_expression", "vader"], "models": [], "segments": [],
                                 "fusions": [], "shards": {"max_session_s": 6, "target_s": 12}}}
    cfg.pop("fusions")
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    with contextlib.chdir(tmp_path), SnakemakeApi(OutputSettings()) as api:
        workflow = api.workflow(resource_settings=ResourceSettings(cores=1), snakefile=REPO / "Snakefile",
                                workdir=tmp_path)._workflow
        rules = {r.name: r for r in workflow.rules}
        producers = {str(f): r.name for r in rules.values() if "_shard_" in r.name for f in r.output}

        def named(rule):
            return {str(f): rule_name for f, rule_name in rules[rule].dependencies.items()}

        plan = shards.plan({f"c{i:02d}": 2.5 for i in range(12)}, 6, 12)
        assert len(plan) >= 2
        targets = {f"{R}/features/clips/{ex}/{s}.parquet" for ex in ("egemaps_func", "face_expression", "vader")
                   for members in plan.values() for s in members}
        assert {f: r for f, r in named("all").items() if f in targets} == {f: producers[f] for f in targets}
        for k, members in plan.items():
            caches = {f"{R}/faces/clips/blazeface/{s}.{ext}" for s in members for ext in ("parquet", "crops.npz")}
            assert named(f"extract_face_shard_clips_face_expression_{k}") == {f: f"detect_faces_shard_clips_blazeface_{k}"
                                                                              for f in caches}
