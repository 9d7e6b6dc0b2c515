"""Coherence findings: gaps and contradictions a reviewer would query."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from sitewatch.assess.assessment import Assessment
from sitewatch.assess.casefile import load_sample
from sitewatch.assess.checks import FindingKind, coherence_findings
from sitewatch.assess.hypotheses import Evidence, EvidenceKind, EvidenceRating, Hypothesis, Rating
from sitewatch.assess.judgments import Judgment
from sitewatch.assess.language import Confidence, Likelihood

CODES = (("E1", "H1", "I"), ("E1", "H2", "C"), ("E2", "H1", "C"), ("E2", "H2", "C"))
SECOND_DIAGNOSTIC = (("E3", "H1", "I"), ("E3", "H2", "C"))


def _base(codes: tuple[tuple[str, str, str], ...] = CODES + SECOND_DIAGNOSTIC) -> Assessment:
    """H2 is least inconsistent; E1 and E3 each speak against H1, E2 fits both."""
    a = Assessment()
    for h in ("H1", "H2"):
        a = a.with_hypothesis(Hypothesis(id=h, text=h))
    for e in sorted({e for e, _, _ in codes}):
        a = a.with_evidence(Evidence(id=e, kind=EvidenceKind.OTHER, description=e, source="s"))
    for e, h, code in codes:
        a = a.with_rating(EvidenceRating(evidence_id=e, hypothesis_id=h, rating=Rating(code)))
    return a


def _judge(jid: str, hypothesis: str | None, term: Likelihood, *basis: str) -> Judgment:
    return Judgment(
        id=jid,
        statement=f"{hypothesis} holds",
        likelihood=term,
        confidence=Confidence.MODERATE,
        basis=basis,
        hypothesis=hypothesis,
    )


def _kinds(a: Assessment) -> list[FindingKind]:
    return [f.kind for f in coherence_findings(a)]


def test_sample_and_a_coherent_assessment_have_no_findings() -> None:
    assert coherence_findings(load_sample("rostov")) == ()
    a = _base().with_judgment(_judge("J1", "H2", Likelihood.LIKELY, "E1"))
    assert coherence_findings(a) == ()


def test_incomplete() -> None:
    (only,) = coherence_findings(Assessment().with_hypothesis(Hypothesis(id="H1", text="x")))
    assert only.kind is FindingKind.INCOMPLETE and "fewer than two" in only.message
    two = Assessment(hypotheses=_base().hypotheses)
    assert "no evidence" in coherence_findings(two)[0].message
    a = dataclasses.replace(_base(), ratings=_base().ratings[:2] + _base().ratings[4:])
    (finding,) = coherence_findings(a)
    assert finding.kind is FindingKind.INCOMPLETE
    assert finding.message.startswith("2 of 6 cells are unrated (E2×H1, E2×H2)")


def test_conflicting_judgments_of_one_hypothesis() -> None:
    a = _base().with_judgment(_judge("J1", "H2", Likelihood.LIKELY, "E1"))
    a = a.with_judgment(_judge("J2", "H2", Likelihood.VERY_LIKELY, "E1"))
    (finding,) = coherence_findings(a)
    assert finding.kind is FindingKind.CONFLICTING_JUDGMENTS and finding.ids == ("J1", "J2")


def test_competing_hypotheses_cannot_both_be_likely() -> None:
    a = _base().with_judgment(_judge("J1", "H2", Likelihood.LIKELY, "E1"))
    a = a.with_judgment(_judge("J2", "H1", Likelihood.LIKELY, "E1"))
    assert FindingKind.EXCEEDS_CERTAINTY in _kinds(a)
    finding = next(f for f in coherence_findings(a) if f.kind is FindingKind.EXCEEDS_CERTAINTY)
    assert "at least 110%" in finding.message
    b = _base().with_judgment(_judge("J1", "H2", Likelihood.LIKELY, "E1"))
    b = b.with_judgment(_judge("J2", "H1", Likelihood.UNLIKELY, "E1"))
    assert FindingKind.EXCEEDS_CERTAINTY not in _kinds(b)


def test_conclusion_resting_on_one_item_is_flagged() -> None:
    (finding,) = coherence_findings(_base(CODES))  # only E1 separates H1 from H2
    assert finding.kind is FindingKind.SENSITIVE and finding.ids == ("E1",)
    assert finding.message.startswith("the least inconsistent hypothesis (H2) changes if E1 is")
    # H1 scores 2 (E1, E3), H2 scores 3 (E4 II, E5 I): dropping E1 or E3 keeps H1 ahead, but
    # dropping E4 puts H2 ahead and dropping E5 ties them.
    codes = (*CODES, *SECOND_DIAGNOSTIC, ("E4", "H1", "C"), ("E4", "H2", "II"), ("E5", "H1", "NA"))
    codes = (*codes, ("E5", "H2", "I"))
    sensitive = [f for f in coherence_findings(_base(codes)) if f.kind is FindingKind.SENSITIVE]
    assert [f.ids for f in sensitive] == [("E4", "E5")]
    assert "(H1) changes if any one of E4, E5 is wrong" in sensitive[0].message


def test_judging_the_more_inconsistent_hypothesis_most_likely_is_queried() -> None:
    a = _base().with_judgment(_judge("J1", "H1", Likelihood.VERY_LIKELY, "E1"))
    (finding,) = coherence_findings(a)
    assert finding.kind is FindingKind.AGAINST_MATRIX
    assert finding.message.startswith("J1 judges H1 the most likely, but the matrix finds H2 (0)")


def test_weak_basis() -> None:
    a = _base().with_judgment(_judge("J1", None, Likelihood.LIKELY))
    a = a.with_judgment(_judge("J2", None, Likelihood.LIKELY, "E2"))
    findings = coherence_findings(a)
    assert [f.kind for f in findings] == [FindingKind.WEAK_BASIS] * 2
    assert findings[0].message == "J1 names no evidence it rests on"
    assert "only on non-diagnostic evidence (E2)" in findings[1].message


@given(st.lists(st.sampled_from(tuple(Likelihood)), min_size=2, max_size=2))
def test_exceeds_certainty_exactly_when_lower_bounds_pass_100(terms: list[Likelihood]) -> None:
    a = _base()
    for i, (hyp, term) in enumerate(zip(("H1", "H2"), terms, strict=True)):
        a = a.with_judgment(_judge(f"J{i}", hyp, term, "E1"))
    over = sum(t.range_pct[0] for t in terms) > 100
    assert (FindingKind.EXCEEDS_CERTAINTY in _kinds(a)) == over


@st.composite
def assessments(draw: st.DrawFn) -> Assessment:
    n_hyp = draw(st.integers(min_value=2, max_value=4))
    n_ev = draw(st.integers(min_value=1, max_value=6))
    codes = tuple(
        (f"E{e}", f"H{h}", draw(st.sampled_from(("CC", "C", "NA", "I", "II"))))
        for e in range(n_ev)
        for h in range(n_hyp)
        if draw(st.booleans()) or draw(st.booleans())
    )
    a = Assessment()
    for h in range(n_hyp):
        a = a.with_hypothesis(Hypothesis(id=f"H{h}", text="h"))
    weight = st.floats(min_value=0.1, max_value=1.0)
    for e in range(n_ev):
        a = a.with_evidence(
            Evidence(
                id=f"E{e}",
                kind=EvidenceKind.OTHER,
                description="d",
                source="s",
                credibility=draw(weight),
            )
        )
    for e, h, code in codes:
        a = a.with_rating(EvidenceRating(evidence_id=e, hypothesis_id=h, rating=Rating(code)))
    return a


@given(assessments())
def test_sensitivity_agrees_with_recomputing_without_each_item(a: Assessment) -> None:
    best = set(a.matrix().least_inconsistent())
    expected = tuple(
        e.id
        for e in a.evidence
        if set(
            dataclasses.replace(
                a.matrix(),
                evidence=tuple(x for x in a.evidence if x.id != e.id),
                ratings=tuple(r for r in a.ratings if r.evidence_id != e.id),
            ).least_inconsistent()
        )
        != best
    )
    found = [f.ids for f in coherence_findings(a) if f.kind is FindingKind.SENSITIVE]
    assert found == ([expected] if expected else [])
