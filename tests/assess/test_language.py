"""ICD 203 estimative language: terms, ranges, parsing and rejection of mixed or undefined terms."""

from __future__ import annotations

import doctest
import itertools
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitewatch.assess import language
from sitewatch.assess.language import (
    Confidence,
    Likelihood,
    likelihood_for_probability,
    parse_confidence,
    parse_estimate,
    parse_likelihood,
)
from sitewatch.errors import AssessError

TERMS = tuple(Likelihood)


def test_doctests() -> None:
    result = doctest.testmod(language)
    assert result.attempted > 0 and result.failed == 0


def test_seven_terms_with_icd203_ranges() -> None:
    assert [(t.value, t.range_pct) for t in Likelihood] == [
        ("almost no chance", (1, 5)),
        ("very unlikely", (5, 20)),
        ("unlikely", (20, 45)),
        ("roughly even chance", (45, 55)),
        ("likely", (55, 80)),
        ("very likely", (80, 95)),
        ("almost certain", (95, 99)),
    ]
    assert Likelihood.ALMOST_NO_CHANCE.label == "almost no chance (01–05%)"
    assert [c.value for c in Confidence] == ["low", "moderate", "high"]


def test_ranges_tile_one_to_ninety_nine_percent() -> None:
    for lower, upper in itertools.pairwise(TERMS):
        assert lower.range_pct[1] == upper.range_pct[0]


@pytest.mark.parametrize(
    ("phrase", "likelihood", "confidence"),
    [
        ("likely, moderate confidence", Likelihood.LIKELY, Confidence.MODERATE),
        ("Very likely (high confidence)", Likelihood.VERY_LIKELY, Confidence.HIGH),
        ("unlikely with low confidence", Likelihood.UNLIKELY, Confidence.LOW),
        ("roughly even chance; low confidence.", Likelihood.ROUGHLY_EVEN_CHANCE, Confidence.LOW),
        ("moderate confidence, almost certain", Likelihood.ALMOST_CERTAIN, Confidence.MODERATE),
        ("almost no chance high confidence", Likelihood.ALMOST_NO_CHANCE, Confidence.HIGH),
    ],
)
def test_parse_estimate_accepts_separate_terms(
    phrase: str, likelihood: Likelihood, confidence: Confidence
) -> None:
    assert parse_estimate(phrase) == (likelihood, confidence)


@pytest.mark.parametrize(
    ("phrase", "named", "hint"),
    [
        ("highly likely, high confidence", "highly likely", "very likely"),
        ("certain, high confidence", "certain", "almost certain"),
        ("likely, medium confidence", "medium confidence", "moderate confidence"),
        ("likely, moderate", "moderate", "moderate confidence"),
    ],
)
def test_undefined_terms_are_named_with_a_suggestion(phrase: str, named: str, hint: str) -> None:
    with pytest.raises(AssessError, match="undefined") as info:
        parse_estimate(phrase)
    message = str(info.value)
    assert repr(named) in message and repr(hint) in message


@pytest.mark.parametrize(
    ("word", "first"),
    [
        ("probably", "likely"),
        ("Probable", "likely"),
        ("remote", "almost no chance"),
        ("highly improbable", "very unlikely"),
        ("improbable", "unlikely"),
        ("roughly even odds", "roughly even chance"),
        ("highly probable", "very likely"),
        ("nearly certain", "almost certain"),
    ],
)
def test_icd203_second_set_is_refused_naming_the_first_set_term(word: str, first: str) -> None:
    with pytest.raises(AssessError, match="second-set wording") as info:
        parse_estimate(f"{word}, moderate confidence")
    assert f"write {first!r}" in str(info.value)


def test_almost_certainly_is_the_first_set_term() -> None:
    assert parse_likelihood("almost certainly") is Likelihood.ALMOST_CERTAIN


def test_undefined_likelihood_message_lists_all_valid_terms() -> None:
    with pytest.raises(AssessError) as info:
        parse_likelihood("highly likely")
    assert all(term.label in str(info.value) for term in Likelihood)
    assert info.value.context["valid"] == tuple(t.value for t in Likelihood)


@pytest.mark.parametrize(
    "phrase",
    [
        "high-confidence likely",
        "high confidence likely",
        "likely-high-confidence",
        "confidently likely, high confidence",
        "likely, high likelihood confidence",
    ],
)
def test_mixing_likelihood_and_confidence_in_one_term_is_rejected(phrase: str) -> None:
    with pytest.raises(AssessError, match="mixes likelihood and confidence"):
        parse_estimate(phrase)


