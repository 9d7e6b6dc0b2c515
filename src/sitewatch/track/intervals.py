"""The true number of vehicles behind a count of detections: an estimate and an interval.

A count is three figures, never one:

- **detected** ``n``: the boxes the detector found (after review, where reviewed);
- **estimate** ``n × precision ÷ recall``: of ``n`` detections about ``n × precision`` are
  real vehicles, and those are about ``recall`` of the vehicles there are;
- **interval**: a two-sided interval (90 % by default) for the true number ``N``.

The interval comes from one model of the detector, the one its precision and recall describe.
Of ``n`` detections the real ones number ``TP ~ Binomial(n, precision)``; a site holding ``N``
vehicles yields ``TP ~ Binomial(N, recall)`` of them, so, with every ``N`` equally likely
beforehand, ``N - TP`` given ``TP`` is negative binomial (``TP + 1`` successes at
``recall``). The interval is the central ``level`` of the resulting distribution of ``N``
given ``n``::

    P(N <= x | n) = sum over t of Binomial(t; n, precision) * NegBinomial(x - t; t + 1, recall)

Its quantiles are found by bisection on ``x`` with the sum taken over every ``t`` carrying
more than 1e-12 of the binomial's mass, so 100 000 detections take milliseconds. The interval
is then widened, where discreteness would leave it out, to hold the estimate: the three figures
never contradict each other, and both bounds are whole numbers of vehicles, never negative.
With ``precision = recall = 1`` it is ``(n, n)``. With no detection it is ``0`` to the number
of vehicles the detector could plausibly have missed entirely.

What it leaves out: detections are treated as independent, which crowded parks are not (a row
the detector misses, it often misses whole), and the rates are taken as exact, though they were
measured on a few hundred vehicles elsewhere. Read the interval as a floor on the uncertainty,
not a ceiling; simulated against detectors that behave as the model says, it holds the true
number at least as often as its level (``tests/track/test_intervals.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sitewatch.errors import ConfigError, TrackError

__all__ = ["CountEstimate", "count_interval", "estimate_count", "interval_meaning"]

#: Binomial mass left out of the sum on each side (far below any printed digit).
_TAIL_MASS = 1e-12


@dataclass(frozen=True, slots=True, kw_only=True)
class CountEstimate:
    """``detected`` boxes, the estimated true number of vehicles, and an interval on it.

    ``lo <= estimate <= hi`` and ``lo >= 0`` always hold; ``precision`` and ``recall`` are the
    detector's rates the figures were made from, ``level`` the interval's two-sided level.
    """

    detected: int
    estimate: float
    lo: int
    hi: int
    precision: float
    recall: float
    level: float

    def __post_init__(self) -> None:
        if not 0 <= self.lo <= self.estimate <= self.hi:
            raise TrackError(
                f"count of {self.detected} detections: the estimate {self.estimate:g} must lie "
                f"in its interval {self.lo}-{self.hi}, both bounds non-negative (a bug in "
                "whatever made the figures: report it)"
            )


def estimate_count(
    n: int, *, precision: float, recall: float, level: float = 0.9
) -> CountEstimate:
    """The true number of vehicles behind ``n`` detections: estimate and interval.

    See the module docstring for the model.

    >>> estimate_count(7, precision=1.0, recall=1.0)
    CountEstimate(detected=7, estimate=7.0, lo=7, hi=7, precision=1.0, recall=1.0, level=0.9)
    >>> e = estimate_count(10, precision=0.9, recall=0.8)
    >>> e.estimate, e.lo, e.hi
    (11.25, 8, 15)

    Raises:
        ConfigError: ``n`` is negative, a rate is outside (0, 1] or ``level`` outside (0, 1).
    """
    if n < 0:
        raise ConfigError(f"a count of detections must be non-negative, got {n}")
    for name, value in (("precision", precision), ("recall", recall)):
        if not 0.0 < value <= 1.0:
            raise ConfigError(f"detector {name} must be in (0, 1], got {value}; pass the rate "
                              "measured for the model (sitewatch eval)")
    if not 0.0 < level < 1.0:
        raise ConfigError(f"interval level must be in (0, 1), got {level}: a 100 % interval on "
                          "the true number is unbounded whenever recall is below 1")
    estimate = n * precision / recall
    tail = (1.0 - level) / 2.0
    lo = _quantile(n, precision, recall, tail)
    hi = _quantile(n, precision, recall, 1.0 - tail)
    # discreteness at a low level can leave the estimate just outside: widen to hold it
    lo, hi = min(lo, math.floor(estimate)), max(hi, math.ceil(estimate))
    return CountEstimate(detected=n, estimate=estimate, lo=lo, hi=hi, precision=precision,
                         recall=recall, level=level)


def count_interval(
    n: int, *, precision: float, recall: float, level: float = 0.9
) -> tuple[int, int]:
    """The interval (lo, hi) of :func:`estimate_count` alone.

    >>> count_interval(0, precision=0.9, recall=0.8)
    (0, 1)

    Raises:
        ConfigError: as :func:`estimate_count`.
    """
    found = estimate_count(n, precision=precision, recall=recall, level=level)
    return found.lo, found.hi


def interval_meaning(level: float = 0.9) -> str:
    """What a count's three figures mean, in one line for tables, the CLI and exports.

    >>> interval_meaning(0.9).split(";")[0]
    'detected: boxes the detector found'
    """
    return (f"detected: boxes the detector found; estimate: the true number of vehicles, "
            f"detected × precision ÷ recall; interval: a {level:.0%} interval for the true "
            "number given the detections (binomial on the detector's precision and recall, "
            "vehicles taken as independent)")


def _quantile(n: int, precision: float, recall: float, q: float) -> int:
    """The smallest whole ``x`` with ``P(N <= x | n) >= q`` (module docstring)."""
    import numpy as np
    from scipy.stats import binom, nbinom  # heavy import, only when a count is made

    if precision >= 1.0 or n == 0:
        tps = np.array([n if precision >= 1.0 else 0])
        weights = np.array([1.0])
    else:
        first = int(binom.ppf(_TAIL_MASS, n, precision))
        last = int(binom.ppf(1.0 - _TAIL_MASS, n, precision))
        tps = np.arange(first, last + 1)
        weights = binom.pmf(tps, n, precision)
        weights = weights / weights.sum()
    if recall >= 1.0:
        at = int(np.searchsorted(np.cumsum(weights), q - 1e-15))
        return int(tps[min(at, len(tps) - 1)])

    def cdf(x: int) -> float:
        return float(np.dot(weights, nbinom.cdf(x - tps, tps + 1, recall)))

    # N given TP is stochastically increasing in TP, so the largest TP bounds the top
    top = int(tps[-1] + nbinom.ppf(1.0 - _TAIL_MASS, int(tps[-1]) + 1, recall))
    if cdf(0) >= q:
        return 0
    below, above = 0, max(top, 1)  # cdf(below) < q <= cdf(above)
    for _ in range(64):  # only a level within 1e-12 of 1 needs more than ``top``
        if cdf(above) >= q:
            break
        below, above = above, 2 * above
    while above - below > 1:
        middle = (below + above) // 2
        if cdf(middle) >= q:
            above = middle
        else:
            below = middle
    return above
