"""Tzirakis et al.'s fusion strategies and Waligora et al.'s JMT: hand-computed cases, masking, folds, tables."""
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from affectflow.evaluation import folds
from affectflow.models.attention_fusion.network import (STRATEGIES, AttentionFusionModel, CrossModalHierarchicalAttention,
                                                        HierarchicalAttention, SelectiveAttention, SelfAttentionFusion)
from affectflow.models.attention_fusion.tables import tzirakis_table6
from affectflow.models.jmt.network import JointMultimodalTransformer, attend
from affectflow.models.jmt.tables import waligora_table1
from affectflow.models.sequence import run
from affectflow.models.sequence.summary import over_fold_repeats

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def softmax(*scores):
    e = np.exp(scores)
    return e / e.sum()


def identity_(linear: nn.Linear):
    with torch.no_grad():
        linear.weight.copy_(torch.eye(linear.weight.shape[0], linear.weight.shape[1]))
        if linear.bias is not None:
            linear.bias.zero_()


def frame(*rows):
    """One frame (B=1, L=1) per modality: a list of (1, 1, D) tensors."""
    return [torch.tensor([[row]], dtype=torch.float32) for row in rows]


def present(*flags):
    return torch.tensor([[flags]])


T, A, V = [1.0, 0.0], [0.0, 2.0], [4.0, 4.0]


def test_selective_attention_is_eq4_softmax_of_x_q_over_sqrt_d():
    att = SelectiveAttention(2, 3)
    with torch.no_grad():
        att.q.copy_(torch.tensor([[1.0, 0.5]] * 3))
    xs = torch.tensor([T, A, V])
    fused, w = att(xs, torch.tensor([True, True, True]))
    expected = softmax(1.0 / math.sqrt(2), 1.0 / math.sqrt(2), 6.0 / math.sqrt(2))  # x·q = 1, 1, 6
    np.testing.assert_allclose(w.detach().numpy(), expected, atol=1e-6)
    np.testing.assert_allclose(fused.detach().numpy(), expected @ np.array([T, A, V]), atol=1e-5)
    fused, w = att(xs, torch.tensor([True, True, False]))  # a masked input gets weight 0, the rest renormalise
    np.testing.assert_allclose(w.detach().numpy(), [0.5, 0.5, 0.0], atol=1e-6)
    np.testing.assert_allclose(fused.detach().numpy(), [0.5, 1.0], atol=1e-6)


def test_selective_attention_scores_each_input_with_its_own_query():
    att = SelectiveAttention(2, 3)
    with torch.no_grad():
        att.q.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]))  # q^t, q^a, q^v
    fused, w = att(torch.tensor([T, A, V]), torch.tensor([True, True, True]))
    # x̃^i · q^i = 1 (text), 2 (audio), 0 (visual): the same V that scored 6 with a shared q scores 0
    expected = softmax(1.0 / math.sqrt(2), 2.0 / math.sqrt(2), 0.0)
    np.testing.assert_allclose(w.detach().numpy(), expected, atol=1e-6)
    assert att.q.shape == (3, 2)


def hierarchical_with_uniform_attention():
    h = HierarchicalAttention([2, 2, 2], size=2)
    for p in h.project:
        identity_(p)
    with torch.no_grad():
        for att in [*h.pair_attention, h.top]:
            att.q.zero_()  # q = 0: every softmax is uniform over what it may see
    return h


def test_hierarchical_attention_fuses_pairs_then_pairs_of_pairs():
    h = hierarchical_with_uniform_attention()
    assert h.pairs == [(0, 1), (0, 2), (1, 2)]  # text-audio, text-visual, audio-visual
    fused, w = h(frame(T, A, V), present(True, True, True))
    # each pair is the mean of its two, the top level the mean of the three pairs: (t + a + v) / 3
    np.testing.assert_allclose(fused[0, 0].detach().numpy(), (np.array(T) + A + V) / 3, atol=1e-6)
    np.testing.assert_allclose(w[0, 0].detach().numpy(), [1 / 3] * 3, atol=1e-6)


def test_hierarchical_attention_leaves_a_masked_modality_out_instead_of_zero_filling_it():
    h = hierarchical_with_uniform_attention()
    fused, w = h(frame(T, A, [1e6, -1e6]), present(True, True, False))
    # pairs: (t, a) → (t + a)/2, (t, v) → t alone, (a, v) → a alone; top: mean = (t + a)/2
    # (a zero-filled visual would give (t + a)/3 instead)
    np.testing.assert_allclose(fused[0, 0].detach().numpy(), (np.array(T) + A) / 2, atol=1e-6)
    np.testing.assert_allclose(w[0, 0].detach().numpy(), [0.5, 0.5, 0.0], atol=1e-6)


