"""Reading transcripts in the formats corpora ship, and their alignment on the time grid."""
import json

import numpy as np
import pytest

from affectflow.text import align, transcripts
from affectflow.text.transcripts import TranscriptError


def words_json(tmp_path, words, utterances=None):
    doc = {"session": "s1", "language": "en", "words": [{"word": w, "start": s, "end": e} for w, s, e in words]}
    if utterances is not None:
        doc["utterances"] = [{"start": s, "end": e, "text": t} for s, e, t in utterances]
    path = tmp_path / "s1.words.json"
    path.write_text(json.dumps(doc))
    return path


# words with known timings: two interpausal units [0.5, 1.2] and [2.0, 2.6]
WORDS = [("happy", 0.5, 0.8), ("day", 0.8, 1.2), ("sad", 2.0, 2.3), ("news", 2.3, 2.6)]
UTTS = [(0.5, 1.2, "happy day"), (2.0, 2.6, "sad news")]


def test_word_only_json_is_grouped_into_interpausal_units(tmp_path):
    tr = transcripts.read(words_json(tmp_path, WORDS))
    assert [(u.start, u.end, u.text) for u in tr.utterances] == UTTS
    assert tr.word_times == "given" and tr.language == "en"


def test_sewa_style_turn_csv_without_header_gets_interpolated_word_times(tmp_path):
    path = tmp_path / "Train_01.csv"
    path.write_text("0.50;1.20;happy day\n2.0;2.6;sad; bad news\n")  # a ';' inside the last turn's text
    tr = transcripts.read(path)
    assert [u.text for u in tr.utterances] == ["happy day", "sad; bad news"]
    assert tr.word_times == "interpolated"
    w = tr.utterances[0].words
    assert w[0].start == 0.5 and w[-1].end == pytest.approx(1.2) and w[0].end == pytest.approx(0.5 + 0.7 * 6 / 10)


def test_turn_csv_with_header_and_clock_times(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("speaker,start,end,text\nA,3.0,2.0,hi\n")
    with pytest.raises(TranscriptError, match="t.csv, line 2: end 2.0 is before start 3.0"):
        transcripts.read(path)
    path.write_text("speaker\tstart\tend\ttext\nA\t00:00:01.500\t00:00:02.000\thello there\n")
    tr = transcripts.read(path)
    assert (tr.utterances[0].start, tr.utterances[0].end, tr.utterances[0].text) == (1.5, 2.0, "hello there")


def test_word_level_csv_and_subtitles(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("word,start,end\n" + "".join(f"{w},{s},{e}\n" for w, s, e in WORDS))
    assert [u.text for u in transcripts.read(path).utterances] == ["happy day", "sad news"]
    srt = tmp_path / "s.srt"
    srt.write_text("1\n00:00:00,500 --> 00:00:01,200\nhappy <i>day</i>\n\n2\n00:00:02,000 --> 00:00:02,600\nsad\nnews\n")
    assert [(u.start, u.end, u.text) for u in transcripts.read(srt).utterances] == UTTS


def test_plain_text_spans_the_session_and_needs_its_duration(tmp_path):
    path = tmp_path / "s.txt"
    path.write_text("what a lovely day\n")
    with pytest.raises(TranscriptError, match="needs the session duration"):
        transcripts.read(path)
    tr = transcripts.read(path, duration_s=4.0)
    assert (tr.utterances[0].start, tr.utterances[0].end) == (0.0, 4.0) and len(tr.words) == 4


@pytest.mark.parametrize("content, problem", [
    ("{\"words\": [{\"word\": \"x\"}]}", "words need word/start/end"),
    ("[1, 2]", "needs a 'words' and/or 'utterances' list"),
    ("{not json", "not a readable JSON transcript"),
])
def test_broken_json_names_the_file_and_the_problem(tmp_path, content, problem):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(TranscriptError, match=problem) as err:
        transcripts.read(path)
    assert "bad.json" in str(err.value)


def test_utterance_context_on_the_grid(tmp_path):
    tr = transcripts.read(words_json(tmp_path, WORDS, UTTS))
    fc = align.frame_contexts(tr, duration_s=3.0, hop_s=0.1, context="utterance")
    texts = np.array([fc.texts[c] if c >= 0 else "" for c in fc.context])
    # frame i covers [0.1 i, 0.1 i + 0.1); its centre decides
    assert len(texts) == 30 and not fc.speech[4] and texts[4] == ""
    assert (texts[5:12] == "happy day").all() and not fc.speech[12]
    assert (texts[12:20] == "").all() and (texts[20:26] == "sad news").all() and (texts[26:] == "").all()
    assert (fc.speech == (fc.context >= 0)).all()


def test_window_and_word_contexts_and_the_delay(tmp_path):
    tr = transcripts.read(words_json(tmp_path, WORDS, UTTS))
    win = align.frame_contexts(tr, 3.0, 0.1, context="window", window_s=1.0)
    text_at = lambda fc, i: fc.texts[fc.context[i]] if fc.context[i] >= 0 else None  # noqa: E731
    assert text_at(win, 6) == "happy" and text_at(win, 9) == "happy day"
    # 2.45 s: the words overlapping (1.45, 2.45] — "day" ended at 1.2, so only the second unit
    assert text_at(win, 24) == "sad news"
    assert text_at(win, 14) is None  # a pause: NaN by default …
    # … or held while the window still reaches back into speech: 1.45 s sees "day" (ended 1.2 s)
    held = align.frame_contexts(tr, 3.0, 0.1, context="window", window_s=0.5, during_pauses="hold")
    assert text_at(held, 14) == "day" and not held.speech[14] and text_at(held, 18) is None
    word = align.frame_contexts(tr, 3.0, 0.1, context="word")
    assert [text_at(word, i) for i in (5, 7, 8, 11, 21, 23)] == ["happy", "happy", "day", "day", "sad", "news"]
    # with a 0.5 s delay frame t carries the text of t - 0.5: "happy" starts at frame 10
    late = align.frame_contexts(tr, 3.0, 0.1, context="word", delay_s=0.5)
    assert text_at(late, 9) is None and text_at(late, 10) == "happy" and text_at(late, 13) == "day"
    assert late.speech[10] and not late.speech[9]


def test_frames_share_one_text_per_distinct_context(tmp_path):
    tr = transcripts.read(words_json(tmp_path, WORDS, UTTS))
    fc = align.frame_contexts(tr, 3.0, 0.1, context="utterance")
    assert fc.texts == ["happy day", "sad news"]
