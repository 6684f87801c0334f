"""The audio-visual CNN with temporal aggregation: probabilities sum into clip scores; it learns."""
import numpy as np
import pytest
import torch

from affectflow.models.temporal_aggregation import network



@pytest.fixture(autouse=True)
def one_thread():
    # tiny convolutions: thread start-up dominates, and a loaded 2-core CI machine is 10x slower with several
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


SMALL = {"video_channels": [4, 8], "audio_channels": [4, 8]}


def toy_clips(n_clips, n_segments, rng, size=32, shape=(24, 16)):
    labels = np.arange(n_clips) % 3
    faces = rng.integers(0, 60, (n_clips, n_segments, size, size, 3)).astype(np.uint8)
    faces[..., 0] += (labels * 80).astype(np.uint8)[:, None, None, None]  # class shows in the red channel
    specs = rng.normal(-50, 5, (n_clips, n_segments, *shape)).astype(np.float32)
    return faces, specs, labels


def test_segment_probabilities_sum_into_clip_scores():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    model = network.build(6, SMALL).eval()
    faces, specs, _ = toy_clips(5, 4, rng)
    f, s = network.to_tensors(faces, specs, torch.device("cpu"))
    with torch.no_grad():
        seg = model.segment_probabilities(f, s)
        scores = model(f, s)
    assert seg.shape == (5, 4, 6) and scores.shape == (5, 6)
    assert torch.allclose(seg.sum(dim=2), torch.ones(5, 4), atol=1e-6)          # softmax per segment
    assert torch.allclose(scores, seg[:, 0] + seg[:, 1] + seg[:, 2] + seg[:, 3])  # clip score = sum of segments
    assert torch.allclose(scores.sum(dim=1), torch.full((5,), 4.0), atol=1e-5)
    # each segment runs through the same network, alone or with the others
    alone = model.segment_probabilities(f[:, 2:3], s[:, 2:3])
    assert torch.allclose(alone[:, 0], seg[:, 2], atol=1e-6)
    clip_scores, seg_np = network.predict(model, lambda idx, epoch: (faces[idx], specs[idx]), 5, batch_size=2, device="cpu")
    assert np.allclose(clip_scores, seg_np.sum(axis=1)) and np.allclose(clip_scores, scores.numpy(), atol=1e-5)


def test_sum_of_probabilities_can_overrule_the_majority_of_segment_argmaxes():
    seg = torch.tensor([[[0.6, 0.4], [0.6, 0.4], [0.0, 1.0]]])  # two segments vote 0, but the summed score picks 1
    assert network.clip_scores(seg).argmax(dim=1).item() == 1


def test_training_learns_a_planted_class_and_decays_the_learning_rate():
    torch.manual_seed(0)
    rng = np.random.default_rng(1)
    faces, specs, labels = toy_clips(24, 3, rng)
    model = network.build(3, SMALL)
    params = {**SMALL, "epochs": 15, "batch_size": 8, "lr": 0.05, "lr_step": 30, "lr_restart": "never", "device": "cpu"}
    seen = []

    def validate(m):  # the training clips themselves: after learning, validation must agree with predict
        seen.append(m.training)
        return network.evaluate(m, lambda idx, epoch: (faces[idx], specs[idx]), 24, labels, device="cpu")

    history = network.train(model, lambda idx, epoch: (faces[idx], specs[idx]), 24, labels, params, seed=0, validate=validate)
    assert len(history) == 15 and seen == [True] * 15  # called once per epoch, handed the model as trained
    assert history[-1]["train_loss"] < history[0]["train_loss"] * 0.5
    assert all(0 <= h["train_accuracy"] <= 1 and h["train_seconds"] > 0 and h["val_seconds"] > 0 for h in history)
    assert np.isclose(history[-1]["lr"], 0.05 * 0.1 ** (15 * 3 // 30))  # 3 steps per epoch, ×0.1 every 30 steps
    # restarted every epoch (the default): 3 steps never reach the 30-step decay
    restarted = network.train(network.build(3, SMALL), lambda idx, epoch: (faces[idx], specs[idx]), 24, labels,
                             {**params, "epochs": 3, "lr_restart": "epoch", "lr_step": 2}, seed=0)
    assert [h["lr"] for h in restarted] == pytest.approx([0.005] * 3)  # decayed once within each epoch, back to 0.05 after
    scores, seg = network.predict(model, lambda idx, epoch: (faces[idx], specs[idx]), 24, device="cpu")
    assert (scores.argmax(axis=1) == labels).mean() > 0.9
    # the last epoch's validation numbers are those of the final model: accuracy and −mean log(score_y / N)
    assert history[-1]["val_accuracy"] == pytest.approx((scores.argmax(axis=1) == labels).mean())
    assert history[-1]["val_loss"] == pytest.approx(-np.mean(np.log(scores[np.arange(24), labels] / 3 + 1e-12)), rel=1e-5)
    assert np.isnan(restarted[0]["val_loss"])  # no validate: NaN, never a made-up number