def self_attention(residual):
    s = SelfAttentionFusion([2, 2], size=2, head_size=2, heads=1, residual=residual)
    for p in s.project:
        identity_(p)
    with torch.no_grad():
        s.W.copy_(torch.eye(2).expand(3, 1, 2, 2))  # Z¹ = Z² = Z³ = X^c
        s.q.copy_(torch.tensor([[1.0, 0.0]]))
        if residual:
            s.W_z.weight.copy_(torch.eye(2))
    return s


def expected_self_attention(X, residual):
    X = np.array(X)
    scores = X @ X.T / math.sqrt(2)
    A = np.stack([softmax(*row) for row in scores]) @ X  # eq. 6, A_i
    alpha = softmax(*(A @ [1.0, 0.0]))  # α_i = A_i q_i, normalised over the modalities
    rows = A + X if residual else A  # eq. 7 with W_z = I
    return alpha @ rows, alpha


@pytest.mark.parametrize("residual", [False, True])
def test_self_attention_follows_eq6_and_the_residual_adds_x_c_eq7(residual):
    s = self_attention(residual)
    fused, w = s(frame(T, A), present(True, True))
    expected, alpha = expected_self_attention([T, A], residual)
    np.testing.assert_allclose(fused[0, 0].detach().numpy(), expected, atol=1e-5)
    np.testing.assert_allclose(w[0, 0].detach().numpy(), alpha, atol=1e-6)
    assert s.output_size == 2


@pytest.mark.parametrize("residual", [False, True])
def test_self_attention_with_a_masked_modality_is_self_attention_over_the_others(residual):
    s = self_attention(residual)
    fused, w = s(frame(T, [3.0, -7.0]), present(True, False))
    expected, _ = expected_self_attention([T], residual)  # one modality: A = x, α = 1
    np.testing.assert_allclose(fused[0, 0].detach().numpy(), expected, atol=1e-6)
    np.testing.assert_allclose(w[0, 0].detach().numpy(), [1.0, 0.0], atol=1e-6)


def test_cross_modal_attention_eq8_on_a_hand_computed_pair():
    c = CrossModalHierarchicalAttention([2, 2], head_size=2)
    a = c.cross(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0]))
    # scores[j, k] = x2_m[j] x1_c[k] / √2 = [[0, .7071], [0, 0]]; softmax over j per column k
    s = 1 / math.sqrt(2)
    w1 = softmax(s, 0.0)
    np.testing.assert_allclose(a.numpy(), [0.5 * 1 + 0.5 * 2, w1[0] * 1 + w1[1] * 2], atol=1e-6)


def test_cross_modal_hierarchy_weights_modalities_and_ignores_a_masked_one():
    torch.manual_seed(0)
    c = CrossModalHierarchicalAttention([2, 2, 2], head_size=4)
    xs = frame(T, A, V)
    fused, w = c(xs, present(True, True, False))
    np.testing.assert_allclose(w[0, 0, 2].item(), 0.0)
    np.testing.assert_allclose(w[0, 0].sum().item(), 1.0, atol=1e-6)
    # with visual masked, text can only attend to audio and audio only to text (eq. 8, c ≠ m)
    x1 = [p(x) for p, x in zip(c.project1, xs)]
    x2 = [p(x) for p, x in zip(c.project2, xs)]
    v_t, v_a = c.cross(x1[0], x2[0], x1[1]), c.cross(x1[1], x2[1], x1[0])
    expected = w[0, 0, 0] * v_t + w[0, 0, 1] * v_a
    np.testing.assert_allclose(fused.detach().numpy(), expected.detach().numpy(), atol=1e-6)
    # one modality alone still reaches the fusion (through a^{m,m})
    fused, w = c(xs, present(False, True, False))
    np.testing.assert_allclose(w[0, 0].detach().numpy(), [0.0, 1.0, 0.0], atol=1e-6)
    assert fused.abs().sum() > 0


