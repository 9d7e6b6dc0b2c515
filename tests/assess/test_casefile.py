"""assessment.toml: strict reading, our own writer, round trips, the shipped sample."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitewatch.assess import casefile
from sitewatch.assess.assessment import Assessment
from sitewatch.assess.casefile import (
    FORMAT,
    assessment_path,
    dumps_assessment,
    load_assessment,
    load_sample,
    loads_assessment,
    save_assessment,
)
from sitewatch.assess.hypotheses import Evidence, EvidenceKind, EvidenceRating, Hypothesis, Rating
from sitewatch.assess.judgments import Judgment
from sitewatch.assess.language import Confidence, Likelihood
from sitewatch.errors import AssessError

MINIMAL = f"""
format = "{FORMAT}"

[[hypotheses]]
id = "H1"
text = "one"

[[hypotheses]]
id = "H2"
text = "two"

[[evidence]]
id = "E1"
kind = "event"
description = "ten vehicles arrive"
source = "track"

[[ratings]]
evidence = "E1"
hypothesis = "H1"
rating = "I"

[[judgments]]
id = "J1"
statement = "H2 holds"
likelihood = "likely"
confidence = "moderate"
basis = ["E1"]
"""


def test_doctests() -> None:
    import doctest

    result = doctest.testmod(casefile)
    assert result.attempted > 0 and result.failed == 0


def test_reads_minimal_file() -> None:
    assessment = loads_assessment(MINIMAL)
    assert [h.id for h in assessment.hypotheses] == ["H1", "H2"]
    assert assessment.evidence[0].kind is EvidenceKind.EVENT
    assert assessment.ratings[0].rating is Rating.INCONSISTENT
    assert assessment.judgments[0].likelihood is Likelihood.LIKELY
    assert assessment.judgments[0].hypothesis is None
    assert assessment.illustrative is False


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ("[[evidence]]", "[[evidence]]\ncolour = 'red'"),
            r"unknown key 'colour' in \[\[evidence\]\] entry 1",
        ),
        (
            (f'format = "{FORMAT}"', f'format = "{FORMAT}"\nauthor = "x"'),
            "unknown key 'author' in the top level",
        ),
        (('rating = "I"', 'rating = "I"\nweight = 2'), r"unknown key 'weight' in \[\[ratings\]\]"),
        (('source = "track"\n', ""), r"\[\[evidence\]\] entry 1 lacks key 'source'"),
        (('text = "two"', "text = 2"), "key 'text' in .* must be text, got 2"),
        (('kind = "event"', 'kind = "photo"'), "unknown evidence kind 'photo'"),
        (('rating = "I"', 'rating = "maybe"'), "unknown rating 'maybe'"),
        (('hypothesis = "H1"', 'hypothesis = "H3"'), "unknown hypothesis 'H3'"),
        (
            ('likelihood = "likely"', 'likelihood = "highly likely"'),
            "undefined likelihood term 'highly likely'",
        ),
        (
            ('confidence = "moderate"', 'confidence = "medium"'),
            "undefined confidence level 'medium'",
        ),
        (('basis = ["E1"]', 'basis = ["E1", 3]'), "must be an array of evidence ids"),
        (('basis = ["E1"]', 'basis = ["E9"]'), "rests on unknown evidence E9"),
        (('basis = ["E1"]', 'basis = ["E1"]\nhypothesis = "H7"'), "about unknown hypothesis 'H7'"),
        ((f'format = "{FORMAT}"', 'format = "sitewatch-assessment/9"'), "is not supported"),
        ((f'format = "{FORMAT}"\n', ""), "the top level lacks key 'format'"),
        (('id = "E1"', 'id = "E1"\nid = "E2"'), "not valid TOML"),
        (
            (f'format = "{FORMAT}"', f'format = "{FORMAT}"\ntitle = 3'),
            "'title' in the top level must be text",
        ),
        (("[[hypotheses]]", "[[hypothesis]]"), "unknown key 'hypothesis' in the top level"),
    ],
)
def test_strict_reading_names_the_key_and_the_file(
    edit: tuple[str, str], message: str, tmp_path: Path
) -> None:
    old, new = edit
    assert old in MINIMAL
    path = tmp_path / "assessment.toml"
    path.write_text(MINIMAL.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(AssessError, match=message) as info:
        load_assessment(path)
    assert str(info.value).startswith(str(path))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("ratings = 3", "'ratings' in the top level must be an array"),
        ("ratings = [1]", r"\[\[ratings\]\] entry 1 must be a table"),
        ("illustrative = 'yes'", "'illustrative' in the top level must be true/false"),
    ],
)
def test_wrong_shapes_at_the_top_level(body: str, message: str) -> None:
    with pytest.raises(AssessError, match=message):
        loads_assessment(f'format = "{FORMAT}"\n{body}\n', source="x.toml")


def test_weights_must_be_numbers_not_booleans() -> None:
    text = MINIMAL.replace('source = "track"', 'source = "track"\ncredibility = true')
    with pytest.raises(AssessError, match=r"'credibility' in .* must be a number"):
        loads_assessment(text)


def test_rejects_missing_oversized_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(AssessError, match="does not exist"):
        load_assessment(tmp_path / "assessment.toml")
    big = tmp_path / "big.toml"
    big.write_bytes(b"#" * (casefile.MAX_FILE_BYTES + 1))
    with pytest.raises(AssessError, match="limit"):
        load_assessment(big)
    latin = tmp_path / "latin.toml"
    latin.write_bytes(MINIMAL.replace("one", "caf\xe9").encode("latin-1"))
    with pytest.raises(AssessError, match="not UTF-8"):
        load_assessment(latin)


@pytest.mark.parametrize("opening", ["[", "{a="])
def test_deeply_nested_hostile_file_is_an_assess_error(opening: str) -> None:
    closing = "]" if opening == "[" else "}"
    text = f'format = "{FORMAT}"\nx = ' + opening * 100_000 + closing * 100_000
    with pytest.raises(AssessError, match="nested too deeply"):
        loads_assessment(text, source="hostile.toml")


def test_save_then_load_round_trips_and_leaves_no_temp_file(tmp_path: Path) -> None:
    assessment = loads_assessment(MINIMAL)
    path = assessment_path(tmp_path)
    save_assessment(assessment, path)
    assert load_assessment(path) == assessment
    assert sorted(p.name for p in tmp_path.iterdir()) == ["assessment.toml"]
    # The writer's output is what the reader expects, key for key.
    assert dumps_assessment(load_assessment(path)) == path.read_text(encoding="utf-8")


def test_save_to_missing_folder_is_an_assess_error(tmp_path: Path) -> None:
    with pytest.raises(AssessError, match="cannot write"):
        save_assessment(Assessment(), tmp_path / "nope" / "assessment.toml")


def test_sample_is_illustrative_and_ranks_the_staging_hypothesis_first() -> None:
    sample = load_sample("rostov")
    assert sample.illustrative and "illustrative" in sample.note.lower()
    matrix = sample.matrix()
    assert matrix.least_inconsistent() == ("H2",)
    assert matrix.ranked_evidence()[-1].spread == 0  # the losses report fits both
    assert loads_assessment(dumps_assessment(sample)) == sample
    with pytest.raises(AssessError, match="samples: rostov"):
        load_sample("kyiv")


def test_sample_refs_match_the_demo_case() -> None:
    """The sample describes the shipped demo case: its dates, site and sightings must exist."""
    import csv
    import json

    data = Path(casefile.__file__).parents[1] / "demo" / "data"
    if not data.is_dir():
        pytest.skip("demo data not in this checkout")
    manifest = json.loads((data / "case.json").read_text(encoding="utf-8"))
    dates = {scene["date"] for scene in manifest["scenes"]}
    sites = {scene["site"] for scene in manifest["scenes"]}
    with (data / "sightings.csv").open(encoding="utf-8", newline="") as handle:
        sightings = {row["id"] for row in csv.DictReader(handle)}
    for item in load_sample("rostov").evidence:
        scheme, _, value = (item.ref or ":").partition(":")
        if scheme in {"event", "count"}:
            site, span, *_ = value.split("/")
            assert site in sites and set(span.split("..")) <= dates, item.ref
        elif scheme == "link":
            assert value in sightings, item.ref


def test_sample_file_says_illustrative_in_its_header() -> None:
    path = Path(casefile.__file__).parent / "samples" / "rostov_assessment.toml"
    assert path.read_text(encoding="utf-8").startswith("# ILLUSTRATIVE SAMPLE")


# --- round-trip property --------------------------------------------------------------------

text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), min_size=1, max_size=40).filter(
    lambda s: s.strip() != ""
)
plain = text.filter(
    lambda s: (
        re.search(r"(?i)probabl|likely|certain|possibl|perhaps|presumabl|conceivabl|doubtless|confiden", s)
        is None
    )
)
ident = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,10}", fullmatch=True)
weight = st.floats(min_value=1e-6, max_value=1.0)


@st.composite
def assessments(draw: st.DrawFn) -> Assessment:
    hyp_ids = draw(st.lists(ident, min_size=0, max_size=4, unique=True))
    ev_ids = draw(st.lists(ident, min_size=0, max_size=4, unique=True))
    hyps = tuple(Hypothesis(id=h, text=draw(text)) for h in hyp_ids)
    evidence = tuple(
        Evidence(
            id=e,
            kind=draw(st.sampled_from(tuple(EvidenceKind))),
            description=draw(text),
            source=draw(text),
            ref=draw(st.none() | ident.map(lambda v: f"event:{v}")),
            credibility=draw(weight),
            relevance=draw(weight),
        )
        for e in ev_ids
    )
    ratings = tuple(
        EvidenceRating(
            evidence_id=e,
            hypothesis_id=h,
            rating=draw(st.sampled_from(tuple(Rating))),
            note=draw(st.just("") | text),
        )
        for e in ev_ids
        for h in hyp_ids
        if draw(st.booleans())
    )
    judgments = tuple(
        Judgment(
            id=f"J{i}",
            statement=draw(plain),
            likelihood=draw(st.sampled_from(tuple(Likelihood))),
            confidence=draw(st.sampled_from(tuple(Confidence))),
            basis=tuple(draw(st.lists(st.sampled_from(ev_ids), unique=True)) if ev_ids else ()),
            hypothesis=draw(st.none() | st.sampled_from(hyp_ids)) if hyp_ids else None,
        )
        for i in range(draw(st.integers(0, 2)))
    )
    return Assessment(
        title=draw(st.just("") | text),
        illustrative=draw(st.booleans()),
        note=draw(st.just("") | text),
        hypotheses=hyps,
        evidence=evidence,
        ratings=ratings,
        judgments=judgments,
    )


@settings(max_examples=150, deadline=None)
@given(assessments())
def test_round_trip(assessment: Assessment) -> None:
    dumped = dumps_assessment(assessment)
    tomllib.loads(dumped)  # valid TOML for any reader, not just ours
    assert loads_assessment(dumped) == assessment


@given(text)
def test_string_writer_escapes_everything_toml_forbids(value: str) -> None:
    assert tomllib.loads(f"k = {casefile._str(value)}")["k"] == value
