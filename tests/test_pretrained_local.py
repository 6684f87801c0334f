"""Checkpoints load from local files only, and provenance hashes every shard.

Tiny checkpoints are built here with ``save_pretrained`` (no hub). Hashes are checked against
``hashlib`` computed in the test, not against affectflow's own helper.
"""
import hashlib
import re
from pathlib import Path

import pandas as pd
import pytest
import torch

from affectflow import extractors
from affectflow.core import pretrained
from affectflow.text.corpora import TextCorpus
from affectflow.text.encoders import EncoderError, SequenceClassifier
from affectflow.text.finetune import finetune
from tiny_text_models import tiny_bert

ROOT = Path(__file__).resolve().parents[1]
NOT_CACHED = "nobody-affectflow/not-a-cached-model"


def _sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def sharded(tmp_path_factory):
    """A tiny wav2vec2 saved in shards of at most 50 kB."""
    from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2Model

    torch.manual_seed(0)
    cfg = Wav2Vec2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37,
                         conv_dim=(16,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2)
    folder = tmp_path_factory.mktemp("sharded") / "w2v"
    Wav2Vec2Model(cfg).save_pretrained(folder, max_shard_size="50KB")
    Wav2Vec2FeatureExtractor(do_normalize=True).save_pretrained(folder)
    return folder


def test_every_shard_is_listed_and_hashed(sharded):
    shards = sorted(sharded.glob("model-*-of-*.safetensors"))
    assert len(shards) >= 3 and not (sharded / "model.safetensors").exists()
    assert pretrained.weights_files(str(sharded)) == [str(s) for s in shards]
    expected = hashlib.sha256("".join(f"{s.name} {_sha(s)}\n" for s in shards).encode()).hexdigest()
    ex = extractors.create("w2v", {"kind": "wav2vec2", "model": str(sharded), "layer": 1, "speech_flag": False})
    assert ex.weights_sha256() == expected
    assert ex.weights_sha256() != _sha(shards[0])  # not only the first shard


def test_changing_the_last_shard_changes_the_provenance_hash(sharded, tmp_path):
    import shutil

    copy = tmp_path / "w2v"
    shutil.copytree(sharded, copy)
    before = pretrained.weights_sha256(str(copy))
    last = sorted(copy.glob("model-*-of-*.safetensors"))[-1]
    data = bytearray(last.read_bytes())
    data[-1] ^= 0xFF
    last.write_bytes(bytes(data))
    assert pretrained.weights_sha256(str(copy)) != before


def test_a_shard_missing_from_the_index_is_named(sharded, tmp_path):
    import shutil

    copy = tmp_path / "w2v"
    shutil.copytree(sharded, copy)
    last = sorted(copy.glob("model-*-of-*.safetensors"))[-1]
    last.unlink()
    with pytest.raises(pretrained.PretrainedNotLocal, match=re.escape(last.name)):
        pretrained.weights_files(str(copy))


def test_a_single_file_checkpoint_hashes_as_that_file(tmp_path):
    folder = tiny_bert(tmp_path / "bert", ["good", "bad"])
    assert pretrained.weights_sha256(str(folder)) == _sha(folder / "model.safetensors")


def test_a_hub_id_not_in_the_cache_names_the_cache_folder(tmp_path, monkeypatch):
    from huggingface_hub import constants
    from transformers import AutoModel

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    folder = str(tmp_path / "hub" / "models--nobody-affectflow--not-a-cached-model")
    with pytest.raises(extractors.ExtractorError, match=re.escape(folder)):
        extractors.create("w", {"kind": "wav2vec2", "model": NOT_CACHED, "speech_flag": False})._load(AutoModel)
    with pytest.raises(EncoderError, match=re.escape(folder)):
        SequenceClassifier(NOT_CACHED)


def test_a_missing_local_folder_is_named_by_every_loader(tmp_path):
    from transformers import AutoModel

    missing = str(tmp_path / "no_such_model")
    with pytest.raises(extractors.ExtractorError, match=re.escape(f"the folder '{missing}'")):
        extractors.create("w", {"kind": "wav2vec2", "model": missing, "speech_flag": False})._load(AutoModel)
    with pytest.raises(extractors.ExtractorError, match=re.escape(f"the folder '{missing}'")):
        extractors.create("f", {"kind": "face_efficientnet", "model": missing, "output": "logits"}).net()
    corpus = TextCorpus("toy", "en", pd.DataFrame({"text": ["good", "bad", "good", "bad"], "labels": [["a"], ["b"], ["a"], ["b"]],
                                                   "split": ["train", "train", "dev", "dev"]}), classes=["a", "b"])
    with pytest.raises(pretrained.PretrainedNotLocal, match=re.escape(f"the folder '{missing}'")):
        finetune(missing, corpus, tmp_path / "out", epochs=1)


def test_no_from_pretrained_call_bypasses_local_files_only():
    """Every from_pretrained in the package and the scripts goes through pretrained.load_local."""
    offenders = []
    for path in list((ROOT / "workflow" / "affectflow").rglob("*.py")) + list((ROOT / "scripts").glob("*.py")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#")[0]
            if re.search(r"\.from_pretrained\(", code):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == []
