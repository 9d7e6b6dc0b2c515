from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyproj import Geod

from sitewatch.errors import ConfigError
from sitewatch.geo import LonLat
from sitewatch.geo.boundary import load_boundary
from sitewatch.geo.travel import (
    DEFAULT_SPEEDS,
    ModeSpeed,
    TransportMode,
    geodesic_azimuth_deg,
    geodesic_distance_m,
)


def test_geodesic_matches_pyproj_and_bearing() -> None:
    a, b = LonLat(lon_deg=39.7, lat_deg=47.2), LonLat(lon_deg=38.8, lat_deg=47.9)
    assert geodesic_distance_m(a, b) == pytest.approx(
        Geod(ellps="WGS84").inv(39.7, 47.2, 38.8, 47.9)[2])
    assert geodesic_azimuth_deg(a, LonLat(lon_deg=39.7, lat_deg=48.0)) == pytest.approx(0.0)


@given(st.floats(0, 3_000_000), st.floats(0, 3_000_000))
def test_travel_time_grows_with_distance_and_fastest_is_quicker(d1: float, d2: float) -> None:
    for speed in DEFAULT_SPEEDS.values():
        lo, hi = sorted((d1, d2))
        assert speed.hours(lo) <= speed.hours(hi) + 1e-9
        assert speed.hours(hi, fastest=True) <= speed.hours(hi) + 1e-9


def test_march_rests_overnight() -> None:
    march = DEFAULT_SPEEDS[TransportMode.TRACKED_ROAD_MARCH]
    one_day = march.hours_per_day * march.typical_kmh * 1000 / march.detour_factor
    assert march.hours(one_day) == pytest.approx(march.hours_per_day)
    assert march.hours(2 * one_day) == pytest.approx(24 + march.hours_per_day)


def test_every_mode_names_its_source() -> None:
    assert set(DEFAULT_SPEEDS) == set(TransportMode)
    assert all(len(s.source) > 40 for s in DEFAULT_SPEEDS.values())
    with pytest.raises(ConfigError):
        ModeSpeed(mode=TransportMode.RAIL, typical_kmh=50, max_kmh=40, detour_factor=1.2,
                  fixed_delay_h=0, hours_per_day=24, source="x")


def test_distance_to_a_meridian_border(tmp_path: Path) -> None:
    path = tmp_path / "b.geojson"
    path.write_text(json.dumps({"type": "LineString", "coordinates": [[40.0, 46.0], [40.0, 49.0]]}))
    border = load_boundary(path)
    point = LonLat(lon_deg=39.5, lat_deg=47.5)
    expected = Geod(ellps="WGS84").inv(39.5, 47.5, 40.0, 47.5)[2]
    assert border.distance_m(point) == pytest.approx(expected, rel=0.002)
    path.write_text('{"type": "Point", "coordinates": [1, 2]}')
    with pytest.raises(ConfigError, match="no LineString or Polygon"):
        load_boundary(path)