def test_jmt_attention_softmax_and_the_papers_sigmoid_on_a_hand_computed_case():
    q = torch.tensor([[[[1.0, 0.0]]]])  # (B, H, Lq=1, d=2)
    k = torch.tensor([[[[2.0, 0.0], [0.0, 1.0], [4.0, 0.0]]]])
    v = torch.tensor([[[[1.0, 0.0], [0.0, 1.0], [9.0, 9.0]]]])
    keep = torch.tensor([[True, True, False]])
    s = np.array([2.0, 0.0]) / math.sqrt(2)
    w = softmax(*s)
    np.testing.assert_allclose(attend(q, k, v, keep, "softmax")[0, 0, 0].numpy(), [w[0], w[1]], atol=1e-6)
    sig = 1 / (1 + np.exp(-(s - math.log(2))))  # eq. 2, bias −log n for n = 2 present keys; not normalised
    np.testing.assert_allclose(attend(q, k, v, keep, "sigmoid")[0, 0, 0].numpy(), [sig[0], sig[1]], atol=1e-6)


def test_jmt_has_three_streams_six_cross_attentions_and_the_papers_head():
    j = JointMultimodalTransformer({"audio": "audio", "visual": "visual"}, {"audio": 3, "visual": 5}, 2, d_model=8, heads=2)
    assert j.pairs == [("audio", "visual"), ("audio", "joint"), ("visual", "audio"), ("visual", "joint"), ("joint", "audio"),
                       ("joint", "visual")]
    linear = [m for m in j.head if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linear] == [(6 * 8 + 3, 1024), (1024, 128), (128, 2)]
    assert j.joint.in_features == 16 and j.joint.out_features == 8  # J = [F_a; F_v] → linear → J_av


DIMS = {"text": 3, "audio": 4, "visual": 5}


def batch(seed=0, B=2, L=9):
    g = torch.Generator().manual_seed(seed)
    x = {m: torch.randn(B, L, d, generator=g) for m, d in DIMS.items()}
    mask = {m: torch.ones(B, L, dtype=torch.bool) for m in DIMS}
    mask["visual"][0, 2:6] = False
    mask["audio"][1, :] = False
    return x, mask


def scramble(x, mask, value):
    return {m: torch.where(mask[m].unsqueeze(-1), t, torch.full_like(t, value)) for m, t in x.items()}


def models():
    torch.manual_seed(1)
    out = {s: AttentionFusionModel(list(DIMS), DIMS, 2, s, projection_size=8, head_size=4, heads=2, hidden_size=6) for s in STRATEGIES}
    out["jmt_softmax"] = JointMultimodalTransformer({"audio": "audio", "visual": "visual"}, DIMS, 2, d_model=8, heads=2,
                                                    fc_sizes=(16, 8), attention="softmax")
    out["jmt_sigmoid"] = JointMultimodalTransformer({"audio": "audio", "visual": "visual"}, DIMS, 2, d_model=8, heads=2,
                                                    fc_sizes=(16, 8), attention="sigmoid")
    out["jmt_clips"] = JointMultimodalTransformer({"audio": "audio", "visual": "visual"}, DIMS, 2, d_model=8, heads=2,
                                                  fc_sizes=(16, 8), clip_frames=4)
    return out


@pytest.mark.parametrize("name", [*STRATEGIES, "jmt_softmax", "jmt_sigmoid", "jmt_clips"])
def test_a_masked_modality_does_not_contribute_whatever_it_holds(name):
    model = models()[name].eval()
    x, mask = batch()
    with torch.no_grad():
        reference = model(x, mask)
        for value in (0.0, 1e4, -3.0, float("nan")):
            out = model(scramble(x, mask, value), mask)
            for key in reference:
                assert torch.equal(out[key], reference[key]), (name, key, value)
        # and the unmasked values do matter (so the test could fail)
        changed = {**x, "visual": x["visual"] + 1.0}
        assert not torch.equal(model(changed, mask)["pred"], reference["pred"])
    if "modality_attention" in reference:
        w = reference["modality_attention"]
        assert (w[0, 2:6, 2] == 0).all() and (w[1, :, 1] == 0).all()
        np.testing.assert_allclose(w.sum(-1).numpy(), 1.0, atol=1e-5)


def test_attention_fusion_and_jmt_build_from_config_with_the_papers_sizes():
    cfg = {"kind": "attention_fusion", "modalities": {m: ["x"] for m in DIMS}, "strategy": "self_attention"}
    model = run.build("t", {"t": cfg}, DIMS, 2)
    assert model.lstm.hidden_size == 256 and model.lstm.num_layers == 1  # 1-layer LSTM, 256 units
    assert model.fusion.output_size == 4 * 64  # p heads × D_s
    with pytest.raises(ValueError, match="'audio' and 'visual'"):
        run.build("j", {"j": {"kind": "jmt", "modalities": {"audio": ["x"], "text": ["y"]}}}, DIMS, 2)


