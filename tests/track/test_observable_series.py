"""Issue 18's target: no event reported in a place not observable on both dates.

Each series is ingested into a case with its planted detections, ``sitewatch events`` writes
its events file, and every arrival, departure, move and stay in it is read against what each
date truly showed (``tests/track/observed_series.py``): inside both images, outside the
opaque part of every cloud, pixels fine enough for the label. Series: drawn ones (no data
needed: misregistered, clouded, partly covered; and georeferenced with a coarse date), the
checked-in demo series, and, when ``../shared/data`` is present, a clouded series on every
MVRSD tile and the two NAIP dates.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sitewatch.cli.main import main
from sitewatch.detect.types import Detection, VehicleClass
from tests.shared_data import needs_shared_data, shared_path, shared_path_or_skip
from tests.track.demo_series import DEMO
from tests.track.demo_series import truth as demo_truth
from tests.track.demo_series import truth_detections as demo_detections
from tests.track.observable_check import events_in_unobservable_places
from tests.track.observed_series import (
    LENGTH_M,
    DateTruth,
    Truth,
    build_case,
    drawn_series,
    georeferenced_series,
)

MVRSD = shared_path("overhead/mvrsd")
TOOLS = Path(__file__).resolve().parents[2] / "tools"
#: Length on the ground of the labels the generated series carry, metres (the shortest
#: plausible box: a claim is checked against the label's smallest vehicle).
SERIES_LENGTHS_M = {"civilian_vehicle": 3.8, "military_light_vehicle": 4.0,
                    "armored_vehicle": 6.0, "military_engineering_vehicle": 5.5,
                    "military_truck": 7.0, "vehicle": 3.8}


def _events(case: Path, out: Path) -> list[dict[str, str]]:
    assert main(["events", str(case), "--out", str(out)]) == 0
    with out.open(newline="") as fh:
        return list(csv.DictReader(fh))


def _arrivals_of_the_hidden(rows: list[dict[str, str]], truth: Truth, tol_px: float) -> list[str]:
    """Arrivals at a vehicle that stood there before and after a date that hid it."""
    bad = []
    for x, y, seen_again in truth.hidden_then_seen:
        for r in rows:
            if (r["kind"] == "arrived" and r["date_to"] == str(seen_again)
                    and math.hypot(float(r["x"]) - x, float(r["y"]) - y) < tol_px):
                bad.append(f"arrival at ({x:.0f}, {y:.0f}) by {seen_again}")
    return bad


@pytest.mark.parametrize("seed", [2, 3])
def test_drawn_misregistered_clouded_partly_covered(tmp_path: Path, seed: int) -> None:
    series = drawn_series(tmp_path, seed)
    case = build_case(tmp_path / "case", series.site, series.files)
    rows = _events(case, tmp_path / "events.csv")
    assert events_in_unobservable_places(tmp_path / "events.csv", series.truth.observable) == []
    assert _arrivals_of_the_hidden(rows, series.truth, tol_px=12) == []
    # the vehicle under the cloud of date 1 is compared with date 0 and stays
    (x, y, seen_again), = series.truth.hidden_then_seen
    assert any(r["kind"] == "stayed" and r["date_to"] == str(seen_again)
               and math.hypot(float(r["x"]) - x, float(r["y"]) - y) < 12 for r in rows)
    # something is claimed at all (a check that passes on no events proves nothing)
    assert sum(r["kind"] in ("arrived", "departed") for r in rows) >= 3


def test_a_coarse_date_claims_tanks_but_not_light_vehicles(tmp_path: Path) -> None:
    series = georeferenced_series(tmp_path)
    files = [(p, d, None, dets) for p, d, _, dets in series.files]
    case = build_case(tmp_path / "case", series.site, files)
    rows = _events(case, tmp_path / "events.csv")
    assert events_in_unobservable_places(tmp_path / "events.csv", series.truth.observable) == []
    coarse = sorted(series.truth.dates)[1]
    claims = [r for r in rows if r["kind"] in ("arrived", "departed", "stayed", "moved")
              and coarse in (dt.date.fromisoformat(r["date_from"]),
                             dt.date.fromisoformat(r["date_to"]))]
    assert {r["label"] for r in claims} == {"armored_vehicle"}
    unseen = [r for r in rows if r["kind"] == "unseen" and r["unseen_on"] == str(coarse)]
    assert unseen and all("too coarse" in r["reason"] for r in unseen)


def _series_truth(t: dict[str, Any]) -> Truth:
    dates = {}
    for d in t["dates"]:
        cloud = d["look"].get("cloud")
        day = dt.date.fromisoformat(d["date"])
        dates[day] = DateTruth(date=day, width_px=d["width_px"], height_px=d["height_px"],
                               gsd_m=d["gsd_m"],
                               image_to_reference=np.asarray(d["image_to_reference"],
                                                             float).reshape(3, 3),
                               clouds=() if cloud is None else (tuple(cloud),))
    return Truth(dates=dates, lengths_m=SERIES_LENGTHS_M)


def _detectable(t: dict[str, Any], d: dict[str, Any], dets: tuple[Detection, ...]
                ) -> tuple[Detection, ...]:
    """Truth boxes a detector could see: inside the image and outside the inner 0.6 of a
    cloud's radius (so some stand where the truth says the cloud hid them)."""
    cloud = d["look"].get("cloud")
    return tuple(x for x in dets if 0 <= x.box.cx_px < d["width_px"]
                 and 0 <= x.box.cy_px < d["height_px"]
                 and (cloud is None
                      or math.hypot(x.box.cx_px - cloud[0], x.box.cy_px - cloud[1])
                      >= 0.6 * cloud[2]))


