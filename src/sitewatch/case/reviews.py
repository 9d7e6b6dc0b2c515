"""The analyst's review decisions stored in the case, each write one audited entry.

The review app (:mod:`sitewatch.review`) decides what a click means; these calls store it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sitewatch.catalog import CaseStore, ReviewRecord


def record_review(store: CaseStore, record: ReviewRecord) -> ReviewRecord:
    """Store one decision (audit action ``review``); returns it with its sequence number."""
    return store.append_review(record)


def record_reviews(store: CaseStore, records: Sequence[ReviewRecord], *,
                   selection: Mapping[str, Any]) -> tuple[ReviewRecord, ...]:
    """Store one bulk decision, every box of it under one audit entry naming ``selection``."""
    return store.append_reviews(records, selection=selection)
