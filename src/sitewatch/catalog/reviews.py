"""Analyst review of detections: append-only decisions and the state they add up to.

Every decision (accept, reject, relabel, redraw, add, mark loaded) is stored as a new
:class:`ReviewRecord` carrying the *whole* resulting state of one detection, and nothing is
ever updated in place. The current state of a detection is its latest record; any earlier
state is the latest record up to a given sequence number.

An undo is a decision too: it appends the state the detection had before its latest decision
(``unreviewed`` when that was its first).

A detection is named by ``detection_id``: ``"d<index>"`` for the ``index``-th detection of a
run on a scene (in stored order), ``"a<hex>"`` for a box the analyst added. Reviews belong to
the run whose detections they judge; a newer detection run starts unreviewed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from enum import StrEnum

from sitewatch.catalog.audit import AuditEntry
from sitewatch.catalog.records import DetectionRecord
from sitewatch.errors import ConfigError

_ID = re.compile(r"^(d\d{1,9}|a[0-9a-f]{8,32})$")


class ReviewStatus(StrEnum):
    """Where a detection stands after review."""

    UNREVIEWED = "unreviewed"
    ACCEPTED = "accepted"
    CORRECTED = "corrected"  #: label, box or loaded mark changed, or added by the analyst
    REJECTED = "rejected"


class ReviewAction(StrEnum):
    """What one decision did."""

    ACCEPT = "accept"
    REJECT = "reject"
    RELABEL = "relabel"
    REDRAW = "redraw"
    ADD = "add"
    LOADED = "loaded"  #: set or clear "loaded on a transporter"
    UNDO = "undo"  #: back to the state before the detection's latest decision


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewRecord:
    """One stored decision and the full state of the detection after it.

    ``seq`` is given by the store (0 before the record is stored) and orders decisions.
    Geometry is in the scene's full-resolution pixel grid, like :class:`DetectionRecord`.
    """

    scene_sha256: str
    run_id: str
    detection_id: str
    action: ReviewAction
    status: ReviewStatus
    label: str
    cx_px: float
    cy_px: float
    width_px: float
    height_px: float
    angle_rad: float
    loaded: bool
    reviewer: str
    time_utc: str
    seq: int = 0

    def __post_init__(self) -> None:
        if not _ID.match(self.detection_id):
            raise ConfigError(f"review names detection {self.detection_id!r}; ids look like "
                              "'d12' (a run's detection) or 'a' + hex (an added box)")
        if self.status is ReviewStatus.UNREVIEWED and self.action is not ReviewAction.UNDO:
            raise ConfigError("only an undo can leave a detection unreviewed")
        if not self.reviewer.strip():
            raise ConfigError("a review needs the reviewer's name; give --reviewer NAME")
        if not (self.width_px > 0 and self.height_px > 0):
            raise ConfigError(f"reviewed box needs positive size, got "
                              f"{self.width_px}×{self.height_px} px")

    def as_record(self, score: float) -> DetectionRecord:
        """The reviewed detection as the catalog stores detections (no map position)."""
        return DetectionRecord(label=self.label, score=score, cx_px=self.cx_px, cy_px=self.cy_px,
                               width_px=self.width_px, height_px=self.height_px,
                               angle_rad=self.angle_rad, marked_loaded=self.loaded)

    def same_geometry(self, record: DetectionRecord) -> bool:
        """Whether this review keeps ``record``'s box unchanged."""
        return (self.cx_px, self.cy_px, self.width_px, self.height_px, self.angle_rad) == (
            record.cx_px, record.cy_px, record.width_px, record.height_px, record.angle_rad)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewSummary:
    """How many of a run's detections were reviewed, and how.

    ``accepted + corrected + rejected == reviewed`` (the model's boxes); ``added`` counts the
    analyst's own boxes that stand (not undone or rejected).
    """

    detected: int
    reviewed: int
    accepted: int
    corrected: int
    rejected: int
    added: int

    @property
    def complete(self) -> bool:
        """Whether every detection of the run was reviewed."""
        return self.reviewed >= self.detected


def latest_reviews(
    reviews: Iterable[ReviewRecord], *, until_seq: int | None = None
) -> dict[str, ReviewRecord]:
    """The latest decision per detection id, optionally as it stood at ``until_seq``."""
    latest: dict[str, ReviewRecord] = {}
    for review in sorted(reviews, key=lambda r: r.seq):
        if until_seq is not None and review.seq > until_seq:
            break
        latest[review.detection_id] = review
    return latest


