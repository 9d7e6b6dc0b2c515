from __future__ import annotations

from pathlib import Path

import sitewatch.case
from sitewatch.assess import assessment_path
from sitewatch.case import CaseLayout


def test_public_face_is_pinned() -> None:
    assert sorted(sitewatch.case.__all__) == [
        "ATTACHMENT_KINDS", "CaseLayout", "CrashSummary", "DetectSummary", "DetectionRun", "ExportResult",
        "FuzzSummary",
        "ReplayReport", "SceneRow",
        "SightingLinks", "TrackedCase", "attach_comparison", "attach_file", "change_assessment",
        "check_export_path", "comparisons", "detect_case", "export_case",
        "export_format_of", "export_pseudo_labels",
        "import_assessment", "interval_options", "keep_scene", "link_and_log", "link_case",
        "list_scenes", "media_check", "media_inventory", "observations", "overhead_shadow_check",
        "record_where_check",
        "redate_scene", "replay_case", "report_case", "restore_scene", "retire_scene", "review_summary",
        "run_crash_benchmark", "run_fuzz_benchmark", "scene_detections", "scenes_to_detect",
        "set_scene_gsd", "shadow_check",
        "sites", "software_versions", "to_record", "track_and_log", "track_case", "where_checks",
        "write_events", "write_manifest",
    ]


def test_the_layout_and_the_assess_stage_name_the_same_assessment_file(tmp_path: Path) -> None:
    assert CaseLayout(tmp_path).assessment == assessment_path(tmp_path)
