"""An assessment: everything an analyst records about one case's hypotheses.

An :class:`Assessment` may be incomplete (one hypothesis, unrated cells) while the analyst
works; :meth:`Assessment.matrix` gives the validated :class:`AchMatrix` once there are at
least two hypotheses. Changes return a new value (``with_*`` methods); nothing is mutated.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from sitewatch.assess.hypotheses import (
    AchMatrix,
    Evidence,
    EvidenceRating,
    Hypothesis,
    check_consistency,
)
from sitewatch.assess.judgments import Judgment
from sitewatch.errors import AssessError


@dataclass(frozen=True, slots=True, kw_only=True)
class Assessment:
    """Hypotheses, evidence, ratings and judgments of one case.

    ``illustrative`` marks a sample that is not a real analytic product; reports must say so.

    Raises:
        AssessError: a repeated id, a rating or judgment basis naming an unknown id.
    """

    title: str = ""
    illustrative: bool = False
    note: str = ""
    hypotheses: tuple[Hypothesis, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    ratings: tuple[EvidenceRating, ...] = ()
    judgments: tuple[Judgment, ...] = ()

    def __post_init__(self) -> None:
        for name in ("hypotheses", "evidence", "ratings", "judgments"):
            if not isinstance(getattr(self, name), tuple):
                raise AssessError(f"assessment {name} must be a tuple")
        if not isinstance(self.illustrative, bool):
            raise AssessError("assessment 'illustrative' must be true or false")
        check_consistency(self.hypotheses, self.evidence, self.ratings)
        _check_judgments(self)

    def matrix(self) -> AchMatrix:
        """The validated ACH matrix.

        Raises:
            AssessError: fewer than two hypotheses.
        """
        return AchMatrix(hypotheses=self.hypotheses, evidence=self.evidence, ratings=self.ratings)

    def hypothesis(self, hypothesis_id: str) -> Hypothesis:
        """The hypothesis with this id.

        Raises:
            AssessError: no such hypothesis; the message lists the known ones.
        """
        for hyp in self.hypotheses:
            if hyp.id == hypothesis_id:
                return hyp
        known = ", ".join(h.id for h in self.hypotheses) or "none"
        raise AssessError(f"no hypothesis {hypothesis_id!r}; known: {known}", id=hypothesis_id)

    def evidence_item(self, evidence_id: str) -> Evidence:
        """The evidence item with this id.

        Raises:
            AssessError: no such evidence; the message lists the known ones.
        """
        for item in self.evidence:
            if item.id == evidence_id:
                return item
        known = ", ".join(e.id for e in self.evidence) or "none"
        raise AssessError(f"no evidence {evidence_id!r}; known: {known}", id=evidence_id)

    def with_hypothesis(self, hypothesis: Hypothesis) -> Assessment:
        """A copy with one more hypothesis.

        Raises:
            AssessError: the id is already used.
        """
        return dataclasses.replace(self, hypotheses=(*self.hypotheses, hypothesis))

    def with_evidence(self, evidence: Evidence) -> Assessment:
        """A copy with one more evidence item.

        Raises:
            AssessError: the id is already used.
        """
        return dataclasses.replace(self, evidence=(*self.evidence, evidence))

    def with_rating(self, rating: EvidenceRating) -> Assessment:
        """A copy where this cell has this rating, replacing any earlier rating of the cell.

        Raises:
            AssessError: the rating names an unknown hypothesis or evidence item.
        """
        kept = tuple(
            r
            for r in self.ratings
            if (r.evidence_id, r.hypothesis_id) != (rating.evidence_id, rating.hypothesis_id)
        )
        return dataclasses.replace(self, ratings=(*kept, rating))

    def with_judgment(self, judgment: Judgment) -> Assessment:
        """A copy with one more judgment.

        Raises:
            AssessError: the id is already used or the basis names unknown evidence.
        """
        return dataclasses.replace(self, judgments=(*self.judgments, judgment))

    def next_judgment_id(self) -> str:
        """The first free id of the form ``J<n>``."""
        used = {j.id for j in self.judgments}
        n = len(self.judgments) + 1
        while f"J{n}" in used:
            n += 1
        return f"J{n}"


def _check_judgments(assessment: Assessment) -> None:
    """Raise unless judgment ids are unique and each names known hypotheses and evidence."""
    evidence_ids = sorted(e.id for e in assessment.evidence)
    hypothesis_ids = sorted(h.id for h in assessment.hypotheses)
    seen: set[str] = set()
    for judgment in assessment.judgments:
        if judgment.id in seen:
            raise AssessError(f"judgment id {judgment.id!r} is used twice", id=judgment.id)
        seen.add(judgment.id)
        if judgment.hypothesis is not None and judgment.hypothesis not in hypothesis_ids:
            raise AssessError(
                f"judgment {judgment.id!r} is about unknown hypothesis {judgment.hypothesis!r}; "
                f"known: {', '.join(hypothesis_ids) or 'none'}",
                id=judgment.id,
            )
        unknown = [b for b in judgment.basis if b not in evidence_ids]
        if unknown:
            raise AssessError(
                f"judgment {judgment.id!r} rests on unknown evidence {', '.join(unknown)}; "
                f"known evidence: {', '.join(evidence_ids) or 'none'}",
                id=judgment.id,
                unknown=tuple(unknown),
            )