def reviewed_records(
    records: Sequence[DetectionRecord], reviews: Iterable[ReviewRecord]
) -> tuple[DetectionRecord, ...]:
    """A run's detections on one scene after review.

    Unreviewed and accepted detections stay as detected, rejected ones are dropped, corrected
    ones take the reviewed label and box (and lose their stored map position when the box
    moved), and added boxes are appended with score 1.0.
    """
    latest = latest_reviews(reviews)
    out: list[DetectionRecord] = []
    for index, record in enumerate(records):
        review = latest.get(f"d{index}")
        if review is None or review.status is ReviewStatus.UNREVIEWED:
            out.append(record)
        elif review.status is not ReviewStatus.REJECTED:
            kept = review.as_record(record.score)
            if review.same_geometry(record):
                kept = replace(kept, lon_deg=record.lon_deg, lat_deg=record.lat_deg)
            out.append(kept)
    for detection_id, review in sorted(latest.items()):
        if detection_id.startswith("a") and review.status is not ReviewStatus.REJECTED:
            out.append(review.as_record(1.0))
    return tuple(out)


def summarise(records: Sequence[DetectionRecord], reviews: Iterable[ReviewRecord]) -> ReviewSummary:
    """Counts of reviewed, accepted, corrected, rejected and added detections."""
    latest = latest_reviews(reviews)
    own = [r for i, r in latest.items() if i.startswith("d") and int(i[1:]) < len(records)
           and r.status is not ReviewStatus.UNREVIEWED]
    added = [r for i, r in latest.items() if i.startswith("a")]
    return ReviewSummary(
        detected=len(records), reviewed=len(own),
        accepted=sum(r.status is ReviewStatus.ACCEPTED for r in own),
        corrected=sum(r.status is ReviewStatus.CORRECTED for r in own),
        rejected=sum(r.status is ReviewStatus.REJECTED for r in own),
        added=sum(r.status is not ReviewStatus.REJECTED for r in added),
    )


def total(summaries: Iterable[ReviewSummary]) -> ReviewSummary:
    """The sum of several summaries (one per scene) field by field."""
    parts = list(summaries)
    return ReviewSummary(**{f: sum(getattr(p, f) for p in parts) for f in (
        "detected", "reviewed", "accepted", "corrected", "rejected", "added")})


#: The audit action of a bulk decision: one entry for many rows (see :func:`bulk_row`).
BULK_ACTION = "review-bulk"
#: What every row of one bulk decision shares, written once in its audit entry.
_BULK_COMMON = ("scene_sha256", "run_id", "action")


def bulk_row(review: ReviewRecord) -> dict[str, object]:
    """One stored row of a bulk decision as its audit entry lists it (the shared fields and
    the reviewer and time, which the entry carries once, left out)."""
    return {k: (v.value if isinstance(v, StrEnum) else v) for k, v in asdict(review).items()
            if k not in (*_BULK_COMMON, "reviewer", "time_utc")}


def review_log_problems(
    reviews: Sequence[ReviewRecord], entries: Sequence[AuditEntry]
) -> list[str]:
    """Stored decisions that differ from, or are missing in, the hash-chained audit log.

    The catalog's triggers refuse edits through SQL, but the file itself can be edited; every
    decision is also in the audit log, whose chain shows any edit there, so the two are compared.
    A bulk decision is one entry listing each of its rows.
    """
    logged: dict[int, tuple[dict[str, object], str]] = {}
    for e in entries:
        if e.action == "review":
            logged[int(e.details.get("seq", -1))] = (e.details, e.actor)
        elif e.action == BULK_ACTION:
            common = {k: e.details.get(k) for k in _BULK_COMMON}
            for row in e.details.get("reviews", ()):
                logged[int(row.get("seq", -1))] = ({**common, **row}, e.actor)
    problems = []
    for review in reviews:
        found = logged.pop(review.seq, None)
        if found is None:
            problems.append(f"review #{review.seq} ({review.detection_id}) is in the catalog but "
                            "was never logged")
            continue
        details, actor = found
        stored = {k: (v.value if isinstance(v, StrEnum) else v) for k, v in asdict(review).items()
                  if k not in ("reviewer", "time_utc")}
        if stored != details or review.reviewer != actor:
            problems.append(f"review #{review.seq} ({review.detection_id}) differs from its audit "
                            "entry: the catalog was edited")
    problems += [f"logged review #{seq} is missing from the catalog" for seq in sorted(logged)]
    return problems
