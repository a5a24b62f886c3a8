"""Bootstrap intervals and the paired test on hand-built per-utterance counts."""

from __future__ import annotations

import numpy as np
import pytest

from seqrec.report.bootstrap import paired_test, rate_interval, resample_sums

LENGTHS = np.array([3, 5, 2, 4, 6, 1, 3, 4, 2, 5])
ERRORS = np.array([1, 0, 2, 1, 0, 1, 0, 2, 0, 1])


def test_resample_sums_draw_whole_rows_reproducibly():
    stats = np.stack([ERRORS, LENGTHS], axis=1)
    sums = resample_sums(stats, resamples=300, seed=7)
    assert sums.shape == (300, 2)
    assert np.array_equal(sums, resample_sums(stats, resamples=300, seed=7))
    assert not np.array_equal(sums, resample_sums(stats, resamples=300, seed=8))
    assert np.all(sums[:, 1] >= len(LENGTHS) * LENGTHS.min())
    single = resample_sums(np.array([[2, 5]]), resamples=4)
    assert np.array_equal(single, [[2, 5]] * 4)


def test_interval_contains_the_point_estimate_and_narrows_with_more_utterances():
    small = rate_interval(ERRORS, LENGTHS)
    assert small.rate == pytest.approx(ERRORS.sum() / LENGTHS.sum())
    assert small.low < small.rate < small.high
    large = rate_interval(np.tile(ERRORS, 25), np.tile(LENGTHS, 25))
    assert large.rate == pytest.approx(small.rate)
    assert large.low < large.rate < large.high
    assert large.high - large.low < 0.4 * (small.high - small.low)  # about 1/sqrt(25)
    assert large.std < small.std


def test_interval_of_a_constant_rate_has_no_width():
    iv = rate_interval(LENGTHS, 2 * LENGTHS)
    assert (iv.rate, iv.low, iv.high, iv.std) == (0.5, 0.5, 0.5, 0.0)


def test_identical_systems_tie_on_every_resample_and_b_is_never_better():
    test = paired_test(ERRORS, ERRORS.copy(), LENGTHS)
    assert (test.p_b_better, test.ties, test.delta, test.low, test.high) == (0, 1, 0, 0, 0)


def test_fewer_errors_on_every_utterance_is_better_on_every_resample():
    better = paired_test(ERRORS + 1, ERRORS, LENGTHS, resamples=500)
    assert (better.p_b_better, better.ties) == (1.0, 0.0)
    assert better.delta == pytest.approx(-len(ERRORS) / LENGTHS.sum())
    assert better.low <= better.delta <= better.high < 0
    worse = paired_test(ERRORS, ERRORS + 1, LENGTHS, resamples=500)
    assert (worse.p_b_better, worse.ties) == (0.0, 0.0)


def test_mixed_systems_get_a_probability_between_zero_and_one():
    rng = np.random.default_rng(0)
    a = rng.binomial(LENGTHS, 0.3)
    b = rng.binomial(LENGTHS, 0.3)
    test = paired_test(a, b, LENGTHS)
    assert 0 < test.p_b_better < 1
    assert test.p_b_better + test.ties <= 1


def test_bad_inputs_are_clear_errors():
    with pytest.raises(ValueError, match="zero utterances"):
        rate_interval(np.array([]), np.array([]))
    with pytest.raises(ValueError, match="differ in length"):
        paired_test(ERRORS, ERRORS[:3], LENGTHS)
    with pytest.raises(ValueError, match="confidence level"):
        rate_interval(ERRORS, LENGTHS, level=95)
