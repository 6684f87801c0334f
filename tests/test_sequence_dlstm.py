"""The DLSTM family's attention layers against hand-computed cases, the bypass schedule, fusion."""
import math

import numpy as np
import pandas as pd
import pytest
import torch

from affectflow.models.dlstm.attention import BimodalAttentionFusion, EmbeddingAttention, HiddenLinearFusion, OutputLinearFusion
from affectflow.models.dlstm.network import DLSTM, DLSTMFusion
from affectflow.models.dlstm.tables import lucas_table1
from affectflow.models.sequence import run, summary
from affectflow.models.sequence.base import masked_softmax
from affectflow.models.sequence.data import SequenceData, SessionArrays
from affectflow.models.sequence.train import TrainConfig, fit, load_checkpoint, save_checkpoint

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def softmax(*scores):
    e = np.exp(scores)
    return e / e.sum()


def embedding_attention(weight):
    att = EmbeddingAttention(state_size=2, embedding_size=2, window=3)
    with torch.no_grad():
        att.W_a.weight.copy_(torch.tensor(weight, dtype=torch.float32))
    return att


V = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]]])  # (B=1, L=4, D=2)
H = torch.tensor([[1.0, 2.0]])


def test_embedding_attention_scores_h_W_v_over_a_centred_window_and_softmaxes_over_it():
    att = embedding_attention([[1, 0], [0, 1]])  # W_a = I: score = h·v_s
    keys, values, keep = att.windows(V, torch.ones(1, 4, dtype=torch.bool))
    assert keys.shape == (1, 4, 3, 2) and values.shape == (1, 4, 3, 2) and keep.shape == (1, 4, 3)
    context, w = att.step(H, keys[:, 1], values[:, 1], keep[:, 1])  # frame 1 sees frames 0, 1, 2
    expected_w = softmax(1.0, 2.0, 3.0)  # h·v0 = 1, h·v1 = 2, h·v2 = 3
    np.testing.assert_allclose(w[0].detach().numpy(), expected_w, atol=1e-6)
    np.testing.assert_allclose(context[0].detach().numpy(), [expected_w[0] + expected_w[2], expected_w[1] + expected_w[2]], atol=1e-6)
    # frame 0: the window's first slot lies before the sequence and gets no weight
    _, w0 = att.step(H, keys[:, 0], values[:, 0], keep[:, 0])
    np.testing.assert_allclose(w0[0].detach().numpy(), [0.0, *softmax(1.0, 2.0)], atol=1e-6)


def test_embedding_attention_is_h_transposed_W_v_not_v_transposed_W_h():
    att = embedding_attention([[0, 1], [0, 0]])  # hᵀ W v = h0 · v1 (vᵀ W h would be v0 · h1)
    keys, values, keep = att.windows(V, torch.ones(1, 4, dtype=torch.bool))
    _, w = att.step(H, keys[:, 1], values[:, 1], keep[:, 1])
    np.testing.assert_allclose(w[0].detach().numpy(), softmax(0.0, 1.0, 1.0), atol=1e-6)


def test_embedding_attention_leaves_out_frames_without_the_modality():
    att = embedding_attention([[1, 0], [0, 1]])
    mask = torch.tensor([[True, True, False, True]])
    keys, values, keep = att.windows(V, mask)
    context, w = att.step(H, keys[:, 1], values[:, 1], keep[:, 1])
    np.testing.assert_allclose(w[0].detach().numpy(), [*softmax(1.0, 2.0), 0.0], atol=1e-6)
    none = torch.zeros(1, 4, dtype=torch.bool)
    context, w = att.step(H, *[t[:, 1] for t in att.windows(V, none)])
    assert torch.all(w == 0) and torch.all(context == 0)  # nothing observed: no attention, no NaN


def test_masked_softmax_normalises_over_the_requested_axis_only():
    s = torch.tensor([[1.0, 2.0], [3.0, 5.0]])
    np.testing.assert_allclose(masked_softmax(s, None, dim=-1).sum(-1).detach().numpy(), [1, 1], atol=1e-6)
    np.testing.assert_allclose(masked_softmax(s, None, dim=0)[:, 0].detach().numpy(), softmax(1.0, 3.0), atol=1e-6)


