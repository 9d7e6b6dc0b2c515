"""The review app's HTTP face: token on every route, decisions stored append-only and audited."""

from __future__ import annotations

import re
import sqlite3
from typing import Any

import pytest

from sitewatch.catalog import CaseStore, verify_case
from sitewatch.catalog.audit import chain_problems, read_entries
from tests.review.conftest import TOKEN

HEADERS = {"X-Sitewatch-Token": TOKEN}


def _scene(store: CaseStore, index: int = 1) -> str:
    return store.scenes()[index].sha256


def _post(client: Any, sha: str, **body: Any) -> Any:
    return client.post(f"/api/scenes/{sha}/reviews", json=body, headers=HEADERS)


@pytest.mark.parametrize("path", ["/", "/api/sites", "/static/app.js",
                                  "/static/vendor/leaflet/leaflet.js", "/api/sites/depot/counts"])
def test_every_route_refuses_a_missing_or_wrong_token(client: Any, path: str) -> None:
    assert client.get(path).status_code == 403
    assert client.get(path, params={"token": "wrong" * 6}).status_code == 403
    assert client.get(path, headers={"X-Sitewatch-Token": TOKEN[:-1] + "y"}).status_code == 403
    assert client.get(path, headers=HEADERS).status_code == 200


def test_first_url_sets_a_cookie_that_then_suffices_for_reading(client: Any) -> None:
    page = client.get("/", params={"token": TOKEN})
    assert page.status_code == 200 and "sitewatch review" in page.text
    assert "httponly" in page.headers["set-cookie"].lower()
    assert client.get("/api/sites").status_code == 200  # cookie now held by the client


def test_changes_need_the_header_not_just_the_cookie(client: Any, small_case: CaseStore) -> None:
    client.get("/", params={"token": TOKEN})
    sha = _scene(small_case)
    body = {"action": "accept", "detection_id": "d0"}
    assert client.post(f"/api/scenes/{sha}/reviews", json=body).status_code == 403
    assert small_case.reviews(sha) == ()
    assert _post(client, sha, **body).status_code == 200


def test_other_hosts_are_refused(client: Any) -> None:
    assert client.get("/api/sites", headers={**HEADERS, "host": "evil.example"}).status_code == 400


def test_page_loads_nothing_from_the_internet(client: Any) -> None:
    page = client.get("/", headers=HEADERS).text
    script = client.get("/static/app.js", headers=HEADERS).text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "http://" not in script and "https://" not in script
    assert "default-src 'self'" in client.get("/", headers=HEADERS).headers["content-security-policy"]


