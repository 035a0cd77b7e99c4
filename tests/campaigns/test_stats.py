"""The statistics against values worked out independently."""

from __future__ import annotations

import math

import pytest

from liveshop.campaigns import stats


def _z_test_by_hand(a: int, n: int, b: int, m: int) -> float:
    pooled = (a + b) / (n + m)
    z = (b / m - a / n) / math.sqrt(pooled * (1 - pooled) * (1 / n + 1 / m))
    return math.erfc(abs(z) / math.sqrt(2))


def test_wilson_interval_matches_the_textbook_example() -> None:
    # Newcombe (1998), example: 81 of 263 -> 0.2553 to 0.3662 (95 %)
    low, high = stats.wilson(81, 263) or (0.0, 0.0)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)
    assert stats.wilson(0, 0) is None
    assert stats.wilson(0, 10) == (0.0, pytest.approx(0.2775, abs=1e-4))


def test_two_proportion_p_value() -> None:
    assert stats.two_proportion_p_value(100, 1000, 130, 1000) == pytest.approx(
        _z_test_by_hand(100, 1000, 130, 1000), rel=1e-9
    )
    assert stats.two_proportion_p_value(5, 50, 5, 50) == pytest.approx(1.0)
    assert stats.two_proportion_p_value(0, 0, 1, 10) is None


def test_the_always_valid_p_value_is_more_cautious_than_the_fixed_one() -> None:
    fixed = stats.two_proportion_p_value(100, 1000, 130, 1000)
    always = stats.msprt_p_value(100, 1000, 130, 1000)
    assert fixed is not None
    assert always is not None
    assert fixed < 0.05 < always
    strong = stats.msprt_p_value(1000, 10_000, 1300, 10_000)
    assert strong is not None
    assert strong < 0.001
    assert stats.msprt_p_value(10, 100, 10, 100) == 1.0


def test_bootstrap_interval_covers_the_difference_and_is_seeded() -> None:
    control = [0.0] * 90 + [100.0] * 10
    treatment = [0.0] * 80 + [100.0] * 20
    first = stats.bootstrap_difference_of_means(control, treatment)
    again = stats.bootstrap_difference_of_means(control, treatment)
    assert first == again
    assert first is not None
    assert first.estimate == pytest.approx(10.0)
    assert first.low < 10.0 < first.high
    assert first.low > -5
    assert first.high < 25


def test_sample_size_per_variant() -> None:
    # 10 % -> 12 %, two-sided 5 %, power 80 %: 3,841 per arm (the classical formula)
    assert stats.sample_size_per_arm(baseline=0.10, minimum_effect=0.02) == 3_841
    assert stats.sample_size_per_arm(baseline=0.05, minimum_effect=0.01) > 3_841
    with pytest.raises(ValueError, match="strictly"):
        stats.sample_size_per_arm(baseline=0.95, minimum_effect=0.1)
    with pytest.raises(ValueError, match="at least 1e-9"):  # the quantile is infinite
        stats.sample_size_per_arm(baseline=0.10, minimum_effect=0.02, alpha=1e-323)