def bimodal(w_arousal, w_valence):
    fusion = BimodalAttentionFusion(hidden_sizes=[1, 1], n_outputs=2)
    with torch.no_grad():
        fusion.W.copy_(torch.tensor([w_arousal, w_valence], dtype=torch.float32))
    return fusion


# one frame: hidden states c_audio = 2, c_video = 0; outputs (arousal, valence) audio (1, 1), video (−1, 3)
HIDDEN = [torch.tensor([[[2.0]]]), torch.tensor([[[0.0]]])]
OUTPUTS = [torch.tensor([[[1.0, 1.0]]]), torch.tensor([[[-1.0, 3.0]]])]


def test_bimodal_attention_fusion_gives_each_dimension_its_own_weights_over_the_networks():
    # S_arousal = Cᵀ W_a = (2, 0); S_valence = Cᵀ W_v = (0, 2)
    fusion = bimodal([[1, 0], [0, 0]], [[0, 1], [0, 0]])
    z, a = fusion(HIDDEN, OUTPUTS)
    assert z.shape == (1, 1, 2) and a.shape == (1, 1, 2, 2)
    a_arousal, a_valence = softmax(2.0, 0.0), softmax(0.0, 2.0)
    np.testing.assert_allclose(a[0, 0].detach().numpy(), [a_arousal, a_valence], atol=1e-6)
    np.testing.assert_allclose(a.sum(-1).detach().numpy(), 1.0, atol=1e-6)  # softmax over the networks
    np.testing.assert_allclose(z[0, 0].detach().numpy(), [a_arousal @ [1.0, -1.0], a_valence @ [1.0, 3.0]], atol=1e-6)
    assert z[0, 0, 0].item() == pytest.approx(math.tanh(1.0), abs=1e-6)  # (e²−1)/(e²+1)
    # the same W for both dimensions gives the same weights: it is W_m that lets them differ
    _, same = bimodal([[1, 0], [0, 0]], [[1, 0], [0, 0]])(HIDDEN, OUTPUTS)
    np.testing.assert_allclose(same[0, 0, 0].detach().numpy(), same[0, 0, 1].detach().numpy())


def test_bimodal_attention_fusion_ignores_a_network_whose_modality_is_missing():
    fusion = bimodal([[1, 0], [0, 0]], [[0, 1], [0, 0]])
    present = torch.tensor([[[True, False]]])
    z, a = fusion(HIDDEN, OUTPUTS, present)
    np.testing.assert_allclose(a[0, 0].detach().numpy(), [[1, 0], [1, 0]], atol=1e-6)
    np.testing.assert_allclose(z[0, 0].detach().numpy(), [1.0, 1.0], atol=1e-6)


def test_olb_is_one_static_weight_per_network_and_hlb_regresses_the_hidden_states():
    olb = OutputLinearFusion(2)
    hlb = HiddenLinearFusion([1, 1], 2)
    with torch.no_grad():
        olb.W.weight.copy_(torch.tensor([[0.25, 0.75]]))
        hlb.W.weight.copy_(torch.tensor([[0.5, 7.0], [-1.0, 7.0]]))
    z, none = olb(HIDDEN, OUTPUTS)
    assert none is None
    np.testing.assert_allclose(z[0, 0].detach().numpy(), [0.25 - 0.75, 0.25 + 2.25], atol=1e-6)
    z, _ = hlb(HIDDEN, OUTPUTS)
    np.testing.assert_allclose(z[0, 0].detach().numpy(), [0.5 * 2 + 7 * 0, -1.0 * 2 + 7 * 0], atol=1e-6)
    assert sum(p.numel() for p in olb.parameters()) == 2 and sum(p.numel() for p in hlb.parameters()) == 4


def test_olb_starts_as_the_mean_of_the_networks_outputs():
    # a random start can put a network's weight far below zero, beyond what a few epochs undo
    z, _ = OutputLinearFusion(2)(HIDDEN, OUTPUTS)
    np.testing.assert_allclose(z.detach().numpy(), torch.stack(OUTPUTS, -1).mean(-1).numpy(), atol=1e-6)


def video_dlstm(**kw):
    torch.manual_seed(0)
    return DLSTM(["video"], {"video": 3}, 2, hidden_size=4, embedding_attention=True, attention_window=5, bypass_epochs=5, **kw)


