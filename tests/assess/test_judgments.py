"""Judgments: a plain statement with an ICD 203 likelihood and a separate confidence."""

from __future__ import annotations

import doctest

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitewatch.assess import judgments
from sitewatch.assess.judgments import Judgment, parse_judgment
from sitewatch.assess.language import Confidence, Likelihood
from sitewatch.errors import AssessError

TERMS = tuple(Likelihood)


def test_doctests() -> None:
    result = doctest.testmod(judgments)
    assert result.attempted > 0 and result.failed == 0


def test_judgment_validation_and_sentence() -> None:
    judgment = parse_judgment(
        "likely, moderate confidence", id="J1", statement="H2 holds", basis=("E1", "E2")
    )
    assert judgment == Judgment(
        id="J1",
        statement="H2 holds",
        likelihood=Likelihood.LIKELY,
        confidence=Confidence.MODERATE,
        basis=("E1", "E2"),
    )
    assert judgment.notation == "likely, moderate confidence: H2 holds"
    assert judgment.sentences == (
        "H2 holds: likely (55–80%).",
        "We have moderate confidence in this judgment.",
    )
    with pytest.raises(AssessError, match="repeats"):
        parse_judgment("likely, low confidence", id="J1", statement="x", basis=("E1", "E1"))
    with pytest.raises(AssessError, match="empty statement"):
        parse_judgment("likely, low confidence", id="J1", statement="  ")
    with pytest.raises(AssessError, match="must be a Likelihood"):
        Judgment(id="J1", statement="x", likelihood="likely", confidence=Confidence.LOW)  # type: ignore[arg-type]


@pytest.mark.parametrize("statement", ["The tanks probably came from Rostov", "It is likely that H2 holds"])
def test_statement_may_not_hedge(statement: str) -> None:
    with pytest.raises(AssessError, match="hedges"):
        parse_judgment("likely, low confidence", id="J1", statement=statement)


def test_judgment_from_one_sentence() -> None:
    judgment = parse_judgment("Very unlikely, low confidence: H1 holds", id="J2", basis=("E1",))
    assert (judgment.likelihood, judgment.confidence) == (Likelihood.VERY_UNLIKELY, Confidence.LOW)
    assert judgment.statement == "H1 holds" and judgment.basis == ("E1",)
    with pytest.raises(AssessError, match="separated by ':'"):
        parse_judgment("likely, low confidence", id="J1")


statements = st.text(alphabet=st.characters(exclude_categories=["Cs", "Cc"]), min_size=1, max_size=60).filter(
    lambda s: s == s.strip() and s and judgments._HEDGES.search(s) is None
)


@given(
    term=st.sampled_from(TERMS),
    level=st.sampled_from(tuple(Confidence)),
    statement=statements,
)
def test_notation_reads_back_and_sentences_keep_likelihood_and_confidence_apart(
    term: Likelihood, level: Confidence, statement: str
) -> None:
    judgment = Judgment(id="J1", statement=statement, likelihood=term, confidence=level)
    assert parse_judgment(judgment.notation, id="J1") == judgment
    first, second = judgment.sentences
    assert term.label in first and "confidence" not in first.removeprefix(statement)
    assert level.value in second and not any(t.value in second for t in TERMS)
