"""CREMA-D as the reference clip corpus: `.test/config-cremad.yaml` plans all 7,442 clips of the
official file list (SentenceFilenames.csv, in the shared subset) in a dry run, in a job count a
SLURM queue takes. The subset has the media of 12 clips only: each listed clip's official path is a
link to a subset clip of the same emotion (`snakemake -n` needs the files to exist, never opens them)."""
import time

import pytest
import yaml
from conftest import REPO, shared_data, snakemake

from affectflow.core import shards
from affectflow.core.plan import planned_jobs
from affectflow.datasets import cremad

N_CLIPS = 7442


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    subset = shared_data("cremad_subset")
    root = tmp_path_factory.mktemp("cremad_full")
    names = cremad.read_file_list("cremad", subset / "SentenceFilenames.csv")
    assert len(names) == N_CLIPS
    (root / "SentenceFilenames.csv").symlink_to(subset / "SentenceFilenames.csv")
    for folder in ("VideoFlash", "AudioWAV"):
        (root / folder).mkdir()
    for name in names:
        emotion = name.split("_")[2]
        (root / "VideoFlash" / f"{name}.flv").symlink_to(subset / "VideoFlash" / f"1001_DFA_{emotion}_XX.flv")
        (root / "AudioWAV" / f"{name}.wav").symlink_to(subset / "AudioWAV16k" / f"1001_DFA_{emotion}_XX.wav")
    cfg = yaml.safe_load((REPO / ".test/config-cremad.yaml").read_text())
    cfg["datasets"]["cremad"]["options"].update(root=str(root), file_list="SentenceFilenames.csv")
    work = tmp_path_factory.mktemp("cremad_plan")
    (work / "config.yaml").write_text(yaml.safe_dump(cfg))
    return root, work, cfg, names


@pytest.mark.slow
def test_the_full_corpus_plans_in_a_slurm_sized_dag(corpus):
    _, work, cfg, names = corpus
    t0 = time.perf_counter()
    plan = snakemake(work, "-n").stdout
    elapsed = time.perf_counter() - t0
    jobs = planned_jobs(plan)
    counts = {}
    for j in jobs:
        rule = j.rule.rsplit("_", 1)[0] if "_shard_" in j.rule else j.rule
        counts[rule] = counts.get(rule, 0) + 1
    print(f"\nCREMA-D, {len(names)} clips: snakemake -n planned {len(jobs)} jobs in {elapsed:.1f} s: {counts}")
    opts = {**shards.DEFAULTS, **cfg["datasets"]["cremad"]["shards"]}
    plan_of = shards.plan({n: 2.5 for n in names}, opts["max_session_s"], opts["target_s"])  # 18,605 s of video: 64 shards
    assert len(plan_of) == 64 and sorted(s for m in plan_of.values() for s in m) == sorted(names)
    assert counts == {
        "manifest": 1,
        "detect_faces_shard_cremad_blazeface_all": 64,     # every clip's face cache, in 64 jobs instead of 7,442
        "temporal_aggregation_clips": 1,                   # the clip index each fold job names (not 22,326 files each)
        "temporal_aggregation_fold": 30,                   # 10 actor folds x N in {1 (Table I's baseline), 2, 3}
        "temporal_aggregation_report": 3,
        "temporal_aggregation_table1": 1,
        "temporal_aggregation_vs_segments": 1,
        "all": 1,
    }, plan
    assert len(jobs) == 102 < 1000


def test_a_listed_clip_that_is_not_on_disk_is_named(corpus):
    root, work, _, _ = corpus
    clip = "1091_WSI_DIS_XX"
    links = {p: p.readlink() for p in (root / "VideoFlash" / f"{clip}.flv", root / "AudioWAV" / f"{clip}.wav")}
    for p in links:
        p.unlink()  # (a clip with audio only is an audio-only clip, as actor 1002's in the subset)
    try:
        proc = snakemake(work, "-n", check=False)
    finally:
        for p, target in links.items():
            p.symlink_to(target)
    assert proc.returncode != 0
    assert "2 missing file(s)" in proc.stdout, proc.stdout[-3000:]
    for p in links:
        assert f"session {clip}: {'video' if p.suffix == '.flv' else 'audio'} file not found: {p}" in proc.stdout, proc.stdout[-3000:]


def test_a_clip_on_disk_missing_from_the_list_is_an_error(tmp_path):
    subset = shared_data("cremad_subset")
    names = cremad.read_file_list("cremad", subset / "SentenceFilenames.csv")
    (tmp_path / "list.txt").write_text("\n".join(n for n in names if n != "1001_DFA_ANG_XX") + "\n")
    with pytest.raises(cremad.DatasetError, match=r"1 clip\(s\) under .* are not in the file list .*list.txt: 1001_DFA_ANG_XX"):
        cremad.manifest("cremad", {"root": str(subset), "file_list": str(tmp_path / "list.txt")})
    m = cremad.manifest("cremad", {"root": str(subset), "file_list": "SentenceFilenames.csv"})
    assert len(m.sessions) == N_CLIPS and sorted(m.sessions) == sorted(names)
