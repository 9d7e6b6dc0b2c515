"""Shadow marks → sun angles with a Monte Carlo interval, and the checks built on them."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitewatch.errors import ConfigError
from sitewatch.where.checks import check_place_time, fitting_times, where_on_earth
from sitewatch.where.shadows import (
    ReferenceLine,
    ShadowMarks,
    measure_shadow,
    measurement_from_lengths,
)
from sitewatch.where.sun import sun_position


def _scene(elevation_deg: float, azimuth_deg: float, *, height_px: float, ref_bearing_deg: float,
           ref_image_angle_deg: float, base: tuple[float, float] = (600.0, 500.0)
           ) -> dict[str, tuple[float, float]]:
    """Exact marks of a scene of known geometry: an upright object drawn image-up, its shadow on
    the ground seen in plan with the reference line at a known image angle."""
    shadow_px = height_px / math.tan(math.radians(elevation_deg))
    shadow_bearing = (azimuth_deg + 180.0) % 360.0
    image_angle = math.radians(ref_image_angle_deg + shadow_bearing - ref_bearing_deg)
    tip = (base[0] + shadow_px * math.sin(image_angle), base[1] - shadow_px * math.cos(image_angle))
    ref_angle = math.radians(ref_image_angle_deg)
    start = (base[0] - 300.0, base[1] + 200.0)
    end = (start[0] + 400.0 * math.sin(ref_angle), start[1] - 400.0 * math.cos(ref_angle))
    return {"base": base, "top": (base[0], base[1] - height_px), "tip": tip, "start": start, "end": end}


def test_exact_marks_give_the_scene_angles() -> None:
    scene = _scene(35.0, 140.0, height_px=180.0, ref_bearing_deg=20.0, ref_image_angle_deg=75.0)
    marks = ShadowMarks(base_px=scene["base"], top_px=scene["top"], tip_px=scene["tip"],
                        reference=ReferenceLine(start_px=scene["start"], end_px=scene["end"],
                                                bearing_deg=20.0), marking_error_px=0.0)
    m = measure_shadow(marks, samples=200)
    assert m.elevation_deg == pytest.approx(35.0, abs=1e-9)
    assert m.azimuth_deg == pytest.approx(140.0, abs=1e-9)
    assert m.shadow_ratio == pytest.approx(1 / math.tan(math.radians(35.0)))
    assert len(m.assumptions) == 2


def test_three_pixel_marking_error_interval_covers_truth_in_90_percent() -> None:
    rng = np.random.default_rng(21)
    covered_el = covered_az = covered_both = 0
    cases = 300
    for index in range(cases):
        elevation = float(rng.uniform(10.0, 70.0))
        azimuth = float(rng.uniform(0.0, 360.0))
        height = float(rng.uniform(60.0, 300.0))
        bearing = float(rng.uniform(0.0, 360.0))
        scene = _scene(elevation, azimuth, height_px=height, ref_bearing_deg=bearing,
                       ref_image_angle_deg=float(rng.uniform(0.0, 360.0)))
        noisy = {k: (v[0] + rng.uniform(-3, 3), v[1] + rng.uniform(-3, 3)) for k, v in scene.items()}
        marks = ShadowMarks(base_px=noisy["base"], top_px=noisy["top"], tip_px=noisy["tip"],
                            reference=ReferenceLine(start_px=noisy["start"], end_px=noisy["end"],
                                                    bearing_deg=bearing), marking_error_px=3.0)
        m = measure_shadow(marks, samples=1000, seed=index)
        assert m.azimuth_interval is not None
        el_ok = m.elevation_interval.contains(elevation)
        az_ok = m.azimuth_interval.contains(azimuth, circular=True)
        covered_el += el_ok
        covered_az += az_ok
        covered_both += el_ok and az_ok
    assert covered_el / cases >= 0.90, covered_el / cases
    assert covered_az / cases >= 0.90, covered_az / cases
    assert covered_both / cases >= 0.90, covered_both / cases


@settings(deadline=None, max_examples=40)
@given(turn=st.floats(0.0, 359.0), elevation=st.floats(5.0, 80.0))
def test_rotating_the_reference_bearing_rotates_the_azimuth(turn: float, elevation: float) -> None:
    scene = _scene(elevation, 200.0, height_px=150.0, ref_bearing_deg=10.0, ref_image_angle_deg=30.0)
    def azimuth(bearing: float) -> float:
        marks = ShadowMarks(base_px=scene["base"], top_px=scene["top"], tip_px=scene["tip"],
                            reference=ReferenceLine(start_px=scene["start"], end_px=scene["end"],
                                                    bearing_deg=bearing % 360.0))
        m = measure_shadow(marks, samples=100)
        assert m.azimuth_deg is not None and m.azimuth_interval is not None
        assert m.azimuth_interval.contains(m.azimuth_deg, circular=True)
        assert m.elevation_interval.low_deg <= m.elevation_deg <= m.elevation_interval.high_deg
        return m.azimuth_deg
    shift = (azimuth(10.0 + turn) - azimuth(10.0)) % 360.0
    assert min(abs(shift - turn), 360.0 - abs(shift - turn)) < 1e-6


def test_marks_are_validated_with_clear_messages() -> None:
    with pytest.raises(ConfigError, match="top"):
        ShadowMarks(base_px=(1, 1), top_px=(1, 2), tip_px=(50, 1))
    with pytest.raises(ConfigError, match="finite"):
        ShadowMarks(base_px=(1, float("nan")), top_px=(1, 50), tip_px=(50, 1))
    with pytest.raises(ConfigError, match="bearing"):
        ReferenceLine(start_px=(0, 0), end_px=(10, 0), bearing_deg=400.0)


def test_marks_round_trip_json() -> None:
    marks = ShadowMarks(base_px=(1, 100), top_px=(1, 2), tip_px=(50, 100),
                        reference=ReferenceLine(start_px=(0, 0), end_px=(10, 0), bearing_deg=90.0))
    assert ShadowMarks.from_json(marks.to_json()) == marks


def _measured_at(lon: float, lat: float, when: dt.datetime) -> tuple[ShadowMarks, float]:
    sun = sun_position(lon, lat, when)
    scene = _scene(sun.elevation_deg, sun.azimuth_deg, height_px=200.0, ref_bearing_deg=0.0,
                   ref_image_angle_deg=0.0)
    return ShadowMarks(base_px=scene["base"], top_px=scene["top"], tip_px=scene["tip"],
                       reference=ReferenceLine(start_px=scene["start"], end_px=scene["end"],
                                               bearing_deg=0.0)), sun.elevation_deg


def test_claimed_place_and_time_fit_and_other_claims_do_not() -> None:
    makiivka = (37.97, 48.03)
    when = dt.datetime(2014, 6, 11, 7, 0, tzinfo=dt.UTC)
    marks, _ = _measured_at(*makiivka, when)
    m = measure_shadow(marks)
    assert check_place_time(m, lon_deg=makiivka[0], lat_deg=makiivka[1], time_utc=when).fits
    later = check_place_time(m, lon_deg=makiivka[0], lat_deg=makiivka[1],
                             time_utc=when + dt.timedelta(hours=3))
    assert not later.fits
    winter = check_place_time(m, lon_deg=makiivka[0], lat_deg=makiivka[1],
                              time_utc=when.replace(month=12))
    assert not winter.elevation_fits
    night = check_place_time(m, lon_deg=makiivka[0], lat_deg=makiivka[1], time_utc=when.replace(hour=22))
    assert night.predicted.elevation_deg < 0 and not night.fits


def test_times_of_day_at_a_place_hold_the_true_time() -> None:
    when = dt.datetime(2014, 6, 11, 7, 0, tzinfo=dt.UTC)
    marks, _ = _measured_at(37.97, 48.03, when)
    without_azimuth = measure_shadow(ShadowMarks(base_px=marks.base_px, top_px=marks.top_px,
                                                 tip_px=marks.tip_px))
    times = fitting_times(without_azimuth, lon_deg=37.97, lat_deg=48.03, day=dt.date(2014, 6, 11))
    assert times.time_zone == "Europe/Kyiv"
    assert len(times.windows_utc) == 2  # elevation alone: a morning and an afternoon window
    assert any(a <= when <= b for a, b in times.windows_utc)
    with_azimuth = fitting_times(measure_shadow(marks), lon_deg=37.97, lat_deg=48.03,
                                 day=dt.date(2014, 6, 11))
    assert len(with_azimuth.windows_utc) == 1 and with_azimuth.windows_utc[0][0] <= when
    local_start = with_azimuth.local()[0][0]
    assert local_start.utcoffset() == dt.timedelta(hours=3)


def test_where_on_earth_holds_the_true_place_and_not_the_far_side() -> None:
    when = dt.datetime(2014, 6, 11, 7, 0, tzinfo=dt.UTC)
    marks, _ = _measured_at(37.97, 48.03, when)
    sun_map = where_on_earth(measure_shadow(marks), when)
    assert sun_map.fits_at(37.97, 48.03)
    assert not sun_map.fits_at(-100.0, 40.0)
    assert 0.0 < sun_map.fraction_of_cells < 0.1


def test_lengths_on_the_ground() -> None:
    m = measurement_from_lengths(2.0, 2.0, error_m=0.05)
    assert m.elevation_deg == pytest.approx(45.0)
    assert m.elevation_interval.low_deg < 45.0 < m.elevation_interval.high_deg
    with pytest.raises(ConfigError):
        measurement_from_lengths(0.0, 2.0, error_m=0.1)


def test_map_writes_png_and_geojson_holding_the_true_place(tmp_path: Path) -> None:
    import json

    from shapely.geometry import Point, shape

    from sitewatch.where.maps import write_sun_map_geojson, write_sun_map_png

    when = dt.datetime(2014, 6, 11, 7, 0, tzinfo=dt.UTC)
    marks, _ = _measured_at(37.97, 48.03, when)
    sun_map = where_on_earth(measure_shadow(marks), when, step_deg=0.5)
    png = write_sun_map_png(sun_map, tmp_path / "map.png", claimed=(37.97, 48.03))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    feature = json.loads(write_sun_map_geojson(sun_map, tmp_path / "map.geojson").read_text())["features"][0]
    band = shape(feature["geometry"])
    assert band.is_valid or band.buffer(0).area > 0
    assert band.buffer(0).contains(Point(37.97, 48.03))
    assert not band.buffer(0).contains(Point(-100.0, 40.0))
