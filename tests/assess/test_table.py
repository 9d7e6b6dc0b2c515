"""The ACH table as plain data for the report and as terminal text."""

from __future__ import annotations

import json

import pytest

from sitewatch.assess.assessment import Assessment
from sitewatch.assess.casefile import load_sample
from sitewatch.assess.hypotheses import Evidence, EvidenceKind, EvidenceRating, Hypothesis, Rating
from sitewatch.assess.table import ach_table, format_ach_text
from sitewatch.errors import AssessError


def _assessment() -> Assessment:
    a = Assessment(title="t")
    for h in ("H1", "H2", "H3"):
        a = a.with_hypothesis(Hypothesis(id=h, text=f"text of {h}"))
    for e in ("E1", "E2"):
        a = a.with_evidence(Evidence(id=e, kind=EvidenceKind.COUNT, description=f"desc {e}", source="s"))
    for e, h, code in [
        ("E1", "H1", "C"),
        ("E1", "H2", "C"),
        ("E2", "H1", "II"),
        ("E2", "H2", "NA"),
    ]:
        a = a.with_rating(EvidenceRating(evidence_id=e, hypothesis_id=h, rating=Rating(code), note=f"{e}{h}"))
    return a


def test_rows_most_diagnostic_first_with_cell_classes() -> None:
    table = ach_table(_assessment())
    assert [row.evidence_id for row in table.rows] == ["E2", "E1"]
    e2, e1 = table.rows
    assert [c.css_class for c in e2.cells] == ["ach-ii", "ach-na", "ach-unrated"]
    assert [c.code for c in e2.cells] == ["II", "NA", ""]
    assert e2.cells[0].note == "E2H1" and e2.cells[2].meaning == "not rated"
    assert (e2.spread, e2.diagnostic, e2.css_class) == (2, True, "ach-diagnostic")
    assert (e1.spread, e1.css_class) == (0, "ach-nondiagnostic")


def test_columns_carry_scores_and_mark_the_least_inconsistent() -> None:
    columns = ach_table(_assessment()).columns
    assert [c.hypothesis_id for c in columns] == ["H1", "H2", "H3"]
    assert [c.inconsistency for c in columns] == [2.0, 0.0, 0.0]
    assert [c.least_inconsistent for c in columns] == [False, True, True]
    assert columns[1].css_class == "ach-least-inconsistent"
    assert columns[0].css_class == "ach-hypothesis"
    assert [c.unrated for c in columns] == [0, 0, 2]


def test_to_dict_is_json_ready() -> None:
    data = ach_table(load_sample("rostov")).to_dict()
    assert json.loads(json.dumps(data)) == json.loads(json.dumps(data, ensure_ascii=False))
    assert data["illustrative"] is True
    assert data["judgments"][0]["likelihood_range_pct"] == (55, 80)
    assert data["judgments"][0]["sentences"][1] == "We have moderate confidence in this judgment."
    assert data["judgments"][0]["hypothesis"] == "H2"
    assert data["findings"] == ()


def test_findings_travel_with_the_table() -> None:
    table = ach_table(_assessment())
    assert [f.kind.value for f in table.findings] == ["incomplete", "sensitive"]
    assert "Checks:\n  incomplete: 2 of 6 cells are unrated" in format_ach_text(table)


def test_needs_two_hypotheses() -> None:
    with pytest.raises(AssessError, match="at least two"):
        ach_table(Assessment())


def test_text_table_of_the_sample() -> None:
    text = format_ach_text(ach_table(load_sample("rostov")))
    lines = text.splitlines()
    assert lines[0] == "ILLUSTRATIVE SAMPLE - not a real assessment"
    rows = [line for line in lines if line[:1] == "E" and line[1:2].isdigit()]
    assert [r.split()[0] for r in rows] == ["E4", "E5", "E1", "E3", "E2", "E6", "E7"]
    assert rows[-1].endswith("0 (non-diagnostic)")
    assert "  H2: 0 (0 inconsistent)  <- least inconsistent" in lines
    j1 = lines.index("  J1 (on H2; basis E1, E3, E4, E5)")
    assert lines[j1 + 1].endswith("across the border: likely (55–80%).")
    assert lines[j1 + 2] == "    We have moderate confidence in this judgment."
    assert all(len(line) < 160 for line in lines if line[:2] in {"E1", "E4"})
