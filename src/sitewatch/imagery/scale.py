"""Ground sample distance from vehicle lengths: the value type and the pure fitting maths.

A vehicle of a known kind has a known length on the ground (a car about 4.5 m); found in an
image ``length_px`` pixels long, it says the image has about ``length_m / length_px`` metres per
pixel. :func:`fit_gsd` pools such per-vehicle estimates into one GSD with an interval. Which
vehicles are found, and what they are, is the detection stage's business
(:mod:`sitewatch.detect.gsd`); this module only does the arithmetic, so that the catalog can
record an estimate without importing a model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sitewatch.errors import ConfigError

#: A stated GSD further than this share from the vehicles' estimate draws a warning.
DISAGREEMENT_SHARE = 0.25


@dataclass(frozen=True, slots=True, kw_only=True)
class GsdEstimate:
    """A ground sample distance estimated from the image itself.

    Attributes:
        gsd_m: The estimate, metres per pixel.
        low_m: Lower end of its interval (see ``method`` for what the interval is).
        high_m: Upper end.
        n_vehicles: Vehicles whose lengths made the estimate.
        method: One line saying how it was made (model, trial scales, interval).
    """

    gsd_m: float
    low_m: float
    high_m: float
    n_vehicles: int
    method: str

    def __post_init__(self) -> None:
        finite = all(math.isfinite(v) for v in (self.gsd_m, self.low_m, self.high_m))
        if not (finite and 0 < self.low_m <= self.gsd_m <= self.high_m):
            raise ConfigError(
                f"GSD estimate needs 0 < low_m <= gsd_m <= high_m, got {self.low_m}, "
                f"{self.gsd_m}, {self.high_m}"
            )
        if self.n_vehicles < 1:
            raise ConfigError(f"a GSD estimate needs at least one vehicle, got {self.n_vehicles}")

    def describe(self) -> str:
        """One line for a person, e.g. ``0.12 m (0.11-0.13 m, 41 vehicles)``."""
        return (f"{self.gsd_m:.3g} m ({self.low_m:.3g}-{self.high_m:.3g} m, "
                f"{self.n_vehicles} vehicle{'' if self.n_vehicles == 1 else 's'})")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record, for provenance."""
        return {"gsd_m": self.gsd_m, "low_m": self.low_m, "high_m": self.high_m,
                "n_vehicles": self.n_vehicles, "method": self.method}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GsdEstimate:
        """The inverse of :meth:`to_dict`.

        Raises:
            ConfigError: Missing or unknown keys, or invalid values.
        """
        keys = {"gsd_m", "low_m", "high_m", "n_vehicles", "method"}
        if set(data) != keys:
            raise ConfigError(f"a GSD estimate record has keys {sorted(keys)}, got {sorted(data)}")
        return cls(gsd_m=float(data["gsd_m"]), low_m=float(data["low_m"]),
                   high_m=float(data["high_m"]), n_vehicles=int(data["n_vehicles"]),
                   method=str(data["method"]))


@dataclass(frozen=True, slots=True, kw_only=True)
class LengthFit:
    """What :func:`fit_gsd` returns: the pooled GSD and its interval, in metres per pixel."""

    gsd_m: float
    low_m: float
    high_m: float
    n_vehicles: int


def weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """The value at which half the weight lies on either side.

    >>> weighted_median(np.array([1.0, 2.0, 10.0]), np.array([1.0, 1.0, 1.0]))
    2.0
    >>> weighted_median(np.array([1.0, 2.0, 10.0]), np.array([1.0, 1.0, 5.0]))
    10.0
    """
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cum, 0.5 * cum[-1])])


