"""The whole job on tiny generated scenes, with a simple real detector of bright blobs."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from sitewatch.case import detect_case, export_case, interval_options, report_case, track_case
from sitewatch.catalog import CaseStore, ingest_files, sha256_file, verify_case
from sitewatch.detect import Detection, VehicleClass
from sitewatch.geo import OrientedBoxPx

GSD_M = 0.3


class BlobDetector:
    """Finds bright rectangles on a dark ground: a real, if simple, detector for tests."""

    name = "blob-test"
    sha256 = "b" * 64
    gsd_m = GSD_M
    tile_px = 128

    def detect_batch(self, tiles: list[np.ndarray]) -> list[tuple[Detection, ...]]:
        out = []
        for tile in tiles:
            grey = cv2.cvtColor(tile, cv2.COLOR_RGB2GRAY)
            contours, _ = cv2.findContours((grey > 128).astype(np.uint8), cv2.RETR_EXTERNAL,
                                           cv2.CHAIN_APPROX_SIMPLE)
            found = []
            for contour in contours:
                (cx, cy), (w, h), angle = cv2.minAreaRect(contour)
                if min(w, h) >= 3:
                    box = OrientedBoxPx(cx_px=cx, cy_px=cy, width_px=w, height_px=h,
                                        angle_rad=np.deg2rad(angle))
                    found.append(Detection(box=box, label=VehicleClass.ARMORED_VEHICLE,
                                           score=0.9))
            out.append(tuple(found))
        return out


def _scene(path: Path, centres: list[tuple[int, int]]) -> Path:
    import rasterio
    from rasterio.transform import from_origin

    # The same textured ground on every date, so that the dates can be registered.
    ground = cv2.GaussianBlur(np.random.default_rng(7).integers(0, 90, (300, 300), dtype=np.uint8),
                              (5, 5), 0)
    image = np.repeat(ground[None], 3, axis=0)
    for cx, cy in centres:
        image[:, cy - 6:cy + 6, cx - 12:cx + 12] = 220
    with rasterio.open(path, "w", driver="GTiff", width=300, height=300, count=3, dtype="uint8",
                       crs="EPSG:32637", transform=from_origin(408000.0, 5236000.0, GSD_M, GSD_M),
                       ) as dst:
        dst.write(image)
    return path


@pytest.fixture
def case(tmp_path: Path) -> CaseStore:
    store = CaseStore.init(tmp_path / "case")
    before = _scene(tmp_path / "before.tif", [(60, 60), (200, 80)])
    after = _scene(tmp_path / "after.tif", [(60, 60), (200, 80), (120, 230)])
    ingest_files(store, [before], site="depot", date=dt.date(2014, 5, 30), source="generated")
    ingest_files(store, [after], site="depot", date=dt.date(2014, 6, 11), source="generated")
    return store


def test_detect_is_stored_once_per_model_and_audited(case: CaseStore) -> None:
    first = detect_case(case, BlobDetector())
    assert (first.scenes_processed, first.detections) == (2, 5)
    again = detect_case(case, BlobDetector())
    assert again.scenes_processed == 0 and again.scenes_skipped == 2
    (run,) = case.runs()
    assert run.model_sha256 == "b" * 64 and "sitewatch" in run.software
    assert verify_case(case).ok


def test_detections_are_georeferenced_and_in_full_resolution(case: CaseStore) -> None:
    detect_case(case, BlobDetector())
    after = case.scenes()[1]
    centres = sorted((round(r.cx_px), round(r.cy_px)) for r in case.detections(after.sha256))
    assert centres == [(60, 60), (120, 230), (200, 80)]
    assert all(r.lon_deg is not None and 37 < r.lon_deg < 40 for r in case.detections(after.sha256))


def test_track_finds_the_arrival(case: CaseStore) -> None:
    detect_case(case, BlobDetector())
    (track,) = track_case(case)
    arrivals = [e for e in track.events if e.kind.value == "arrived"]
    assert len(arrivals) == 1
    assert abs(arrivals[0].x_px - 120) < 3 and abs(arrivals[0].y_px - 230) < 3
    totals = {c.date: c.n for c in track.counts
              if c.zone is None and c.label == "armored_vehicle"}
    assert totals == {dt.date(2014, 5, 30): 2, dt.date(2014, 6, 11): 3}


def test_report_names_every_input_and_the_model(case: CaseStore) -> None:
    detect_case(case, BlobDetector())
    path = report_case(case)
    html = path.read_text()
    for scene in case.scenes():
        assert scene.sha256 in html
    assert "b" * 64 in html and "2014-06-11" in html and "arrived" in html
    # one before/after pair (photographs, as JPEG), the map and the counts plot
    assert html.count("data:image/jpeg;base64,") == 2
    assert html.count("data:image/png;base64,") == 2
    assert "http://" not in html.replace("http://www.w3.org", "")
    assert verify_case(case).ok


def test_count_intervals_say_where_their_rates_come_from(case: CaseStore) -> None:
    options, note = interval_options(case)
    assert "nothing has been detected" in note
    detect_case(case, BlobDetector())
    options, note = interval_options(case)
    assert (options.detector_precision, options.detector_recall) == (0.9, 0.8)
    assert note == ("90% interval from placeholder rates (precision 0.9, recall 0.8): model blob-test "
                    "has no measured rates")
    assert note in report_case(case).read_text()


def test_an_int8_run_gets_no_borrowed_rates(case: CaseStore) -> None:
    """Counts of the int8 variant are not given the float model's rates (measured on another
    file; the int8 one finds far fewer small vehicles), and the note says why."""
    from sitewatch.catalog import RunRecord
    from sitewatch.detect.modelcard import load_card
    from sitewatch.detect.registry import card_path_for

    card = load_card(card_path_for("sitewatch-vehicles-yolov8n-obb-int8"), verify=False)
    case.save_run(RunRecord(run_id="q", kind="detect", created_utc="2026-12-05",
                            model_name=card.name, model_sha256=card.onnx_sha256,
                            params={"score_threshold": card.score_threshold}, software={}), {})
    options, note = interval_options(case)
    assert (options.detector_precision, options.detector_recall) == (0.9, 0.8)
    assert "placeholder" in note and "no measured rates of its own" in note


def test_detect_runs_record_the_score_and_intervals_use_rates_read_at_it(case: CaseStore) -> None:
    """A run made at another score than the model's rates were read at gets no rates."""
    from sitewatch.catalog import RunRecord
    from sitewatch.detect.modelcard import load_card
    from sitewatch.detect.registry import DEFAULT_MODEL, card_path_for

    card = load_card(card_path_for(DEFAULT_MODEL), verify=False)
    legacy: dict[str, float] = {}  # recorded before the score was kept: made at 0.25
    for n, params in enumerate((legacy, {"score_threshold": card.score_threshold})):
        case.save_run(RunRecord(run_id=f"r{n}", kind="detect", created_utc=f"2026-12-0{n + 1}",
                                model_name=card.name, model_sha256=card.onnx_sha256,
                                params=params, software={}), {})
        options, note = interval_options(case)
        if params is legacy:
            assert options.detector_precision == 0.9 and "ran at score 0.25" in note
        else:
            assert options.detector_precision != 0.9 and "placeholder" not in note
    blob = BlobDetector()
    blob.score_threshold = 0.4  # type: ignore[attr-defined]
    detect_case(case, blob)
    assert [r.params.get("score_threshold") for r in case.runs()][-1] == 0.4