def test_decisions_change_the_state_and_are_stored_append_only(client: Any, small_case: CaseStore) -> None:
    sha = _scene(small_case)
    assert _post(client, sha, action="accept", detection_id="d0").json()["status"] == "accepted"
    relabel = _post(client, sha, action="relabel", detection_id="d1", label="civilian_vehicle").json()
    assert (relabel["status"], relabel["label"]) == ("corrected", "civilian_vehicle")
    assert _post(client, sha, action="reject", detection_id="d2").json()["status"] == "rejected"
    assert _post(client, sha, action="loaded", detection_id="d3").json()["loaded"] is True
    box = {"cx_px": 500.0, "cy_px": 400.0, "width_px": 30.0, "height_px": 14.0, "angle_rad": 0.2}
    added = _post(client, sha, action="add", label="military_truck", box=box).json()
    assert added["id"].startswith("a") and added["status"] == "corrected"
    moved = _post(client, sha, action="redraw", detection_id="d4", box=box).json()
    assert moved["box"]["cx_px"] == 500.0
    assert _post(client, sha, action="accept", detection_id="d2").json()["status"] == "accepted"

    rows = small_case.reviews(sha)
    assert [r.seq for r in rows] == sorted(r.seq for r in rows) and len(rows) == 7
    assert [r.action.value for r in rows] == ["accept", "relabel", "reject", "loaded", "add",
                                               "redraw", "accept"]
    with sqlite3.connect(small_case.root / "catalog.sqlite") as db, pytest.raises(
            sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE reviews SET status = 'accepted'")
    with sqlite3.connect(small_case.root / "catalog.sqlite") as db, pytest.raises(
            sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM reviews")

    items = {i["id"]: i for i in client.get(f"/api/scenes/{sha}/detections", headers=HEADERS)
             .json()["items"]}
    assert items["d2"]["status"] == "accepted" and items["d5"]["status"] == "unreviewed"
    earlier = client.get(f"/api/scenes/{sha}/detections", params={"at_seq": rows[2].seq},
                         headers=HEADERS).json()
    assert {i["id"]: i["status"] for i in earlier["items"]}["d2"] == "rejected"
    assert earlier["summary"]["reviewed"] == 3


def test_every_decision_is_an_audit_entry_under_the_reviewers_name(
        client: Any, small_case: CaseStore) -> None:
    sha = _scene(small_case)
    for action, det in (("accept", "d0"), ("reject", "d1"), ("loaded", "d0")):
        _post(client, sha, action=action, detection_id=det)
    entries = [e for e in read_entries(small_case.audit_path) if e.action == "review"]
    assert [(e.actor, e.details["action"], e.details["detection_id"]) for e in entries] == [
        ("Ana Lyst", "accept", "d0"), ("Ana Lyst", "reject", "d1"), ("Ana Lyst", "loaded", "d0")]
    assert all(e.details["scene_sha256"] == sha for e in entries)
    assert chain_problems(read_entries(small_case.audit_path)) == []
    assert verify_case(small_case).ok
    history = client.get(f"/api/scenes/{sha}/history", headers=HEADERS).json()
    assert [(h["reviewer"], h["status"]) for h in history] == [
        ("Ana Lyst", "accepted"), ("Ana Lyst", "rejected"), ("Ana Lyst", "corrected")]


@pytest.mark.parametrize("body", [
    {"action": "accept", "detection_id": "d0", "note": "unknown key"},
    {"action": "promote", "detection_id": "d0"},
    {"action": "redraw", "detection_id": "d0", "box": {"cx_px": 1, "cy_px": 1, "width_px": 2}},
])
def test_malformed_decisions_are_refused(client: Any, small_case: CaseStore, body: Any) -> None:
    assert _post(client, _scene(small_case), **body).status_code == 422
    assert small_case.reviews(_scene(small_case)) == ()


@pytest.mark.parametrize(("body", "message"), [
    ({"action": "relabel", "detection_id": "d0", "label": "tank"}, "unknown label"),
    ({"action": "accept", "detection_id": "d99"}, "no detection"),
    ({"action": "add", "label": "vehicle"}, "add needs a new box"),
    ({"action": "redraw", "detection_id": "d0",
      "box": {"cx_px": 1, "cy_px": 1, "width_px": 0.2, "height_px": 5, "angle_rad": 0}}, "too small"),
    ({"action": "add", "label": "vehicle",  # issue 24: a 1e308 px box broke every export
      "box": {"cx_px": 1e308, "cy_px": 1, "width_px": 1e308, "height_px": 5, "angle_rad": 0}},
     "does not fit"),
    ({"action": "redraw", "detection_id": "d0",
      "box": {"cx_px": 10, "cy_px": -3, "width_px": 20, "height_px": 5, "angle_rad": 0}}, "does not fit"),
    ({"action": "add", "label": "vehicle",
      "box": {"cx_px": 10, "cy_px": 10, "width_px": 20, "height_px": 5, "angle_rad": 1e9}}, "does not fit"),
])
def test_impossible_decisions_say_why(client: Any, small_case: CaseStore, body: Any,
                                      message: str) -> None:
    response = _post(client, _scene(small_case), **body)
    assert response.status_code == 400 and message in response.json()["error"]


def test_tiles_cover_the_scene_at_every_zoom(client: Any, small_case: CaseStore) -> None:
    import cv2
    import numpy as np

    sha = _scene(small_case)
    zmax = client.get("/api/sites", headers=HEADERS).json()["sites"][0]["zmax"]
    assert zmax == 3  # 1200 px wide: 256 * 2**3 >= 1200
    whole = client.get(f"/api/tiles/{sha}/{zmax}/0/0/0.jpg", headers=HEADERS)
    assert whole.headers["content-type"] == "image/jpeg"
    image = cv2.imdecode(np.frombuffer(whole.content, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (256, 256, 3)
    assert image[:100, :140].std() > 3 and image[120:, 160:].std() < 1  # scene, then padding
    assert client.get(f"/api/tiles/{sha}/{zmax}/3/4/3.jpg", headers=HEADERS).status_code == 200
    assert client.get(f"/api/tiles/{sha}/{zmax}/3/5/0.jpg", headers=HEADERS).status_code == 404
    assert client.get(f"/api/tiles/{sha}/{zmax}/4/0/0.jpg", headers=HEADERS).status_code == 404


def test_counts_and_zones_follow_the_review(client: Any, small_case: CaseStore) -> None:
    sha = _scene(small_case)
    before = client.get("/api/sites/depot/counts", headers=HEADERS).json()[1]
    _post(client, sha, action="reject", detection_id="d0")
    _post(client, sha, action="loaded", detection_id="d1")
    after = client.get("/api/sites/depot/counts", headers=HEADERS).json()[1]
    assert (before["total"], after["total"]) == (6, 5)
    assert (after["reviewed"], after["of"], after["loaded"]) == (2, 6, 1)
    zones = client.get(f"/api/scenes/{sha}/zones", headers=HEADERS).json()
    assert [z["name"] for z in zones["zones"]] == ["parking"]


def test_undo_appends_the_earlier_state(client: Any, small_case: CaseStore) -> None:
    sha = _scene(small_case)
    _post(client, sha, action="accept", detection_id="d0")
    _post(client, sha, action="reject", detection_id="d0")
    assert _post(client, sha, action="undo", detection_id="d0").json()["status"] == "accepted"
    assert _post(client, sha, action="undo", detection_id="d0").json()["status"] == "rejected"
    _post(client, sha, action="relabel", detection_id="d1", label="vehicle")
    back = _post(client, sha, action="undo", detection_id="d1").json()
    assert back["status"] == "unreviewed" and back["label"] == back["original_label"]
    box = {"cx_px": 500.0, "cy_px": 400.0, "width_px": 30.0, "height_px": 14.0, "angle_rad": 0.0}
    added = _post(client, sha, action="add", label="vehicle", box=box).json()
    assert _post(client, sha, action="undo", detection_id=added["id"]).json()["status"] == "rejected"
    assert len(small_case.reviews(sha)) == 8  # every undo is a new row
    assert len(small_case.reviewed_detections(sha)) == len(small_case.detections(sha)) - 1
    counts = client.get("/api/sites/depot/counts", headers=HEADERS).json()[1]
    assert counts["reviewed"] == 1  # d0 (rejected); d1 is unreviewed again
    refused = _post(client, sha, action="undo", detection_id="d2")
    assert refused.status_code == 400 and "no decision to undo" in refused.json()["error"]


def test_cursor_read_out_places_pixels_in_wgs84(client: Any, small_case: CaseStore) -> None:
    from sitewatch.imagery.georef import pixel_to_lonlat

    scene = small_case.scenes()[0]
    assert scene.transform is not None and scene.crs_wkt is not None
    a = client.get("/api/sites", headers=HEADERS).json()["sites"][0]["scenes"][0]["lonlat_affine"]
    ((lon, lat),) = pixel_to_lonlat(scene.transform, scene.crs_wkt, [600.0], [450.0]).tolist()
    assert abs(a[0] + a[1] * 600 + a[2] * 450 - lon) < 1e-7
    assert abs(a[3] + a[4] * 600 + a[5] * 450 - lat) < 1e-7


def test_static_files_stay_inside_the_package(client: Any) -> None:
    for path in ("/static/../app.py", "/static/%2e%2e/app.py", "/static/.hidden.js",
                 "/static/vendor/leaflet/missing.js", "/static/index.py"):
        assert client.get(path, headers=HEADERS).status_code == 404, path


def test_a_site_without_georeference_is_shown_in_pixels(tmp_path: Any) -> None:
    import datetime as dt
    import warnings

    import cv2
    import numpy as np

    from sitewatch.catalog import DetectionRecord, RunRecord, ingest_files
    from sitewatch.review import create_app

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from fastapi.testclient import TestClient

    store = CaseStore.init(tmp_path / "plain")
    image = tmp_path / "yard.jpg"
    cv2.imwrite(str(image), np.random.default_rng(3).integers(0, 255, (300, 500, 3), np.uint8))
    ingest_files(store, [image], site="yard", date=dt.date(2020, 1, 2), source="test", gsd_m=0.3)
    sha = store.scenes()[0].sha256
    store.save_run(RunRecord(run_id="r1", kind="detect", created_utc="2026-01-01T00:00:00+00:00",
                             model_name="planted", model_sha256="p" * 64, params={}, software={}),
                   {sha: (DetectionRecord(label="vehicle", score=0.5, cx_px=100, cy_px=80,
                                          width_px=20, height_px=9, angle_rad=0.0),)})
    app = create_app(store, reviewer="Ana Lyst", token=TOKEN, allowed_hosts=("testserver",))
    with TestClient(app) as plain:
        scene = plain.get("/api/sites", headers=HEADERS).json()["sites"][0]["scenes"][0]
        assert scene["georeferenced"] is False and scene["lonlat_affine"] is None
        assert plain.get(f"/api/tiles/{sha}/1/1/1/0.jpg", headers=HEADERS).status_code == 200
        assert _post(plain, sha, action="accept", detection_id="d0").json()["status"] == "accepted"
        assert plain.get(f"/api/scenes/{sha}/zones", headers=HEADERS).json() == {"zones": [],
                                                                                  "note": None}
