"""Waligora et al.'s branches (R(2+1)D-18 visual, ResNet18 + GRU audio) and the end-to-end JMT, on tiny tensors."""
import numpy as np
import pytest
import torch

from affectflow.models.jmt import spectrogram
from affectflow.models.jmt.branches import (AUDIO_FINETUNE, VISUAL_FINETUNE, AudioBranch, VisualBranch, WaligoraJMT, clip_targets,
                                            random_crop_flip)
from affectflow.models.sequence.train import TrainConfig

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_a_clips_spectrogram_is_64_mel_bands_by_107_frames_of_10_ms():
    n = spectrogram.clip_samples()
    assert n == 47040  # 32 video frames at 30 fps, 44.1 kHz
    t = np.arange(n) / spectrogram.SAMPLE_RATE
    spec = spectrogram.log_mel(np.sin(2 * np.pi * 1000 * t) + 0.01 * np.random.default_rng(0).standard_normal(n))
    assert spec.shape == (64, 107)
    assert abs(spec.mean()) < 1e-5 and abs(spec.std() - 1) < 1e-4
    raw = spectrogram.log_mel(np.sin(2 * np.pi * 1000 * t), normalise=False)
    # a 1 kHz tone: the loudest band is the one whose centre is nearest 1 kHz
    mel = lambda f: 1127 * np.log(1 + f / 700)  # noqa: E731
    centres = np.linspace(0, mel(22050), 66)[1:-1]
    assert raw[:, 50].argmax() == np.abs(centres - mel(1000)).argmin()
    with pytest.raises(ValueError, match="mono"):
        spectrogram.log_mel(np.zeros((2, 100)))


def test_random_crop_flip_takes_one_window_per_clip_for_all_its_frames():
    clips = torch.arange(2 * 3 * 3 * 4 * 6, dtype=torch.float32).view(2, 3, 3, 4, 6)  # (N, C, T, H, W)
    out = random_crop_flip(clips, 3, torch.Generator().manual_seed(0))
    assert out.shape == (2, 3, 3, 3, 3)
    for i in range(2):
        windows = {(t, l, f) for t in range(2) for l in range(4) for f in (False, True)}
        hits = [w for w in windows if torch.equal(out[i], (lambda c: c.flip(-1) if w[2] else c)(clips[i, ..., w[0]:w[0] + 3, w[1]:w[1] + 3]))]
        assert len(hits) >= 1
    with pytest.raises(ValueError, match="cannot crop 8×8 from 4×6"):
        random_crop_flip(clips, 8)


def test_clip_targets_average_the_valid_frames_of_each_clip():
    y = torch.arange(16, dtype=torch.float32).view(1, 16, 1)
    valid = torch.ones(1, 16, dtype=torch.bool)
    valid[0, 8:15] = False
    t, ok = clip_targets(y, valid, 8)
    assert t[0, :, 0].tolist() == [3.5, 15.0] and ok.tolist() == [[True, True]]
    valid[0, 8:] = False
    assert clip_targets(y, valid, 8)[1].tolist() == [[True, False]]


def test_branches_give_512_features_per_clip_and_train_end_to_end():
    torch.manual_seed(0)
    v, a = VisualBranch(2), AudioBranch(2)
    clips, specs = torch.randn(2, 3, 3, 8, 16, 16), torch.randn(2, 3, 64, 107)  # 2 sub-sequences of 3 clips
    out_v, out_a = v(clips), a(specs)
    assert out_v["features"].shape == (2, 3, 512) and out_v["pred"].shape == (2, 3, 2)
    assert out_a["features"].shape == (2, 3, 512) and out_a["pred"].shape == (2, 3, 2)
    (out_v["pred"].sum() + out_a["pred"].sum()).backward()
    assert v.backbone.stem[0].weight.grad.abs().sum() > 0 and a.backbone.conv1.weight.grad.abs().sum() > 0
    assert a.gru.weight_hh_l0.grad.abs().sum() > 0
    assert a.backbone.conv1.weight.shape == (64, 1, 7, 7) and v.head[0].p == 0.8


def _fit(model, inputs, target, steps, lr):
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    losses = []
    for _ in range(steps):
        pred = model(*inputs)["pred"]
        loss = ((pred - target) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def test_the_visual_branch_learns_a_planted_brightness_signal():
    torch.manual_seed(0)
    level = torch.linspace(-1, 1, 6).view(2, 3)  # per clip
    clips = torch.randn(2, 3, 3, 4, 16, 16) * 0.1 + level.view(2, 3, 1, 1, 1, 1)
    model = VisualBranch(1, dropout=0.0)
    losses = _fit(model, (clips,), level.unsqueeze(-1), steps=15, lr=1e-3)
    assert losses[-1] < 0.1 * losses[0], losses


def test_the_audio_branch_learns_a_planted_loudness_signal():
    torch.manual_seed(0)
    level = torch.linspace(-1, 1, 6).view(2, 3)
    specs = torch.randn(2, 3, 64, 107) * 0.1 + level.view(2, 3, 1, 1)
    model = AudioBranch(1)
    losses = _fit(model, (specs,), level.unsqueeze(-1), steps=15, lr=1e-3)
    assert losses[-1] < 0.1 * losses[0], losses


def test_end_to_end_jmt_trains_only_the_fusion_over_frozen_branches_and_learns():
    torch.manual_seed(0)
    v, a = VisualBranch(1), AudioBranch(1)
    model = WaligoraJMT(v, a, 1, d_model=16, heads=2, fc_sizes=(32, 16), dropout=0.0)
    frozen = {k: t.clone() for k, t in [*v.state_dict().items(), *a.state_dict().items()]}
    level = torch.linspace(-1, 1, 8).view(2, 4)
    clips = torch.randn(2, 4, 3, 4, 16, 16) * 0.1 + level.view(2, 4, 1, 1, 1, 1)
    specs = torch.randn(2, 4, 64, 107)
    mask = torch.ones(2, 4, dtype=torch.bool)
    model.train()
    assert not v.training and not a.training  # frozen BatchNorm statistics stay as loaded
    losses = _fit(model, (clips, specs, mask, mask), level.unsqueeze(-1), steps=40, lr=3e-3)
    assert losses[-1] < 0.2 * losses[0], losses
    after = {**v.state_dict(), **a.state_dict()}
    assert all(torch.equal(frozen[k], after[k]) for k in frozen)
    trainable = {n.split(".")[0] for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"fusion"}
    assert model.fusion.joint.in_features == 2 * 16 and model.fusion.embed["visual"].in_features == 512


def test_the_branches_fine_tuning_settings_are_the_papers_and_valid_for_the_core():
    v, a = TrainConfig.from_dict(VISUAL_FINETUNE), TrainConfig.from_dict(AUDIO_FINETUNE)
    assert (v.optimiser, v.learning_rate, v.batch_size, v.max_epochs) == ("sgd", 1e-3, 8, 50)
    assert (a.optimiser, a.learning_rate, a.batch_size) == ("adam", 1e-2, 64)