@pytest.mark.parametrize("fmt", ["geojson", "kml", "kmz", "csv", "coco", "gpkg"])
def test_exports(case: CaseStore, tmp_path: Path, fmt: str) -> None:
    detect_case(case, BlobDetector())
    out = tmp_path / f"export.{'json' if fmt == 'coco' else fmt}"  # COCO is JSON
    written = export_case(case, fmt, out).features
    assert written >= 5
    if fmt == "geojson":
        data = json.loads(out.read_text())
        polygon = next(f for f in data["features"] if f["geometry"]["type"] == "Polygon")
        ring = polygon["geometry"]["coordinates"][0]
        assert ring[0] == ring[-1] and 37 < ring[0][0] < 40
    if fmt == "kmz":
        with zipfile.ZipFile(out) as archive:
            assert "<TimeSpan><begin>2014-05-30</begin><end>2014-06-11</end>" in \
                archive.read("doc.kml").decode()
    if fmt == "coco":
        data = json.loads(out.read_text())
        assert len(data["images"]) == 2 and len(data["annotations"]) == 5
    if fmt == "gpkg":
        import pyogrio

        assert len(pyogrio.read_info(out, layer="detections")["fields"]) >= 8


def test_replay_reproduces_and_catches_a_changed_result(case: CaseStore) -> None:
    import sqlite3

    from sitewatch.case import replay_case

    detector = BlobDetector()
    detect_case(case, detector)
    html = report_case(case).read_text()
    manifest = case.derived_dir / "manifest.json"
    from sitewatch.catalog import sha256_file

    assert sha256_file(manifest) in html
    assert replay_case(case, detectors={detector.sha256: detector}).ok
    with sqlite3.connect(case.root / "catalog.sqlite") as db:
        db.execute("UPDATE detections SET cx_px = cx_px + 40 WHERE rowid = 1")
    report = replay_case(case, detectors={detector.sha256: detector})
    assert not report.ok and any("differ" in d for d in report.differences)


