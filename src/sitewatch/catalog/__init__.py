"""Catalog: the case store, ingest with hashing, the audit log and verification."""

from __future__ import annotations

from sitewatch.catalog.audit import default_actor, read_entries
from sitewatch.catalog.changes import (
    SceneChange,
    SceneField,
    find_scene,
    redate_scene,
    restore_scene,
    retire_scene,
    scene_changes,
    set_scene_gsd,
)
from sitewatch.catalog.georeference import parse_control_point, read_control_points
from sitewatch.catalog.ingest import IngestResult, choose_gsd, ingest_files, replay_rectified
from sitewatch.catalog.journal import crash_point
from sitewatch.catalog.layout import CaseLayout
from sitewatch.catalog.mosaic import MosaicAdded, add_mosaic, read_seams, replay_mosaics
from sitewatch.catalog.records import DetectionRecord, RunRecord, detections_digest
from sitewatch.catalog.reviews import (
    ReviewAction,
    ReviewRecord,
    ReviewStatus,
    ReviewSummary,
    latest_reviews,
    summarise,
    total,
)
from sitewatch.catalog.scene import GsdSource, ImageFormat, Scene, parse_date, parse_site
from sitewatch.catalog.store import CaseStore
from sitewatch.catalog.verify import VerifyReport, verify_case
from sitewatch.digest import sha256_file

__all__ = [
    "CaseLayout",
    "CaseStore",
    "DetectionRecord",
    "GsdSource",
    "ImageFormat",
    "IngestResult",
    "MosaicAdded",
    "ReviewAction",
    "ReviewRecord",
    "ReviewStatus",
    "ReviewSummary",
    "RunRecord",
    "Scene",
    "SceneChange",
    "SceneField",
    "VerifyReport",
    "add_mosaic",
    "choose_gsd",
    "crash_point",
    "default_actor",
    "detections_digest",
    "find_scene",
    "ingest_files",
    "latest_reviews",
    "parse_control_point",
    "parse_date",
    "parse_site",
    "read_control_points",
    "read_entries",
    "read_seams",
    "redate_scene",
    "replay_mosaics",
    "replay_rectified",
    "restore_scene",
    "retire_scene",
    "scene_changes",
    "set_scene_gsd",
    "sha256_file",
    "summarise",
    "total",
    "verify_case",
]
