"""Text extractors on a transcript with known timings: frames, NaN outside speech, provenance,
and the encoders' numbers (MiniLM, multilingual E5, logits of a classifier, VADER, NRC-VAD)."""
import json

import numpy as np
import pytest
import torch

from affectflow.core import store
from affectflow.extractors import SessionMedia, modality_of, run
from affectflow.extractors.base import ExtractorError
from affectflow.text.encoders import EncoderError, SequenceClassifier, TransformerEmbedder
from conftest import shared_data
from tiny_text_models import tiny_bert

UTTS = [(0.5, 1.5, "what a wonderful happy day"), (2.5, 3.5, "this is terrible and sad"), (4.0, 4.9, "the table is brown")]


@pytest.fixture
def session(tmp_path):
    doc = {"session": "s1", "language": "en", "utterances": [{"start": s, "end": e, "text": t} for s, e, t in UTTS],
           "words": []}
    path = tmp_path / "s1.words.json"
    path.write_text(json.dumps(doc))
    return SessionMedia(dataset="d", session="s1", transcript=str(path))


def utterance_rows(df):
    return {t: df[(df["t_start"] >= s) & (df["t_end"] <= e)] for s, e, t in UTTS}


def test_text_kinds_are_registered_as_text():
    assert {modality_of(k) for k in ("text_embedding", "text_e5", "text_logits", "vader", "nrc_vad")} == {"text"}


def test_vader_frames_follow_the_utterances_and_pauses_are_nan(session, tmp_path):
    out = tmp_path / "vader.parquet"
    df = run("vader", {"kind": "vader"}, session, 0.1, out)
    # text-only session: the grid ends with the last utterance (4.9 s → 49 frames)
    assert len(df) == 49 and list(df.columns[:4]) == ["session", "t_start", "t_end", "speech"]
    rows = utterance_rows(df)
    assert (rows[UTTS[0][2]]["vader_compound"] > 0.5).all() and (rows[UTTS[1][2]]["vader_compound"] < -0.5).all()
    assert (rows[UTTS[2][2]]["vader_compound"] == 0).all()  # neutral words: a real 0, not a fill
    pause = df[~df["speech"]]
    assert len(pause) == 49 - 10 - 10 - 9 and pause["vader_compound"].isna().all()
    meta = store.read_metadata(out)
    assert meta["model_id"] == "vaderSentiment" and meta["sources"]["transcript"]["path"] == "s1.words.json"
    assert len(meta["weights_sha256"]) == 64 and "vaderSentiment" in meta["packages"]


def test_minilm_embeddings_are_unit_vectors_and_separate_meaning(session, tmp_path):
    df = run("minilm", {"kind": "text_embedding", "model": "all-MiniLM-L6-v2"}, session, 0.1, tmp_path / "m.parquet")
    cols = [c for c in df.columns if c.startswith("emb_")]
    assert len(cols) == 384
    speech = df[df["speech"]][cols].to_numpy()
    assert np.allclose(np.linalg.norm(speech, axis=1), 1.0, atol=1e-4)
    assert df.loc[~df["speech"], cols].isna().all().all()
    enc = TransformerEmbedder("all-MiniLM-L6-v2")
    a, b, c = enc.encode(["I am so happy today", "I feel very glad today", "The invoice is attached"])
    assert a @ b > 0.6 > a @ c + 0.3  # paraphrases close, unrelated text far
    meta = store.read_metadata(tmp_path / "m.parquet")
    assert meta["model_id"] == "all-MiniLM-L6-v2"
    (weights,) = enc.weights_files
    assert meta["weights_sha256"] == store.sha256_file(weights) and weights.endswith("model.safetensors")


def test_multilingual_e5_places_german_near_its_english_translation():
    from affectflow.text.encoders import E5Embedder

    enc = E5Embedder()
    de, en, other = enc.encode(["Ich bin heute sehr glücklich", "I am very happy today", "Der Zug hat Verspätung"])
    assert de @ en > de @ other + 0.05
    assert enc.weights_file.endswith(".bin")


def test_logits_of_any_sequence_classifier_folder(session, tmp_path):
    words = " ".join(t for _, _, t in UTTS).split()
    model = tiny_bert(tmp_path / "clf", words, labels=["neg", "pos"])
    df = run("logits", {"kind": "text_logits", "model": str(model)}, session, 0.1, tmp_path / "l.parquet")
    assert [c for c in df.columns if c.startswith("logit_")] == ["logit_neg", "logit_pos"]
    # reference: transformers itself on the utterance, not affectflow's encoder
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tok, net = AutoTokenizer.from_pretrained(model), AutoModelForSequenceClassification.from_pretrained(model).eval()
    with torch.inference_mode():
        expected = net(**tok([UTTS[0][2]], return_tensors="pt")).logits[0].numpy()
    first = utterance_rows(df)[UTTS[0][2]][["logit_neg", "logit_pos"]].to_numpy()
    assert np.allclose(first, expected, atol=1e-5)
    assert store.read_metadata(tmp_path / "l.parquet")["weights_sha256"] == store.sha256_file(model / "model.safetensors")


def test_a_hub_id_that_is_not_cached_fails_without_downloading():
    with pytest.raises(EncoderError, match="local cache folder '.*models--nobody--not-a-cached-model-affectflow'"):
        SequenceClassifier("nobody/not-a-cached-model-affectflow")


def test_nrc_vad_from_the_shared_lexicon(session, tmp_path):
    lexicon = shared_data("text_vad_lexicon_and_fb") / "NRC-VAD-Lexicon.txt"
    df = run("nrc", {"kind": "nrc_vad", "lexicon": str(lexicon)}, session, 0.1, tmp_path / "n.parquet")
    rows = utterance_rows(df)
    happy, sad = rows[UTTS[0][2]].iloc[0], rows[UTTS[1][2]].iloc[0]
    assert happy["nrc_valence"] > 0.7 > 0.3 > sad["nrc_valence"]
    assert 0 < happy["nrc_coverage"] <= 1
    # the lexicon has 'null' as a word: the reader must keep it as a word, not a missing value
    from affectflow.text.lexicons import NrcVad
    assert "null" in NrcVad(str(lexicon)).table


def test_missing_transcript_or_lexicon_is_a_clear_error(session, tmp_path):
    with pytest.raises(ExtractorError, match="session s2 has no transcript"):
        run("vader", {"kind": "vader"}, SessionMedia("d", "s2"), 0.1, tmp_path / "x.parquet")
    with pytest.raises(Exception, match="NRC-VAD lexicon not found: nowhere.txt"):
        run("nrc", {"kind": "nrc_vad", "lexicon": "nowhere.txt"}, session, 0.1, tmp_path / "x.parquet")
    assert not (tmp_path / "x.parquet").exists()