@pytest.mark.parametrize("phrase", ["likely", "moderate confidence", "likely, unlikely, low confidence", ""])
def test_phrase_needs_exactly_one_of_each(phrase: str) -> None:
    with pytest.raises(AssessError, match="exactly one likelihood term and one confidence"):
        parse_estimate(phrase)


def test_separate_parsers() -> None:
    assert parse_likelihood(" Almost  Certain ") is Likelihood.ALMOST_CERTAIN
    assert parse_confidence("moderate") is Confidence.MODERATE
    assert parse_confidence("HIGH confidence") is Confidence.HIGH
    with pytest.raises(AssessError, match="mixes"):
        parse_likelihood("likely with high confidence")
    with pytest.raises(AssessError, match="mixes"):
        parse_confidence("likely")
    with pytest.raises(AssessError, match="undefined confidence level 'very high'"):
        parse_confidence("very high")


@given(term=st.sampled_from(TERMS), level=st.sampled_from(tuple(Confidence)))
def test_every_valid_pair_parses_in_every_layout(term: Likelihood, level: Confidence) -> None:
    for phrase in (
        f"{term}, {level} confidence",
        f"{term} ({level} confidence)",
        f"{term.upper()} with {level} confidence",
        f"{level} confidence; {term}",
    ):
        assert parse_estimate(phrase) == (term, level)


@pytest.mark.parametrize(
    ("probability", "term"),
    [
        (0.001, Likelihood.ALMOST_NO_CHANCE),
        (0.03, Likelihood.ALMOST_NO_CHANCE),
        (0.05, Likelihood.VERY_UNLIKELY),
        (0.2, Likelihood.UNLIKELY),
        (0.45, Likelihood.ROUGHLY_EVEN_CHANCE),
        (0.5, Likelihood.ROUGHLY_EVEN_CHANCE),
        (0.55, Likelihood.ROUGHLY_EVEN_CHANCE),
        (0.56, Likelihood.LIKELY),
        (0.8, Likelihood.LIKELY),
        (0.9, Likelihood.VERY_LIKELY),
        (0.95, Likelihood.VERY_LIKELY),
        (0.97, Likelihood.ALMOST_CERTAIN),
        (0.999, Likelihood.ALMOST_CERTAIN),
    ],
)
def test_probability_to_term(probability: float, term: Likelihood) -> None:
    assert likelihood_for_probability(probability) is term


@pytest.mark.parametrize("probability", [0.0, 1.0, -0.1, 1.5, float("nan")])
def test_probability_outside_open_unit_interval_is_rejected(probability: float) -> None:
    with pytest.raises(AssessError, match="strictly between 0 and 1"):
        likelihood_for_probability(probability)


@given(st.floats(min_value=0.01, max_value=0.99))
def test_term_range_holds_the_probability(probability: float) -> None:
    low, high = likelihood_for_probability(probability).range_pct
    assert low - 1e-6 <= probability * 100 <= high + 1e-6


@given(st.integers(min_value=1, max_value=999))
def test_mapping_is_symmetric(per_mille: int) -> None:
    term = likelihood_for_probability(per_mille / 1000)
    mirror = likelihood_for_probability((1000 - per_mille) / 1000)
    assert TERMS.index(term) == len(TERMS) - 1 - TERMS.index(mirror)


def test_errors_survive_pickling() -> None:
    with pytest.raises(AssessError) as info:
        parse_estimate("highly likely, high confidence")
    clone = pickle.loads(pickle.dumps(info.value))
    assert str(clone) == str(info.value) and clone.context == info.value.context


@pytest.mark.parametrize(
    "phrase",
    [
        "likely (55–80%), moderate confidence",
        "likely (55-80 %), moderate confidence",
        "likely (70%), moderate confidence",
        "likely 70.5%, moderate confidence",
    ],
)
def test_stated_percentages_that_agree_are_accepted(phrase: str) -> None:
    assert parse_estimate(phrase) == (Likelihood.LIKELY, Confidence.MODERATE)


@pytest.mark.parametrize(
    ("phrase", "message"),
    [
        (
            "likely (90%), low confidence",
            "'likely' means 55–80% in ICD 203, not 90%.*'very likely'",
        ),
        ("likely (50–80%), low confidence", "not 50–80%"),
        ("likely (100%), low confidence", "not 100%.*not estimates"),
        ("likely, 60%, 70%, low confidence", "states 2 percentages"),
    ],
)
def test_stated_percentages_that_contradict_the_term_are_rejected(phrase: str, message: str) -> None:
    with pytest.raises(AssessError, match=message):
        parse_estimate(phrase)