X = {"video": torch.randn(2, 12, 3, generator=torch.Generator().manual_seed(1))}
MASK = {"video": torch.ones(2, 12, dtype=torch.bool)}


def test_embedding_attention_is_bypassed_for_epochs_below_five_then_used():
    model = video_dlstm()
    plain = DLSTM(["video"], {"video": 3}, 2, hidden_size=4)
    plain.load_state_dict({k: v for k, v in model.state_dict().items() if not k.startswith("attention.")}, strict=False)
    assert model.warmup_epochs == 5
    model.eval(), plain.eval()  # no dropout: the two must agree exactly
    for epoch in range(5):
        model.on_epoch_start(epoch)
        assert not model.attention_on
        out = model(X, MASK)
        assert "embedding_attention" not in out
        torch.testing.assert_close(out["pred"], plain(X, MASK)["pred"])  # a plain DLSTM while bypassed
        model.zero_grad()
        out["pred"].sum().backward()
        assert model.attention.W_a.weight.grad is None  # the attention takes no part
    model.on_epoch_start(5)
    assert model.attention_on
    out = model(X, MASK)
    assert out["embedding_attention"].shape == (2, 12, 5)
    assert not torch.allclose(out["pred"], plain(X, MASK)["pred"])
    out["pred"].sum().backward()
    assert model.attention.W_a.weight.grad.abs().sum() > 0


def test_the_bypass_state_is_saved_with_the_weights(tmp_path):
    model = video_dlstm()
    model.on_epoch_start(7)
    save_checkpoint(tmp_path / "v.pt", model)
    fresh = video_dlstm()
    assert not fresh.attention_on
    load_checkpoint(tmp_path / "v.pt", fresh)
    assert fresh.attention_on
    model.eval(), fresh.eval()
    torch.testing.assert_close(model(X, MASK)["pred"], fresh(X, MASK)["pred"])


def toy_data(n_sessions=6, n=60, seed=0):
    rng = np.random.default_rng(seed)
    parts = ["train"] * (n_sessions - 2) + ["devel", "test"]
    sessions = []
    for k in range(n_sessions):
        a, v = rng.standard_normal((n, 2)).astype(np.float32), rng.standard_normal((n, 3)).astype(np.float32)
        y = np.stack([np.tanh(a[:, 0]), np.tanh(v[:, 1])], 1).astype(np.float32)
        t = np.arange(n) * 0.1
        sessions.append(SessionArrays(f"s{k}", f"p{k}", parts[k], t, t + 0.1, {"audio": a, "video": v},
                                      {"audio": np.ones(n, bool), "video": np.ones(n, bool)}, y, np.ones(n, bool)))
    return SequenceData(sessions, {"audio": ["a"], "video": ["v"]}, ["arousal", "valence"], {"audio": ["a0", "a1"], "video": ["v0", "v1", "v2"]})


def test_fit_never_selects_a_bypassed_epoch():
    res = fit(video_dlstm(), toy_data(), TrainConfig(sequence_length=30, max_epochs=7, patience=5, seed=0))
    assert list(res.history["selectable"]) == [False] * 5 + [True] * 2
    assert res.best_epoch in (5, 6)


def test_frozen_fusion_trains_only_the_fusion_and_keeps_the_networks_as_selected():
    data = toy_data()
    audio = DLSTM(["audio"], data.input_dims, 2, hidden_size=4)
    video = video_dlstm()
    video.on_epoch_start(6)  # selected after the bypass: must stay attending inside the fusion
    before = {k: v.clone() for k, v in {**audio.state_dict(), **{f"v.{k}": v for k, v in video.state_dict().items()}}.items()}
    fused = DLSTMFusion({"audio": audio, "video": video}, "attention", 2, freeze=True)
    assert fused.warmup_epochs == 0
    fused_w = fused.fusion.W.detach().clone()
    fit(fused, data, TrainConfig(sequence_length=30, max_epochs=2, patience=5, seed=0))
    assert video.attention_on and not video.training and not audio.training
    after = {**audio.state_dict(), **{f"v.{k}": v for k, v in video.state_dict().items()}}
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert not torch.equal(fused_w, fused.fusion.W.detach())
    x = {m: torch.from_numpy(data.sessions[0].x[m][None]) for m in ("audio", "video")}
    out = fused(x, {m: torch.ones(1, 60, dtype=torch.bool) for m in ("audio", "video")})
    assert out["fusion_attention"].shape == (1, 60, 2, 2)