MANIFEST = pd.DataFrame({"session": [f"s{i}" for i in range(8)], "speaker": ["1", "1", "2", "2", "3", "3", "4", "4"],
                         "partition": ["train"] * 4 + ["devel"] * 2 + ["test"] * 2})


def test_folds_resplit_train_and_devel_and_never_touch_test():
    assert folds.folds({"folds": 3}) == ["official", "1", "2", "3"] and folds.folds({}) == ["official"]
    pd.testing.assert_frame_equal(folds.fold_manifest(MANIFEST, "official", 3), MANIFEST)
    held = []
    for k in ("1", "2", "3"):
        m = folds.fold_manifest(MANIFEST, k, 3, by="speaker")
        assert list(m["partition"][6:]) == ["test", "test"]
        held.append(set(m.loc[m["partition"] == "devel", "speaker"]))
    assert held == [{"1"}, {"2"}, {"3"}]
    by_session = [set(folds.fold_manifest(MANIFEST, str(k), 5, by="session").query("partition == 'devel'")["session"]) for k in range(1, 6)]
    assert set().union(*by_session) == {f"s{i}" for i in range(6)} and sum(map(len, by_session)) == 6
    with pytest.raises(ValueError, match="5 folds by speaker need at least 5 speakers"):
        folds.fold_manifest(MANIFEST, "1", 5, by="speaker")


def test_table6_and_the_fold_table_in_the_papers_layouts():
    rows = []
    for model, fold, repeat, a, v in [("t_hier", "official", 0, 0.5, 0.7), ("t_hier", "official", 1, 0.7, 0.5),
                                      ("t_cat", "official", 0, 0.2, 0.1), ("jmt", "official", 0, 0.6, 0.4),
                                      ("jmt", "1", 0, 0.2, 0.4), ("jmt", "2", 0, 0.4, 0.8)]:
        for dim, c in (("arousal", a), ("valence", v)):
            rows.append({"model": model, "fold": fold, "repeat": repeat, "partition": "devel", "dimension": dim,
                         "ccc_pooled": c, "ccc_per_sequence": c - 0.1, "n_sessions": 2})
    summary = over_fold_repeats(pd.DataFrame(rows))
    models_cfg = {"t_hier": {"kind": "attention_fusion", "strategy": "hierarchical", "modalities": {"text": [], "audio": []}},
                  "t_cat": {"kind": "attention_fusion", "strategy": "concatenation", "modalities": {"text": [], "audio": []}}}
    t6 = tzirakis_table6(summary, models_cfg, ["arousal", "valence"])
    assert list(t6["Method"]) == ["Concatenation (text + audio)", "Hierarchical attention (text + audio)"]  # the paper's order
    assert list(t6.columns[:4]) == ["Method", "model", "Arousal", "Valence"]
    assert t6.loc[1, "Arousal"] == "0.600 (±0.141)" and t6.loc[0, "Valence"] == "0.100" and t6.loc[1, "paper arousal"] == "0.785"
    t1 = waligora_table1(summary, "jmt", ["arousal", "valence"], ["official", "1", "2"])
    assert list(t1.columns) == ["Val set", "Valence", "Arousal", "Avg."]
    assert list(t1["Val set"]) == ["Official", "fold-1", "fold-2", "mean over folds 1–2"]
    assert t1.loc[1, "Avg."] == "0.300" and t1.loc[3, "Valence"] == "0.600 (±0.283)" and t1.loc[3, "Avg."] == "0.450"


