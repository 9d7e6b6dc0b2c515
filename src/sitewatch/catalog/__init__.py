"""Catalog: the case store, ingest with hashing, the audit log and verification."""

from __future__ import annotations

from sitewatch.catalog.audit import read_entries
from sitewatch.catalog.ingest import IngestResult, choose_gsd, ingest_files
from sitewatch.catalog.layout import CaseLayout
from sitewatch.catalog.records import DetectionRecord, RunRecord
from sitewatch.catalog.reviews import ReviewAction, ReviewRecord, ReviewStatus, ReviewSummary
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
    "ReviewAction",
    "ReviewRecord",
    "ReviewStatus",
    "ReviewSummary",
    "RunRecord",
    "Scene",
    "VerifyReport",
    "choose_gsd",
    "ingest_files",
    "parse_date",
    "parse_site",
    "read_entries",
    "sha256_file",
    "verify_case",
]
