"""Sun azimuth from shadows beside vehicles in a rendered overhead scene of known geometry."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from sitewatch.errors import ConfigError
from sitewatch.where.overhead import (
    check_overhead_date,
    marked_shadow_bearings,
    overhead_check,
    rerun_overhead_check,
    shadow_bearings_beside_boxes,
    shadows_beside_boxes,
    sun_from_shadow_bearings,
)
from sitewatch.where.sun import sun_positions

SITE = (37.97, 48.03)  # lon, lat
DATE = dt.date(2014, 6, 11)


def _true_sun(date: dt.date, solar_hours: float = 10.5) -> tuple[float, float]:
    midnight = dt.datetime.combine(date, dt.time(0), tzinfo=dt.UTC).timestamp()
    when = midnight + (solar_hours - SITE[0] / 15) * 3600
    azimuth, elevation = sun_positions(SITE[0], SITE[1], np.array([when]))
    return float(azimuth[0]), float(elevation[0])


def _render(azimuth_deg: float, elevation_deg: float, *, seed: int = 0, height_px: float = 6.0
            ) -> tuple[np.ndarray, list[tuple[float, float, float, float]]]:
    """Grey north-up scene: bright vehicles, each casting a dark shadow away from the sun."""
    rng = np.random.default_rng(seed)
    image = 120.0 + rng.normal(0, 6, size=(400, 400))
    length = height_px / math.tan(math.radians(elevation_deg))
    bearing = math.radians((azimuth_deg + 180.0) % 360.0)
    dx, dy = length * math.sin(bearing), -length * math.cos(bearing)
    boxes = []
    for row in range(4):
        for col in range(4):
            x0, y0 = 40 + col * 90 + rng.uniform(-8, 8), 40 + row * 90 + rng.uniform(-8, 8)
            w, h = (10, 22) if (row + col) % 2 else (22, 10)
            ys, xs = np.mgrid[0:400, 0:400]
            shadow = (xs >= x0 + dx) & (xs < x0 + w + dx) & (ys >= y0 + dy) & (ys < y0 + h + dy)
            image[shadow] = 45.0 + rng.normal(0, 4, size=int(shadow.sum()))
            car = (xs >= x0) & (xs < x0 + w) & (ys >= y0) & (ys < y0 + h)
            image[car] = 200.0
            boxes.append((x0, y0, x0 + w, y0 + h))
    return np.clip(image, 0, 255).astype(np.uint8), boxes


def test_shadows_beside_vehicles_give_the_sun_azimuth() -> None:
    azimuth, elevation = _true_sun(DATE)
    grey, boxes = _render(azimuth, elevation)
    bearings = shadow_bearings_beside_boxes(grey, boxes)
    assert len(bearings) >= 12
    sun = sun_from_shadow_bearings(bearings)
    assert abs((sun.azimuth_deg - azimuth + 180) % 360 - 180) < 6.0
    assert sun.azimuth_interval.contains(azimuth, circular=True) or abs(
        (sun.azimuth_deg - azimuth + 180) % 360 - 180) < 5.0


def test_true_date_accepted_and_six_months_off_rejected() -> None:
    # Objects 6 px tall (1.5 m at 0.25 m/px): the shadow's length gives the elevation too.
    azimuth, elevation = _true_sun(DATE)
    grey, boxes = _render(azimuth, elevation, seed=3, height_px=6.0)
    found = shadows_beside_boxes(grey, boxes)
    options = {"lon_deg": SITE[0], "lat_deg": SITE[1], "source": "test", "lengths_px": list(found[:, 1]),
               "gsd_m": 0.25, "height_m": 1.5, "height_error_m": 0.2}
    true = overhead_check("o1", list(found[:, 0]), date=DATE, **options)  # type: ignore[arg-type]
    assert true.fits is True, true.finding
    shifted = overhead_check("o2", list(found[:, 0]), date=dt.date(2014, 12, 11), **options)  # type: ignore[arg-type]
    assert shifted.fits is False, shifted.finding
    assert "does NOT fit" in shifted.finding or "only outside" in shifted.finding
    assert rerun_overhead_check(true).result_json == true.result_json


def test_azimuth_alone_separates_solstices_only_weakly_at_48_north() -> None:
    # Honest limit: at 48 N a 10:30 June sun (az ~138) lies within 10 degrees of December's
    # 09:30-11:30 range, so without the elevation a half-year error may pass.
    june, _ = _true_sun(DATE)
    december, _ = _true_sun(dt.date(2014, 12, 11), solar_hours=9.5)
    assert abs(june - december) < 15.0


def test_southern_hemisphere_shadows_point_south() -> None:
    # At 35 S at mid-morning in January the sun is in the north-east: shadows point south-west.
    when = dt.datetime(2020, 1, 15, 0, 0, tzinfo=dt.UTC)  # ~10:00 local solar time at 150 E
    azimuth, _ = sun_positions(150.0, -35.0, np.array([when.timestamp()]))
    assert 30.0 < azimuth[0] < 110.0
    sun = sun_from_shadow_bearings([(azimuth[0] + 180) % 360] * 3)
    check = check_overhead_date(sun, lon_deg=150.0, lat_deg=-35.0, date=when.date())
    assert check.fits_overpass


def test_marked_lines_in_a_rotated_image() -> None:
    # A shadow pointing image-right is east in a north-up image, north when north points right.
    lines = [((10.0, 10.0), (30.0, 10.0))]
    assert marked_shadow_bearings(lines)[0] == pytest.approx(90.0)
    assert marked_shadow_bearings(lines, north_image_deg=90.0)[0] == pytest.approx(0.0)


def test_too_few_or_disagreeing_shadows_are_refused() -> None:
    with pytest.raises(ConfigError, match="at least two"):
        sun_from_shadow_bearings([10.0])
    with pytest.raises(ConfigError, match="disagree"):
        sun_from_shadow_bearings([10.0, 100.0, 200.0, 300.0, 45.0])


def test_a_stated_time_is_checked_at_that_minute() -> None:
    when = dt.datetime(2014, 6, 11, 7, 0, tzinfo=dt.UTC)  # 09:32 local mean solar time at 37.97 E
    azimuth, _ = sun_positions(SITE[0], SITE[1], np.array([when.timestamp()]))
    sun = sun_from_shadow_bearings([(azimuth[0] + 180 + d) % 360 for d in (-2.0, 0.0, 2.0)])
    fits = check_overhead_date(sun, lon_deg=SITE[0], lat_deg=SITE[1], date=DATE, time_utc=when)
    assert fits.fits_time is True and fits.at_time is not None
    assert fits.at_time[0] == pytest.approx(azimuth[0])
    later = check_overhead_date(sun, lon_deg=SITE[0], lat_deg=SITE[1], date=DATE,
                                time_utc=when + dt.timedelta(hours=3))
    assert later.fits_time is False and later.fits_overpass is True
    start, end = fits.overpass_utc
    assert (start.hour, start.minute, end.hour, end.minute) == (6, 58, 8, 58)


def test_a_time_off_the_stated_date_is_refused() -> None:
    sun = sun_from_shadow_bearings([300.0, 305.0])
    with pytest.raises(ConfigError, match="not on 2014-06-11"):
        check_overhead_date(sun, lon_deg=SITE[0], lat_deg=SITE[1], date=DATE,
                            time_utc=dt.datetime(2014, 6, 12, 7, 0, tzinfo=dt.UTC))
