"""LLRD optimiser groups: every trainable parameter exactly once, the head included, learning
rates decaying layer by layer from the head down to the embeddings."""
import pytest
import torch

from affectflow.text import llrd
from tiny_text_models import tiny_bert


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    from transformers import AutoModelForSequenceClassification

    folder = tiny_bert(tmp_path_factory.mktemp("llrd"), ["good", "bad"], layers=4, labels=["a", "b", "c"])
    return AutoModelForSequenceClassification.from_pretrained(folder)


def test_groups_cover_every_trainable_parameter_exactly_once_head_included(classifier):
    groups = llrd.param_groups(classifier, lr=2e-5, decay=0.95)
    grouped = [id(p) for g in groups for p in g["params"]]
    trainable = {id(p) for p in classifier.parameters() if p.requires_grad}
    assert len(grouped) == len(set(grouped)) == len(trainable) and set(grouped) == trainable
    names = {n for g in groups for n in g["names"]}
    assert {"classifier.weight", "classifier.bias"} <= names  # the head the paper's code left out
    head = next(g for g in groups if "classifier.weight" in g["names"])
    assert head["lr"] == pytest.approx(2e-5) and head["depth"] == 0


def test_learning_rates_decay_by_layer_from_the_top(classifier):
    groups = llrd.param_groups(classifier, lr=2e-5, decay=0.95)
    lr_of = {n: g["lr"] for g in groups for n in g["names"]}
    layer = [lr_of[f"bert.encoder.layer.{i}.attention.self.query.weight"] for i in range(4)]
    assert layer == pytest.approx([2e-5 * 0.95 ** k for k in (3, 2, 1, 0)])
    assert lr_of["bert.embeddings.word_embeddings.weight"] == pytest.approx(2e-5 * 0.95 ** 4)
    assert lr_of["bert.pooler.dense.weight"] == pytest.approx(2e-5)
    # lr strictly falls with depth
    by_depth = sorted({(g["depth"], g["lr"]) for g in groups})
    assert [d for d, _ in by_depth] == list(range(5))
    assert all(a[1] > b[1] for a, b in zip(by_depth, by_depth[1:]))


def test_no_weight_decay_on_biases_and_layer_norms_and_frozen_parameters_left_out(classifier):
    for p in classifier.bert.embeddings.parameters():
        p.requires_grad = False
    try:
        groups = llrd.param_groups(classifier, lr=1e-4, decay=0.9, weight_decay=0.01)
        wd = {n: g["weight_decay"] for g in groups for n in g["names"]}
        assert wd["bert.encoder.layer.0.output.LayerNorm.weight"] == 0 and wd["classifier.bias"] == 0
        assert wd["bert.encoder.layer.0.output.dense.weight"] == 0.01
        assert not any(n.startswith("bert.embeddings") for n in wd)
        optimiser = torch.optim.AdamW([{k: g[k] for k in ("params", "lr", "weight_decay")} for g in groups])
        assert sum(len(g["params"]) for g in optimiser.param_groups) == sum(1 for p in classifier.parameters() if p.requires_grad)
    finally:
        for p in classifier.bert.embeddings.parameters():
            p.requires_grad = True


def test_decay_outside_zero_one_is_refused(classifier):
    with pytest.raises(ValueError, match="layer decay"):
        llrd.param_groups(classifier, lr=1e-4, decay=1.5)


@pytest.mark.parametrize("family", ["distilbert", "roberta", "xlnet", "electra"])
def test_other_architectures_get_every_parameter_once_and_a_decaying_stack(family):
    from transformers import AutoConfig, AutoModelForSequenceClassification

    sizes = {"distilbert": dict(dim=32, n_layers=3, n_heads=2, hidden_dim=64),
             "xlnet": dict(d_model=32, n_layer=3, n_head=2, d_inner=64),
             "roberta": dict(hidden_size=32, num_hidden_layers=3, num_attention_heads=2, intermediate_size=64),
             "electra": dict(hidden_size=32, embedding_size=16, num_hidden_layers=3, num_attention_heads=2, intermediate_size=64)}
    cfg = AutoConfig.for_model(family, vocab_size=100, num_labels=3, **sizes[family])
    model = AutoModelForSequenceClassification.from_config(cfg)
    groups = llrd.param_groups(model, lr=1e-4, decay=0.5)
    grouped = [id(p) for g in groups for p in g["params"]]
    assert len(grouped) == len(set(grouped)) == sum(1 for p in model.parameters() if p.requires_grad)
    assert llrd.n_encoder_layers(model) == 3
    depths = sorted({g["depth"] for g in groups})
    assert depths == [0, 1, 2, 3]  # head + top layer, two lower layers, embeddings
    head = {n for g in groups if g["depth"] == 0 for n in g["names"]}
    assert any(n.startswith(("classifier", "sequence_summary", "logits_proj", "pre_classifier")) for n in head)
