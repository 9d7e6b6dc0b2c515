"""ACH matrix: validation, diagnosticity and inconsistency scores."""

from __future__ import annotations

import dataclasses
import doctest

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitewatch.assess import hypotheses, ids
from sitewatch.assess.assessment import Assessment
from sitewatch.assess.hypotheses import (
    AchMatrix,
    Evidence,
    EvidenceKind,
    EvidenceRating,
    Hypothesis,
    Rating,
)
from sitewatch.assess.judgments import Judgment
from sitewatch.assess.language import Confidence, Likelihood
from sitewatch.errors import AssessError

RATINGS = tuple(Rating)


def _hyps(n: int) -> tuple[Hypothesis, ...]:
    return tuple(Hypothesis(id=f"H{i}", text=f"hypothesis {i}") for i in range(1, n + 1))


def _ev(evidence_id: str, **kw: object) -> Evidence:
    fields: dict[str, object] = {
        "id": evidence_id,
        "kind": EvidenceKind.EVENT,
        "description": f"evidence {evidence_id}",
        "source": "test",
    }
    fields.update(kw)
    return Evidence(**fields)  # type: ignore[arg-type]


def _rate(evidence_id: str, hypothesis_id: str, code: str) -> EvidenceRating:
    return EvidenceRating(evidence_id=evidence_id, hypothesis_id=hypothesis_id, rating=Rating(code))


def _matrix(rows: dict[str, tuple[str, ...]], **weights: dict[str, float]) -> AchMatrix:
    n = len(next(iter(rows.values())))
    hyps = _hyps(n)
    evidence = tuple(_ev(e, **weights.get(e, {})) for e in rows)
    ratings = tuple(
        _rate(e, h.id, code) for e, codes in rows.items() for h, code in zip(hyps, codes, strict=True) if code
    )
    return AchMatrix(hypotheses=hyps, evidence=evidence, ratings=ratings)


def test_doctests() -> None:
    for module in (hypotheses, ids):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0


def test_rating_scores_and_parse() -> None:
    assert [r.score for r in Rating] == [2, 1, 0, -1, -2]
    assert [r.inconsistency for r in Rating] == [0, 0, 0, 1, 2]
    assert Rating.parse("n/a") is Rating.NOT_APPLICABLE
    assert Rating.parse(" cc ") is Rating.VERY_CONSISTENT
    with pytest.raises(AssessError, match=r"unknown rating 'N'; valid ratings: CC \(very"):
        Rating.parse("N")


def test_diagnosticity_and_ranking() -> None:
    matrix = _matrix(
        {"E1": ("C", "C"), "E2": ("I", "CC"), "E3": ("NA", "C"), "E4": ("II", "CC")},
    )
    spreads = {d.evidence_id: d.spread for d in matrix.diagnosticity()}
    assert spreads == {"E1": 0, "E2": 3, "E3": 1, "E4": 4}
    assert [d.evidence_id for d in matrix.ranked_evidence()] == ["E4", "E2", "E3", "E1"]
    assert not matrix.diagnosticity()[0].diagnostic


def test_weights_break_ties_in_ranking_and_scale_inconsistency() -> None:
    matrix = _matrix(
        {"E1": ("I", "C"), "E2": ("C", "I"), "E3": ("C", "I")},
        E2={"credibility": 0.5},
        E3={"credibility": 0.5, "relevance": 0.5},
    )
    assert [d.evidence_id for d in matrix.ranked_evidence()] == ["E1", "E2", "E3"]
    scores = {s.hypothesis_id: s for s in matrix.inconsistency()}
    assert scores["H1"].weighted == pytest.approx(1.0)
    assert scores["H2"].weighted == pytest.approx(0.75)
    assert scores["H2"].inconsistent == 2
    # Fewer weighted inconsistencies wins even with more inconsistent items (Heuer, weighted).
    assert matrix.least_inconsistent() == ("H2",)


