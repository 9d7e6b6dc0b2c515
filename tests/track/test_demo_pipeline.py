"""track_site on real pixels (the demo series) with truth boxes as detections."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import rasterio

from sitewatch.imagery.registration import RegistrationMethod
from sitewatch.track import (
    LOADED_TRANSPORTER,
    EventKind,
    Observation,
    TrackOptions,
    load_alerts,
    load_zones,
    track_site,
)
from tests.track.demo_series import DEMO, observations, truth


def _kinds(events: object) -> Counter[tuple[str, str, str]]:
    return Counter((str(e.date_from), e.kind.value, e.label) for e in events)  # type: ignore[attr-defined]


def test_events_match_the_truth_exactly_with_perfect_detections() -> None:
    track = track_site(observations(), zones=load_zones(DEMO / "zones.geojson"),
                       alerts=load_alerts(DEMO / "alerts.toml"))
    expected = Counter((e["date_from"], e["kind"], e["label"]) for e in truth()["events"])
    assert _kinds(track.events) == expected
    assert [r.method for r in track.registrations[1:]] == [RegistrationMethod.FEATURES] * 2
    assert all(r.residual_m is not None and r.residual_m < 1.0 for r in track.registrations)
    day2 = dt.date(2014, 8, 5)
    assert track.count(day2, "armored_vehicle").n == 10
    assert track.count(day2, LOADED_TRANSPORTER, "south apron").n == 3
    assert {a.message for a in track.alerts} == {
        "2014-08-05: 7 armored_vehicle in zone 'north apron', more than 5",
        "2014-08-05: 3 loaded_transporter in zone 'south apron', more than 0",
    }
    moved = [e for e in track.events if e.kind is EventKind.MOVED]
    assert len(moved) == 1 and 4.0 < (moved[0].distance_m or 0) < 6.0
    assert all(e.lonlat is not None for e in track.events)


def _cloud_over(path: Path, out: Path, cx: int, cy: int, r: int) -> None:
    with rasterio.open(path) as src:
        img, profile = src.read(), src.profile
    yy, xx = np.mgrid[0 : img.shape[1], 0 : img.shape[2]]
    alpha = np.clip(1.3 - np.hypot(xx - cx, yy - cy) / r, 0, 1) * 0.95
    img = (img * (1 - alpha) + 238 * alpha).astype(np.uint8)
    with rasterio.open(out, "w", **profile) as dst:
        dst.write(img)


def test_a_cloud_makes_its_zone_not_observable_and_hides_no_departures(tmp_path: Path) -> None:
    for p in DEMO.glob("*.tif"):
        shutil.copy(p, tmp_path / p.name)
    obs = list(observations(tmp_path))
    last = obs[2]
    clouded = tmp_path / "clouded.tif"
    # a thick cloud over the transporter row on the last date
    _cloud_over(last.image_path, clouded, 170, 330, 140)
    obs[2] = dataclasses.replace(last, image_path=clouded)
    track = track_site(obs, zones=load_zones(DEMO / "zones.geojson"))
    south = track.count(last.date, "armored_vehicle", "south apron")
    assert not south.observable and south.n is None and south.reason.startswith("clouded")
    north = track.count(last.date, "armored_vehicle", "north apron")
    assert north.observable
    departed = [e for e in track.events if e.kind is EventKind.DEPARTED
                and e.date_to == last.date]
    assert all(e.zone != "south apron" for e in departed)  # not seen: not claimed


def test_a_date_that_cannot_be_registered_is_refused_not_guessed(tmp_path: Path) -> None:
    import cv2

    noise = np.random.default_rng(1).integers(0, 255, (600, 600, 3), dtype=np.uint8)
    bad = tmp_path / "noise.png"
    cv2.imwrite(str(bad), cv2.GaussianBlur(noise, (0, 0), 2))
    obs: list[Observation] = list(observations())
    obs[1] = dataclasses.replace(obs[1], image_path=bad, transform=None, crs_wkt=None)
    track = track_site(obs)
    assert [r.date for r in track.refused] == [obs[1].date]
    assert "cannot register" in track.refused[0].message
    refused_count = track.count(obs[1].date, "military_light_vehicle")
    assert not refused_count.observable and refused_count.reason.startswith("not registered")
    # the neighbours are compared with each other
    assert {(e.date_from, e.date_to) for e in track.events if e.kind is not EventKind.LOADED} == {
        (obs[0].date, obs[2].date)}


def test_a_missed_detection_reads_as_stayed_not_departed() -> None:
    obs = list(observations())
    last = obs[2]
    # the detector misses the armoured vehicle that stayed on the north apron
    kept = tuple(d for d in last.detections
                 if not (d.label.value == "armored_vehicle" and d.box.cy_px < 120))
    assert len(kept) == len(last.detections) - 1
    obs[2] = dataclasses.replace(last, detections=kept)
    track = track_site(obs)
    expected = Counter((e["date_from"], e["kind"], e["label"]) for e in truth()["events"])
    assert _kinds(track.events) == expected
    without_check = track_site(obs, options=TrackOptions(same_patch_correlation=1.0))
    assert _kinds(without_check.events)[("2014-08-05", "departed", "armored_vehicle")] == 9


def test_a_false_detection_beside_a_departure_does_not_make_a_move() -> None:
    from sitewatch.detect.types import Detection, VehicleClass
    from sitewatch.geo.coords import OrientedBoxPx

    obs = list(observations())
    t = truth()
    # afv1 (north apron) leaves between the last two dates; plant a false armoured vehicle on
    # the empty apron 8 m from where it stood, on the last date
    gone = next(v for v in t["dates"][1]["vehicles"] if v["id"] == "afv1")
    to_last = np.linalg.inv(np.asarray(t["dates"][2]["image_to_reference"]).reshape(3, 3))
    ref = np.asarray(t["dates"][1]["image_to_reference"]).reshape(3, 3)
    x, y, _ = to_last @ ref @ np.array([gone["cx_px"], gone["cy_px"], 1.0])
    fake = Detection(box=OrientedBoxPx(cx_px=x + 27, cy_px=y + 5, width_px=gone["width_px"],
                                       height_px=gone["height_px"],
                                       angle_rad=gone["angle_rad"]),
                     label=VehicleClass.ARMORED_VEHICLE, score=0.6)
    obs[2] = dataclasses.replace(obs[2], detections=(*obs[2].detections, fake))
    track = track_site(obs)
    kinds = _kinds(track.events)
    assert kinds[("2014-08-05", "departed", "armored_vehicle")] == 8
    assert kinds[("2014-08-05", "moved", "armored_vehicle")] == 1  # only the real move
    naive = track_site(obs, options=TrackOptions(same_patch_correlation=1.0,
                                                 move_correlation=-1.0))
    assert _kinds(naive.events)[("2014-08-05", "moved", "armored_vehicle")] == 2


def test_a_move_survives_a_near_square_box_whose_heading_is_a_quarter_turn_off() -> None:
    from sitewatch.geo.coords import OrientedBoxPx

    obs = list(observations())
    t = truth()
    moved = next(e for e in t["events"] if e["kind"] == "moved")
    last = t["dates"][2]
    v = next(v for v in last["vehicles"] if v["id"] == moved["id"])
    long_px = max(v["width_px"], v["height_px"])
    # the detector's box on the last date: nearly square, long side across the vehicle
    squarish = OrientedBoxPx(cx_px=v["cx_px"], cy_px=v["cy_px"], width_px=long_px,
                             height_px=0.85 * long_px,
                             angle_rad=v["angle_rad"] + (math.pi / 2 if v["width_px"] >= v["height_px"]
                                                         else 0.0))
    dets = tuple(dataclasses.replace(d, box=squarish)
                 if abs(d.box.cx_px - v["cx_px"]) < 1e-6 and abs(d.box.cy_px - v["cy_px"]) < 1e-6
                 else d for d in obs[2].detections)
    assert dets != obs[2].detections
    obs[2] = dataclasses.replace(obs[2], detections=dets)
    kinds = _kinds(track_site(obs).events)
    assert kinds[("2014-08-05", "moved", "armored_vehicle")] == 1
    assert kinds[("2014-08-05", "arrived", "armored_vehicle")] == 0
