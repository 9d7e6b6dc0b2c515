"""Reviewed results flow into counts, events, reports and training labels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sitewatch.case import export_reviewed_labels, observations, report_case, review_summary, track_case
from sitewatch.catalog import CaseStore, ReviewAction, ReviewStatus, RunRecord
from sitewatch.catalog.reviews import summarise
from sitewatch.cli.main import main
from sitewatch.review.decisions import BoxPx
from sitewatch.review.session import apply_decision
from sitewatch.train.labels import read_labels


def _review(store: CaseStore, sha: str, action: ReviewAction, detection_id: str | None = None,
            **kwargs: Any) -> None:
    (scene,) = [s for s in store.scenes() if s.sha256 == sha]
    apply_decision(store, scene, action.value, reviewer="Ana Lyst", detection_id=detection_id,
                   **kwargs)


def test_rejected_drop_corrected_change_added_count(small_case: CaseStore) -> None:
    sha = small_case.scenes()[1].sha256
    _review(small_case, sha, ReviewAction.REJECT, "d0")
    _review(small_case, sha, ReviewAction.RELABEL, "d1", label="civilian_vehicle")
    _review(small_case, sha, ReviewAction.ACCEPT, "d2")
    _review(small_case, sha, ReviewAction.ADD, label="military_truck",
            box=BoxPx(cx_px=700, cy_px=500, width_px=30, height_px=12, angle_rad=0.0))
    late = small_case.scenes()[1]
    (obs,) = [o for o in observations(small_case, "depot") if o.scene_id == late.sha256]
    labels = sorted(d.label.value for d in obs.detections)
    raw = sorted(r.label for r in small_case.detections(sha))
    assert len(obs.detections) == len(raw)  # one rejected, one added
    assert labels.count("civilian_vehicle") == 1 and labels.count("military_truck") == raw.count(
        "military_truck") - (small_case.detections(sha)[0].label == "military_truck") + 1
    added = [d for d in obs.detections if d.box.cx_px == 700]
    assert added[0].lonlat is not None  # placed from the scene's georeference
    assert review_summary(small_case).reviewed == 3
    counts = {(c.date, c.label): c.n for c in track_case(small_case)[0].counts if c.zone is None}
    assert counts[(late.date, "civilian_vehicle")] == 1


def test_report_says_how_many_were_reviewed(small_case: CaseStore) -> None:
    sha = small_case.scenes()[0].sha256
    _review(small_case, sha, ReviewAction.ACCEPT, "d0")
    _review(small_case, sha, ReviewAction.REJECT, "d1")
    html = report_case(small_case).read_text(encoding="utf-8")
    assert "Analyst review: 2 of 11 detected vehicles were reviewed (1 accepted, 0 corrected, " \
           "1 rejected)" in html
    # the opening counts of the same 11 model detections, not of the 10 left after review
    assert "An analyst reviewed 2 of the 11 detections." in html


def test_a_new_detection_run_starts_unreviewed(small_case: CaseStore) -> None:
    sha = small_case.scenes()[0].sha256
    _review(small_case, sha, ReviewAction.REJECT, "d0")
    records = small_case.detections(sha)
    assert len(small_case.reviewed_detections(sha)) == len(records) - 1
    newer = RunRecord(run_id="run0000000000002", kind="detect",
                      created_utc="2026-02-01T00:00:00+00:00", model_name="planted",
                      model_sha256="q" * 64, params={}, software={})
    small_case.save_run(newer, {sha: records})
    assert len(small_case.reviewed_detections(sha)) == len(records)
    (old,) = small_case.reviews(sha)
    assert old.status is ReviewStatus.REJECTED and old.run_id == "run0000000000001"
    assert summarise(records, small_case.reviews(sha, run_id=newer.run_id)).reviewed == 0


def test_export_writes_dota_labels_that_training_reads(small_case: CaseStore, tmp_path: Path) -> None:
    sha = small_case.scenes()[0].sha256
    for index in range(5):
        action = ReviewAction.REJECT if index == 0 else ReviewAction.ACCEPT
        _review(small_case, sha, action, f"d{index}")
    _review(small_case, small_case.scenes()[1].sha256, ReviewAction.ACCEPT, "d0")
    done = export_reviewed_labels(small_case, tmp_path / "labels_out")
    assert len(done.images) == 1 and done.vehicles == 4 and len(done.skipped) == 1
    (image,) = read_labels(tmp_path / "labels_out" / "labels", "dota",
                           image_dir=tmp_path / "labels_out" / "images")
    assert len(image.boxes) == 4
    assert main(["review", str(small_case.root), "--export-labels", str(tmp_path / "all"),
                 "--partial"]) == 0
    assert len(list((tmp_path / "all" / "labels").glob("*.txt"))) == 2


def test_review_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["review", "--help"])
    assert exit_info.value.code == 0
    assert "--port" in capsys.readouterr().out


def test_summary_parts_add_up(small_case: CaseStore) -> None:
    sha = small_case.scenes()[1].sha256
    _review(small_case, sha, ReviewAction.ACCEPT, "d0")
    _review(small_case, sha, ReviewAction.RELABEL, "d1", label="vehicle")
    _review(small_case, sha, ReviewAction.REJECT, "d2")
    box = BoxPx(cx_px=700, cy_px=500, width_px=30, height_px=12, angle_rad=0.0)
    _review(small_case, sha, ReviewAction.ADD, label="vehicle", box=box)
    _review(small_case, sha, ReviewAction.ADD, label="vehicle", box=box)
    s = summarise(small_case.detections(sha), small_case.reviews(sha))
    assert (s.detected, s.reviewed, s.accepted, s.corrected, s.rejected, s.added) == (6, 3, 1, 1, 1, 2)


def test_review_command_serves_on_localhost_behind_a_token(small_case: CaseStore) -> None:
    import os
    import re
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; from sitewatch.cli.main import main; sys.exit(main())",
         "review", str(small_case.root), "--port", "0", "--reviewer", "Ana Lyst"],
        cwd=root, env={**os.environ, "PYTHONPATH": str(root / "src")},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(2)]
        found = re.search(r"http://127\.0\.0\.1:(\d+)/\?token=(\S+)", "".join(lines))
        assert found, lines
        port, token = found.groups()
        for _ in range(100):  # the URL is printed just before the server listens
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/sites?token={token}") as ok:
                    assert b"depot" in ok.read()
                break
            except urllib.error.URLError:
                time.sleep(0.1)
        else:
            pytest.fail("the review server never answered")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/sites")
        assert refused.value.code == 403
        refused.value.close()
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def test_verify_finds_a_review_edited_in_the_catalog(small_case: CaseStore) -> None:
    import sqlite3

    from sitewatch.catalog import verify_case

    sha = small_case.scenes()[1].sha256
    _review(small_case, sha, ReviewAction.REJECT, "d0")
    _review(small_case, sha, ReviewAction.ACCEPT, "d1")
    assert verify_case(small_case).ok
    with sqlite3.connect(small_case.root / "catalog.sqlite") as db:
        db.execute("DROP TRIGGER reviews_no_update")
        db.execute("UPDATE reviews SET status = 'accepted' WHERE detection_id = 'd0'")
        db.execute("DROP TRIGGER reviews_no_delete")
        db.execute("DELETE FROM reviews WHERE detection_id = 'd1'")
    problems = verify_case(small_case).problems
    assert any("differs from its audit entry" in p for p in problems)
    assert any("missing from the catalog" in p for p in problems)


def test_reviewed_export_becomes_training_samples_at_the_model_gsd(
    small_case: CaseStore, tmp_path: Path
) -> None:
    from sitewatch.errors import ConfigError
    from sitewatch.train.sources import load_reviewed

    scene = small_case.scenes()[0]
    for index in range(5):
        action = ReviewAction.REJECT if index == 0 else ReviewAction.ACCEPT
        _review(small_case, scene.sha256, action, f"d{index}")
    export_reviewed_labels(small_case, tmp_path / "reviewed")
    (sample,) = load_reviewed(tmp_path / "reviewed", gsd_m=2 * scene.gsd_m)
    assert sample.source.startswith(f"reviewed:{scene.site}_{scene.date.isoformat()}")
    assert len(sample.boxes) == 4
    kept = sorted(r.cx_px for r in small_case.reviewed_detections(scene.sha256))
    assert sorted(b.box.cx_px for b in sample.boxes) == pytest.approx([x / 2 for x in kept], abs=1)

    box = BoxPx(cx_px=300, cy_px=300, width_px=30, height_px=12, angle_rad=0.0)
    _review(small_case, scene.sha256, ReviewAction.ADD, label="vehicle", box=box)
    export_reviewed_labels(small_case, tmp_path / "again")
    with pytest.raises(ConfigError, match=r"labelled only 'vehicle' in .*\(1\)"):
        load_reviewed(tmp_path / "again", gsd_m=scene.gsd_m)
    with pytest.raises(ConfigError, match="not a reviewed-label export"):
        load_reviewed(tmp_path, gsd_m=scene.gsd_m)


def test_a_loaded_mark_reaches_the_tracker(small_case: CaseStore) -> None:
    from sitewatch.track import LOADED_TRANSPORTER

    late = small_case.scenes()[1]
    before = track_case(small_case)
    _review(small_case, late.sha256, ReviewAction.LOADED, "d1")
    after = track_case(small_case)
    (site,) = {t.site for t in after}
    was = next(t for t in before if t.site == site).count(late.date, LOADED_TRANSPORTER)
    now = next(t for t in after if t.site == site).count(late.date, LOADED_TRANSPORTER)
    # the case's model was never measured finding loaded transporters: the count is the marks
    assert was.unmeasured is not None and now.unmeasured is not None
    assert (was.n, now.n, now.marked) == (None, None, (was.marked or 0) + 1)
