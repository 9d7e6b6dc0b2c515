"""Analysis of Competing Hypotheses (ACH): hypotheses, evidence, ratings and the matrix.

Following Richards J. Heuer Jr., *Psychology of Intelligence Analysis* (CIA, 1999), chapter 8:
each piece of evidence is rated against every hypothesis; evidence rated the same against all
hypotheses is non-diagnostic (it cannot help choose between them); and the most likely
hypothesis is the one with the fewest inconsistencies, not the most consistencies.

Rating scores (sitewatch's convention, after the PARC ACH software's CC/C/N/I/II scale):

=====  ==================  =====  =============
code   meaning             score  inconsistency
=====  ==================  =====  =============
CC     very consistent      +2      0
C      consistent           +1      0
NA     not applicable        0      0
I      inconsistent         -1      1
II     very inconsistent    -2      2
=====  ==================  =====  =============

Diagnosticity of an evidence item is the spread (max - min) of its scores over the hypotheses
it is rated against; the weighted inconsistency of a hypothesis is the sum, over its ratings,
of inconsistency x credibility x relevance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from sitewatch.assess.ids import check_id, check_ref
from sitewatch.errors import AssessError


class EvidenceKind(StrEnum):
    """What a piece of evidence is, usually the sitewatch record it comes from."""

    EVENT = "event"
    COUNT = "count"
    LINK = "link"
    COMPARISON = "comparison"
    WHERE = "where"
    DOCUMENT = "document"
    OTHER = "other"

    @classmethod
    def parse(cls, text: str) -> EvidenceKind:
        """Parse a kind, raising an :class:`AssessError` that lists the valid ones."""
        try:
            return cls(text.strip().lower())
        except ValueError:
            valid = ", ".join(k.value for k in cls)
            raise AssessError(f"unknown evidence kind {text!r}; valid kinds: {valid}", kind=text) from None


class Rating(StrEnum):
    """How one piece of evidence bears on one hypothesis (Heuer's ACH codes)."""

    VERY_CONSISTENT = "CC"
    CONSISTENT = "C"
    NOT_APPLICABLE = "NA"
    INCONSISTENT = "I"
    VERY_INCONSISTENT = "II"

    @property
    def score(self) -> int:
        """Signed score used for diagnosticity: +2, +1, 0, -1, -2."""
        return _SCORES[self]

    @property
    def inconsistency(self) -> int:
        """Contribution to a hypothesis's inconsistency: 2 for II, 1 for I, else 0."""
        return max(0, -self.score)

    @property
    def meaning(self) -> str:
        """The code in words: ``'very inconsistent'``."""
        return _MEANINGS[self]

    @classmethod
    def parse(cls, text: str) -> Rating:
        """Parse a code case-insensitively (``'n/a'`` is read as NA).

        >>> Rating.parse("ii")
        <Rating.VERY_INCONSISTENT: 'II'>

        Raises:
            AssessError: the code is not one of CC, C, NA, I, II.
        """
        code = text.strip().upper().replace("/", "")
        try:
            return cls(code)
        except ValueError:
            valid = ", ".join(f"{r.value} ({r.meaning})" for r in cls)
            raise AssessError(f"unknown rating {text!r}; valid ratings: {valid}", rating=text) from None


_SCORES: dict[Rating, int] = {
    Rating.VERY_CONSISTENT: 2,
    Rating.CONSISTENT: 1,
    Rating.NOT_APPLICABLE: 0,
    Rating.INCONSISTENT: -1,
    Rating.VERY_INCONSISTENT: -2,
}
_MEANINGS: dict[Rating, str] = {
    Rating.VERY_CONSISTENT: "very consistent",
    Rating.CONSISTENT: "consistent",
    Rating.NOT_APPLICABLE: "not applicable",
    Rating.INCONSISTENT: "inconsistent",
    Rating.VERY_INCONSISTENT: "very inconsistent",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Hypothesis:
    """One of the competing explanations, e.g. 'the tanks came from Rostov'."""

    id: str
    text: str

    def __post_init__(self) -> None:
        check_id("hypothesis", self.id)
        if not isinstance(self.text, str) or not self.text.strip():
            raise AssessError(f"hypothesis {self.id!r} has no text; say what it claims")


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    """A piece of evidence, with its source and a reference to the case object it comes from.

    ``ref`` is ``scheme:value`` (see :data:`sitewatch.assess.ids.REF_SCHEMES`), e.g.
    ``'event:arrival-0611'`` or ``'sha256:<hash of a stored original>'``. ``credibility`` and
    ``relevance`` are weights in (0, 1] that scale the evidence's inconsistency contribution.
    """

    id: str
    kind: EvidenceKind
    description: str
    source: str
    ref: str | None = None
    credibility: float = 1.0
    relevance: float = 1.0

    def __post_init__(self) -> None:
        check_id("evidence", self.id)
        if not isinstance(self.kind, EvidenceKind):
            raise AssessError(f"evidence {self.id!r}: kind must be an EvidenceKind")
        for name in ("description", "source"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise AssessError(f"evidence {self.id!r} has an empty {name}; fill it in")
        if self.ref is not None:
            check_ref(self.ref)
        for name in ("credibility", "relevance"):
            weight = getattr(self, name)
            if (
                isinstance(weight, bool)
                or not isinstance(weight, int | float)
                or not (math.isfinite(weight) and 0.0 < weight <= 1.0)
            ):
                raise AssessError(
                    f"evidence {self.id!r}: {name} {weight!r} must be a number in (0, 1]",
                    **{name: weight},
                )

    @property
    def weight(self) -> float:
        """Credibility times relevance."""
        return float(self.credibility) * float(self.relevance)


@dataclass(frozen=True, slots=True, kw_only=True)
class EvidenceRating:
    """The rating of one evidence item against one hypothesis, with an optional reason."""

    evidence_id: str
    hypothesis_id: str
    rating: Rating
    note: str = ""

    def __post_init__(self) -> None:
        check_id("evidence", self.evidence_id)
        check_id("hypothesis", self.hypothesis_id)
        if not isinstance(self.rating, Rating):
            raise AssessError(
                f"rating of {self.evidence_id!r} against {self.hypothesis_id!r} must be a Rating"
            )
        if not isinstance(self.note, str):
            raise AssessError(f"rating note of {self.evidence_id!r} must be text")


@dataclass(frozen=True, slots=True, kw_only=True)
class Diagnosticity:
    """How well one evidence item separates the hypotheses.

    ``spread`` is max - min of its rating scores over the hypotheses it is rated against (0:
    non-diagnostic); ``weighted`` is spread x credibility x relevance; ``unrated`` counts the
    hypotheses it has no rating for yet.
    """

    evidence_id: str
    spread: int
    weighted: float
    unrated: int

    @property
    def diagnostic(self) -> bool:
        """True when the evidence is rated differently for at least two hypotheses."""
        return self.spread > 0


@dataclass(frozen=True, slots=True, kw_only=True)
class InconsistencyScore:
    """How much evidence speaks against one hypothesis (lower is more likely, per Heuer)."""

    hypothesis_id: str
    weighted: float
    inconsistent: int
    unrated: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AchMatrix:
    """A validated ACH matrix: at least two hypotheses, evidence, and ratings linking them.

    Cells without a rating are allowed (the analysis is in progress) and reported as unrated.

    Raises:
        AssessError: fewer than two hypotheses, a repeated id, a rating that names an unknown
            hypothesis or evidence item, or two ratings for the same cell.
    """

    hypotheses: tuple[Hypothesis, ...]
    evidence: tuple[Evidence, ...]
    ratings: tuple[EvidenceRating, ...] = ()

    def __post_init__(self) -> None:
        if len(self.hypotheses) < 2:
            raise AssessError(
                f"an ACH matrix needs at least two competing hypotheses, got "
                f"{len(self.hypotheses)}; add another with 'sitewatch assess DIR add-hypothesis'",
                count=len(self.hypotheses),
            )
        check_consistency(self.hypotheses, self.evidence, self.ratings)

    def rating(self, evidence_id: str, hypothesis_id: str) -> Rating | None:
        """The rating of one cell, or None when it is not rated yet."""
        return self.cells().get((evidence_id, hypothesis_id))

    def cells(self) -> dict[tuple[str, str], Rating]:
        """Every rated cell: (evidence id, hypothesis id) -> rating."""
        return {(e.evidence_id, e.hypothesis_id): e.rating for e in self.ratings}

    def diagnosticity(self) -> tuple[Diagnosticity, ...]:
        """Diagnosticity of every evidence item, in evidence order."""
        cells = self.cells()
        result = []
        for item in self.evidence:
            scores = [r.score for h in self.hypotheses if (r := cells.get((item.id, h.id))) is not None]
            spread = max(scores) - min(scores) if scores else 0
            result.append(
                Diagnosticity(
                    evidence_id=item.id,
                    spread=spread,
                    weighted=spread * item.weight,
                    unrated=len(self.hypotheses) - len(scores),
                )
            )
        return tuple(result)

    def ranked_evidence(self) -> tuple[Diagnosticity, ...]:
        """Evidence from most to least diagnostic: by spread, then weighted spread, then order."""
        items = self.diagnosticity()
        order = sorted(range(len(items)), key=lambda i: (-items[i].spread, -items[i].weighted, i))
        return tuple(items[i] for i in order)

    def inconsistency(self) -> tuple[InconsistencyScore, ...]:
        """Weighted inconsistency of every hypothesis, in hypothesis order."""
        weights = {item.id: item.weight for item in self.evidence}
        result = []
        for hyp in self.hypotheses:
            rated = [e for e in self.ratings if e.hypothesis_id == hyp.id]
            result.append(
                InconsistencyScore(
                    hypothesis_id=hyp.id,
                    weighted=sum(e.rating.inconsistency * weights[e.evidence_id] for e in rated),
                    inconsistent=sum(1 for e in rated if e.rating.inconsistency > 0),
                    unrated=len(self.evidence) - len(rated),
                )
            )
        return tuple(result)

    def least_inconsistent(self) -> tuple[str, ...]:
        """Ids of the hypotheses with the lowest weighted inconsistency (several on a tie)."""
        return lowest({s.hypothesis_id: s.weighted for s in self.inconsistency()})


def lowest(scores: dict[str, float]) -> tuple[str, ...]:
    """Keys whose score ties the lowest (to 1e-9, so float sums in any order agree).

    >>> lowest({"H1": 1.0, "H2": 0.1 + 0.2 - 0.3, "H3": 0.0})
    ('H2', 'H3')
    """
    best = min(scores.values())
    return tuple(k for k, v in scores.items() if math.isclose(v, best, abs_tol=1e-9))


def check_consistency(
    hypotheses: tuple[Hypothesis, ...],
    evidence: tuple[Evidence, ...],
    ratings: tuple[EvidenceRating, ...],
) -> None:
    """Raise unless ids are unique and every rating names a known hypothesis and evidence item.

    Raises:
        AssessError: naming the repeated or unknown id and the known ones.
    """
    hyp_ids = _unique_ids("hypothesis", tuple(h.id for h in hypotheses))
    ev_ids = _unique_ids("evidence", tuple(e.id for e in evidence))
    seen: set[tuple[str, str]] = set()
    for entry in ratings:
        if entry.hypothesis_id not in hyp_ids:
            raise AssessError(
                f"rating of {entry.evidence_id!r} names unknown hypothesis "
                f"{entry.hypothesis_id!r}; known hypotheses: {', '.join(hyp_ids) or 'none'}",
                hypothesis_id=entry.hypothesis_id,
            )
        if entry.evidence_id not in ev_ids:
            raise AssessError(
                f"rating against {entry.hypothesis_id!r} names unknown evidence "
                f"{entry.evidence_id!r}; known evidence: {', '.join(ev_ids) or 'none'}",
                evidence_id=entry.evidence_id,
            )
        cell = (entry.evidence_id, entry.hypothesis_id)
        if cell in seen:
            raise AssessError(
                f"evidence {cell[0]!r} is rated twice against hypothesis {cell[1]!r}; keep one",
                evidence_id=cell[0],
                hypothesis_id=cell[1],
            )
        seen.add(cell)


def _unique_ids(what: str, ids: tuple[str, ...]) -> tuple[str, ...]:
    seen: set[str] = set()
    for value in ids:
        if value in seen:
            raise AssessError(f"{what} id {value!r} is used twice; ids must be unique", id=value)
        seen.add(value)
    return ids
