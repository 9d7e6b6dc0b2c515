"""Analyst files attached to a case are checked against each other: an alert must watch a zone
that the attached zones hold (issue 24: an alert zone of ``file:///etc/passwd`` was accepted)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sitewatch.case import attach_file
from sitewatch.catalog import CaseStore, verify_case
from sitewatch.errors import ConfigError

ZONES = {"type": "FeatureCollection", "features": [{
    "type": "Feature", "properties": {"name": "parking"},
    "geometry": {"type": "Polygon", "coordinates": [[[39.7, 47.2], [39.71, 47.2], [39.71, 47.21],
                                                     [39.7, 47.2]]]}}]}


def _alerts(folder: Path, zone: str) -> Path:
    path = folder / f"alerts-{len(list(folder.glob('alerts-*')))}.toml"
    path.write_text(f'[[alert]]\nzone = "{zone}"\nlabel = "armored_vehicle"\nmore_than = 2\n')
    return path


@pytest.mark.parametrize("zones_first", [True, False])
def test_an_alert_on_a_zone_the_case_does_not_hold_is_refused(tmp_path: Path,
                                                               zones_first: bool) -> None:
    store = CaseStore.init(tmp_path / "case")
    zones = tmp_path / "zones.geojson"
    zones.write_text(json.dumps(ZONES))
    if zones_first:
        attach_file(store, "zones", zones)
        before = sorted(p.name for p in store.layout.config.iterdir())
        with pytest.raises(ConfigError, match="watches zone 'file:///etc/passwd'"):
            attach_file(store, "alerts", _alerts(tmp_path, "file:///etc/passwd"))
        assert sorted(p.name for p in store.layout.config.iterdir()) == before
    else:
        attach_file(store, "alerts", _alerts(tmp_path, "file:///etc/passwd"))
        with pytest.raises(ConfigError, match="watches zone 'file:///etc/passwd'"):
            attach_file(store, "zones", zones)
        attach_file(store, "alerts", _alerts(tmp_path, "parking"))
    attach_file(store, "alerts" if zones_first else "zones",
                _alerts(tmp_path, "parking") if zones_first else zones)
    assert verify_case(store).ok
