import math

import audmetric
import numpy as np
import pandas as pd
import pytest

from affectflow.evaluation import metrics as m

# (truth, prediction, population, np.cov / sample, AVEC mixed)
CCC_VECTORS = [
    ([0, 1, 2], [0, 1, 1], 0.666667, 0.692308, 0.461538),
    ([1, 2, 3, 4, 5], [2, 2, 3, 5, 5], 0.900000, 0.907258, 0.725806),
    ([0, 1, 2, 3], [1, 2, 3, 4], 0.714286, 0.769231, 0.576923),
]


@pytest.mark.parametrize("t, p, pop, sample, avec", CCC_VECTORS)
def test_ccc_reference_vectors(t, p, pop, sample, avec):
    assert m.ccc(t, p) == pytest.approx(pop, abs=1e-6)
    assert m.ccc(t, p, variance="population") == pytest.approx(pop, abs=1e-6)
    assert m.ccc(t, p, variance="sample") == pytest.approx(sample, abs=1e-6)
    assert m.ccc(t, p, variance="avec") == pytest.approx(avec, abs=1e-6)


@pytest.mark.parametrize("t, p, pop, sample, avec", CCC_VECTORS)
def test_ccc_sample_matches_np_cov(t, p, pop, sample, avec):
    c = np.cov(t, p)
    expected = 2 * c[0, 1] / (c[0, 0] + c[1, 1] + (np.mean(t) - np.mean(p)) ** 2)
    assert m.ccc(t, p, variance="sample") == pytest.approx(expected, rel=1e-12)


SEQ_TRUE = [np.array([0.0, 1, 2]), np.array([5.0, 6, 7])]
SEQ_PRED = [np.array([0.0, 1, 1]), np.array([5.0, 6, 6])]


def test_ccc_sequences_aggregation():
    pooled = m.ccc_sequences(SEQ_TRUE, SEQ_PRED)
    per_seq = m.ccc_sequences(SEQ_TRUE, SEQ_PRED, aggregation="per_sequence")
    assert pooled == pytest.approx(0.9753, abs=1e-4)
    assert pooled == pytest.approx(79 / 81, rel=1e-12)
    assert per_seq == pytest.approx(0.6667, abs=1e-4)


def test_ccc_grouped_matches_sequences_and_accepts_pandas():
    df = pd.DataFrame(
        {
            "session": ["b", "b", "b", "a", "a", "a"],
            "true": np.concatenate(SEQ_TRUE),
            "pred": np.concatenate(SEQ_PRED),
        }
    )
    for agg in ("pooled", "per_sequence"):
        got = m.ccc_grouped(df["true"], df["pred"], df["session"], aggregation=agg)
        want = m.ccc_sequences(SEQ_TRUE, SEQ_PRED, aggregation=agg)
        assert got == pytest.approx(want, rel=1e-12)


def test_ccc_sequences_rejects_mismatch_and_unknown_aggregation():
    with pytest.raises(ValueError):
        m.ccc_sequences(SEQ_TRUE, SEQ_PRED[:1])
    with pytest.raises(ValueError):
        # total lengths agree (5 == 5) but the individual sequences do not
        m.ccc_sequences([[0, 1, 2], [3, 4]], [[0, 1], [2, 3, 4]])
    with pytest.raises(ValueError, match="'mean'"):
        m.ccc_sequences(SEQ_TRUE, SEQ_PRED, aggregation="mean")


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_regression_agrees_with_audmetric(rng):
    t = rng.normal(size=200)
    p = 0.6 * t + rng.normal(scale=0.5, size=200) + 0.3
    assert m.ccc(t, p) == pytest.approx(audmetric.concordance_cc(t, p), rel=1e-10)
    assert m.pcc(t, p) == pytest.approx(audmetric.pearson_cc(t, p), rel=1e-10)
    assert m.mae(t, p) == pytest.approx(audmetric.mean_absolute_error(t, p), rel=1e-10)
    assert m.rmse(t, p) == pytest.approx(
        math.sqrt(audmetric.mean_squared_error(t, p)), rel=1e-10
    )


