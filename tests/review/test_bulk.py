"""Bulk decisions through the app's HTTP face: preview, apply as one audited entry, undo, refuse."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sitewatch.catalog import CaseStore, ReviewAction, verify_case
from sitewatch.catalog.audit import chain_problems, read_entries
from sitewatch.errors import ReviewError
from sitewatch.review.bulk import Selection, bulk_decisions
from sitewatch.review.decisions import review_items
from tests.cli.snapshots import snapshot
from tests.review.casefixture import make_case
from tests.review.conftest import TOKEN, client_of

HEADERS = {"X-Sitewatch-Token": TOKEN}


@pytest.fixture
def case(tmp_path: Path) -> CaseStore:
    return make_case(tmp_path, vehicles=(30, 60))


@pytest.fixture
def bulk_client(case: CaseStore) -> Iterator[Any]:
    with client_of(case) as test_client:
        yield test_client


def _sha(store: CaseStore) -> str:
    return store.scenes()[1].sha256


def _bulk(client: Any, sha: str, path: str = "bulk", **body: Any) -> Any:
    return client.post(f"/api/scenes/{sha}/{path}", json=body, headers=HEADERS)


def _expected(store: CaseStore, label: str | None, lo: float, hi: float,
              area: tuple[float, float, float, float] | None = None) -> list[str]:
    """The ids a selection must pick, worked out from the stored detections directly."""
    out = []
    for i, r in enumerate(store.detections(_sha(store))):
        inside = area is None or (area[0] <= r.cx_px < area[2] and area[1] <= r.cy_px < area[3])
        if (label is None or r.label == label) and lo <= r.score < hi and inside:
            out.append(f"d{i}")
    return out


def test_preview_counts_what_changes_and_stores_nothing(bulk_client: Any, case: CaseStore) -> None:
    sha = _sha(case)
    before = snapshot(case.root)
    preview = _bulk(bulk_client, sha, "bulk/preview", action="reject", label="military_truck",
                    score_min=0.3, score_max=0.6).json()
    expected = _expected(case, "military_truck", 0.3, 0.6)
    assert 0 < len(expected) < 20
    assert preview["count"] == len(expected) and sorted(preview["ids"]) == sorted(expected)
    assert preview["by_label"] == {"military_truck": len(expected)}
    assert snapshot(case.root) == before


def test_bulk_reject_by_score_band_is_one_audited_entry(bulk_client: Any, case: CaseStore) -> None:
    sha = _sha(case)
    ids = _bulk(bulk_client, sha, "bulk/preview", action="reject", label="armored_vehicle",
                score_max=0.5).json()["ids"]
    entries_before = len(read_entries(case.audit_path))
    out = _bulk(bulk_client, sha, action="reject", label="armored_vehicle", score_max=0.5,
                expect_ids=ids).json()
    assert out["count"] == len(ids) == len(_expected(case, "armored_vehicle", 0.0, 0.5)) > 3
    entries = read_entries(case.audit_path)
    assert len(entries) == entries_before + 1
    entry = entries[-1]
    assert (entry.action, entry.actor) == ("review-bulk", "Ana Lyst")
    assert entry.details["selection"] == {"label": "armored_vehicle", "score_min": 0.0,
                                          "score_max": 0.5, "area_px": None, "only_unreviewed": True}
    assert [r["detection_id"] for r in entry.details["reviews"]] == ids
    rows = case.reviews(sha)
    assert len(rows) == len(ids) and {r.status.value for r in rows} == {"rejected"}
    assert len(case.reviewed_detections(sha)) == len(case.detections(sha)) - len(ids)
    assert chain_problems(entries) == [] and verify_case(case).ok


def test_bulk_accept_by_area_leaves_judged_boxes_alone(bulk_client: Any, case: CaseStore) -> None:
    sha = _sha(case)
    area = (0.0, 0.0, 600.0, 250.0)
    inside = _expected(case, None, 0.0, 1.01, area)
    assert len(inside) > 5
    first = bulk_client.post(f"/api/scenes/{sha}/reviews", headers=HEADERS,
                             json={"action": "reject", "detection_id": inside[0]})
    assert first.status_code == 200
    ids = _bulk(bulk_client, sha, "bulk/preview", action="accept", area_px=area).json()["ids"]
    assert sorted(ids) == sorted(inside[1:])  # the rejected box is not overridden
    _bulk(bulk_client, sha, action="accept", area_px=area, expect_ids=ids)
    latest = {r.detection_id: r.status.value for r in case.reviews(sha)}
    assert latest[inside[0]] == "rejected" and all(latest[i] == "accepted" for i in inside[1:])
    # with only_unreviewed off, the rejected box inside is accepted too, and nothing else
    everything = _bulk(bulk_client, sha, "bulk/preview", action="accept", area_px=area,
                       only_unreviewed=False).json()
    assert everything["ids"] == [inside[0]]


def test_bulk_undo_puts_every_box_back_in_one_entry(bulk_client: Any, case: CaseStore) -> None:
    sha = _sha(case)
    ids = _bulk(bulk_client, sha, "bulk/preview", action="reject", score_min=0.6).json()["ids"]
    seqs = _bulk(bulk_client, sha, action="reject", score_min=0.6, expect_ids=ids).json()["seqs"]
    undone = _bulk(bulk_client, sha, "bulk/undo", seqs=seqs).json()
    assert sorted(undone["ids"]) == sorted(ids)
    assert [e.action for e in read_entries(case.audit_path)][-2:] == ["review-bulk", "review-bulk"]
    assert len(case.reviewed_detections(sha)) == len(case.detections(sha))
    latest = {r.detection_id: r for r in case.reviews(sha)}
    assert {latest[i].status.value for i in ids} == {"unreviewed"}
    assert verify_case(case).ok


def test_refused_bulk_actions_change_nothing(bulk_client: Any, case: CaseStore) -> None:
    sha = _sha(case)
    ids = _bulk(bulk_client, sha, "bulk/preview", action="accept", score_min=0.5).json()["ids"]
    seqs = _bulk(bulk_client, sha, action="accept", score_min=0.5, expect_ids=ids).json()["seqs"]
    changed = bulk_client.post(f"/api/scenes/{sha}/reviews", headers=HEADERS,
                               json={"action": "reject", "detection_id": ids[0]})
    assert changed.status_code == 200
    before = snapshot(case.root)
    stale = _bulk(bulk_client, sha, action="reject", score_max=0.5, expect_ids=ids[:3])
    assert stale.status_code == 400 and "preview it again" in stale.json()["error"]
    undo = _bulk(bulk_client, sha, "bulk/undo", seqs=seqs)
    assert undo.status_code == 400 and f"box {ids[0]} was decided on again" in undo.json()["error"]
    empty = _bulk(bulk_client, sha, action="accept", score_min=0.7, score_max=0.6, expect_ids=[])
    assert empty.status_code == 400 and "score band" in empty.json()["error"]
    nothing = _bulk(bulk_client, sha, action="accept", score_min=0.5, expect_ids=[])
    assert nothing.status_code == 400 and "changes no box" in nothing.json()["error"]
    unpreviewed = _bulk(bulk_client, sha, action="reject")
    assert unpreviewed.status_code == 400 and "preview it first" in unpreviewed.json()["error"]
    assert _bulk(bulk_client, sha, action="relabel", expect_ids=[]).status_code == 422
    assert _bulk(bulk_client, sha, action="accept", expect_ids=[], typo=1).status_code == 422
    no_header = bulk_client.post(f"/api/scenes/{sha}/bulk", json={"action": "reject",
                                                                 "expect_ids": []})
    assert no_header.status_code == 403
    assert snapshot(case.root) == before
    assert verify_case(case).ok


def test_verify_finds_an_edited_bulk_row(bulk_client: Any, case: CaseStore) -> None:
    import sqlite3

    sha = _sha(case)
    ids = _bulk(bulk_client, sha, "bulk/preview", action="reject", score_min=0.8).json()["ids"]
    _bulk(bulk_client, sha, action="reject", score_min=0.8, expect_ids=ids)
    assert verify_case(case).ok
    with sqlite3.connect(case.root / "catalog.sqlite") as db:
        db.execute("DROP TRIGGER reviews_no_update")
        db.execute("UPDATE reviews SET status = 'accepted' WHERE detection_id = ?", (ids[-1],))
    assert any(f"({ids[-1]}) differs from its audit entry" in p for p in verify_case(case).problems)


def test_selection_bounds() -> None:
    for bad in ({"score_min": 0.5, "score_max": 0.5}, {"score_max": 1.5}, {"label": "tank"},
                {"area_px": (10.0, 10.0, 5.0, 20.0)}, {"score_min": float("nan")}):
        with pytest.raises(ReviewError):
            Selection(**bad)


def test_score_band_is_half_open_except_at_one(case: CaseStore) -> None:
    sha = _sha(case)
    items = review_items(case.detections(sha), ())
    scores = sorted({i.original.score for i in items if i.original})
    cut = scores[len(scores) // 2]

    def picked(lo: float, hi: float) -> set[str]:
        return {r.detection_id for r in bulk_decisions(
            items, Selection(score_min=lo, score_max=hi), ReviewAction.ACCEPT,
            scene_sha256=sha, run_id="r", reviewer="A")}

    low, high = picked(0.0, cut), picked(cut, 1.0)
    assert not low & high and len(low | high) == len(items)
    assert all(i.original and i.original.score < cut for i in items if i.detection_id in low)


def test_store_refuses_a_bulk_of_mixed_actions_or_none(case: CaseStore) -> None:
    from sitewatch.errors import CatalogError

    sha = _sha(case)
    items = review_items(case.detections(sha), ())
    accept = bulk_decisions(items[:2], Selection(), ReviewAction.ACCEPT, scene_sha256=sha,
                            run_id="run0000000000001", reviewer="A")
    reject = bulk_decisions(items[2:4], Selection(), ReviewAction.REJECT, scene_sha256=sha,
                            run_id="run0000000000001", reviewer="A")
    before = snapshot(case.root)
    for bad in ((), (*accept, *reject)):
        with pytest.raises(CatalogError):
            case.append_reviews(bad, selection={})
    assert snapshot(case.root) == before
