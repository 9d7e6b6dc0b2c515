"""Counts of a partly hidden date say so, from the same masks the events are claimed on."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from sitewatch.track import Count, SiteTrack, TrackOptions, register_by_metadata, track_site
from sitewatch.track.tables import write_counts_csv
from sitewatch.track.zones import Zone, ZoneFrame
from tests.track.clouded_series import (
    SIDE_PX,
    cloud,
    clouded_series,
    draw_vehicle,
    ground,
    write_date,
)

D1, D2 = dt.date(2021, 5, 3), dt.date(2021, 5, 10)
STRIP_PX = 110  # about a fifth of the site under cloud: hidden, yet under the 30 % threshold


@pytest.fixture(scope="module")
def strip(tmp_path_factory: pytest.TempPathFactory) -> SiteTrack:
    """Two dates, the second with a cloud over a strip at the right edge (about 21 %)."""
    folder = tmp_path_factory.mktemp("strip")
    base = ground(seed=5)
    standing = [(90.0, 110.0), (110.0, 300.0), (250.0, 200.0), (470.0, 250.0)]
    img1, img2 = base.copy(), base.copy()
    for x, y in standing:
        draw_vehicle(img1, x, y)
        draw_vehicle(img2, x, y)
    mask = np.zeros((SIDE_PX, SIDE_PX), bool)
    mask[:, SIDE_PX - STRIP_PX :] = True
    cloud(img2, mask, seed=3)
    o1 = write_date(folder, 3, img1, standing, site="strip")
    o2 = write_date(folder, 10, img2, standing[:3], site="strip")
    zones = (Zone(name="west", exterior=((0, 0), (200, 0), (200, 512), (0, 512)), frame=ZoneFrame.PIXEL),
             Zone(name="east", exterior=((312, 0), (512, 0), (512, 512), (312, 512)),
                  frame=ZoneFrame.PIXEL))
    return track_site([o1, o2], zones=zones, registrar=register_by_metadata,
                      options=TrackOptions())


def _site(track: SiteTrack, date: dt.date, zone: str | None = None) -> Count:
    return next(c for c in track.counts
                if c.date == date and c.zone == zone and c.label != "loaded_transporter")


def test_a_partly_clouded_date_counts_only_what_it_saw_and_says_so(strip: SiteTrack) -> None:
    count = _site(strip, D2)
    assert count.observable and count.partial
    assert count.observable_share is not None and 0.6 < count.observable_share < 0.85
    assert "counts only" in count.reason and f"{count.observable_share:.0%}" in count.reason
    clear = _site(strip, D1)
    assert clear.observable and not clear.partial and "counts only" not in clear.reason


def test_the_count_share_is_the_pair_share_the_events_use(strip: SiteTrack) -> None:
    (pair,) = [p for p in strip.pairs if p.zone is None]
    count = _site(strip, D2)
    assert count.observable_share is not None
    assert abs(count.observable_share - pair.observable_share) < 0.01


def test_a_zone_mostly_under_the_cloud_is_not_observable_with_the_reason(
        strip: SiteTrack) -> None:
    east, west = _site(strip, D2, "east"), _site(strip, D2, "west")
    assert not east.observable and east.n is None and east.reason.startswith("clouded")
    assert "hidden" in east.reason
    assert west.observable and not west.partial and west.n == 2


def test_the_counts_csv_carries_the_share_and_the_partial_flag(
        strip: SiteTrack, tmp_path: Path) -> None:
    path = tmp_path / "counts.csv"
    write_counts_csv([strip], path, rates_source="test rates")
    with path.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh)
                if r["zone"] == "" and r["label"] != "loaded_transporter"]
    by_date = {r["date"]: r for r in rows}
    assert by_date[str(D2)]["partial"] == "yes" and by_date[str(D1)]["partial"] == "no"
    assert 0.6 < float(by_date[str(D2)]["observable_share"]) < 0.85


def test_the_half_clouded_date_is_not_counted_and_its_clear_half_is(tmp_path: Path) -> None:
    scene = clouded_series(tmp_path)
    zones = (Zone(name="left", exterior=((0, 0), (240, 0), (240, 512), (0, 512)),
                  frame=ZoneFrame.PIXEL),)
    track = track_site(scene.observations, zones=zones, registrar=register_by_metadata)
    d4 = dt.date(2021, 5, 24)
    site, left = _site(track, d4), _site(track, d4, "left")
    assert not site.observable and "hidden" in site.reason
    assert left.observable and not left.partial