def test_jmt_clips_pool_frames_into_tokens_and_give_each_frame_its_clips_prediction():
    torch.manual_seed(2)
    kw = dict(d_model=8, heads=2, fc_sizes=(16, 8), dropout=0.0)
    clipped = JointMultimodalTransformer({"audio": "audio", "visual": "visual"}, DIMS, 2, clip_frames=3, **kw).eval()
    per_token = JointMultimodalTransformer({"audio": "audio", "visual": "visual"}, DIMS, 2, clip_frames=1, **kw).eval()
    per_token.load_state_dict(clipped.state_dict())
    x, mask = batch(L=8)  # 3 clips, the last one of 2 frames
    with torch.no_grad():
        pred = clipped(x, mask)["pred"]
        pooled, pmask = {}, {}
        for m in x:
            pooled[m] = torch.zeros(2, 3, DIMS[m])
            pmask[m] = torch.zeros(2, 3, dtype=torch.bool)
            for c, (a, b) in enumerate([(0, 3), (3, 6), (6, 8)]):
                w = mask[m][:, a:b].float().unsqueeze(-1)
                pooled[m][:, c] = (x[m][:, a:b] * w).sum(1) / w.sum(1).clamp(min=1)
                pmask[m][:, c] = mask[m][:, a:b].any(1)
        expected = per_token(pooled, pmask)["pred"]
    assert pred.shape == (2, 8, 2)
    torch.testing.assert_close(pred, expected.repeat_interleave(3, dim=1)[:, :8])
    assert torch.equal(pred[:, 0], pred[:, 2]) and not torch.equal(pred[:, 2], pred[:, 3])
    # visual frames 2–5 of sequence 0 are masked: clip 1 (frames 3–5) has no visual token, clip 0 keeps frames 0–1
    assert pmask["visual"][0].tolist() == [True, False, True]


def test_jmt_defaults_are_the_papers_optimiser_and_clip_layout():
    import yaml

    from affectflow.core import config
    from affectflow.models.sequence.train import TrainConfig

    cfg = yaml.safe_load((Path(__file__).resolve().parents[1] / "config.yaml").read_text())
    cfg["models"]["j"] = {"kind": "jmt", "modalities": {"audio": ["egemaps_lld"], "visual": ["face_expression"]}}
    assert config.schema_problems(cfg) == []
    j = cfg["models"]["j"]
    tc = TrainConfig.from_dict(j)
    assert (tc.optimiser, tc.learning_rate, tc.momentum, tc.nesterov, tc.weight_decay, tc.batch_size, tc.max_epochs) == \
        ("sgd", 0.0005, 0.9, True, 0.0001, 2, 5)
    assert (j["sequence_length"], j["clip_frames"], tc.training_hop) == (64, 8, 32)  # 8 clips × 8 frames
    model = run.build("j", cfg["models"], {"audio": 25, "visual": 7}, 2)
    assert model.clip_frames == 8
    # other sequence kinds keep Adam
    assert TrainConfig.from_dict(cfg["models"]["tzirakis_audio"]).optimiser == "adam"
    for bad, match in [({"sequence_length": 60}, "not a whole number of 8-frame clips"),
                       ({"train_hop": 12}, "training hop of 12 frames")]:
        with pytest.raises(ValueError, match=match):
            run.build("j", {"j": {**j, **bad}}, {"audio": 25, "visual": 7}, 2)


def test_attention_content_recovers_a_weight_planted_on_the_strength_of_each_dimension():
    from affectflow.models.attention_fusion.content import attention_content

    rng = np.random.default_rng(0)
    n = 400
    arousal, valence = rng.standard_normal(n), rng.standard_normal(n)
    # audio's weight rises with |arousal|, text's with |valence|, visual takes the rest
    audio, text = 0.2 + 0.1 * np.abs(arousal), 0.2 + 0.1 * np.abs(valence)
    weights = np.c_[text, audio, np.ones(n)]
    weights /= weights.sum(1, keepdims=True)
    pred = pd.DataFrame({"partition": ["test"] * n, "label_valid": True, "arousal": arousal, "valence": valence,
                         **{f"modality_attention_{i}": weights[:, i] for i in range(3)}})
    pred.loc[:49, "modality_attention_0"] = 0.0  # text masked: says nothing about content, left out
    pred.loc[50:59, "label_valid"] = False
    pred.loc[60:, "partition"] = pred.loc[60:, "partition"].where(np.arange(60, n) % 2 == 0, "devel")
    table = attention_content({"m": pred}, ["text", "audio", "visual"], ["arousal", "valence"]).set_index(["modality", "dimension"])
    test = (pred["partition"] == "test") & pred["label_valid"] & (pred["modality_attention_0"] > 0)
    assert (table["frames"] == int(test.sum())).all()
    # against |y - mean| of the same frames, by hand
    y = pred.loc[test, "arousal"].to_numpy()
    expected = np.corrcoef(pred.loc[test, "modality_attention_1"], np.abs(y - y.mean()))[0, 1]
    assert table.loc[("audio", "arousal"), "correlation"] == pytest.approx(expected)
    assert table.loc[("audio", "arousal"), "correlation"] > 0.6 and table.loc[("text", "valence"), "correlation"] > 0.6
    assert abs(table.loc[("audio", "valence"), "correlation"]) < 0.3 and abs(table.loc[("text", "arousal"), "correlation"]) < 0.3
