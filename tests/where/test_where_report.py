"""The report's where-when section, and published copies without GPS or device tags."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sitewatch.compare.resultfile import read_panel
from sitewatch.report import render_report
from sitewatch.where.evidence import CheckKind, run_check, where_when_rows
from sitewatch.where.metadata import identifying_tags
from tests.where.where_fixtures import scene, write_photo

MARKS = {"base_px": [500, 600], "top_px": [500, 400], "tip_px": [658.7, 600], "marking_error_px": 3.0,
         "reference": None}


def test_where_when_section_in_the_report() -> None:
    fits = run_check("s-fit", CheckKind.PLACE_TIME, {"marks": MARKS, "lon_deg": 37.97, "lat_deg": 48.03,
                                                     "time_utc": "2014-06-11T07:00:00Z"})
    late = run_check("s-late", CheckKind.PLACE_TIME, {"marks": MARKS, "lon_deg": 37.97, "lat_deg": 48.03,
                                                      "time_utc": "2014-06-11T13:00:00Z"})
    rows = where_when_rows([late, fits])
    assert [r.check_id for r in rows] == ["s-fit", "s-late"]
    html = render_report("case", [], [], software={}, audit_head=None, manifest_sha256="0" * 64,
                         where_when=rows)
    assert 'id="where-when"' in html and "does not fit" in html and "pvlib" in html
    assert 'id="where-when"' not in render_report("case", [], [], software={}, audit_head=None,
                                                  manifest_sha256="0" * 64)


def test_published_copies_carry_no_gps_or_device_tags(tmp_path: Path) -> None:
    photo = write_photo(tmp_path / "query.jpg", scene(8), lon_deg=37.97, lat_deg=48.03)
    assert identifying_tags(photo)  # the original carries them
    published = tmp_path / "panel.png"
    published.write_bytes(read_panel(photo, source=tmp_path / "comparison.json"))
    assert identifying_tags(published) == ()
    from sitewatch.where.checks import where_on_earth
    from sitewatch.where.maps import write_sun_map_png
    from sitewatch.where.shadows import ShadowMarks, measure_shadow

    sun_map = where_on_earth(measure_shadow(ShadowMarks.from_json(MARKS)),
                             dt.datetime(2014, 6, 11, 7, tzinfo=dt.UTC), step_deg=2.0)
    png = write_sun_map_png(sun_map, tmp_path / "map.png", claimed=(37.97, 48.03))
    assert identifying_tags(png) == ()
