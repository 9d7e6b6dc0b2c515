"""Review at scale, in a real headless Chromium at a laptop's 1366×768: a scene of 1000 boxes
of five labels, bulk decisions by score band and by a dragged area (previewed, confirmed, one
audit entry each, undone), a count table in words, and a sidebar that shows all five labels.

The times to first render and to apply a bulk decision are printed and written to
``review_scale_timings.json`` beside the screenshots (see :mod:`tests.review.browsing`).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sitewatch.catalog import CaseStore, verify_case
from sitewatch.catalog.audit import chain_problems, read_entries
from sitewatch.label_names import label_name
from sitewatch.review.session import apply_decision
from tests.cli.snapshots import snapshot
from tests.review.browsing import chromium_page, needs_chromium, serving, shot
from tests.review.casefixture import DENSE_LABELS, make_dense_case

pytestmark = needs_chromium

WIDTH, HEIGHT = 1366, 768


@pytest.fixture
def dense(tmp_path: Path) -> Iterator[tuple[CaseStore, str]]:
    store = make_dense_case(tmp_path)
    with serving(store) as url:
        yield store, url


def _ids_in_band(store: CaseStore, label: str, lo: float, hi: float) -> set[str]:
    sha = store.scenes()[0].sha256
    return {f"d{i}" for i, r in enumerate(store.detections(sha))
            if r.label == label and lo <= r.score < hi}


def _ids_in_area(store: CaseStore, area: list[float]) -> set[str]:
    sha = store.scenes()[0].sha256
    x0, y0, x1, y1 = area
    return {f"d{i}" for i, r in enumerate(store.detections(sha))
            if x0 <= r.cx_px < x1 and y0 <= r.cy_px < y1}


def _latest(store: CaseStore) -> dict[str, str]:
    return {r.detection_id: r.status.value for r in store.reviews(store.scenes()[0].sha256)}


def _bulk_done(page: Any, n: int) -> None:
    page.wait_for_selector(f"body[data-bulk-done='{n}']", timeout=60_000)


def _assert_label_rows_fit(page: Any) -> None:
    """Each of the five labels has a row in the sidebar, inside the window, not clipped."""
    aside = page.locator("aside").bounding_box()
    assert page.evaluate("(() => { const a = document.querySelector('aside');"
                         " return a.scrollWidth <= a.clientWidth; })()"), "the sidebar overflows sideways"
    for label in DENSE_LABELS:
        row = page.locator(f"#labels tr[data-label='{label}']")
        assert row.is_visible(), label
        box = row.bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= HEIGHT, (label, box)
        assert aside["x"] <= box["x"] and box["x"] + box["width"] <= aside["x"] + aside["width"], label
        name = row.locator("td.name")
        assert name.inner_text().strip() == label_name(label, 2)
        assert name.evaluate("td => td.scrollWidth <= td.clientWidth"), f"{label}'s name is clipped"


def test_bulk_review_of_1000_boxes_at_laptop_size(dense: tuple[CaseStore, str], tmp_path: Path) -> None:
    store, url = dense
    sha = store.scenes()[0].sha256
    timings: dict[str, float] = {}
    with chromium_page(WIDTH, HEIGHT) as page:
        started = time.monotonic()
        page.goto(url)
        page.wait_for_selector("body[data-ready='1']", timeout=60_000)
        timings["first_render_s"] = time.monotonic() - started
        page.locator("#counts th", has_text="armoured vehicles").wait_for(timeout=30_000)
        assert "1000 boxes" in page.locator("#progress").inner_text()
        page.wait_for_timeout(500)
        shot(page, tmp_path, "scale_overview")

        # the count table says its labels in words, as the report does
        heads = page.locator("#counts th").all_inner_texts()
        assert [h.strip() for h in heads[1:6]] == [label_name(label, 2) for label in DENSE_LABELS]
        assert not any("_" in h for h in heads)
        _assert_label_rows_fit(page)

        # 1. reject armoured vehicles scoring in [0.3, 0.5): previewed, nothing stored yet
        band = _ids_in_band(store, "armored_vehicle", 0.3, 0.5)
        assert 20 < len(band) < 200
        page.select_option("#bulk-label", "armored_vehicle")
        page.fill("#bulk-min", "0.3")
        page.fill("#bulk-max", "0.5")
        page.click("#bulk-reject")
        page.wait_for_selector("#bulk-confirm:not([hidden])")
        text = page.locator("#bulk-text").inner_text()
        assert f"reject {len(band)} boxes ({len(band)} armoured vehicles)" in text, text
        assert store.reviews(sha) == ()
        shot(page, tmp_path, "scale_bulk_preview")
        entries = len(read_entries(store.audit_path))
        started = time.monotonic()
        page.click("#bulk-yes")
        _bulk_done(page, 1)
        timings["bulk_reject_s"] = time.monotonic() - started
        timings["bulk_reject_page_ms"] = float(page.evaluate("document.body.dataset.bulkMs"))
        assert _latest(store) == dict.fromkeys(band, "rejected")
        assert [e.action for e in read_entries(store.audit_path)[entries:]] == ["review-bulk"]
        assert f"{1000 - len(band)} " in page.locator("#progress").inner_text()

        # 2. accept everything unreviewed in a dragged area
        box = page.locator("#map").bounding_box()
        page.keyboard.press("b")
        page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.55, steps=5)
        page.mouse.up()
        area = [float(v) for v in page.input_value("#bulk-area").split(",")]
        page.select_option("#bulk-label", "")
        page.fill("#bulk-min", "0")
        page.fill("#bulk-max", "1")
        inside = _ids_in_area(store, area) - band
        assert len(inside) > 50
        page.click("#bulk-accept")
        page.wait_for_selector("#bulk-confirm:not([hidden])")
        assert f"accept {len(inside)} boxes" in page.locator("#bulk-text").inner_text()
        shot(page, tmp_path, "scale_area_preview")
        started = time.monotonic()
        page.click("#bulk-yes")
        _bulk_done(page, 2)
        timings["bulk_accept_area_s"] = time.monotonic() - started
        timings["bulk_accept_area_page_ms"] = float(page.evaluate("document.body.dataset.bulkMs"))
        latest = _latest(store)
        assert {k for k, v in latest.items() if v == "accepted"} == inside
        assert all(latest[k] == "rejected" for k in band)  # the area did not override them
        shot(page, tmp_path, "scale_after_bulk")

        # 3. u undoes the whole area decision, as one more audited entry
        page.locator("#map").click(position={"x": 5, "y": 5})  # keyboard back to the map
        page.keyboard.press("u")
        _bulk_done(page, 3)
        latest = _latest(store)
        assert all(latest[k] == "unreviewed" for k in inside)
        assert all(latest[k] == "rejected" for k in band)
        assert [e.action for e in read_entries(store.audit_path)[entries:]] == ["review-bulk"] * 3

        # 4. refused: the state changed after the preview; cancelled: nothing asked for
        page.click("#bulk-reject")
        page.wait_for_selector("#bulk-confirm:not([hidden])")
        victim = sorted(inside)[0]
        apply_decision(store, store.scenes()[0], "accept", reviewer="Other Analyst",
                       detection_id=victim)
        before = snapshot(store.root)
        page.click("#bulk-yes")
        page.locator("#toast", has_text="preview it again").wait_for(timeout=30_000)
        assert snapshot(store.root) == before
        page.locator("#progress", has_text="1 accepted").wait_for(timeout=30_000)  # reloaded
        page.click("#bulk-reject")
        page.wait_for_selector("#bulk-confirm:not([hidden])")
        page.click("#bulk-no")
        assert page.locator("#bulk-confirm").is_hidden()
        page.wait_for_timeout(300)
        assert snapshot(store.root) == before
        # an area given by typing it: a malformed one is refused in the page, a good one counted
        page.fill("#bulk-area", "100, 100, 900")
        page.click("#bulk-accept")
        page.locator("#toast", has_text="is not four numbers").wait_for(timeout=10_000)
        assert page.locator("#bulk-confirm").is_hidden()
        page.fill("#bulk-area", "100, 100, 900, 700")
        page.click("#bulk-accept")
        page.wait_for_selector("#bulk-confirm:not([hidden])")
        typed = {k for k in _ids_in_area(store, [100, 100, 900, 700]) if k not in _latest(store)
                 or _latest(store)[k] == "unreviewed"}
        assert f"accept {len(typed)} boxes" in page.locator("#bulk-text").inner_text()
        page.click("#bulk-no")
        assert snapshot(store.root) == before
        page.locator("#map").click(position={"x": 5, "y": 5})
        page.keyboard.press("j")  # a selected box makes the panel above the labels taller
        assert "armoured vehicle" in page.locator("#sel-body").inner_text()
        _assert_label_rows_fit(page)
        shot(page, tmp_path, "scale_end")

        assert chain_problems(read_entries(store.audit_path)) == [] and verify_case(store).ok
        # the one refused request is the only error the browser saw
        assert [e for e in page.errors if "status of 400" not in e] == []
        assert len(page.errors) == 1

    folder = Path(os.environ.get("SITEWATCH_SCREENSHOTS", tmp_path))
    (folder / "review_scale_timings.json").write_text(json.dumps(timings, indent=1))
    print("review at scale (1000 boxes, 1366×768):",
          ", ".join(f"{k} {v:.2f}" for k, v in timings.items()))
    assert timings["first_render_s"] < 30 and timings["bulk_reject_s"] < 20
