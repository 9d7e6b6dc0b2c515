from __future__ import annotations

from pathlib import Path

import sitewatch.case
from sitewatch.assess import assessment_path
from sitewatch.case import CaseLayout


def test_public_face_is_pinned() -> None:
    assert sorted(sitewatch.case.__all__) == [
        "ATTACHMENT_KINDS", "CaseLayout", "DetectSummary", "DetectionRun", "ReplayReport",
        "SightingLinks", "TrackedCase", "attach_comparison", "attach_file", "change_assessment",
        "comparisons", "detect_case", "export_case", "import_assessment", "interval_options",
        "link_and_log", "link_case", "media_check", "media_inventory", "observations",
        "record_where_check", "replay_case", "report_case", "review_summary", "scene_detections",
        "scenes_to_detect", "shadow_check", "sites", "software_versions", "to_record", "track_and_log",
        "track_case", "where_checks", "write_events", "write_manifest",
    ]


def test_the_layout_and_the_assess_stage_name_the_same_assessment_file(tmp_path: Path) -> None:
    assert CaseLayout(tmp_path).assessment == assessment_path(tmp_path)
