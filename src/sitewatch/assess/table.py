"""The ACH matrix as plain data for the HTML report, and as a text table for the terminal.

:func:`ach_table` returns frozen dataclasses (rows, cells, CSS classes) and nothing else: the
report decides how things look. CSS classes used:

* cells: ``ach-cc``, ``ach-c``, ``ach-na``, ``ach-i``, ``ach-ii``, ``ach-unrated``;
* rows: ``ach-diagnostic`` or ``ach-nondiagnostic``;
* hypothesis columns and scores: ``ach-least-inconsistent`` on the best hypothesis (several on
  a tie), otherwise ``ach-hypothesis``.

``AchTable.findings`` carries the coherence findings of :mod:`sitewatch.assess.checks`
(unrated cells, conflicting judgments, judgments against the matrix ...) for the report to
print beside the matrix.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sitewatch.assess.assessment import Assessment
from sitewatch.assess.checks import Finding, coherence_findings
from sitewatch.assess.hypotheses import Rating

_CELL_CLASSES: dict[Rating | None, str] = {
    Rating.VERY_CONSISTENT: "ach-cc",
    Rating.CONSISTENT: "ach-c",
    Rating.NOT_APPLICABLE: "ach-na",
    Rating.INCONSISTENT: "ach-i",
    Rating.VERY_INCONSISTENT: "ach-ii",
    None: "ach-unrated",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class AchColumn:
    """One hypothesis column, with its inconsistency score (lower is more likely, per Heuer)."""

    hypothesis_id: str
    text: str
    inconsistency: float
    inconsistent_count: int
    unrated: int
    least_inconsistent: bool
    css_class: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AchCell:
    """One rating: code (``''`` when unrated), meaning, note and CSS class."""

    hypothesis_id: str
    code: str
    meaning: str
    note: str
    css_class: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AchRow:
    """One evidence item with its ratings, in column order."""

    evidence_id: str
    kind: str
    description: str
    source: str
    ref: str | None
    credibility: float
    relevance: float
    spread: int
    weighted_spread: float
    diagnostic: bool
    css_class: str
    cells: tuple[AchCell, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class JudgmentLine:
    """A judgment in the words of ICD 203.

    ``sentences`` states likelihood and confidence in two sentences, as ICD 203 D.6.e.(2)(b)
    requires; a table may instead show ``likelihood`` and ``confidence`` in separate cells.
    """

    id: str
    hypothesis: str | None
    statement: str
    likelihood: str
    likelihood_range_pct: tuple[int, int]
    confidence: str
    basis: tuple[str, ...]
    sentences: tuple[str, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class AchTable:
    """The whole matrix: rows sorted most diagnostic first, columns in hypothesis order."""

    title: str
    illustrative: bool
    note: str
    columns: tuple[AchColumn, ...]
    rows: tuple[AchRow, ...]
    judgments: tuple[JudgmentLine, ...]
    findings: tuple[Finding, ...]

    def to_dict(self) -> dict[str, Any]:
        """Nested dicts, lists and scalars only (for JSON or a template)."""
        return asdict(self)


def ach_table(assessment: Assessment) -> AchTable:
    """The ACH matrix of an assessment as plain data, most diagnostic evidence first.

    Raises:
        AssessError: the assessment has fewer than two hypotheses.
    """
    matrix = assessment.matrix()
    best = set(matrix.least_inconsistent())
    columns = tuple(
        AchColumn(
            hypothesis_id=score.hypothesis_id,
            text=assessment.hypothesis(score.hypothesis_id).text,
            inconsistency=score.weighted,
            inconsistent_count=score.inconsistent,
            unrated=score.unrated,
            least_inconsistent=score.hypothesis_id in best,
            css_class="ach-least-inconsistent" if score.hypothesis_id in best else "ach-hypothesis",
        )
        for score in matrix.inconsistency()
    )
    notes = {(r.evidence_id, r.hypothesis_id): r.note for r in matrix.ratings}
    cells_by_key = matrix.cells()
    rows = []
    for diag in matrix.ranked_evidence():
        item = assessment.evidence_item(diag.evidence_id)
        cells = []
        for column in columns:
            rating = cells_by_key.get((item.id, column.hypothesis_id))
            cells.append(
                AchCell(
                    hypothesis_id=column.hypothesis_id,
                    code=rating.value if rating else "",
                    meaning=rating.meaning if rating else "not rated",
                    note=notes.get((item.id, column.hypothesis_id), ""),
                    css_class=_CELL_CLASSES[rating],
                )
            )
        rows.append(
            AchRow(
                evidence_id=item.id,
                kind=item.kind.value,
                description=item.description,
                source=item.source,
                ref=item.ref,
                credibility=item.credibility,
                relevance=item.relevance,
                spread=diag.spread,
                weighted_spread=diag.weighted,
                diagnostic=diag.diagnostic,
                css_class="ach-diagnostic" if diag.diagnostic else "ach-nondiagnostic",
                cells=tuple(cells),
            )
        )
    judgments = tuple(
        JudgmentLine(
            id=j.id,
            hypothesis=j.hypothesis,
            statement=j.statement,
            likelihood=j.likelihood.value,
            likelihood_range_pct=j.likelihood.range_pct,
            confidence=j.confidence.value,
            basis=j.basis,
            sentences=j.sentences,
        )
        for j in assessment.judgments
    )
    return AchTable(
        title=assessment.title,
        illustrative=assessment.illustrative,
        note=assessment.note,
        columns=columns,
        rows=tuple(rows),
        judgments=judgments,
        findings=coherence_findings(assessment),
    )


def format_ach_text(table: AchTable, *, width: int = 40) -> str:
    """The ACH table as monospaced text: evidence rows, then scores and judgments.

    ``width`` caps the description column; longer descriptions are cut with '…'.
    """
    ids = [c.hypothesis_id for c in table.columns]
    header = ["evidence", "kind", "description", *ids, "spread"]
    body = [
        [
            row.evidence_id,
            row.kind,
            _cut(row.description, width),
            *[cell.code or "?" for cell in row.cells],
            f"{row.spread}" + ("" if row.diagnostic else " (non-diagnostic)"),
        ]
        for row in table.rows
    ]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    lines = []
    if table.illustrative:
        lines.append("ILLUSTRATIVE SAMPLE - not a real assessment")
    if table.title:
        lines.append(table.title)
    for column in table.columns:
        lines.append(f"{column.hypothesis_id}: {column.text}")
    lines.append("")
    for line in [header, ["-" * w for w in widths], *body]:
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
    lines += ["", "Inconsistency (weighted; lower is more likely, per Heuer):"]
    for column in table.columns:
        mark = "  <- least inconsistent" if column.least_inconsistent else ""
        unrated = f", {column.unrated} unrated" if column.unrated else ""
        lines.append(
            f"  {column.hypothesis_id}: {column.inconsistency:g} "
            f"({column.inconsistent_count} inconsistent{unrated}){mark}"
        )
    if table.judgments:
        lines += ["", "Judgments:"]
        for judgment in table.judgments:
            about = [f"on {judgment.hypothesis}"] if judgment.hypothesis else []
            about += [f"basis {', '.join(judgment.basis)}"] if judgment.basis else []
            lines.append(f"  {judgment.id}" + (f" ({'; '.join(about)})" if about else ""))
            lines += [f"    {sentence}" for sentence in judgment.sentences]
    if table.findings:
        lines += ["", "Checks:"]
        lines += [f"  {finding.kind}: {finding.message}" for finding in table.findings]
    return "\n".join(lines) + "\n"


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
