from __future__ import annotations

import sitewatch.catalog


def test_public_face_is_pinned() -> None:
    assert sorted(sitewatch.catalog.__all__) == [
        "CaseLayout", "CaseStore", "DetectionRecord", "GsdSource", "ImageFormat", "IngestResult",
        "MosaicAdded", "ReviewAction", "ReviewRecord", "ReviewStatus", "ReviewSummary", "RunRecord",
        "Scene", "SceneChange", "SceneField", "VerifyReport", "add_mosaic", "choose_gsd",
        "crash_point", "default_actor", "detections_digest", "find_scene", "ingest_files", "latest_reviews",
        "parse_control_point", "parse_date", "parse_site", "read_control_points",
        "read_entries", "read_seams", "redate_scene", "replay_mosaics", "replay_rectified",
        "restore_scene", "retire_scene",
        "scene_changes", "set_scene_gsd", "sha256_file", "summarise", "total", "verify_case",
    ]
