from __future__ import annotations

from pathlib import Path

import sitewatch.case
from sitewatch.assess import assessment_path
from sitewatch.case import CaseLayout


def test_public_face_is_pinned() -> None:
    assert sorted(sitewatch.case.__all__) == [
        "ATTACHMENT_KINDS", "CaseLayout", "CrashSummary", "DetectSummary", "DetectionRun", "ExportResult",
        "FuzzSummary", "LabelExport", "OFFERED_INGEST_ACTION", "OFFERED_SKIP_ACTION",
        "ReplayReport", "SceneRow", "SightingLinks", "TamperSummary", "TrackedCase", "assessment_table",
        "attach_comparison", "attach_file", "attach_files", "change_assessment",
        "check_export_path", "comparisons", "detect_case", "detect_images", "detect_in_case",
        "export_case", "export_case_folder", "export_format_of", "export_pseudo_labels",
        "export_reviewed_labels", "import_assessment", "import_assessment_from", "ingest_files",
        "ingest_images", "init_case", "interval_options", "keep_scene", "label_stem",
        "link_and_log", "link_case", "list_scenes", "media_check", "media_inventory",
        "mosaic_scenes", "observations", "offered_keys", "overhead_shadow_check", "record_review",
        "record_reviews", "record_where_check", "redate_scene", "replay_case", "report_case",
        "restore_scene", "retire_scene", "review_summary", "run_crash_benchmark",
        "run_fuzz_benchmark", "run_tamper_benchmark", "scene_detections", "scenes_to_detect", "set_scene_gsd",
        "shadow_check", "sites", "software_versions", "take_offered_scene", "to_record",
        "track_and_log", "track_case", "train_model", "where_checks", "write_events",
        "write_manifest",
    ]


def test_the_layout_and_the_assess_stage_name_the_same_assessment_file(tmp_path: Path) -> None:
    assert CaseLayout(tmp_path).assessment == assessment_path(tmp_path)


def test_exporting_reviews_needs_no_web_framework() -> None:
    """``sitewatch train --from-reviews`` runs where only the train extra is installed."""
    import os
    import subprocess
    import sys

    code = ("import sys; from sitewatch.case import export_reviewed_labels; "
            "assert 'fastapi' not in sys.modules and 'uvicorn' not in sys.modules; "
            "from sitewatch.review import create_app; assert 'fastapi' in sys.modules")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env=env)
    assert done.returncode == 0, done.stderr
