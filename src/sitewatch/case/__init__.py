"""A case folder as a whole: its layout, the jobs run over it, attachments, audited changes to
the assessment, the run manifest and replay.

Every job here is the one library call a CLI command makes; each writes its outputs and one
audit entry. It sits above every stage and below the CLI (``replay`` above ``jobs``, so no cycle).
"""

from __future__ import annotations

from sitewatch.case.assessment import change_assessment, import_assessment
from sitewatch.case.attachments import ATTACHMENT_KINDS, attach_comparison, attach_file, comparisons
from sitewatch.case.detections import observations, review_summary, scene_detections, sites
from sitewatch.case.jobs import (
    DetectSummary,
    SightingLinks,
    TrackedCase,
    detect_case,
    export_case,
    interval_options,
    link_and_log,
    link_case,
    report_case,
    track_and_log,
    track_case,
    write_events,
)
from sitewatch.case.manifest import write_manifest
from sitewatch.case.replay import ReplayReport, replay_case
from sitewatch.case.runs import DetectionRun, software_versions
from sitewatch.case.scenes import SceneRow, keep_scene, list_scenes
from sitewatch.catalog import CaseLayout
from sitewatch.catalog.changes import redate_scene, restore_scene, retire_scene, set_scene_gsd

__all__ = [
    "ATTACHMENT_KINDS",
    "CaseLayout",
    "DetectSummary",
    "DetectionRun",
    "ReplayReport",
    "SceneRow",
    "SightingLinks",
    "TrackedCase",
    "attach_comparison",
    "attach_file",
    "change_assessment",
    "comparisons",
    "detect_case",
    "export_case",
    "import_assessment",
    "interval_options",
    "keep_scene",
    "link_and_log",
    "link_case",
    "list_scenes",
    "observations",
    "redate_scene",
    "replay_case",
    "report_case",
    "restore_scene",
    "retire_scene",
    "review_summary",
    "scene_detections",
    "set_scene_gsd",
    "sites",
    "software_versions",
    "track_and_log",
    "track_case",
    "write_events",
    "write_manifest",
]
