"""The statistics of experiments and pushes: intervals, tests, sample sizes.

- Wilson score interval for a proportion (honest at small counts and near 0 or 1).
- Two-sided two-proportion z-test with the pooled standard error: the p-value
  at the current sample, valid only if the sample size was fixed in advance.
- mSPRT (Johari, Pekelis and Walsh, "Always Valid Inference", 2017): with a
  normal mixture over the difference, the likelihood ratio ``Lambda_n`` gives the
  always-valid p-value ``min(1, 1 / max Lambda)``, which may be read at every
  peek without inflating the false-positive rate.
- A bootstrap percentile interval for a difference of means (GMV per viewer),
  seeded so the page shows the same interval on every load.
- The classical per-arm sample size for a two-proportion test.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

MSPRT_TAU_SQUARED = 0.0025  # mixing variance: effects of a few percentage points (sd 5)
BOOTSTRAP_RESAMPLES = 2_000
BOOTSTRAP_SEED = 15
SMALLEST_EFFECT = 1e-4  # 0.01 percentage points: billions of users per arm already


def _normal() -> Any:
    """SciPy's standard normal, imported when first asked for: scipy.stats costs half a
    second at import, and every process that imports the app would pay it."""
    from scipy import stats  # type: ignore[import-untyped]

    return stats.norm


def z_of(confidence: float) -> float:
    return float(_normal().ppf(0.5 + confidence / 2))


def wilson(successes: int, trials: int, *, confidence: float = 0.95) -> tuple[float, float] | None:
    if trials == 0:
        return None
    z = z_of(confidence)
    rate = successes / trials
    denominator = 1 + z * z / trials
    centre = (rate + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(rate * (1 - rate) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def two_proportion_p_value(
    successes_a: int, trials_a: int, successes_b: int, trials_b: int
) -> float | None:
    """Two-sided pooled z-test of rate B = rate A; None when it is undefined."""
    if trials_a == 0 or trials_b == 0:
        return None
    pooled = (successes_a + successes_b) / (trials_a + trials_b)
    variance = pooled * (1 - pooled) * (1 / trials_a + 1 / trials_b)
    if variance == 0:
        return 1.0 if successes_a / trials_a == successes_b / trials_b else None
    z = (successes_b / trials_b - successes_a / trials_a) / math.sqrt(variance)
    return float(2 * _normal().sf(abs(z)))


def msprt_p_value(
    successes_a: int,
    trials_a: int,
    successes_b: int,
    trials_b: int,
    *,
    tau_squared: float = MSPRT_TAU_SQUARED,
) -> float | None:
    """Always-valid p-value of the normal-mixture SPRT at the current sample.

    The difference of rates is treated as approximately normal with variance
    ``V = pA(1-pA)/nA + pB(1-pB)/nB``; the mixture likelihood ratio against
    no difference is ``sqrt(V / (V + tau^2)) * exp(tau^2 d^2 / (2 V (V + tau^2)))``.
    Reading it at the current sample only (not the running maximum over every
    earlier peek) is conservative only if earlier values were smaller; the
    caller keeps no history, so this is the p-value at this peek.
    """
    if trials_a == 0 or trials_b == 0:
        return None
    rate_a, rate_b = successes_a / trials_a, successes_b / trials_b
    variance = rate_a * (1 - rate_a) / trials_a + rate_b * (1 - rate_b) / trials_b
    if variance == 0:
        return 1.0
    difference = rate_b - rate_a
    log_ratio = 0.5 * math.log(variance / (variance + tau_squared)) + (
        tau_squared * difference * difference / (2 * variance * (variance + tau_squared))
    )
    return float(min(1.0, math.exp(-log_ratio)))


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float


def bootstrap_difference_of_means(
    control: Sequence[float],
    treatment: Sequence[float],
    *,
    confidence: float = 0.95,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> Interval | None:
    """Percentile bootstrap interval of mean(treatment) - mean(control)."""
    if not control or not treatment:
        return None
    rng = np.random.default_rng(seed)
    a = np.asarray(control, dtype=float)
    b = np.asarray(treatment, dtype=float)
    means_a = a[rng.integers(0, len(a), size=(resamples, len(a)))].mean(axis=1)
    means_b = b[rng.integers(0, len(b), size=(resamples, len(b)))].mean(axis=1)
    differences = means_b - means_a
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(differences, [tail, 100 - tail])
    return Interval(float(b.mean() - a.mean()), float(low), float(high))


def mean_difference_interval(
    control: Sequence[float], treatment: Sequence[float], *, confidence: float = 0.95
) -> Interval | None:
    """Normal (Welch) interval of mean(treatment) - mean(control)."""
    if len(control) < 2 or len(treatment) < 2:
        return None
    a = np.asarray(control, dtype=float)
    b = np.asarray(treatment, dtype=float)
    difference = float(b.mean() - a.mean())
    error = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    half = z_of(confidence) * error
    return Interval(difference, difference - half, difference + half)


def sample_size_per_arm(
    *, baseline: float, minimum_effect: float, alpha: float = 0.05, power: float = 0.8
) -> int:
    """Users per variant to detect ``baseline`` -> ``baseline + minimum_effect`` (absolute)
    with a two-sided test at ``alpha`` and the given power."""
    treated = baseline + minimum_effect
    if not (0 < baseline < 1 and 0 < treated < 1):
        raise ValueError("baseline and baseline + minimum_effect must lie strictly in (0, 1)")
    if abs(minimum_effect) < SMALLEST_EFFECT:
        raise ValueError(f"an effect below {SMALLEST_EFFECT} needs more users than exist")
    z_alpha = float(_normal().ppf(1 - alpha / 2))
    z_power = float(_normal().ppf(power))
    mean = (baseline + treated) / 2
    numerator = (
        z_alpha * math.sqrt(2 * mean * (1 - mean))
        + z_power * math.sqrt(baseline * (1 - baseline) + treated * (1 - treated))
    ) ** 2
    users = numerator / minimum_effect**2
    if not math.isfinite(users):  # alpha or 1 - power too small for a float's normal quantile
        raise ValueError("alpha and 1 - power must be at least 1e-9")
    return math.ceil(users)
