"""Wide extractors enter sequence models as whitened principal components fitted on the training sessions."""
import numpy as np
import pytest

from affectflow.models.sequence import data as seqdata
from affectflow.models.sequence.train import TrainConfig, _loader

N = 300


def session(name, partition, rng, latent_shift=0.0, mask_from=None):
    latent = rng.standard_normal((N, 2))
    mixing = np.random.default_rng(42).standard_normal((2, 200))  # the same embedding for every session
    wide = latent @ mixing + 0.1 * rng.standard_normal((N, 200)) + latent_shift
    narrow = rng.standard_normal((N, 3))
    mask = np.ones(N, bool)
    if mask_from is not None:
        mask[mask_from:] = False
    x = np.concatenate([wide, narrow], axis=1).astype(np.float32)
    x[~mask] = 0.0
    return seqdata.SessionArrays(session=name, speaker=name, partition=partition, t_start=np.arange(N) * 0.1,
                                 t_end=np.arange(N) * 0.1 + 0.1, x={"text": x}, mask={"text": mask},
                                 y=np.zeros((N, 1), np.float32), label_valid=np.ones(N, bool)), latent


def corpus(test_shift=0.0):
    rng = np.random.default_rng(0)
    made = [session("a", "train", rng, mask_from=250), session("b", "train", rng), session("c", "devel", rng),
            session("d", "test", rng, latent_shift=test_shift)]
    columns = [f"emb__e{i:03d}" for i in range(200)] + ["vad__neg", "vad__pos", "vad__compound"]
    data = seqdata.SequenceData(sessions=[s for s, _ in made], modalities={"text": ["emb", "vad"]}, dims=["valence"],
                                feature_columns={"text": columns})
    return data, [latent for _, latent in made]


def test_only_the_wide_extractor_is_reduced_and_the_narrow_one_passes_unchanged():
    data, _ = corpus()
    reduced, reductions = seqdata.reduce_wide_extractors(data, 4, ["train"])
    assert reduced.feature_columns["text"] == [f"emb__pc{j:03d}" for j in range(4)] + ["vad__neg", "vad__pos", "vad__compound"]
    assert reduced.input_dims == {"text": 7}
    for before, after in zip(data.sessions, reduced.sessions):
        np.testing.assert_array_equal(after.x["text"][:, 4:], before.x["text"][:, 200:])
    assert [r.summary()["from_columns"] for r in reductions] == [200]
    assert reductions[0].fitted_frames == 250 + N  # the present frames of the two training sessions


def test_only_extractors_wider_than_the_threshold_are_reduced():
    data, _ = corpus()
    kept, none = seqdata.reduce_wide_extractors(data, 4, ["train"], wider_than=200)
    assert none == [] and kept.feature_columns == data.feature_columns  # 200 columns: not wider than 200
    reduced, [red] = seqdata.reduce_wide_extractors(data, 4, ["train"], wider_than=199)
    assert red.summary()["from_columns"] == 200 and reduced.input_dims == {"text": 7}


def test_a_fusion_of_pretrained_networks_fits_its_reduction_where_they_were_trained():
    from affectflow.models.sequence.run import reduction_partitions
    models = {"a": {"kind": "dlstm"}, "v": {"kind": "dlstm", "train_partitions": ["train"]},
              "fused": {"kind": "dlstm_fusion", "pretrained": ["a", "v"], "train_partitions": ["train", "devel"]},
              "odd": {"kind": "dlstm", "train_partitions": ["train", "devel"]},
              "mixed": {"kind": "dlstm_fusion", "pretrained": ["a", "odd"]}}
    assert reduction_partitions("fused", models) == ["train"]  # not the fusion's own train+devel
    assert reduction_partitions("odd", models) == ["train", "devel"]
    with pytest.raises(ValueError, match="different partitions"):
        reduction_partitions("mixed", models)


def test_components_are_whitened_on_the_training_frames_and_masked_frames_stay_zero():
    data, _ = corpus()
    reduced, _ = seqdata.reduce_wide_extractors(data, 4, ["train"])
    train = np.concatenate([s.x["text"][s.mask["text"], :4] for s in reduced.partition("train")])
    np.testing.assert_allclose(train.mean(0), 0.0, atol=1e-4)
    np.testing.assert_allclose(train.var(0, ddof=1), 1.0, rtol=1e-3)
    assert not reduced.sessions[0].x["text"][250:].any()


def test_the_leading_components_carry_the_planted_latent_signal():
    data, latents = corpus()
    reduced, reductions = seqdata.reduce_wide_extractors(data, 2, ["train"])
    assert reductions[0].explained_variance_ratio > 0.95  # 2 latent directions + 1 % noise variance
    test = reduced.partition("test")[0].x["text"][:, :2]
    # the two components span the latent plane: a linear map recovers each latent on held-out frames
    coef, *_ = np.linalg.lstsq(np.c_[test, np.ones(N)], latents[3], rcond=None)
    fitted = np.c_[test, np.ones(N)] @ coef
    for j in range(2):
        assert np.corrcoef(fitted[:, j], latents[3][:, j])[0, 1] > 0.99


def test_held_out_sessions_never_move_the_components():
    data, _ = corpus()
    shifted, _ = corpus(test_shift=5.0)
    _, a = seqdata.reduce_wide_extractors(data, 4, ["train"])
    _, b = seqdata.reduce_wide_extractors(shifted, 4, ["train"])
    np.testing.assert_array_equal(a[0].projection, b[0].projection)
    np.testing.assert_array_equal(a[0].mean, b[0].mean)
    _, c = seqdata.reduce_wide_extractors(shifted, 4, ["train", "test"])
    assert not np.allclose(c[0].mean, a[0].mean)  # fitting on the test session would have moved them


def test_no_limit_leaves_the_data_alone_and_a_missing_partition_is_an_error():
    data, _ = corpus()
    same, reductions = seqdata.reduce_wide_extractors(data, None, ["train"])
    assert same is data and reductions == []
    with pytest.raises(ValueError, match=r"no sessions in \['train2'\]"):
        seqdata.reduce_wide_extractors(data, 4, ["train2"])


def test_training_sequences_overlap_by_half_by_default_and_prediction_does_not():
    data, _ = corpus()
    train = data.partition("train")
    cfg = TrainConfig(sequence_length=100)
    assert cfg.training_hop == 50 and TrainConfig(sequence_length=100, train_hop=100).training_hop == 100
    default = _loader(train, cfg, shuffle=False, hop=cfg.training_hop).dataset
    assert [start for i, start in default.items if i == 1] == [0, 50, 100, 150, 200]
    assert [start for i, start in _loader(train, cfg, shuffle=False).dataset.items if i == 1] == [0, 100, 200]
