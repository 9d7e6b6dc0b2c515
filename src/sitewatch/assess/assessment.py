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
from sitewatch.assess.judgments import Judgment, parse_judgment
from sitewatch.assess.language import parse_confidence, parse_estimate, parse_likelihood
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

    def rating_of(self, evidence_id: str, hypothesis_id: str) -> EvidenceRating | None:
        """The rating of one cell of the matrix, or ``None`` when it is not rated."""
        return next((r for r in self.ratings
                     if (r.evidence_id, r.hypothesis_id) == (evidence_id, hypothesis_id)), None)

    def with_judgment_from(
        self, statement: str, *, judgment_id: str | None = None, estimate: str | None = None,
        likelihood: str | None = None, confidence: str | None = None,
        basis: tuple[str, ...] = (), hypothesis: str | None = None,
    ) -> Assessment:
        """A copy with one more judgment written as an analyst gives it: ``estimate``
        (``'likely, moderate confidence'``), or ``likelihood`` and ``confidence`` apart, or
        neither with ``statement`` as ``'likely, moderate confidence: <statement>'``. Its id is
        ``judgment_id`` or the next free ``J<n>``.

        Raises:
            AssessError: a term is not ICD 203's, the id is used, or the basis is unknown.
        """
        judgment_id = judgment_id or self.next_judgment_id()
        if estimate is None and likelihood is None and confidence is None:
            return self.with_judgment(parse_judgment(statement, id=judgment_id, basis=basis,
                                                     hypothesis=hypothesis))
        if estimate is not None:
            likely, confident = parse_estimate(estimate)
        else:
            likely, confident = parse_likelihood(likelihood or ""), parse_confidence(confidence or "")
        return self.with_judgment(Judgment(id=judgment_id, statement=statement, likelihood=likely,
                                           confidence=confident, basis=basis, hypothesis=hypothesis))

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
