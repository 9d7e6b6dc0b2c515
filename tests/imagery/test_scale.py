"""The length-fitting maths of GSD estimation, with planted vehicle lengths."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitewatch.errors import ConfigError
from sitewatch.imagery.scale import GsdEstimate, disagreement, fit_gsd

CAR = (3.8, 5.2)
TRUCK = (7.0, 20.0)


def _planted(gsd_m: float, n: int, seed: int, rng_range: tuple[float, float] = CAR
             ) -> np.ndarray:
    """Lengths in pixels of ``n`` vehicles of true lengths drawn in ``rng_range``."""
    rng = np.random.default_rng(seed)
    return rng.uniform(*rng_range, size=n) / gsd_m


@given(gsd=st.floats(0.03, 1.0), n=st.integers(5, 60), seed=st.integers(0, 10_000))
def test_planted_cars_give_their_gsd_within_the_length_spread(gsd: float, n: int, seed: int
                                                             ) -> None:
    lengths = _planted(gsd, n, seed)
    fit = fit_gsd(lengths, np.full(n, CAR[0]), np.full(n, CAR[1]), np.ones(n))
    # every car is 3.8-5.2 m, so the pooled value cannot be further off than that spread
    assert CAR[0] / CAR[1] * 0.999 <= fit.gsd_m / gsd <= CAR[1] / CAR[0] * 1.001
    assert fit.low_m <= fit.gsd_m <= fit.high_m
    assert fit.n_vehicles == n


@given(gsd=st.floats(0.03, 1.0), factor=st.floats(1.2, 4.0), seed=st.integers(0, 1000))
def test_resampling_the_image_scales_the_estimate(gsd: float, factor: float, seed: int) -> None:
    lengths = _planted(gsd, 20, seed)
    ones, lo, hi = np.ones(20), np.full(20, CAR[0]), np.full(20, CAR[1])
    a = fit_gsd(lengths, lo, hi, ones)
    b = fit_gsd(lengths / factor, lo, hi, ones)
    assert math.isclose(b.gsd_m / a.gsd_m, factor, rel_tol=1e-9)
    assert math.isclose(b.high_m / a.high_m, factor, rel_tol=1e-9)


def test_interval_covers_the_truth_for_planted_cars() -> None:
    hits = 0
    for seed in range(100):
        lengths = _planted(0.12, 15, seed)
        fit = fit_gsd(lengths, np.full(15, CAR[0]), np.full(15, CAR[1]), np.ones(15), seed=seed)
        hits += fit.low_m <= 0.12 <= fit.high_m
    assert hits >= 85  # a 90 % interval


def test_interval_narrows_with_more_vehicles() -> None:
    few = fit_gsd(_planted(0.3, 4, 1), np.full(4, CAR[0]), np.full(4, CAR[1]), np.ones(4))
    many = fit_gsd(_planted(0.3, 200, 1), np.full(200, CAR[0]), np.full(200, CAR[1]),
                   np.ones(200))
    assert many.high_m / many.low_m < few.high_m / few.low_m


def test_a_car_outweighs_a_vaguely_sized_truck() -> None:
    # 10 cars at 0.1 m and 10 "trucks" whose middle length (11.8 m) says 0.2 m
    cars = _planted(0.1, 10, 3)
    trucks = np.full(10, math.sqrt(TRUCK[0] * TRUCK[1]) / 0.2)
    lo = np.r_[np.full(10, CAR[0]), np.full(10, TRUCK[0])]
    hi = np.r_[np.full(10, CAR[1]), np.full(10, TRUCK[1])]
    fit = fit_gsd(np.r_[cars, trucks], lo, hi, np.ones(20))
    assert abs(fit.gsd_m / 0.1 - 1) < 0.2


def test_zero_weight_vehicles_are_ignored() -> None:
    lengths = np.r_[_planted(0.2, 8, 4), np.full(5, 1.0)]
    weights = np.r_[np.ones(8), np.zeros(5)]
    fit = fit_gsd(lengths, np.full(13, CAR[0]), np.full(13, CAR[1]), weights)
    assert fit.n_vehicles == 8 and abs(fit.gsd_m / 0.2 - 1) < 0.2


@pytest.mark.parametrize("lengths, weights", [
    (np.array([]), np.array([])),
    (np.array([40.0]), np.array([0.0])),
    (np.array([-1.0]), np.array([1.0])),
])
def test_bad_input_is_refused(lengths: np.ndarray, weights: np.ndarray) -> None:
    n = len(lengths)
    with pytest.raises(ConfigError):
        fit_gsd(lengths, np.full(n, 4.0), np.full(n, 5.0), weights)


def test_estimate_round_trips_and_validates() -> None:
    est = GsdEstimate(gsd_m=0.12, low_m=0.1, high_m=0.14, n_vehicles=9, method="planted")
    assert GsdEstimate.from_dict(est.to_dict()) == est
    assert est.describe() == "0.12 m (0.1-0.14 m, 9 vehicles)"
    with pytest.raises(ConfigError):
        GsdEstimate(gsd_m=0.2, low_m=0.1, high_m=0.14, n_vehicles=9, method="x")
    with pytest.raises(ConfigError):
        GsdEstimate.from_dict({**est.to_dict(), "extra": 1})


def test_disagreement_names_a_gsd_wrong_by_two_and_a_half_times() -> None:
    est = GsdEstimate(gsd_m=0.12, low_m=0.1, high_m=0.14, n_vehicles=9, method="planted")
    share = disagreement(0.3, est)
    assert share is not None and math.isclose(share, 1.5)
    assert disagreement(0.13, est) is None  # within its interval
    assert disagreement(0.145, est) is None  # outside the interval, but within 25 %
