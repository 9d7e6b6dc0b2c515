"""Solar position against NREL SPA's published test case and a table of reference values."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from sitewatch.errors import ConfigError
from sitewatch.where.sun import solar_library, sun_grid, sun_position, sun_positions, time_zone_at

TABLE = Path(__file__).parent / "data" / "spa_reference.csv"


def _rows() -> list[list[str]]:
    with TABLE.open(encoding="utf-8") as handle:
        return [row for row in csv.reader(line for line in handle if not line.startswith("#"))]


def test_nrel_spa_paper_test_case() -> None:
    # Reda & Andreas (2004), Table A4.1: 17 Oct 2003 12:30:30 local (UTC-7), Golden, CO.
    time_utc = datetime(2003, 10, 17, 19, 30, 30, tzinfo=UTC)
    azimuth, elevation = sun_positions(-105.1786, 39.742476, np.array([time_utc.timestamp()]),
                                       delta_t=67.0, elevation_m=1830.14, pressure_hpa=820.0,
                                       temperature_c=11.0)
    assert abs(90.0 - elevation[0] - 50.11162) < 0.0005
    assert abs(azimuth[0] - 194.34024) < 0.0005


def test_reference_table_within_005_degrees() -> None:
    rows = _rows()
    assert len(rows) >= 20
    errors = []
    for stamp, lat, lon, azimuth_ref, zenith_ref in rows:
        time_utc = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        azimuth, elevation = sun_positions(float(lon), float(lat), np.array([time_utc.timestamp()]),
                                           delta_t=0.0, pressure_hpa=1000.0, temperature_c=10.0)
        d_az = abs((azimuth[0] - float(azimuth_ref) + 180.0) % 360.0 - 180.0)
        errors.append((d_az, abs(elevation[0] - (90.0 - float(zenith_ref)))))
    worst = np.max(np.asarray(errors), axis=0)
    assert worst[0] < 0.05 and worst[1] < 0.05, worst


def test_one_place_convenience_matches_arrays() -> None:
    time_utc = datetime(2014, 6, 11, 7, 0, tzinfo=UTC)
    sun = sun_position(37.97, 48.03, time_utc)
    azimuth, elevation = sun_positions(37.97, 48.03, np.array([time_utc.timestamp()]))
    assert sun.azimuth_deg == pytest.approx(azimuth[0]) and sun.elevation_deg == pytest.approx(elevation[0])
    # Morning in eastern Ukraine in June: sun in the east-south-east, about half-way up.
    assert 100 < sun.azimuth_deg < 130 and 45 < sun.elevation_deg < 58


def test_naive_time_is_refused() -> None:
    with pytest.raises(ConfigError, match="no time zone"):
        sun_position(0.0, 0.0, datetime(2020, 1, 1, 12))


def test_global_grid_matches_full_algorithm() -> None:
    # its speed (the 0.1 degree world in under 2 s) is measured by tools/eval_where.py, not here
    time_utc = datetime(2014, 6, 11, 9, 30, tzinfo=UTC)
    grid = sun_grid(time_utc, step_deg=0.1)
    assert grid.elevation_deg.shape == (1800, 3600)
    rng = np.random.default_rng(1)
    rows, cols = rng.integers(0, 1800, 400), rng.integers(0, 3600, 400)
    _, full = sun_positions(grid.lon_deg[cols], grid.lat_deg[rows], np.array([time_utc.timestamp()]))
    assert np.max(np.abs(full - grid.elevation_deg[rows, cols])) < 0.005
    # The sun stands overhead at the subsolar point.
    row = int(np.argmin(np.abs(grid.lat_deg - grid.declination_deg)))
    col = int(np.argmin(np.abs(grid.lon_deg - grid.subsolar_lon_deg)))
    assert grid.elevation_deg[row, col] > 89.8


def test_time_zone_is_looked_up_offline() -> None:
    assert time_zone_at(-105.18, 39.74) == "America/Denver"
    assert time_zone_at(-30.0, 0.0) is None or time_zone_at(-30.0, 0.0).startswith("Etc/")


def test_library_is_named_with_its_version() -> None:
    import pvlib

    assert pvlib.__version__ in solar_library()