def test_end_to_end_model_has_audio_video_and_early_fusion_networks_with_attention_on_video():
    models = {"av": {"kind": "dlstm_av", "modalities": {"audio": ["a"], "video": ["v"]}, "hidden_sizes": {"audio": 3, "video": 5, "early": 6},
                     "embedding_attention": ["video"], "method": "attention"}}
    model = run.build("av", models, {"audio": 2, "video": 3}, 2)
    assert list(model.networks) == ["audio", "video", "early"]
    assert [n.hidden_size for n in model.networks.values()] == [3, 5, 6]
    assert model.networks["video"].attention is not None and model.networks["audio"].attention is None
    assert model.networks["early"].modalities == ["audio", "video"] and not model.freeze and model.warmup_epochs == 5
    assert model.fusion.W.shape == (2, 14, 3)
    with pytest.raises(ValueError, match="embedding_attention names"):
        run.build("av", {"av": {**models["av"], "embedding_attention": ["face"]}}, {"audio": 2, "video": 3}, 2)


def test_table1_puts_unimodal_dlstms_beside_their_fusions_with_mean_and_std():
    models = {"a": {"kind": "dlstm", "modalities": {"audio": ["x"]}}, "v": {"kind": "dlstm", "modalities": {"video": ["y"]}},
              "f": {"kind": "dlstm_fusion", "pretrained": ["a", "v"], "method": "hlb"}}
    scores = pd.DataFrame([{"model": m, "repeat": r, "partition": "test", "dimension": d, "ccc_per_sequence": val + 0.02 * r,
                            "ccc_pooled": 0.0, "mae": 0.0, "n_sessions": 2}
                           for m, val in (("a", 0.4), ("v", 0.2), ("f", 0.5)) for r in range(3) for d in ("arousal", "valence")])
    table = lucas_table1(summary.over_repeats(scores), models, ["arousal", "valence"])
    assert list(table.columns) == ["Uni-modal", "Valence", "Arousal", "Fusion", "Valence ", "Arousal "]
    assert table["Uni-modal"].tolist() == ["audio", "video"]
    assert table.loc[0, "Fusion"] == "HLB (audio + video)" and table.loc[1, "Fusion"] == ""
    assert table.loc[0, "Valence"] == "0.42 (±0.02)" and table.loc[0, "Arousal "] == "0.52 (±0.02)"
    # the fusion fused repeat 2 of each network: its own score stands beside the mean over repeats
    models["f"]["pretrained_repeat"] = 2
    table = lucas_table1(summary.over_repeats(scores), models, ["arousal", "valence"], scores=scores)
    assert table.loc[0, "Valence"] == "0.42 (±0.02) [repeat 2: 0.44]" and table.loc[1, "Arousal"] == "0.22 (±0.02) [repeat 2: 0.24]"
    assert table.loc[0, "Arousal "] == "0.52 (±0.02)"


@pytest.mark.parametrize("hop_s, frames", [(0.04, 13), (0.1, 5), (1.0, 1)])
def test_the_attention_window_is_given_in_seconds_and_becomes_grid_frames(hop_s, frames):
    models = {"v": {"kind": "dlstm", "modalities": {"video": ["y"]}, "embedding_attention": True, "attention_window_s": 0.52}}
    model = run.build("v", models, {"video": 3}, 2, hop_s=hop_s)
    assert model.attention.window == frames  # the paper's 13 frames are half a second of RECOLA's 25 fps video


def test_every_sequence_kind_has_a_builder_and_a_schema_block():
    from affectflow.core import config
    from affectflow.models import FOLD_KINDS, SEQUENCE_KINDS

    # the attention fusions and the JMT (issue 8) train through the same sequence core
    assert sorted(run.BUILDERS) == sorted({*SEQUENCE_KINDS, *FOLD_KINDS})
    assert {*SEQUENCE_KINDS, *FOLD_KINDS} <= set(config.schema()["$defs"]["model"]["properties"]["kind"]["enum"])
