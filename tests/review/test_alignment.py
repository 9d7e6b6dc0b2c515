"""The swipe's registration of a before date onto the current date: found, cached, or refused."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import numpy as np
import pytest

from sitewatch.catalog import CaseStore
from sitewatch.errors import RegistrationError, ReviewError
from sitewatch.imagery.registration import Registration
from sitewatch.review.alignment import Alignment, Alignments, register_scenes, swipe_view
from sitewatch.review.tiles import SceneTiles, native_zoom
from sitewatch.review.views import detections_view
from sitewatch.review.warp import warped_tile_rgb
from sitewatch.track import Observation
from tests.review.casefixture import SHIFT_PX, add_unrelated_date, make_case


@pytest.fixture
def shifted_case(tmp_path: Path) -> CaseStore:
    """Two dates of one ground under one georeference, the earlier view shifted by 17, -9 px."""
    return make_case(tmp_path, vehicles=(5, 6), shift_px=SHIFT_PX)


def test_a_shifted_date_is_registered_and_its_tile_matches_the_current_one(
        shifted_case: CaseStore) -> None:
    before, current = shifted_case.scenes()
    alignment = register_scenes(before, current)
    reg = alignment.registration
    assert reg is not None and alignment.message is None
    assert reg.method.value == "features" and reg.residual_m is not None and reg.residual_m < 0.3
    assert reg.date == before.date and reg.reference_date == current.date
    # a ground point at current (x, y) is at before (x + 17, y - 9): before -> current undoes it
    np.testing.assert_allclose(reg.to_reference([500.0], [400.0]), [[483.0, 409.0]], atol=0.2)

    before_tiles, current_tiles = SceneTiles(before.path), SceneTiles(current.path)
    zmax = native_zoom(current.width_px, current.height_px)
    try:
        # full resolution; then 2 px per tile px, where half-pixel resampling of this fine noise
        # leaves a little difference (tests/review/test_warp.py checks the offset itself)
        for (z, x, y), ratio in (((zmax, 2, 1), 0.1), ((zmax - 1, 0, 0), 0.5)):
            target = current_tiles.tile_rgb(zmax, z, x, y).astype(np.float32)
            aligned = warped_tile_rgb(before_tiles, reg.matrix, zmax, z, x, y,
                                      current_size_px=(current.width_px, current.height_px))
            unaligned = before_tiles.tile_rgb(zmax, z, x, y)
            inside = (slice(12, 200), slice(4, 240))  # inside both scenes, away from the edges
            mae_aligned = float(np.abs(aligned - target)[inside].mean())
            mae_unaligned = float(np.abs(unaligned - target)[inside].mean())
            assert mae_aligned < ratio * mae_unaligned, (z, mae_aligned, mae_unaligned)
    finally:
        before_tiles.close()
        current_tiles.close()


def test_boxes_of_the_before_date_are_carried_into_the_current_frame(shifted_case: CaseStore) -> None:
    before, current = shifted_case.scenes()
    alignment = register_scenes(before, current)
    own = {i["id"]: i["corners_px"] for i in detections_view(shifted_case, before)["items"]}
    view = swipe_view(shifted_case, before, alignment)
    assert view["aligned"] and view["method"] == "features" and view["current"] == current.sha256
    assert len(view["items"]) == 5 and all("box" not in i for i in view["items"])
    for item in view["items"]:
        moved = np.asarray(item["corners_px"]) - np.asarray(own[item["id"]])
        np.testing.assert_allclose(moved, [[-17.0, 9.0]] * 4, atol=0.3)


def test_a_pair_that_cannot_be_registered_says_so_and_stays_unaligned(
        small_case: CaseStore, tmp_path: Path) -> None:
    add_unrelated_date(small_case, tmp_path)
    scenes = small_case.scenes()
    other, current = scenes[-1], scenes[1]
    alignment = register_scenes(other, current)
    assert alignment.registration is None and alignment.message is not None
    assert alignment.message.startswith("dates 2014-07-01 and 2014-06-11 could not be registered: ")
    assert alignment.message.endswith("; showing them unaligned")
    assert alignment.on_current([[1.0, 2.0]]) == [[1.0, 2.0]]
    assert alignment.as_json()["aligned"] is False


def test_one_scene_is_aligned_with_itself_without_reading_pixels(small_case: CaseStore) -> None:
    scene = small_case.scenes()[0]

    def refuse(moving: Observation, reference: Observation) -> Registration:
        raise AssertionError("no registration needed")

    alignment = register_scenes(scene, scene, registrar=refuse)
    assert alignment.registration is not None and alignment.registration.method.value == "identity"


def test_two_scenes_of_one_date_are_still_registered(small_case: CaseStore) -> None:
    before, current = small_case.scenes()
    same_day = dataclasses.replace(before, date=current.date)
    alignment = register_scenes(same_day, current)
    assert alignment.registration is not None and alignment.registration.method.value == "features"
    assert alignment.registration.date == current.date


def test_each_pair_is_registered_once_even_when_asked_at_once(small_case: CaseStore) -> None:
    before, current = small_case.scenes()
    calls: list[str] = []
    gate = threading.Event()

    def slow(moving: Observation, reference: Observation) -> Registration:
        calls.append(moving.scene_id)
        gate.wait(5)
        raise RegistrationError("planted failure")

    alignments = Alignments(registrar=slow)
    results: list[Alignment] = []
    threads = [threading.Thread(target=lambda: results.append(alignments.get(before, current)))
               for _ in range(6)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join(10)
    assert len(calls) == 1 and len(results) == 6 and len({id(r) for r in results}) == 1
    assert "planted failure" in (results[0].message or "")
    alignments.get(current, before)
    assert len(calls) == 2  # the other direction is another pair


def test_georeferenced_dates_whose_pixels_fail_are_placed_by_georeference(
    small_case: CaseStore,
) -> None:
    before, current = small_case.scenes()
    assert before.transform is not None and current.transform is not None

    def refuse(moving: Observation, reference: Observation) -> Registration:
        raise RegistrationError("only 2 of 7 feature matches agree")

    alignment = register_scenes(before, current, registrar=refuse)
    assert alignment.registration is not None
    assert alignment.registration.method.value == "georeference"
    assert "georeferences only" in (alignment.message or "")
    assert alignment.as_json()["aligned"] is True
    plain = dataclasses.replace(before, transform=None, crs_wkt=None)
    unaligned = register_scenes(plain, current, registrar=refuse)
    assert unaligned.registration is None and "unaligned" in (unaligned.message or "")


def test_an_unaligned_pair_says_why() -> None:
    with pytest.raises(ReviewError, match="message saying why"):
        Alignment(before_sha256="a" * 64, current_sha256="b" * 64, registration=None)