def test_classification_agrees_with_audmetric(rng):
    t = rng.integers(0, 4, size=300)
    p = np.where(rng.random(300) < 0.6, t, rng.integers(0, 4, size=300))
    assert m.uar(t, p) == pytest.approx(
        audmetric.unweighted_average_recall(t, p), rel=1e-10
    )
    assert m.accuracy(t, p) == pytest.approx(audmetric.accuracy(t, p), rel=1e-10)


def test_uar_ignores_classes_only_in_predictions():
    # recall(0) = 0.5, recall(1) = 1.0; the predicted-only class 2 is not averaged in
    assert m.uar([0, 0, 1, 1], [0, 2, 1, 1]) == pytest.approx(0.75)


def test_f1():
    t = [0, 0, 1, 1, 2, 2]
    p = [0, 1, 1, 1, 2, 0]
    assert m.f1(t, p, average="micro") == pytest.approx(m.accuracy(t, p))
    # per-class F1: 0.5, 0.8, 2/3
    assert m.f1(t, p, average="macro") == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)
    with pytest.raises(ValueError, match="'weighted'"):
        m.f1(t, p, average="weighted")


def test_nan_pairs_are_dropped():
    t = [0, np.nan, 1, 2, 9]
    p = [0, 5, 1, 1, np.nan]
    for variance in ("population", "sample", "avec"):
        assert m.ccc(t, p, variance=variance) == pytest.approx(
            m.ccc([0, 1, 2], [0, 1, 1], variance=variance)
        )
    assert m.mae(t, p) == pytest.approx(1 / 3)
    assert m.rmse(t, p) == pytest.approx(math.sqrt(1 / 3))
    assert m.pcc(t, p) == pytest.approx(m.pcc([0, 1, 2], [0, 1, 1]))


def test_degenerate_inputs_give_nan():
    assert math.isnan(m.ccc([1.0, np.nan], [1.0, 2.0]))  # fewer than 2 valid pairs
    assert math.isnan(m.ccc([3, 3, 3], [3, 3, 3]))  # zero denominator
    assert math.isnan(m.pcc([1, 2, 3], [2, 2, 2]))
    assert math.isnan(m.mae([np.nan], [1.0]))


def test_invalid_input_raises():
    with pytest.raises(ValueError, match="[Ll]ength"):
        m.ccc([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="[Ll]ength"):
        m.uar([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="[Ee]mpty"):
        m.ccc([], [])
    with pytest.raises(ValueError, match="'unbiased'"):
        m.ccc([1, 2, 3], [1, 2, 3], variance="unbiased")


def test_perfect_and_negated_prediction():
    t = np.array([0.1, 0.5, -0.3, 0.8, 0.2])
    assert m.ccc(t, t, variance="population") == pytest.approx(1.0)
    assert m.ccc(t, t, variance="sample") == pytest.approx(1.0)
    # the AVEC mix (cov 1/N, var 1/(N-1)) caps a perfect prediction at (N-1)/N
    assert m.ccc(t, t, variance="avec") == pytest.approx(4 / 5)
    for variance in ("population", "sample", "avec"):
        assert m.ccc(t, -t, variance=variance) < 0
    assert m.pcc(t, t) == pytest.approx(1.0)


def test_reports():
    t = np.concatenate(SEQ_TRUE + [[np.nan]])
    p = np.concatenate(SEQ_PRED + [[0.0]])
    g = ["s1"] * 3 + ["s2"] * 3 + ["s2"]
    rep = m.regression_report(t, p, groups=g)
    assert set(rep) == {"ccc_pooled", "ccc_per_sequence", "pcc", "mae", "rmse", "n"}
    assert rep["n"] == 6
    assert rep["ccc_pooled"] == pytest.approx(79 / 81)
    assert rep["ccc_per_sequence"] == pytest.approx(2 / 3)
    assert rep["mae"] == pytest.approx(1 / 3)
    assert math.isnan(m.regression_report(t, p)["ccc_per_sequence"])

    crep = m.classification_report(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    assert crep == pytest.approx(
        {
            "accuracy": 0.75,
            "uar": 0.75,
            "f1_micro": 0.75,
            "f1_macro": (2 / 3 + 0.8) / 2,
            "n": 4,
        }
    )
