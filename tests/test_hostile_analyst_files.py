"""Issue 24: zones, alerts, sightings and boundaries from hostile analysts' files are refused
with one ConfigError naming the file, never a traceback, and never accepted when nonsense."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from sitewatch.errors import ConfigError
from sitewatch.geo.boundary import load_boundary
from sitewatch.track import load_alerts, load_zones
from sitewatch.track.links import load_sightings


def _poly(ring: list[list[float]], name: object = "z") -> dict[str, object]:
    return {"type": "Feature", "properties": {"name": name},
            "geometry": {"type": "Polygon", "coordinates": [ring]}}


def _fc(*features: object) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


_SQUARE = [[0.0, 0.0], [0.001, 0.0], [0.0, 0.001], [0.0, 0.0]]
_LOADERS: dict[str, Callable[[Path], object]] = {
    "zones.geojson": load_zones, "alerts.toml": load_alerts, "sightings.csv": load_sightings,
    "boundary.geojson": load_boundary,
}
HOSTILE = [
    ("zones.geojson", "[" * 100_000 + "]" * 100_000),
    ("zones.geojson", json.dumps({"type": "FeatureCollection", "features": "abc"})),
    ("zones.geojson", _fc(5)),
    ("zones.geojson", json.dumps({"type": "FeatureCollection",
                                  "features": [{"type": "Feature", "properties": [1]}]})),
    ("zones.geojson", _fc(_poly([[1e300, 0], [1e300, 1], [0, 1], [1e300, 0]]))),
    ("zones.geojson", _fc(_poly([[10, 150], [11, 150], [11, 151], [10, 150]]))),
    ("zones.geojson", _fc(*[_poly(_SQUARE, name=f"z{i}") for i in range(6_000)])),
    ("zones.geojson", '{"type": "FeatureCollection", "features": [{"type": "Feature", '
                      '"properties": {"name": "z"}, "geometry": {"type": "Polygon", '
                      '"coordinates": [[[NaN, 0], [1, 1], [0, 1], [NaN, 0]]]}}]}'),
    # fuzz corpus file 124 of seed 0: a feature's type was a number, and it was accepted
    ("zones.geojson", json.dumps({"type": "FeatureCollection", "features": [
        {**_poly(_SQUARE), "type": 1e308}]})),
    ("alerts.toml", "alert = 5\n"),
    ("alerts.toml", "alert = [5]\n"),
    ("alerts.toml", "a = " + "[" * 10_000 + "]" * 10_000 + "\n"),
    ("sightings.csv", "id,time_utc,lon,lat\nx,2024-01-01T00:00:00Z\n"),
    ("sightings.csv", "id,time_utc,lon,lat\nx,2024-01-01T00:00:00Z,10,150\n"),
    ("sightings.csv", "id,time_utc,lon,lat\nx,2024-01-01T00:00:00Z,nan,1\n"),
    ("sightings.csv", "[" * 200_000),
    ("boundary.geojson", "[" * 100_000 + "]" * 100_000),
    # fuzz corpus file 504 of seed 0: a geometry type that is an object gave a TypeError
    ("boundary.geojson", json.dumps({"type": {"type": "Point"}, "coordinates": [
        [[39.0, 47.0], [40.0, 47.0], [40.0, 48.0], [39.0, 47.0]]]})),
    # fuzz corpus file 3078 of seed 0: a geometry without coordinates gave a KeyError
    ("boundary.geojson", '{"type": "Polygon"}'),
    ("boundary.geojson", '{"type": "Feature", "geometry": {"type": "LineString", "coordinates": 5}}'),
    ("boundary.geojson", '{"type": "Polygon", "coordinates": []}'),
    ("boundary.geojson", '{"type": "Polygon", "coordinates": [[[NaN, 0], [1, 1], [0, 1], '
                         '[NaN, 0]]]}'),
    ("boundary.geojson", json.dumps({"type": "Polygon", "coordinates": [
        [[1e300, 0], [1e300, 1], [0, 1], [1e300, 0]]]})),
    ("boundary.geojson", json.dumps({"type": "Polygon", "coordinates": [
        [[10**400, 0], [1, 1], [0, 1], [10**400, 0]]]})),
    ("zones.geojson", _fc(_poly([[10**400, 0], [1, 1], [0, 1], [10**400, 0]]))),
]


@pytest.mark.parametrize(("name", "text"), HOSTILE, ids=[f"{n}-{i}" for i, (n, _) in
                                                         enumerate(HOSTILE)])
def test_a_hostile_file_is_one_clear_error(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        _LOADERS[name](path)
    message = str(caught.value)
    assert name in message and "\n" not in message and len(message) < 400


def test_sane_files_still_load(tmp_path: Path) -> None:
    zones = tmp_path / "zones.geojson"
    zones.write_text(_fc(_poly(_SQUARE)))
    assert len(load_zones(zones)) == 1
    sightings = tmp_path / "s.csv"
    sightings.write_text("id,time_utc,lon,lat\nx,2024-01-01T00:00:00Z,39.7,47.2\n")
    assert load_sightings(sightings)[0].lonlat.lat_deg == 47.2
