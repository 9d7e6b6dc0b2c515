"""A case folder as a whole: its layout, the jobs run over it, attachments, audited changes to
the assessment, the run manifest and replay.

Every job here is the one library call a CLI command makes; each writes its outputs and one
audit entry. It sits above every stage and below the CLI (``replay`` above ``jobs``, so no cycle).
"""

from __future__ import annotations

from sitewatch.case.assessment import (
    assessment_table,
    change_assessment,
    import_assessment,
    import_assessment_from,
)
from sitewatch.case.attachments import (
    ATTACHMENT_KINDS,
    attach_comparison,
    attach_file,
    attach_files,
    comparisons,
)
from sitewatch.case.crash import CrashSummary, run_crash_benchmark
from sitewatch.case.detecting import detect_images, detect_in_case
from sitewatch.case.detections import (
    observations,
    review_summary,
    scene_detections,
    sites,
    to_record,
)
from sitewatch.case.fuzzing import FuzzSummary, run_fuzz_benchmark
from sitewatch.case.ingest import (
    OFFERED_INGEST_ACTION,
    OFFERED_SKIP_ACTION,
    ingest_images,
    init_case,
    offered_keys,
    take_offered_scene,
)
from sitewatch.case.jobs import (
    DetectSummary,
    ExportResult,
    SightingLinks,
    TrackedCase,
    check_export_path,
    detect_case,
    export_case,
    export_case_folder,
    export_format_of,
    interval_options,
    link_and_log,
    link_case,
    report_case,
    scenes_to_detect,
    track_and_log,
    track_case,
    write_events,
)
from sitewatch.case.manifest import write_manifest
from sitewatch.case.replay import ReplayReport, replay_case
from sitewatch.case.reviewed import LabelExport, export_reviewed_labels, label_stem
from sitewatch.case.reviews import record_review, record_reviews
from sitewatch.case.runs import DetectionRun, software_versions
from sitewatch.case.scenes import SceneRow, keep_scene, list_scenes, mosaic_scenes
from sitewatch.case.tamper_bench import TamperSummary, run_tamper_benchmark
from sitewatch.case.training import export_pseudo_labels, train_model
from sitewatch.case.where import (
    media_check,
    media_inventory,
    overhead_shadow_check,
    record_where_check,
    shadow_check,
    where_checks,
)
from sitewatch.catalog import (
    CaseLayout,
    ingest_files,
    redate_scene,
    restore_scene,
    retire_scene,
    set_scene_gsd,
)

__all__ = [
    "ATTACHMENT_KINDS",
    "OFFERED_INGEST_ACTION",
    "OFFERED_SKIP_ACTION",
    "CaseLayout",
    "CrashSummary",
    "DetectSummary",
    "DetectionRun",
    "ExportResult",
    "FuzzSummary",
    "LabelExport",
    "ReplayReport",
    "SceneRow",
    "SightingLinks",
    "TamperSummary",
    "TrackedCase",
    "assessment_table",
    "attach_comparison",
    "attach_file",
    "attach_files",
    "change_assessment",
    "check_export_path",
    "comparisons",
    "detect_case",
    "detect_images",
    "detect_in_case",
    "export_case",
    "export_case_folder",
    "export_format_of",
    "export_pseudo_labels",
    "export_reviewed_labels",
    "import_assessment",
    "import_assessment_from",
    "ingest_files",
    "ingest_images",
    "init_case",
    "interval_options",
    "keep_scene",
    "label_stem",
    "link_and_log",
    "link_case",
    "list_scenes",
    "media_check",
    "media_inventory",
    "mosaic_scenes",
    "observations",
    "offered_keys",
    "overhead_shadow_check",
    "record_review",
    "record_reviews",
    "record_where_check",
    "redate_scene",
    "replay_case",
    "report_case",
    "restore_scene",
    "retire_scene",
    "review_summary",
    "run_crash_benchmark",
    "run_fuzz_benchmark",
    "run_tamper_benchmark",
    "scene_detections",
    "scenes_to_detect",
    "set_scene_gsd",
    "shadow_check",
    "sites",
    "software_versions",
    "take_offered_scene",
    "to_record",
    "track_and_log",
    "track_case",
    "train_model",
    "where_checks",
    "write_events",
    "write_manifest",
]
