"""Voice activity (silero-vad ONNX), interpausal units, rolling windows, utterances and segment targets."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from affectflow.core import media, segments, store, vad
from affectflow.datasets.demo_corpus import generate_session
from conftest import shared_data


def _regions(*spans):
    return pd.DataFrame({"t_start": [a for a, _ in spans], "t_end": [b for _, b in spans]})


@pytest.fixture(scope="module")
def demo_session(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    return generate_session(out, "demo01", 0, seed=0, duration_s=20.0)


def test_every_cremad_and_emodb_clip_gets_a_speech_region():
    clips = sorted((shared_data("emodb") / "wav").glob("*.wav")) + sorted((shared_data("cremad_subset") / "AudioWAV16k").glob("*.wav"))
    assert len(clips) >= 535 + 12
    empty = []
    for path in clips:
        audio = media.load_audio(path, 16000)
        ipus = segments.interpausal_units(path.stem, vad.speech_regions(audio, 16000))
        if len(ipus) == 0:
            empty.append(path.name)
        else:
            assert 0.0 <= ipus["t_start"].min() and ipus["t_end"].max() <= len(audio) / 16000 + 1e-6
    assert empty == []


@pytest.mark.parametrize("signal", ["zeros", "low_noise"])
def test_pure_silence_gets_no_speech_region_and_an_empty_store_file(tmp_path, signal):
    sr = 16000
    audio = np.zeros(5 * sr, np.float32) if signal == "zeros" else (1e-4 * np.random.default_rng(0).standard_normal(5 * sr)).astype(np.float32)
    wav = tmp_path / "silence.wav"
    sf.write(wav, audio, sr, subtype="PCM_16")
    out = tmp_path / "seg" / "silence.parquet"
    seg = segments.run("t", "silence", "ipu", {"kind": "ipu", "min_pause_s": 0.2}, out, audio_path=str(wav))
    assert len(seg) == 0
    back = store.read(out)
    assert len(back) == 0 and list(back.columns[:4]) == ["session", "t_start", "t_end", "segment"]
    meta = store.read_metadata(out)
    assert meta["weights_sha256"] == store.sha256_file(vad.model_path()) and meta["sources"]["audio"]["path"] == "silence.wav"


def test_ipus_merge_pauses_shorter_than_the_minimum():
    r = _regions((0.5, 1.0), (1.1, 2.0), (2.5, 3.0), (3.1, 3.2))
    assert segments.interpausal_units("s", r, min_pause_s=0.2)[["t_start", "t_end"]].values.tolist() == [[0.5, 2.0], [2.5, 3.2]]
    assert len(segments.interpausal_units("s", r, min_pause_s=0.05)) == 4
    assert len(segments.interpausal_units("s", r, min_pause_s=0.0)) == 4
    assert segments.interpausal_units("s", r, min_pause_s=1.0)[["t_start", "t_end"]].values.tolist() == [[0.5, 3.2]]
    kept = segments.interpausal_units("s", r, min_pause_s=0.05, min_duration_s=0.6)
    assert kept[["t_start", "t_end"]].values.tolist() == [[1.1, 2.0]] and kept["segment"].tolist() == [0]


def test_ipus_of_the_demo_voice_follow_its_utterances(demo_session):
    """The demo transcript's utterances are separated by pauses: each is covered by speech."""
    audio = media.load_audio(demo_session["media"], 16000)
    regions = vad.speech_regions(audio, 16000)
    utt = segments.read_utterances(demo_session["transcript"])
    assert len(utt) >= 3
    covered = vad.speech_fraction(regions, utt["t_start"].to_numpy(), utt["t_end"].to_numpy())
    assert covered.min() > 0.6, covered
    gaps = vad.speech_fraction(regions, utt["t_end"].to_numpy()[:-1] + 0.1, utt["t_start"].to_numpy()[1:] - 0.1)
    assert np.median(gaps) < 0.5, gaps


def test_rolling_windows_tile_the_session():
    w = segments.rolling_windows("s", 20.0, window_s=6.0)
    assert w[["t_start", "t_end"]].values.tolist() == [[0, 6], [6, 12], [12, 18]]
    w = segments.rolling_windows("s", 20.0, window_s=6.0, hop_s=2.0)
    assert len(w) == 8 and w["t_end"].iloc[-1] == 20.0
    assert segments.rolling_windows("s", 4.0, window_s=6.0)[["t_start", "t_end"]].values.tolist() == [[0.0, 4.0]]