def test_replay_of_a_case_whose_original_was_removed_says_so(case: CaseStore) -> None:
    """Issue 24 (bench --tamper): replay raised FileNotFoundError when an original was gone."""
    from sitewatch.case import replay_case

    detector = BlobDetector()
    detect_case(case, detector)
    report_case(case)
    gone = case.scenes()[0]
    gone.path.chmod(0o600)
    gone.path.unlink()
    report = replay_case(case, detectors={detector.sha256: detector})
    assert not report.ok and report.scenes_recomputed == 1
    assert any("its stored original is missing" in d and gone.original_name in d
               for d in report.differences)


class LeftHandedDetector(BlobDetector):
    """Is surer of vehicles in the left half of a tile: mirrored views change its scores."""

    def detect_batch(self, tiles: list[np.ndarray]) -> list[tuple[Detection, ...]]:
        return [tuple(dataclasses.replace(d, score=0.9 if d.box.cx_px < tile.shape[1] / 2 else 0.5)
                      for d in found)
                for found, tile in zip(super().detect_batch(tiles), tiles, strict=True)]


def test_a_run_with_test_time_augmentation_is_replayed_with_it(case: CaseStore) -> None:
    from sitewatch.case import replay_case
    from sitewatch.detect import DetectOptions
    from sitewatch.detect.tta import FLIPS

    detector = LeftHandedDetector()
    plain = detect_case(case, detector)
    with_tta = detect_case(case, detector, options=DetectOptions(tta_views=FLIPS))
    assert plain.run_id and with_tta.run_id and with_tta.detections == plain.detections
    (run,) = [r for r in case.runs() if r.run_id == with_tta.run_id]
    assert run.params["tta_views"] == list(FLIPS) and run.model_name == "blob-test"
    scene = case.scenes()[0].sha256
    assert {r.score for r in case.detections(scene)} == {0.7}  # two of four views at 0.9
    report_case(case)
    assert replay_case(case, detectors={detector.sha256: detector}).ok


