"""The swipe's routes: the before date registered onto the current one, its tiles and boxes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from sitewatch.catalog import CaseStore
from tests.review.casefixture import SHIFT_PX, add_unrelated_date, make_case
from tests.review.conftest import TOKEN, client_of

HEADERS = {"X-Sitewatch-Token": TOKEN}


@pytest.fixture
def shifted(tmp_path: Path) -> Iterator[tuple[CaseStore, Any]]:
    """A client of a case whose earlier date is shifted by :data:`SHIFT_PX`."""
    store = make_case(tmp_path, vehicles=(5, 6), shift_px=SHIFT_PX)
    with client_of(store) as client:
        yield store, client


def _jpeg(response: Any) -> np.ndarray:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/jpeg"
    return cv2.imdecode(np.frombuffer(response.content, np.uint8), cv2.IMREAD_GRAYSCALE).astype(np.float32)


def test_swipe_routes_need_the_token(client: Any, small_case: CaseStore) -> None:
    before, current = (s.sha256 for s in small_case.scenes())
    for path in (f"/api/scenes/{before}/on/{current}", f"/api/tiles/{before}/on/{current}/2/2/0/0.jpg"):
        assert client.get(path).status_code == 403
        assert client.get(path, headers={"X-Sitewatch-Token": TOKEN[:-1] + "y"}).status_code == 403
        assert client.get(path, params={"token": "wrong" * 6}).status_code == 403
        assert client.get(path, headers=HEADERS).status_code == 200


def test_the_before_date_is_served_in_the_current_frame(shifted: tuple[CaseStore, Any]) -> None:
    store, client = shifted
    before, current = store.scenes()
    body = client.get(f"/api/scenes/{before.sha256}/on/{current.sha256}", headers=HEADERS).json()
    assert body["aligned"] is True and body["method"] == "features" and body["message"] is None
    assert 0 <= body["residual_m"] < 0.3 and body["n_inliers"] >= 12
    np.testing.assert_allclose(np.asarray(body["matrix"])[[2, 5]], [-17.0, 9.0], atol=0.2)
    own = client.get(f"/api/scenes/{before.sha256}/detections", headers=HEADERS).json()["items"]
    moved = np.asarray([i["corners_px"] for i in body["items"]]) - np.asarray([i["corners_px"] for i in own])
    np.testing.assert_allclose(moved.reshape(-1, 2), np.tile([-17.0, 9.0], (moved.size // 2, 1)), atol=0.3)

    zmax = 3  # 1200×900 px: 256 px tiles at full resolution from zoom 3
    target = _jpeg(client.get(f"/api/tiles/{current.sha256}/{zmax}/3/2/1.jpg", headers=HEADERS))
    aligned = _jpeg(client.get(f"/api/tiles/{before.sha256}/on/{current.sha256}/{zmax}/3/2/1.jpg",
                               headers=HEADERS))
    unaligned = _jpeg(client.get(f"/api/tiles/{before.sha256}/{zmax}/3/2/1.jpg", headers=HEADERS))
    mae_aligned = float(np.abs(aligned - target).mean())
    mae_unaligned = float(np.abs(unaligned - target).mean())
    assert mae_aligned < 0.25 * mae_unaligned, (mae_aligned, mae_unaligned)
    bad = client.get(f"/api/tiles/{before.sha256}/on/{current.sha256}/{zmax}/3/9/0.jpg", headers=HEADERS)
    assert bad.status_code == 404 and "outside" in bad.text


def test_a_pair_that_cannot_be_registered_is_reported_and_left_unaligned(
        client: Any, small_case: CaseStore, tmp_path: Path) -> None:
    add_unrelated_date(small_case, tmp_path)
    other, current = small_case.scenes()[-1], small_case.scenes()[1]
    body = client.get(f"/api/scenes/{other.sha256}/on/{current.sha256}", headers=HEADERS).json()
    assert body["aligned"] is False and body["matrix"] is None and body["residual_m"] is None
    assert body["message"].startswith("dates 2014-07-01 and 2014-06-11 could not be registered: ")
    assert body["message"].endswith("showing them unaligned")
    tile = client.get(f"/api/tiles/{other.sha256}/on/{current.sha256}/3/3/0/0.jpg", headers=HEADERS)
    assert tile.status_code == 409 and tile.text == body["message"]


def test_an_unknown_scene_is_an_error_the_page_can_show(client: Any, small_case: CaseStore) -> None:
    current = small_case.scenes()[1].sha256
    response = client.get(f"/api/scenes/{'f' * 64}/on/{current}", headers=HEADERS)
    assert response.status_code == 400 and "is not in case" in response.json()["error"]