def test_utterances_from_words_json_and_csv(demo_session, tmp_path):
    doc = json.loads(demo_session["transcript"].read_text())
    u = segments.transcript_utterances("demo01", demo_session["transcript"])
    assert u[["t_start", "t_end"]].values.tolist() == [[x["start"], x["end"]] for x in doc["utterances"]]
    assert u["text"].tolist() == [x["text"] for x in doc["utterances"]]
    words_only = tmp_path / "w.json"
    words_only.write_text(json.dumps({"words": doc["words"]}))
    # the demo's inter-utterance pauses are longer than its inter-word gaps
    assert segments.transcript_utterances("demo01", words_only, max_gap_s=0.3)["t_start"].tolist() == u["t_start"].tolist()
    csv = tmp_path / "t.csv"
    csv.write_text("start,end,text\n0.5,1.5,hello\n2.0,1.0,bad\n")
    with pytest.raises(segments.SegmentError, match=r"t\.csv, line 3: end 1\.0 is before start 2\.0"):
        segments.read_utterances(csv)


def test_segment_targets_average_the_right_shifted_valid_frames():
    t = np.round(np.arange(100) * 0.1, 6)
    labels = pd.DataFrame({"session": "s", "t_start": t, "t_end": t + 0.1, "arousal": t.astype(np.float32), "label_valid": True})
    labels.loc[labels["t_start"].between(5.0, 5.95), "label_valid"] = False
    segs = segments._table("s", [1.0, 4.5, 5.0, 9.5], [2.0, 5.5, 6.0, 12.0])
    out = segments.segment_targets(segs, labels, ["arousal"], shift_s=0.0)
    assert out["arousal"].iloc[0] == pytest.approx(np.mean(np.arange(10, 20) * 0.1))
    assert out["n_frames"].tolist() == [10, 5, 0, 5]
    assert out["arousal"].iloc[1] == pytest.approx(np.mean(np.arange(45, 50) * 0.1))  # the invalid half is left out
    assert np.isnan(out["arousal"].iloc[2]) and out["target_valid"].tolist() == [True, True, False, True]
    shifted = segments.segment_targets(segs, labels, ["arousal"], shift_s=2.0)
    assert shifted["arousal"].iloc[0] == pytest.approx(np.mean(np.arange(30, 40) * 0.1))
    assert shifted["n_frames"].tolist() == [10, 10, 10, 0]
    with pytest.raises(segments.SegmentError, match="valence"):
        segments.segment_targets(segs, labels, ["valence"])


def test_config_names_an_undefined_segmenter():
    import yaml

    from affectflow.core import config
    from conftest import REPO

    cfg = yaml.safe_load((REPO / "config.yaml").read_text())
    cfg["datasets"]["demo"]["segments"] = ["ipu", "turns"]
    with pytest.raises(config.ConfigError, match="segments: 'turns' is not defined under segmenters"):
        config.validate(cfg)
    cfg["datasets"]["demo"]["segments"] = ["ipu"]
    cfg["segmenters"]["ipu"]["min_pause"] = 0.3
    with pytest.raises(config.ConfigError, match="min_pause"):
        config.validate(cfg)


def test_stored_rolling_and_utterance_segments_name_their_source(demo_session, tmp_path):
    rolling = segments.run("demo", "demo01", "win6", {"kind": "rolling", "window_s": 6.0}, tmp_path / "r.parquet",
                           audio_path=str(demo_session["media"]), transcript_path=str(demo_session["transcript"]))
    assert rolling[["t_start", "t_end"]].values.tolist() == [[0, 6], [6, 12], [12, 18]]
    assert set(store.read_metadata(tmp_path / "r.parquet")["sources"]) == {"audio"}
    utt = segments.run("demo", "demo01", "utt", {"kind": "utterances"}, tmp_path / "u.parquet",
                       audio_path=str(demo_session["media"]), transcript_path=str(demo_session["transcript"]))
    assert store.read(tmp_path / "u.parquet")["text"].tolist() == utt["text"].tolist()
    assert set(store.read_metadata(tmp_path / "u.parquet")["sources"]) == {"transcript"}
    with pytest.raises(segments.SegmentError, match="demo01: utterance segments need a transcript"):
        segments.run("demo", "demo01", "utt", {"kind": "utterances"}, tmp_path / "x.parquet", audio_path=str(demo_session["media"]))
    assert not (tmp_path / "x.parquet").exists()
