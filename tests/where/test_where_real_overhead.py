"""The overhead sun check on real imagery with a known acquisition time (issue 21's target).

``overhead/geotiff/sample_geotiff.tif`` in ../shared/data is a 900x900 px, 0.5 m panchromatic
SpaceNet 4 (Atlanta off-nadir) tile, UTM 16N, tile origin 733601 E 3725139 N. All 27 WorldView-2
collects of that set were taken on 2009-12-22 between 16:35:10 and 16:39:28 UTC, with the sun at
azimuth 163.6-164.7° and elevation 31.2-31.6° (Maxar's per-collect XML metadata as listed in
uw-cryo/asp_plot, notebooks/WorldView/worldview_spacenet_atlanta_stereo_scene_selection.ipynb,
commit 56fb52ee). The tile's roofs sit on SpaceNet's footprint labels within a few pixels, so it
is one of the near-nadir collects. The seven shadows below were marked by hand (docs/where.md
shows and explains each): the foot of an upright object, then the tip of its shadow on the ground.

Skipped when the shared data folder is absent (CI).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from sitewatch.case import overhead_shadow_check
from tests.shared_data import needs_shared_data, shared_path_or_skip

IMAGE = "overhead/geotiff/sample_geotiff.tif"

#: (name, base x, base y, tip x, tip y) in pixels of sample_geotiff.tif; see docs/where.md.
MARKS = (
    ("conifer on the lawn", 337, 312, 321, 280),
    ("tree on the lawn", 350, 277, 339, 251),
    ("white shed", 227.5, 119, 225, 111.5),
    ("leafless tree on the lawn", 366, 339, 357, 311),
    ("pole by the drive", 285, 262, 275, 238),
    ("house: taller south wing onto the north roof", 430, 195, 428, 188),
    ("chimney-like block on a roof", 490, 360, 485, 343),
)

pytestmark = needs_shared_data(IMAGE)


def _check(**claim: object) -> tuple[bool | None, dict[str, Any]]:
    marks = [list(m[1:]) for m in MARKS]
    image = shared_path_or_skip(IMAGE)
    check = overhead_shadow_check(None, "atlanta", marks, image=image, **claim)  # type: ignore[arg-type]
    return check.fits, json.loads(check.result_json)


def test_true_time_accepted() -> None:
    fits, result = _check(time_utc=dt.datetime(2009, 12, 22, 16, 37, tzinfo=dt.UTC))
    assert fits is True, result
    low, high = result["azimuth_interval_deg"]
    # The metadata's sun (163.6-164.7°) lies within the interval widened by the 5° tolerance.
    assert low - 5.0 < 163.6 and high + 5.0 > 164.7, result


@pytest.mark.parametrize("year", [2009, 2010])
def test_six_months_off_rejected(year: int) -> None:
    fits, result = _check(time_utc=dt.datetime(year, 6, 22, 16, 37, tzinfo=dt.UTC))
    assert fits is False, result
    assert abs(result["predicted_at_time_deg"][0] - 122.4) < 0.2


def test_true_date_fits_the_overpass_and_six_months_off_does_not() -> None:
    assert _check(date=dt.date(2009, 12, 22))[0] is True
    fits, result = _check(date=dt.date(2010, 6, 22))
    assert fits is False and result["fits_overpass"] is False
    # June's sun reaches the measured azimuth only near local noon, outside the overpass window.
    assert result["fits_daylight"] is True


@pytest.mark.parametrize("left_out", range(len(MARKS)))
def test_no_single_mark_decides(left_out: int) -> None:
    marks = [list(m[1:]) for i, m in enumerate(MARKS) if i != left_out]
    image = shared_path_or_skip(IMAGE)
    december = overhead_shadow_check(None, "loo", marks, image=image,
                                     time_utc=dt.datetime(2009, 12, 22, 16, 37, tzinfo=dt.UTC))
    june = overhead_shadow_check(None, "loo", marks, image=image,
                                 time_utc=dt.datetime(2010, 6, 22, 16, 37, tzinfo=dt.UTC))
    assert december.fits is True and june.fits is False
    assert 160.0 < json.loads(december.result_json)["azimuth_deg"] < 163.0