def test_very_inconsistent_counts_double_and_ties_are_reported() -> None:
    matrix = _matrix({"E1": ("II", "I"), "E2": ("C", "I")})
    assert [s.weighted for s in matrix.inconsistency()] == [2.0, 2.0]
    assert matrix.least_inconsistent() == ("H1", "H2")


def test_unrated_cells_are_counted_not_guessed() -> None:
    matrix = _matrix({"E1": ("I", ""), "E2": ("C", "C")})
    diag = matrix.diagnosticity()[0]
    assert (diag.spread, diag.unrated) == (0, 1)
    assert matrix.rating("E1", "H2") is None
    assert [s.unrated for s in matrix.inconsistency()] == [0, 1]


def test_matrix_validation() -> None:
    with pytest.raises(AssessError, match="at least two competing hypotheses, got 1"):
        AchMatrix(hypotheses=_hyps(1), evidence=())
    with pytest.raises(AssessError, match="unknown hypothesis 'H9'; known hypotheses: H1, H2"):
        AchMatrix(hypotheses=_hyps(2), evidence=(_ev("E1"),), ratings=(_rate("E1", "H9", "C"),))
    with pytest.raises(AssessError, match="unknown evidence 'E9'"):
        AchMatrix(hypotheses=_hyps(2), evidence=(_ev("E1"),), ratings=(_rate("E9", "H1", "C"),))
    with pytest.raises(AssessError, match="rated twice"):
        AchMatrix(
            hypotheses=_hyps(2),
            evidence=(_ev("E1"),),
            ratings=(_rate("E1", "H1", "C"), _rate("E1", "H1", "I")),
        )
    with pytest.raises(AssessError, match="hypothesis id 'H1' is used twice"):
        AchMatrix(hypotheses=(*_hyps(2), Hypothesis(id="H1", text="again")), evidence=())


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("id", "E 1", "evidence id 'E 1' is not valid"),
        ("id", "", "is not valid"),
        ("description", " ", "empty description"),
        ("source", "", "empty source"),
        ("credibility", 0.0, r"credibility 0.0 must be a number in \(0, 1\]"),
        ("relevance", 1.5, "relevance 1.5 must be"),
        ("relevance", float("nan"), "relevance nan must be"),
        ("credibility", True, "credibility True must be"),
        ("ref", "event 1", "not 'scheme:value'"),
        ("ref", "http://x", "unknown scheme 'http'"),
        ("ref", "sha256:abc", "64 lowercase hex"),
    ],
)
def test_evidence_validation(field: str, value: object, message: str) -> None:
    with pytest.raises(AssessError, match=message):
        _ev("E1", **{field: value})


def test_evidence_accepts_references_to_case_objects() -> None:
    assert _ev("E1", ref="sha256:" + "ab" * 32).ref == "sha256:" + "ab" * 32
    assert _ev("E1", ref="event:arrival-0611").weight == 1.0
    assert EvidenceKind.parse(" Comparison ") is EvidenceKind.COMPARISON
    with pytest.raises(AssessError, match="valid kinds: event, count, link, comparison"):
        EvidenceKind.parse("photo")


def test_assessment_allows_work_in_progress_but_checks_links() -> None:
    one = Assessment().with_hypothesis(Hypothesis(id="H1", text="only one"))
    with pytest.raises(AssessError, match="at least two"):
        one.matrix()
    with pytest.raises(AssessError, match="used twice"):
        one.with_hypothesis(Hypothesis(id="H1", text="dup"))
    with pytest.raises(AssessError, match="unknown hypothesis"):
        one.with_evidence(_ev("E1")).with_rating(_rate("E1", "H2", "C"))
    judgment = Judgment(
        id="J1",
        statement="H1 holds",
        likelihood=Likelihood.LIKELY,
        confidence=Confidence.LOW,
        basis=("E7",),
    )
    with pytest.raises(AssessError, match="rests on unknown evidence E7"):
        one.with_judgment(judgment)
    rated = one.with_evidence(_ev("E1")).with_rating(_rate("E1", "H1", "C"))
    rerated = rated.with_rating(_rate("E1", "H1", "II"))
    assert [r.rating for r in rerated.ratings] == [Rating.VERY_INCONSISTENT]
    assert rerated.next_judgment_id() == "J1"


