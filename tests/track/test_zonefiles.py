from __future__ import annotations

import json
from pathlib import Path

import pytest

from sitewatch.errors import ConfigError
from sitewatch.track import AlertRule, ZoneFrame, check_alert_zones, load_alerts, load_zones

KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
<Placemark><name>rail ramp</name><Polygon><outerBoundaryIs><LinearRing><coordinates>
39.70,47.20,0 39.71,47.20,0 39.71,47.21,0 39.70,47.20,0
</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
</Document></kml>"""


def test_geojson_zones_in_lonlat_and_pixels(tmp_path: Path) -> None:
    ring = [[0, 0], [10, 0], [10, 10], [0, 0]]
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "parking"},
         "geometry": {"type": "Polygon", "coordinates": [ring]}}]}
    path = tmp_path / "z.geojson"
    path.write_text(json.dumps(doc))
    (zone,) = load_zones(path)
    assert zone.name == "parking" and zone.frame is ZoneFrame.LONLAT
    path.write_text(json.dumps({**doc, "sitewatch:frame": "pixel"}))
    assert load_zones(path)[0].frame is ZoneFrame.PIXEL


def test_kml_zone(tmp_path: Path) -> None:
    path = tmp_path / "z.kml"
    path.write_text(KML)
    (zone,) = load_zones(path)
    assert zone.name == "rail ramp" and zone.exterior[1] == (39.71, 47.20)


def test_kml_with_entities_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.kml"
    path.write_text('<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY a "aaaa">]><kml>&a;</kml>')
    with pytest.raises(ConfigError, match="DOCTYPE"):
        load_zones(path)


@pytest.mark.parametrize("text, message", [
    ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
     '"geometry": {"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,0]]]}}]}', "name"),
    ('{"type": "Feature", "properties": {"name": "x"}, "geometry": {"type": "Point", '
     '"coordinates": [0, 0]}}', "not a Polygon"),
    ("not json", "not JSON"),
    # issue 24: a point given as a string was read character by character ("12" -> (1, 2))
    ('{"type": "Feature", "properties": {"name": "x"}, "geometry": {"type": "Polygon", '
     '"coordinates": [["12", "34", "56", "12"]]}}', "a point must be"),
    ('{"type": "Feature", "properties": {"name": "x"}, "geometry": {"type": "Polygon", '
     '"coordinates": [[[0, 0], [true, 0], [1, 1], [0, 0]]]}}', "a point must be"),
    ('{"type": "Feature", "properties": {"name": "x"}, "geometry": {"type": "Polygon", '
     '"coordinates": ["abcd"]}}', "malformed coordinates"),
    ('{"type": "Feature", "properties": {"name": "x"}, "sitewatch:frame": "pixel", "geometry": '
     '{"type": "Polygon", "coordinates": [[[0, 0], [1e999, 0], [1, 1], [0, 0]]]}}', "finite"),
])
def test_bad_geojson_says_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "z.geojson"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_zones(path)


def test_alerts_round_trip_and_unknown_keys(tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    path.write_text('[[alert]]\nzone = "parking"\nlabel = "armored_vehicle"\nmore_than = 5\n')
    (rule,) = load_alerts(path)
    assert rule == AlertRule(zone="parking", label="armored_vehicle", more_than=5)
    assert rule.crossed(6) == "more than 5" and rule.crossed(5) is None
    path.write_text('[[alert]]\nzone = "parking"\nlabel = "x"\nmore_then = 5\n')
    with pytest.raises(ConfigError, match="unknown keys"):
        load_alerts(path)
    path.write_text('[[alert]]\nlabel = "x"\n')
    with pytest.raises(ConfigError, match="more_than or fewer_than"):
        load_alerts(path)
    # fuzz corpus file 39 of seed 0: a label no detection carries was accepted (never fires)
    path.write_text('[[alert]]\nlabel = "C:\\\\Windows\\\\win.ini"\nmore_than = 1\n')
    with pytest.raises(ConfigError, match="is not a label sitewatch counts; valid: armored_vehicle"):
        load_alerts(path)


@pytest.mark.parametrize(("text", "message"), [
    ('[[alert]]\nlabel = "armored_vehicle"\nmore_than = 1\n' * 1_001, "1,001 alerts"),
    ('[[alert]]\nzone = "\\u001b[2J"\nlabel = "armored_vehicle"\nmore_than = 1\n', "not a zone name"),
    ('[[alert]]\nzone = ""\nlabel = "armored_vehicle"\nmore_than = 1\n', "not a zone name"),
    ('[[alert]]\nlabel = "armored_vehicle"\nmore_than = 9223372036854775807\n', "from 0 to"),
    ('[[alert]]\nlabel = "armored_vehicle"\nfewer_than = true\n', "from 0 to"),
])
def test_alerts_out_of_bounds_are_refused(tmp_path: Path, text: str, message: str) -> None:
    """Issue 24: 60,000 alert rules were accepted; so were absurd thresholds and zone names."""
    path = tmp_path / "a.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_alerts(path)


def test_an_alert_on_a_zone_no_file_holds_is_refused(tmp_path: Path) -> None:
    """Issue 24: an alert zone of file:///etc/passwd was accepted, and would never fire."""
    alerts = tmp_path / "a.toml"
    alerts.write_text('[[alert]]\nzone = "file:///etc/passwd"\nlabel = "armored_vehicle"\n'
                      'more_than = 1\n[[alert]]\nzone = "rail ramp"\nlabel = "armored_vehicle"\n'
                      'more_than = 1\n')
    kml = tmp_path / "z.kml"
    kml.write_text(KML)
    with pytest.raises(ConfigError, match=r"alert 0 watches zone 'file:///etc/passwd'.*'rail ramp'"):
        check_alert_zones(load_alerts(alerts), load_zones(kml), alerts)
    alerts.write_text('[[alert]]\nzone = "rail ramp"\nlabel = "armored_vehicle"\nmore_than = 1\n')
    check_alert_zones(load_alerts(alerts), load_zones(kml), alerts)
