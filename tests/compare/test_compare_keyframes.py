from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitewatch.compare.keyframes import (
    FrameSample,
    scene_distance,
    select_keyframes,
    sharpness_of,
    split_scenes,
)
from sitewatch.errors import ConfigError
from tests.compare.compare_fixtures import vehicle_scene


def _sample(index: int, rgb: np.ndarray, blur: float = 0.0) -> FrameSample:
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    if blur:
        bgr = cv2.GaussianBlur(bgr, (0, 0), blur)
    return FrameSample.from_bgr(index, bgr)


def test_sharpness_drops_with_blur() -> None:
    gray = cv2.cvtColor(vehicle_scene(1, kind="tracked"), cv2.COLOR_RGB2GRAY)
    assert sharpness_of(gray) > 3 * sharpness_of(cv2.GaussianBlur(gray, (0, 0), 2.0))


def test_scene_distance_same_small_different_large() -> None:
    a = _sample(0, vehicle_scene(1, kind="tracked"))
    b = _sample(1, vehicle_scene(1, kind="tracked"), blur=1.0)
    c = _sample(2, vehicle_scene(2, kind="stripes"))
    assert scene_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    assert scene_distance(a, b) < 0.15
    assert scene_distance(a, c) > 0.5


def test_one_keyframe_per_scene_the_sharpest() -> None:
    scenes = [vehicle_scene(1, kind="tracked"), vehicle_scene(2, kind="stripes"),
              vehicle_scene(3, kind="dots")]
    samples = []
    for s, rgb in enumerate(scenes):
        for i in range(5):
            samples.append(_sample(s * 5 + i, rgb, blur=0.0 if i == 3 else 1.5))
    chosen = select_keyframes(samples, max_keyframes=10)
    assert [k.frame_index for k in chosen] == [3, 8, 13]
    assert len(split_scenes(samples)) == 3


def test_cap_keeps_longest_scenes_in_time_order() -> None:
    long_scene = [_sample(i, vehicle_scene(1, kind="tracked")) for i in range(6)]
    short = [_sample(6, vehicle_scene(2, kind="stripes"))]
    medium = [_sample(7 + i, vehicle_scene(3, kind="dots")) for i in range(3)]
    chosen = select_keyframes(long_scene + short + medium, max_keyframes=2)
    assert len(chosen) == 2
    assert chosen[0].frame_index < 6 <= 7 <= chosen[1].frame_index


def test_max_keyframes_must_be_positive() -> None:
    with pytest.raises(ConfigError, match="max_keyframes"):
        select_keyframes([], max_keyframes=0)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=12),
       st.integers(min_value=1, max_value=5))
def test_keyframes_are_a_capped_time_ordered_subset(kinds: list[int], cap: int) -> None:
    names = ["tracked", "stripes", "dots", "wheeled"]
    samples = [_sample(i, vehicle_scene(k, kind=names[k], size=(48, 64)))
               for i, k in enumerate(kinds)]
    chosen = select_keyframes(samples, max_keyframes=cap)
    indices = [k.frame_index for k in chosen]
    assert 1 <= len(chosen) <= cap
    assert indices == sorted(set(indices))
    assert set(indices) <= set(range(len(kinds)))
