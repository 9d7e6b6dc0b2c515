from __future__ import annotations

import datetime as dt

import numpy as np

from sitewatch.track.visibility import Visibility


def _vis(image: np.ndarray) -> Visibility:
    return Visibility(date=dt.date(2020, 1, 1), cloud=np.zeros(image.shape, bool),
                      valid=np.ones(image.shape, bool), scale=1.0, haze_fraction=0.0,
                      image=image.astype(np.float32))


def test_bare_ground_on_both_dates_is_unchanged_despite_noise() -> None:
    rng = np.random.default_rng(0)
    a = _vis(rng.normal(0, 0.03, (64, 64)))
    b = _vis(rng.normal(0, 0.03, (64, 64)))
    assert a.same_content(b, 32, 32, 8) == 1.0


def test_a_vehicle_that_left_bare_ground_is_a_change() -> None:
    rng = np.random.default_rng(1)
    ground = rng.normal(0, 0.03, (64, 64))
    with_vehicle = ground.copy()
    with_vehicle[26:38, 24:40] += 1.5
    with_vehicle[30:34, 24:40] -= 0.8  # some structure on the body
    score = _vis(with_vehicle).same_content(_vis(ground), 32, 32, 8)
    assert score is not None and score < 0.5
    same = _vis(with_vehicle).same_content(_vis(with_vehicle + rng.normal(0, 0.03, (64, 64))),
                                           32, 32, 8)
    assert same is not None and same > 0.9


def test_no_answer_at_the_edge() -> None:
    v = _vis(np.zeros((64, 64)))
    assert v.same_content(v, 2, 2, 8) is None
