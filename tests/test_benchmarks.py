"""Every benchmark in benchmarks/ runs in its --smoke mode, so none of them can rot unnoticed.

Only that each one runs to the end and prints its ratios (numbers measured in the same run) is
asserted: timings themselves are never asserted. Benchmarks on ../shared/data skip when it is absent.
"""
import os
import re
import subprocess
import sys

import pytest
from conftest import REPO, shared_data

pytestmark = pytest.mark.slow

NUMBER = r"[0-9]+(?:\.[0-9]+)?"


def run(name, *args, timeout=600):
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / name), "--smoke", *args], cwd=REPO, timeout=timeout,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.returncode == 0, f"{name} --smoke failed ({proc.returncode}):\n{proc.stdout[-6000:]}"
    return proc.stdout


def test_incremental_smoke():
    out = run("incremental.py")
    full = re.search(rf"^\| full \| ({NUMBER}) \| {NUMBER} \|$", out, re.MULTILINE)
    after = re.search(rf"^\| after one session's media changed \| ({NUMBER}) \| {NUMBER} \|$", out, re.MULTILINE)
    assert full and after, out
    # 3 sessions on the eGeMAPS -> ridge path: one session's labels + 2 extractions + ridge, score, table = 6 of 16
    assert (int(full[1]), int(after[1])) == (16, 6), out
    dag = re.findall(rf"^\| (10|20) \| ({NUMBER}) \| {NUMBER} \| (?:-|-?{NUMBER}) \| {NUMBER} \|$", out, re.MULTILINE)
    assert [n for n, _ in dag] == ["10", "20"], out
    jobs = {int(n): int(j) for n, j in dag}
    assert jobs[20] > jobs[10] > 10 * 6, out  # every session: labels and the six default extractors at least


def test_sequence_epoch_smoke():
    out = run("sequence_epoch.py")
    rows = re.findall(rf"^(\w+)\s+{NUMBER}\s+{NUMBER}\s+({NUMBER})\s+\w+", out, re.MULTILINE)
    assert [r[0] for r in rows] == ["dlstm_audio", "dlstm_video", "dlstm_video_att", "fusion_attention", "dlstm_av"], out


def test_paper_size_epoch_smoke():
    out = run("paper_size_epoch.py")
    assert out.startswith("device cpu"), out
    rows = re.findall(rf"^network=(\w+) corpus=.*? batch=(\d+) micro_batch=(\d+) .*? s_per_step=({NUMBER}) steps_per_epoch=(\d+) "
                      rf"s_per_epoch=({NUMBER})", out, re.MULTILINE)
    assert [r[0] for r in rows] == ["waligora_visual", "waligora_audio", "waligora_jmt", "tzirakis_e2e_text", "tzirakis_e2e_audio",
                                    "tzirakis_e2e_visual"], out
    for name, batch, micro, step, steps, epoch in rows:
        # smoke: batch 2, one sequence measured; the epoch is the corpus' training sequences (half-sequence hop) in batches
        frames, hop = (54_813, 5) if name.startswith("tzirakis") else (1_690_000, 8)
        assert (int(batch), int(micro), int(steps)) == (2, 1, -(-(-(-frames // hop)) // 2)), (name, out)
        # s_per_step is printed to 3 decimals: its rounding is worth up to 0.0005 s per step of the epoch
        assert float(epoch) == pytest.approx(float(step) * int(steps), abs=0.0005 * int(steps) + 1)


def test_audio_throughput_smoke():
    shared_data("emodb/wav")
    out = run("audio_throughput.py")
    ratios = re.findall(rf"\s({NUMBER})x$", out, re.MULTILINE)
    assert len(ratios) == 2 and all(float(r) > 0 for r in ratios), out
    assert "whisper tiny.en encoder" in out and "vggish" in out, out


def test_face_throughput_smoke():
    shared_data("face_fixtures_pyfeat")
    out = run("face_throughput.py")
    m = re.search(rf"ratio batched / naive: ({NUMBER})x", out)
    assert m and float(m[1]) > 0, out
    assert re.search(r"naive per-frame loop :\s+[0-9.]+ frames/s", out), out


def test_fusion_emobank_smoke(tmp_path):
    shared_data("emobank")
    shared_data("text_vad_lexicon_and_fb")
    out = run("fusion_emobank.py", "--out", str(tmp_path))
    gains = re.findall(rf"^(\w+): best unimodal CCC -?{NUMBER}, best fused -?{NUMBER} \(ratio -?{NUMBER}\)$", out, re.MULTILINE)
    assert len(gains) == 3, out  # EmoBank's V, A, D
    assert (tmp_path / "table1.csv").exists() and (tmp_path / "grid.png").exists()


def test_script_imports_smoke():
    out = run("script_imports.py")
    rows = re.findall(rf"^\| ([\w ()]+) \| ({NUMBER}) \| ({NUMBER}) \| ([\w, -]+) \|$", out, re.MULTILINE)
    names = [r[0] for r in rows]
    assert names[:2] == ["extract_audio", "extract_audio (opensmile)"] and "extract_text (vader)" in names, out
    assert {"tzirakis_table6", "sequence_tables"} <= set(names), out
    for name, _, _, loaded in rows:
        # per-job start-up: these rules' scripts, and the extractor modules they load, import neither
        # torch nor sklearn (a neural extractor loads torch itself, when it runs)
        assert not {"torch", "sklearn"} & set(loaded.split(", ")), f"{name} imports {loaded}\n{out}"


def test_clip_corpus_smoke():
    out = run("clip_corpus.py")
    media = re.search(r"^## Extraction: 24 clips with video, audio and words \(([0-9]+) s of media, ([0-9]+) words\)", out, re.MULTILINE)
    assert media and 48 <= int(media[1]) <= 72 and int(media[2]) > 24, out  # clips of 2-3 s that hold words
    ext = re.search(rf"^\| snakemake --cores 2, shards of ~300 s \| ([0-9]+) \| {NUMBER} \| ({NUMBER}) \|$", out, re.MULTILINE)
    # ~60 s of clips: one shard per extractor (5) and one for face detection
    assert ext and int(ext[1]) == 6 and float(ext[2]) > 0, out
    rows = dict(re.findall(r"^\| (one job per \(clip, extractor or detector\)|shards of ~300 s) \| ([0-9]+) \|", out, re.MULTILINE))
    # 200 clips x (5 extractors + face detection) one job each + manifest; sharded: ~500 s of clips -> 2 shards each + manifest
    assert rows == {"one job per (clip, extractor or detector)": "1201", "shards of ~300 s": "13"}, out


def test_late_fusion_cost_smoke():
    out = run("late_fusion_cost.py")
    cost = re.search(rf"^wall ({NUMBER}) s, fits ([0-9]+) \(planned_fits ([0-9]+)\)", out, re.MULTILINE)
    assert cost and cost[2] == cost[3] and int(cost[2]) > 0, out
    rows = re.findall(rf"^\| (arousal|valence) \| (-?{NUMBER}) \| (-?{NUMBER}) \| (-?{NUMBER}) \| [+-]{NUMBER} \| [+-]{NUMBER} \| .+ \|$",
                      out, re.MULTILINE)
    assert [r[0] for r in rows] == ["arousal", "valence"], out
    # 3 synthetic systems with independent errors: the fused prediction is above the best one alone
    assert all(float(sel) > float(best) for _, sel, _, best in rows), out
