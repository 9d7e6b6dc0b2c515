from __future__ import annotations

import sitewatch.catalog


def test_public_face_is_pinned() -> None:
    assert sorted(sitewatch.catalog.__all__) == [
        "CaseLayout", "CaseStore", "DetectionRecord", "GsdSource", "ImageFormat", "IngestResult",
        "ReviewAction", "ReviewRecord", "ReviewStatus", "ReviewSummary", "RunRecord", "Scene",
        "VerifyReport", "choose_gsd", "ingest_files", "parse_date", "parse_site", "read_entries",
        "sha256_file", "verify_case",
    ]