def _check_series(folder: Path, t: dict[str, Any], case: Path) -> list[str]:
    from series_io import truth_detections

    files = [(folder / d["file"], dt.date.fromisoformat(d["date"]), None,
              _detectable(t, d, truth_detections(d))) for d in t["dates"]]
    build_case(case, t["site"], files)
    _events(case, case.parent / "events.csv")
    return events_in_unobservable_places(case.parent / "events.csv", _series_truth(t).observable)


def test_demo_series(tmp_path: Path) -> None:
    t = demo_truth()
    files = [(DEMO / d["file"], dt.date.fromisoformat(d["date"]), None,
              demo_detections(d)) for d in t["dates"]]
    build_case(tmp_path / "case", t["site"], files)
    _events(tmp_path / "case", tmp_path / "events.csv")
    assert events_in_unobservable_places(tmp_path / "events.csv",
                                         _series_truth(t).observable) == []


@pytest.fixture(scope="module")
def mvrsd_tiles() -> dict[str, Any]:
    mvrsd = shared_path_or_skip("overhead/mvrsd")
    sys.path.insert(0, str(TOOLS))
    import make_series

    return make_series.load_tiles(mvrsd)


@needs_shared_data("overhead/mvrsd")
@pytest.mark.parametrize("tile", sorted(p.stem for p in (MVRSD / "images").glob("*.jpg"))
                         if MVRSD else ["none"])
def test_clouded_series_on_every_mvrsd_tile(tmp_path: Path, mvrsd_tiles: dict[str, Any],
                                            tile: str) -> None:
    import make_series

    series = make_series.build_random(mvrsd_tiles, seed=4, tile=tile, n_dates=4, cloud_p=0.7)
    t = make_series.write_series(series, tmp_path / "series")
    assert _check_series(tmp_path / "series", t, tmp_path / "case") == []


def test_naip_dates_are_too_coarse_for_any_claim(tmp_path: Path) -> None:
    folder = shared_path_or_skip("overhead/naip_dates")
    # planted vehicles (tank-sized boxes of 7 m, 1.4 px at 5 m): some leave, one arrives
    spots = [(100.0, 120.0), (400.0, 300.0), (700.0, 500.0), (250.0, 600.0)]

    def boxes(keep: list[int]) -> tuple[Detection, ...]:
        from sitewatch.geo.coords import OrientedBoxPx

        return tuple(Detection(box=OrientedBoxPx(cx_px=spots[i][0], cy_px=spots[i][1],
                                                 width_px=1.4, height_px=0.7, angle_rad=0.0),
                               label=VehicleClass.ARMORED_VEHICLE, score=0.9) for i in keep)

    files = [(folder / "20090818.tif", dt.date(2009, 8, 18), None, boxes([0, 1, 2])),
             (folder / "20200831.tif", dt.date(2020, 8, 31), None, boxes([0, 3]))]
    build_case(tmp_path / "case", "naip", files)
    rows = _events(tmp_path / "case", tmp_path / "events.csv")
    assert not [r for r in rows if r["kind"] in ("arrived", "departed", "moved", "stayed")]
    assert all("too coarse" in r["reason"] for r in rows if r["kind"] == "unseen")


def test_the_truth_masks_are_not_empty() -> None:
    # the checks above would pass on a truth that says every place is seen: it does not
    d = DateTruth(date=dt.date(2022, 1, 1), width_px=100, height_px=100, gsd_m=0.3,
                  image_to_reference=np.eye(3), clouds=((50.0, 50.0, 20.0),))
    truth = Truth(dates={d.date: d}, lengths_m={k.value: v for k, v in LENGTH_M.items()})
    assert truth.observable(d.date, 10, 10, "armored_vehicle")
    assert not truth.observable(d.date, 55, 50, "armored_vehicle")  # under the cloud
    assert not truth.observable(d.date, 120, 50, "armored_vehicle")  # outside the image
    coarse = DateTruth(date=dt.date(2022, 1, 2), width_px=100, height_px=100, gsd_m=0.6,
                       image_to_reference=np.eye(3))
    truth = Truth(dates={coarse.date: coarse},
                  lengths_m={k.value: v for k, v in LENGTH_M.items()})
    assert truth.observable(coarse.date, 10, 10, "armored_vehicle")
    assert not truth.observable(coarse.date, 10, 10, "military_light_vehicle")
