"""Every bad input of tests/badinputs.py against every consumer that reads it (the table there)."""
from pathlib import Path

import pytest

from affectflow.core import checks, labels, media, textfiles, video
from affectflow.extractors import SessionMedia, create
from affectflow.extractors.text import session_duration
from affectflow.face.cache import detect_video
from affectflow.text import transcripts

import badinputs
from badinputs import CASES, SECONDS, check_outcome, tone, write_mp4, write_wav

HOP_S = 0.1
EXTRACTORS = {
    "opensmile_lld": {"kind": "opensmile", "feature_set": "eGeMAPSv02", "level": "lld"},
    "opensmile_functionals": {"kind": "opensmile", "feature_set": "eGeMAPSv02", "level": "functionals", "window_s": 4.0, "window_hop_s": 1.0},
}
DATASET = {"adapter": "csv", "hop_s": HOP_S, "annotation_delay_s": 0.0, "dimensions": ["arousal", "valence"], "features": []}


def _extract(name):
    def consume(path):
        return create(name, EXTRACTORS[name]).extract(SessionMedia(dataset="bad", session="s", audio=str(path)), HOP_S)
    return consume


def _check_as(column):
    """``affectflow check`` on a session whose ``column`` is the bad file (the other files good)."""
    def consume(path):
        good_audio = path.parent / "good_for_labels.wav"
        if column == "labels" and not good_audio.exists():
            write_wav(good_audio, tone(SECONDS))
        row = {"session": "s", "video": "", "audio": "", "transcript": "", "labels": "", "label_kind": "none", "emotion": ""}
        row[column] = str(path)
        if column == "labels":
            row.update(audio=str(good_audio), label_kind="continuous")
        return checks.check_session(row, DATASET, {})
    return consume


CONSUMERS = {
    "probe": media.probe,
    "load_audio": media.load_audio,
    "video_frame_times": media.video_frame_times,
    "frame_times": video.frame_times,
    "detect_faces": lambda p: detect_video(p, {"backend": "mediapipe", "sample": 5}, HOP_S, "s"),
    "text_duration": lambda p: session_duration(SessionMedia(dataset="bad", session="s", video=str(p))),
    "read_utf8": textfiles.read_utf8,
    "read_transcript": lambda p: transcripts.read(p, duration_s=SECONDS),
    "grid_labels": lambda p: labels.to_grid(labels.read_avec(p, ["arousal", "valence"]), "s", SECONDS, HOP_S),
    **{name: _extract(name) for name in EXTRACTORS},
    **{f"check_as_{col}": _check_as(col) for col in ("video", "audio", "transcript", "labels")},
}

PAIRS = [pytest.param(case, consumer, id=f"{case.make.__name__[5:]}-{consumer}") for case in CASES for consumer in case.expect]


def test_every_case_has_an_expectation_and_every_consumer_exists():
    assert all(case.expect for case in CASES)
    assert {c for case in CASES for c in case.expect} <= set(CONSUMERS)
    assert len({case.make.__name__ for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case,consumer", PAIRS)
def test_bad_input_has_its_documented_outcome(tmp_path, case, consumer):
    path = case.make(tmp_path)
    check_outcome(CONSUMERS[consumer], path, case.expect[consumer])


def test_docs_document_every_bad_input():
    section = (Path(__file__).resolve().parents[1] / "docs" / "bad-input.md").read_text()
    for case in CASES:
        assert f"| {case.name} | {case.behaviour} |" in section, f"docs/bad-input.md lacks the row for {case.name!r} (regenerate it from CASES)"