def test_report_pairs_assessment_and_pdf(case: CaseStore) -> None:
    from sitewatch.assess import assessment_path, load_sample, save_assessment

    detect_case(case, BlobDetector())
    save_assessment(load_sample("rostov"), assessment_path(case.root))
    path = report_case(case, pdf=True)
    html = path.read_text()
    assert "Key judgments" in html and "Competing hypotheses" in html
    assert "Before and after" in html and "Map of image footprints" in html
    pdf = path.with_suffix(".pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 50_000
    last = json.loads((case.root / "audit.jsonl").read_text().splitlines()[-1])
    assert last["action"] == "report"
    logged = {f["path"]: f["sha256"] for f in last["details"]["files"]}
    assert set(logged) == {"derived/report.html", "derived/report.pdf", "derived/manifest.json"}
    assert logged["derived/report.pdf"] == sha256_file(path.with_suffix(".pdf"))


def test_comparison_panels_are_attached_without_metadata(case: CaseStore, tmp_path: Path) -> None:
    from PIL import Image

    from sitewatch.case import attach_comparison

    panel = tmp_path / "panel.jpg"
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    exif[0x8825] = {1: "N", 2: (47.0, 14.0, 0.0)}  # GPS position
    Image.fromarray(np.full((40, 60, 3), 128, dtype=np.uint8)).save(panel, exif=exif)
    with Image.open(panel) as original:
        assert "exif" in original.info
    result = tmp_path / "compare.json"
    result.write_text(json.dumps({"queries": [{
        "query": "video.mp4", "sha256": "c" * 64, "kind": "video", "panel": "panel.jpg",
        "ranking": [{"gallery": "t72", "similarity": 0.31, "best_references": [{"path": "a.jpg"}]}],
    }]}))
    stored = attach_comparison(case, result)
    with Image.open(stored.parent / "panel-000.png") as copy:
        assert "exif" not in copy.info and not copy.getexif()
    detect_case(case, BlobDetector())
    html = report_case(case).read_text()
    assert "Ground photos and video compared" in html and "video.mp4" in html
    assert verify_case(case).ok


def test_a_crafted_comparison_cannot_publish_a_local_file(case: CaseStore, tmp_path: Path) -> None:
    """The attack of issue 24: a comparison naming a local file put it into the report."""
    import base64

    from sitewatch.case import attach_comparison
    from sitewatch.errors import ConfigError

    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:the machine's password file\n")
    secret_png = tmp_path / "elsewhere.png"
    cv2.imwrite(str(secret_png), np.full((20, 30, 3), 200, dtype=np.uint8))
    query = {"query": "photo.jpg", "sha256": "c" * 64, "kind": "photo", "ranking": []}
    crafted = tmp_path / "result" / "compare.json"
    crafted.parent.mkdir()
    for attack in ({"panel_path": str(secret)}, {"panel": str(secret_png)},
                   {"panel": "../elsewhere.png"}, {"panel": "../secret.txt"}):
        crafted.write_text(json.dumps({"queries": [{**query, **attack}]}))
        with pytest.raises(ConfigError, match=r"compare\.json"):
            attach_comparison(case, crafted)
    assert not (case.root / "config" / "comparison" / "comparison.json").exists()
    # A stored comparison edited afterwards to name the secret is refused by the report.
    crafted.write_text(json.dumps({"queries": [query]}))
    stored = attach_comparison(case, crafted)
    stored.write_text(json.dumps({"queries": [{**query, "panel_path": str(secret)}]}))
    detect_case(case, BlobDetector())
    with pytest.raises(ConfigError, match="comparison"):
        report_case(case)
    report = case.root / "reports"
    leaked = base64.b64encode(secret.read_bytes()).decode()
    assert not any(leaked in p.read_text(errors="replace") for p in report.rglob("*.html"))


def test_replay_and_verify_hold_after_scenes_are_corrected(case: CaseStore, tmp_path: Path) -> None:
    from sitewatch.case import keep_scene, redate_scene, replay_case, set_scene_gsd

    extra = _scene(tmp_path / "after_b.tif", [(60, 60), (120, 230)])
    ingest_files(case, [extra], site="depot", date=dt.date(2014, 6, 11), source="generated")
    detector = BlobDetector()
    detect_case(case, detector)
    keep_scene(case, "after.tif", reason="the other pass is hazy")
    redate_scene(case, "before.tif", dt.date(2014, 5, 29), reason="provider metadata")
    report_case(case)
    assert replay_case(case, detectors={detector.sha256: detector}).ok
    assert verify_case(case).ok
    # A corrected GSD makes the scene's detections stale: detect runs it again, only it.
    set_scene_gsd(case, "before.tif", GSD_M * 1.01, reason="measured on a known building")
    again = detect_case(case, detector)
    assert (again.scenes_processed, again.scenes_skipped) == (1, 1)
    report_case(case)
    assert replay_case(case, detectors={detector.sha256: detector}).ok
    assert verify_case(case).ok


def test_verify_checks_every_file_and_detection_the_log_recorded(case: CaseStore,
                                                                 tmp_path: Path) -> None:
    """Issue 24: reports, exports and detections were never re-checked against the log."""
    import sqlite3

    from sitewatch.catalog import verify_case

    detect_case(case, BlobDetector())
    report = report_case(case)
    export = case.derived_dir / "detections.geojson"
    export_case(case, "geojson", export)
    outside = tmp_path / "out.csv"
    export_case(case, "csv", outside)
    clean = verify_case(case)
    assert clean.ok, clean.problems
    assert clean.files_checked == 3  # report, manifest, export inside the case
    report.write_text(report.read_text().replace("depot", "elsewhere"))
    export.unlink()
    with sqlite3.connect(case.root / "catalog.sqlite") as db:
        db.execute("UPDATE detections SET label = 'civilian_vehicle' WHERE rowid = 1")
    problems = " ".join(verify_case(case).problems)
    assert "'derived/report.html' differs from the sha256" in problems
    assert "'derived/detections.geojson' (logged by audit entry" in problems
    assert "differ from the digest their audit entry recorded" in problems
    report_case(case)  # written again: a later entry now counts for the report
    assert not any("report.html" in p for p in verify_case(case).problems)


def test_verify_against_a_published_head(case: CaseStore) -> None:
    from sitewatch.catalog import verify_case

    head = case.audit_head()
    assert head is not None
    case.append_audit("note", {"text": "later"})
    published = verify_case(case, head=head["hash"][:16])
    assert published.ok and published.after_head == 1
    lines = case.audit_path.read_text().splitlines()
    forged = json.loads(lines[1])
    forged["details"]["site"] = "forged"
    lines[1] = json.dumps(forged)
    case.audit_path.write_text("\n".join(lines) + "\n")
    assert not verify_case(case, head=head["hash"]).ok  # the chain is broken at entry 1
    assert any("not in this case's log" in p for p in verify_case(case, head="f" * 64).problems)


@pytest.mark.parametrize("manifest", ['{"inputs": [], "runs": [], "tracks_sha256": ""}', "[]",
                                      '{"inputs": [{"x": 1}], "runs": []}'])
def test_replay_with_an_emptied_or_edited_manifest_is_not_reproduced(
        case: CaseStore, manifest: str) -> None:
    from sitewatch.case import replay_case

    detector = BlobDetector()
    detect_case(case, detector)
    report_case(case)
    case.layout.manifest.write_text(manifest)
    report = replay_case(case, detectors={detector.sha256: detector})
    assert not report.ok, "an emptied manifest said REPRODUCED"


def test_published_report_and_exports_carry_no_local_path_or_login(case: CaseStore,
                                                                   tmp_path: Path) -> None:
    """Issue 24: the audit log and exports carried absolute paths and the OS login."""
    import getpass

    detect_case(case, BlobDetector())
    report_case(case)
    for fmt, name in (("geojson", "d.geojson"), ("kml", "d.kml"), ("csv", "d.csv"),
                      ("coco", "d.json")):
        export_case(case, fmt, case.derived_dir / name)
    texts = {p.name: p.read_text(errors="replace") for p in case.derived_dir.iterdir()}
    texts["audit.jsonl"] = case.audit_path.read_text()
    login = getpass.getuser()
    for name, text in texts.items():
        assert str(tmp_path) not in text, f"{name} names the local path {tmp_path}"
        if len(login) >= 3:
            assert f'"{login}"' not in text, f"{name} names the OS login"


def test_loaded_counts_need_the_loading_rules_measured_rates(case: CaseStore) -> None:
    """Loaded transporters are counted only where the model's record measured the loading rule
    at precision and recall >= 0.8, at the score and TTA the case ran; otherwise not at all."""
    from sitewatch.case.jobs import LOADED_RATE_BAR, _with_loaded
    from sitewatch.catalog import RunRecord
    from sitewatch.detect.modelcard import load_card
    from sitewatch.detect.registry import DEFAULT_MODEL, card_path_for
    from sitewatch.track import LOADED_TRANSPORTER, TrackOptions

    card = load_card(card_path_for(DEFAULT_MODEL), verify=False)
    case.save_run(RunRecord(run_id="r0", kind="detect", created_utc="2026-12-01",
                            model_name=card.name, model_sha256=card.onnx_sha256,
                            params={"score_threshold": card.score_threshold}, software={}), {})
    options, note = interval_options(case)
    assert options.loaded_unmeasured is not None and "loaded" not in note
    assert options.loaded_unmeasured.startswith(
        f"not measurable by the detector: the loading rule with model {card.name} found ")
    assert all(label != LOADED_TRANSPORTER for label, _, _ in options.rates_by_label)
    none, _ = _with_loaded(TrackOptions(), None, "m", tta=False, score=0.15)
    assert none.loaded_unmeasured == ("not measurable by the detector: model m was never "
                                      "measured finding them; analyst marks only")
    assert LOADED_RATE_BAR == 0.8


def test_loaded_rates_at_the_bar_give_loaded_counts_their_interval(tmp_path: Path) -> None:
    import shutil

    from sitewatch.case.jobs import _with_loaded
    from sitewatch.detect.modelcard import load_card
    from sitewatch.detect.registry import DEFAULT_MODEL, card_path_for
    from sitewatch.track import LOADED_TRANSPORTER, TrackOptions

    raw = json.loads(card_path_for(DEFAULT_MODEL).read_text())
    shutil.copy(card_path_for(DEFAULT_MODEL).with_name(raw["onnx_file"]), tmp_path / raw["onnx_file"])
    (tmp_path / "m.json").write_text(json.dumps(raw), encoding="utf-8")
    entry = {"truth": 40, "found": 34, "reported": 40, "score_threshold": 0.15, "tta": False,
             "source": "generated series", "command": "eval"}
    for found, tta, counted in ((34, False, True), (31, False, False), (34, True, False)):
        record = {"pt_sha256": raw["source_sha256"],
                  "loaded_transporters": entry | {"found": found, "tta": tta}}
        (tmp_path / "m.training.json").write_text(json.dumps(record), encoding="utf-8")
        options, note = _with_loaded(TrackOptions(), load_card(tmp_path / "m.json"), "m",
                                     tta=False, score=0.15)
        if counted:  # 34 of 40 found, 40 reported: precision and recall 0.85
            assert options.loaded_unmeasured is None and options.rates_by_label == (
                (LOADED_TRANSPORTER, 0.85, 0.85),)
            assert note is not None and note.startswith(
                "loaded transporters: precision 0.85 and recall 0.85, the loading rule with model m")
        else:  # recall 31/40 = 0.775 < 0.8, or measured with TTA and run without
            assert options.loaded_unmeasured is not None and note is None
            assert options.rates_by_label == ()


def test_detect_runs_record_the_cards_floors_and_intervals_use_rates_measured_with_them(
    case: CaseStore, tmp_path: Path
) -> None:
    """A run of a card with per-label floors is told from one without: its parameters (and the
    provenance appendix) name them, and rates measured without floors are not its rates."""
    from sitewatch.case import DetectionRun
    from sitewatch.catalog import RunRecord
    from sitewatch.detect import DetectOptions, load_detector
    from sitewatch.detect.registry import DEFAULT_MODEL, card_path_for

    shipped = card_path_for(DEFAULT_MODEL)
    raw = json.loads(shipped.read_text())
    floors = {"civilian_vehicle": 0.35, "military_truck": 0.25}
    card = tmp_path / "floored.json"  # the shipped ONNX file, with floors in its card
    card.write_text(json.dumps(raw | {"onnx_file": str(shipped.parent / raw["onnx_file"]),
                                      "label_score_thresholds": floors}))
    plain = DetectionRun.of(DetectOptions(), load_detector(DEFAULT_MODEL)).to_json()
    floored = DetectionRun.of(DetectOptions(), load_detector(str(card))).to_json()
    assert "label_score_thresholds" not in plain  # no floors: stored as before floors were kept
    assert floored["label_score_thresholds"] == floors
    assert DetectionRun.from_json(floored).kept_floors == floors
    for n, params in enumerate((plain, floored)):
        case.save_run(RunRecord(run_id=f"r{n}", kind="detect", created_utc=f"2026-12-0{n + 1}",
                                model_name=raw["name"], model_sha256=raw["onnx_sha256"],
                                params=params, software={}), {})
        options, note = interval_options(case)
        if params is plain:  # the shipped card's rates were measured without floors
            assert options.detector_precision != 0.9 and "placeholder" not in note
        else:
            assert options.detector_precision == 0.9
            assert ("ran with per-label floors civilian_vehicle >= 0.35, military_truck >= 0.25, "
                    "and its rates were measured with none") in note
    assert '"label_score_thresholds": {"civilian_vehicle": 0.35' in report_case(case).read_text()


def test_replay_says_when_the_floors_a_run_applied_are_not_the_installed_cards(
    case: CaseStore, tmp_path: Path
) -> None:
    from sitewatch.case import replay_case
    from sitewatch.detect import load_card
    from sitewatch.detect.registry import DEFAULT_MODEL, card_path_for

    shipped = card_path_for(DEFAULT_MODEL)
    raw = json.loads(shipped.read_text())
    (tmp_path / "floored.json").write_text(json.dumps(
        raw | {"onnx_file": str(shipped.parent / raw["onnx_file"]),
               "label_score_thresholds": {"armored_vehicle": 0.5}}))
    floored = BlobDetector()
    floored.card = load_card(tmp_path / "floored.json")  # type: ignore[attr-defined]
    detect_case(case, floored)
    report_case(case)
    assert replay_case(case, detectors={floored.sha256: floored}).ok
    plain = BlobDetector()  # the same detections, but no floors on its card
    report = replay_case(case, detectors={plain.sha256: plain})
    assert not report.ok
    assert any("applied per-label score floors {'armored_vehicle': 0.5}; the installed model's "
               "card applies none" in d for d in report.differences)