def fit_gsd(
    lengths_px: np.ndarray,
    low_m: np.ndarray,
    high_m: np.ndarray,
    weights: np.ndarray,
    *,
    level: float = 0.9,
    draws: int = 400,
    seed: int = 0,
) -> LengthFit:
    """Pool vehicles of known length range into one GSD with an interval.

    Each vehicle ``i`` says the GSD is ``L / lengths_px[i]`` for its true length ``L``, somewhere
    in ``[low_m[i], high_m[i]]``. The estimate is the weighted median, in log space, of the
    vehicles' estimates at the geometric middle of their ranges; each vehicle's weight is
    ``weights[i]`` divided by the square of its range's log half-width, so a car (3.8-5.2 m)
    counts more than a truck that may be 7 or 20 m long. The interval is a bootstrap: vehicles
    are drawn with replacement and each drawn vehicle's length is drawn log-uniformly within its
    range, so it holds both how many vehicles there were and how uncertain their lengths are.

    >>> fit = fit_gsd(np.array([40.0, 40.0, 40.0]), np.full(3, 4.0), np.full(3, 5.0), np.ones(3))
    >>> round(fit.gsd_m, 3)
    0.112

    Args:
        lengths_px: (N,) vehicle lengths in the image's pixels.
        low_m: (N,) shortest plausible true length of each.
        high_m: (N,) longest plausible true length of each.
        weights: (N,) non-negative confidence in each (e.g. detection scores).
        level: Coverage of the interval.
        draws: Bootstrap draws.
        seed: Seed of the bootstrap, so that a run can be repeated exactly.

    Raises:
        ConfigError: Arrays of different lengths, none with positive weight, or non-positive
            lengths.
    """
    lengths = np.asarray(lengths_px, dtype=np.float64).reshape(-1)
    lo, hi = np.asarray(low_m, dtype=np.float64), np.asarray(high_m, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    if not (lengths.shape == lo.shape == hi.shape == w.shape):
        raise ConfigError("lengths_px, low_m, high_m and weights must have one value per vehicle")
    if not len(lengths) or not (w > 0).any():
        raise ConfigError("fitting a GSD needs at least one vehicle with positive weight")
    if (lengths <= 0).any() or (lo <= 0).any() or (hi < lo).any() or (w < 0).any():
        raise ConfigError("lengths must be positive, 0 < low_m <= high_m and weights >= 0")
    if not 0 < level < 1 or draws < 1:
        raise ConfigError(f"level must be in (0, 1) and draws >= 1, got {level}, {draws}")
    keep = w > 0
    lengths, lo, hi, w = lengths[keep], lo[keep], hi[keep], w[keep]
    log_lo, log_hi = np.log(lo), np.log(hi)
    half = np.maximum(0.5 * (log_hi - log_lo), 0.05)
    weight = w / half**2
    log_px = np.log(lengths)
    centre = weighted_median(0.5 * (log_lo + log_hi) - log_px, weight)
    rng = np.random.default_rng(seed)
    n = len(lengths)
    picks = rng.integers(0, n, size=(draws, n))
    true_log = log_lo[picks] + rng.random((draws, n)) * (log_hi - log_lo)[picks]
    boot = np.array([
        weighted_median(true_log[k] - log_px[picks[k]], weight[picks[k]]) for k in range(draws)
    ])
    tail = 100 * (1 - level) / 2
    b_lo, b_hi = np.percentile(boot, [tail, 100 - tail])
    return LengthFit(
        gsd_m=math.exp(centre),
        low_m=math.exp(min(b_lo, centre)),
        high_m=math.exp(max(b_hi, centre)),
        n_vehicles=n,
    )


def pool_fits(fits: Sequence[LengthFit], weights: Sequence[float]) -> LengthFit:
    """One GSD from fits of the same image made at several trial scales that agree.

    The estimate is the weighted median of the fits' estimates in log space; the interval
    spans all of theirs (each is one trial's bootstrap over vehicles and lengths, and which
    trial is right is itself uncertain); ``n_vehicles`` is the largest of the fits' (the trials
    mostly see the same vehicles, so their counts do not add up).

    >>> a = LengthFit(gsd_m=0.10, low_m=0.09, high_m=0.11, n_vehicles=5)
    >>> b = LengthFit(gsd_m=0.11, low_m=0.10, high_m=0.13, n_vehicles=7)
    >>> f = pool_fits([a, b], [1.0, 3.0])
    >>> (round(f.gsd_m, 3), f.low_m, f.high_m, f.n_vehicles)
    (0.11, 0.09, 0.13, 7)

    Raises:
        ConfigError: No fits, or a weight per fit missing or not positive.
    """
    w = np.asarray(weights, dtype=np.float64)
    if not fits or w.shape != (len(fits),) or not (w > 0).all():
        raise ConfigError("pooling GSD fits needs at least one fit and a positive weight for each")
    centre = math.exp(weighted_median(np.log([f.gsd_m for f in fits]), w))
    return LengthFit(gsd_m=centre, low_m=min(centre, *(f.low_m for f in fits)),
                     high_m=max(centre, *(f.high_m for f in fits)),
                     n_vehicles=max(f.n_vehicles for f in fits))


def disagreement(stated_m: float, estimate: GsdEstimate) -> float | None:
    """How far a stated GSD lies from the estimate, as a share of the estimate, when it lies
    outside both the estimate's interval and :data:`DISAGREEMENT_SHARE`; otherwise None.

    >>> est = GsdEstimate(gsd_m=0.12, low_m=0.11, high_m=0.13, n_vehicles=20, method="test")
    >>> round(disagreement(0.3, est), 2)
    1.5
    >>> disagreement(0.125, est) is None
    True
    """
    share = abs(stated_m / estimate.gsd_m - 1)
    outside = not estimate.low_m <= stated_m <= estimate.high_m
    return share if share > DISAGREEMENT_SHARE and outside else None
