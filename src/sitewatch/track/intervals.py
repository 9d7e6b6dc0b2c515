"""Intervals on a count, from the detector's measured precision and recall.

Of ``n`` detections, the real vehicles number ``TP ~ Binomial(n, precision)``; of ``N`` real
vehicles, the detector finds ``Binomial(N, recall)``. The interval's low end is the low
quantile of TP; its high end is the largest ``N`` for which finding no more than the high
quantile of TP is still plausible at the same level. It is a simple, conservative bound that
treats detections as independent, which crowded parks are not: read it as a floor on the
uncertainty, not a ceiling.
"""

from __future__ import annotations

from sitewatch.errors import ConfigError


def count_interval(
    n: int, *, precision: float, recall: float, level: float = 0.9
) -> tuple[int, int]:
    """Interval (lo, hi) on the true number of vehicles given ``n`` detections.

    >>> count_interval(10, precision=1.0, recall=1.0)
    (10, 10)
    >>> lo, hi = count_interval(10, precision=0.9, recall=0.8)
    >>> lo <= 10 <= hi
    True

    Raises:
        ConfigError: ``n`` is negative or a rate or level is outside (0, 1].
    """
    if n < 0:
        raise ConfigError(f"count must be non-negative, got {n}")
    for name, value in (("precision", precision), ("recall", recall), ("level", level)):
        if not 0.0 < value <= 1.0:
            raise ConfigError(f"{name} must be in (0, 1], got {value}")
    from scipy.stats import binom  # heavy import, only when a count is made

    tail = (1.0 - level) / 2.0
    tp_lo = int(binom.ppf(tail, n, precision)) if n else 0
    tp_hi = int(binom.ppf(1.0 - tail, n, precision)) if n else 0
    if recall >= 1.0:
        return tp_lo, tp_hi
    hi = tp_hi
    # grow N while seeing at most tp_hi of N is still at least `tail` likely
    while binom.cdf(tp_hi, hi + 1, recall) >= tail and hi < 10 * (n + 10):
        hi += 1
    return tp_lo, hi
