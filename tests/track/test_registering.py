"""Dates whose pixels cannot be matched: compared by georeference when both have one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import cv2
import numpy as np
import pytest

from sitewatch.imagery.registration import RegistrationMethod
from sitewatch.track import EventKind, Observation, TrackOptions, register_by_pixels, track_site
from tests.track.clouded_series import GSD_M, SIDE_PX, draw_vehicle, write_date

TILE_PX = 128
SHIFT_PX = TILE_PX  # the second date's image starts one tile east (38.4 m): beyond the seed radius
TRANSFORM = (GSD_M, 0.0, 500000.0, 0.0, -GSD_M, 5300000.0)
GONE = (320.0, 192.0)  # in the first date's pixels: the one vehicle that left


def _lot() -> tuple[np.ndarray, np.ndarray]:
    """A parking lot (one vehicle on the same seamless ground every ``TILE_PX``, five tiles
    across and four down: every feature but the image corners repeats) and its bare ground."""
    rng = np.random.default_rng(9)
    noise = rng.normal(0, 1, (TILE_PX, TILE_PX)).astype(np.float32)
    blurred = cv2.GaussianBlur(np.tile(noise, (3, 3)), (0, 0), 1.5)
    bare = blurred[TILE_PX : 2 * TILE_PX, TILE_PX : 2 * TILE_PX]
    bare = np.clip(125 + 30 * bare / bare.std(), 0, 255).astype(np.float32)
    tile = bare.copy()
    draw_vehicle(tile, TILE_PX / 2, TILE_PX / 2)
    reps = (SIDE_PX // TILE_PX, SIDE_PX // TILE_PX + 1)
    return np.tile(tile, reps), np.tile(bare, reps)


def _centres(x0_px: int) -> list[tuple[float, float]]:
    """Vehicle centres of the lot in an image whose left edge is at lot column ``x0_px``."""
    return [(TILE_PX / 2 + TILE_PX * i - x0_px, TILE_PX / 2 + TILE_PX * j)
            for i in range(SIDE_PX // TILE_PX + 1) for j in range(SIDE_PX // TILE_PX)
            if 0 <= TILE_PX / 2 + TILE_PX * i - x0_px < SIDE_PX]


def _repeated(folder: Path) -> list[Observation]:
    """Two dates of the lot, the second one tile further east, the vehicle at ``GONE`` gone."""
    lot, bare = _lot()
    lot2 = lot.copy()
    gx, gy, half = round(GONE[0]), round(GONE[1]), TILE_PX // 4
    lot2[gy - half : gy + half, gx - half : gx + half] = bare[gy - half : gy + half,
                                                              gx - half : gx + half]
    t2 = (GSD_M, 0.0, TRANSFORM[2] + SHIFT_PX * GSD_M, 0.0, -GSD_M, TRANSFORM[5])
    still = [p for p in _centres(SHIFT_PX) if (p[0] + SHIFT_PX, p[1]) != GONE]
    return [write_date(folder, 3, lot[:, :SIDE_PX].copy(), _centres(0),
                       transform=TRANSFORM, site="lot"),
            write_date(folder, 10, lot2[:, SHIFT_PX : SHIFT_PX + SIDE_PX].copy(), still,
                       transform=t2, site="lot")]


def test_repeated_content_defeats_pixel_registration(tmp_path: Path) -> None:
    from sitewatch.errors import RegistrationError

    first, second = _repeated(tmp_path)
    with pytest.raises(RegistrationError):
        register_by_pixels(second, first)


def test_a_georeferenced_pair_pixels_cannot_match_is_compared_by_georeference(
        tmp_path: Path) -> None:
    options = TrackOptions(unmeasured_residual_m=2.5)
    track = track_site(_repeated(tmp_path), options=options)
    assert track.refused == ()
    (note,) = track.registration_notes
    assert note.date == dt.date(2021, 5, 10) and note.assumed_residual_m == 2.5
    assert note.message and "georeference alone" in note.sentence
    reg = track.registrations[1]
    assert reg.method is RegistrationMethod.GEOREFERENCE and reg.residual_m is None
    departed = [e for e in track.events if e.kind is EventKind.DEPARTED]
    assert [(round(e.x_px), round(e.y_px)) for e in departed] == [GONE]
    stayed = [e for e in track.events if e.kind is EventKind.STAYED]
    assert len(stayed) == 11  # the twelve of the overlap, less the one that left


def test_without_a_georeference_a_date_pixels_cannot_match_is_still_refused(
        tmp_path: Path) -> None:
    lot, _ = _lot()
    first = write_date(tmp_path, 3, lot[:, :SIDE_PX].copy(), _centres(0), site="lot")
    # a mirror image: SIFT matches nothing, and no georeference says where it lies
    second = write_date(tmp_path, 10, np.fliplr(lot[:, :SIDE_PX]).copy(), _centres(0),
                        site="lot")
    track = track_site([first, second])
    assert [r.date for r in track.refused] == [dt.date(2021, 5, 10)]
    assert track.registration_notes == ()
    assert not [e for e in track.events if e.kind is not EventKind.LOADED]
