"""The review page in a real headless Chromium: a keyboard review of 100 detections, stored.

See :mod:`tests.review.browsing` for the browser and the server.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sitewatch.catalog import CaseStore
from sitewatch.catalog.audit import chain_problems, read_entries
from tests.review.browsing import chromium_page, needs_chromium, serving, shot
from tests.review.casefixture import SHIFT_PX, make_case

pytestmark = needs_chromium


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[CaseStore, str]]:
    """The full-size case served; yields the store and the URL.

    The earlier date's view is shifted by :data:`SHIFT_PX`, so the swipe has to align it.
    """
    store = make_case(tmp_path, shift_px=SHIFT_PX)
    with serving(store) as url:
        yield store, url


@pytest.fixture
def page(served: tuple[CaseStore, str]) -> Iterator[Any]:
    """A Chromium page, with the browser's console errors collected on ``page.errors``."""
    with chromium_page(1400, 850) as tab:
        yield tab


def _wait_for_reviews(store: CaseStore, sha: str, n: int, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while len(store.reviews(sha)) < n and time.monotonic() < deadline:
        time.sleep(0.05)


def _expected(i: int, original_label: str) -> tuple[str, str]:
    """Keys of the scripted review: reject every 10th+3, relabel to truck every 10th+7."""
    if i % 10 == 3:
        return "r", "rejected"
    if i % 10 == 7:
        return "2", "accepted" if original_label == "military_truck" else "corrected"
    return "a", "accepted"


def test_keyboard_review_of_100_detections_is_stored(
        served: tuple[CaseStore, str], page: Any, tmp_path: Path) -> None:
    store, url = served
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']", timeout=30_000)
    page.wait_for_timeout(500)
    shot(page, tmp_path, "overview")
    sha = store.scenes()[-1].sha256  # the page opens on the latest date
    originals = store.detections(sha)
    assert len(originals) >= 100

    page.keyboard.press("j")  # the first detection, d0 ...
    page.keyboard.press("f")  # ... zoomed to, in the middle of the map
    page.keyboard.press("j")
    assert "d1 (2 of 110)" in page.locator("#sel-body").inner_text()
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert "d0 (1 of 110)" in page.locator("#sel-body").inner_text()  # selected by a click
    started = time.monotonic()
    for i in range(100):
        page.keyboard.press(_expected(i, originals[i].label)[0])
    _wait_for_reviews(store, sha, 100)
    seconds = time.monotonic() - started
    print(f"100 keyboard decisions stored in {seconds:.1f} s")
    assert seconds < 60, "the page should keep up with a fast analyst"

    page.keyboard.press("a")  # a slip on the 101st detection ...
    page.keyboard.press("u")  # ... undone: it is selected again and unreviewed
    _wait_for_reviews(store, sha, 102)
    assert store.reviews(sha)[-1].status.value == "unreviewed"
    page.keyboard.press("l")  # the 101st detection is loaded on a transporter
    box = page.locator("#map").bounding_box()
    page.keyboard.press("n")  # add a missed vehicle by dragging a box
    page.mouse.move(box["x"] + 300, box["y"] + 300)
    page.mouse.down()
    page.mouse.move(box["x"] + 340, box["y"] + 318, steps=4)
    page.mouse.up()
    _wait_for_reviews(store, sha, 104)
    page.wait_for_timeout(600)
    shot(page, tmp_path, "reviewing")

    latest = {r.detection_id: r for r in store.reviews(sha)}
    for i in range(100):
        assert latest[f"d{i}"].status.value == _expected(i, originals[i].label)[1], f"d{i}"
        if i % 10 == 7:
            assert latest[f"d{i}"].label == "military_truck"
    assert latest["d100"].loaded and latest["d100"].status.value == "corrected"
    (added,) = [r for k, r in latest.items() if k.startswith("a")]
    assert added.action.value == "add" and added.width_px > 5 and added.height_px > 3
    reviews = [e for e in read_entries(store.audit_path) if e.action == "review"]
    assert len(reviews) == 104 and {e.actor for e in reviews} == {"Ana Lyst"}
    assert chain_problems(read_entries(store.audit_path)) == []
    assert "loaded on transporter" in page.locator("#sel-body").inner_text() or added

    counts = page.locator("#counts").inner_text()
    assert "101/110" in counts  # reviewed of detected, on the latest date
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.keyboard.press("s")  # the earlier date, registered onto this one, left of the line
    page.locator("#tag-align", has_text="residual").wait_for(timeout=30_000)
    page.wait_for_timeout(800)
    assert page.locator("#swipe-line").is_visible()
    assert page.locator("#tag-align").inner_text().startswith("aligned (features), residual 0.")
    before_sha = store.scenes()[0].sha256
    assert any(f"/api/tiles/{before_sha}/on/{sha}/" in url for url in requested)
    shot(page, tmp_path, "swipe")
    page.locator("#history li").first.click()
    page.wait_for_selector("#banner:not([hidden])")
    assert "after decision #" in page.locator("#banner").inner_text()
    shot(page, tmp_path, "earlier_state")
    assert page.errors == []