# --- properties ---------------------------------------------------------------------------

codes = st.sampled_from(RATINGS)


@st.composite
def matrices(draw: st.DrawFn) -> AchMatrix:
    n_hyp = draw(st.integers(min_value=2, max_value=5))
    n_ev = draw(st.integers(min_value=1, max_value=8))
    hyps = _hyps(n_hyp)
    weight = st.floats(min_value=0.05, max_value=1.0)
    evidence = tuple(_ev(f"E{i}", credibility=draw(weight), relevance=draw(weight)) for i in range(n_ev))
    ratings = tuple(
        EvidenceRating(evidence_id=e.id, hypothesis_id=h.id, rating=draw(codes))
        for e in evidence
        for h in hyps
        if draw(st.booleans()) or draw(st.booleans())
    )
    return AchMatrix(hypotheses=hyps, evidence=evidence, ratings=ratings)


@given(n_hyp=st.integers(min_value=2, max_value=6), code=codes)
def test_same_rating_for_every_hypothesis_is_not_diagnostic(n_hyp: int, code: Rating) -> None:
    hyps = _hyps(n_hyp)
    matrix = AchMatrix(
        hypotheses=hyps,
        evidence=(_ev("E1"),),
        ratings=tuple(EvidenceRating(evidence_id="E1", hypothesis_id=h.id, rating=code) for h in hyps),
    )
    (diag,) = matrix.diagnosticity()
    assert diag.spread == 0 and diag.weighted == 0 and not diag.diagnostic


@given(matrices())
def test_spread_is_range_of_scores_and_ranking_is_sorted(matrix: AchMatrix) -> None:
    for diag in matrix.diagnosticity():
        scores = [r.score for h in matrix.hypotheses if (r := matrix.rating(diag.evidence_id, h.id))]
        assert diag.spread == (max(scores) - min(scores) if scores else 0)
        assert 0 <= diag.spread <= 4
    ranked = matrix.ranked_evidence()
    assert [d.spread for d in ranked] == sorted((d.spread for d in ranked), reverse=True)
    assert sorted(d.evidence_id for d in ranked) == sorted(e.id for e in matrix.evidence)


@given(matrices(), codes, st.floats(min_value=0.05, max_value=1.0))
def test_non_diagnostic_evidence_never_changes_which_hypothesis_wins(
    matrix: AchMatrix, code: Rating, weight: float
) -> None:
    extra = _ev("X", credibility=weight)
    extra_ratings = tuple(
        EvidenceRating(evidence_id="X", hypothesis_id=h.id, rating=code) for h in matrix.hypotheses
    )
    bigger = dataclasses.replace(
        matrix,
        evidence=(*matrix.evidence, extra),
        ratings=(*matrix.ratings, *extra_ratings),
    )
    assert bigger.least_inconsistent() == matrix.least_inconsistent()
    shift = code.inconsistency * weight
    for before, after in zip(matrix.inconsistency(), bigger.inconsistency(), strict=True):
        assert after.weighted == pytest.approx(before.weighted + shift)


@given(matrices())
def test_scores_do_not_depend_on_hypothesis_order(matrix: AchMatrix) -> None:
    flipped = dataclasses.replace(matrix, hypotheses=matrix.hypotheses[::-1])
    assert {s.hypothesis_id: s for s in flipped.inconsistency()} == {
        s.hypothesis_id: s for s in matrix.inconsistency()
    }
    assert set(flipped.least_inconsistent()) == set(matrix.least_inconsistent())
