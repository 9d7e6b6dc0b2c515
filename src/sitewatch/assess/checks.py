"""Coherence checks of an assessment: what a reviewer would query before it is published.

They are findings, not errors: an analysis in progress has gaps, and an analyst may disagree
with the matrix for reasons the matrix does not hold. The report prints them beside the matrix
so a reader sees both the judgment and the gaps.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from enum import StrEnum

from sitewatch.assess.assessment import Assessment
from sitewatch.assess.hypotheses import AchMatrix, lowest
from sitewatch.assess.judgments import Judgment
from sitewatch.assess.language import Likelihood


class FindingKind(StrEnum):
    """What a coherence finding is about."""

    INCOMPLETE = "incomplete"
    CONFLICTING_JUDGMENTS = "conflicting-judgments"
    EXCEEDS_CERTAINTY = "exceeds-certainty"
    AGAINST_MATRIX = "against-matrix"
    WEAK_BASIS = "weak-basis"
    SENSITIVE = "sensitive"


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One coherence finding, in words, with the ids it concerns."""

    kind: FindingKind
    message: str
    ids: tuple[str, ...] = ()


def coherence_findings(assessment: Assessment) -> tuple[Finding, ...]:
    """Gaps and contradictions in an assessment, most fundamental first.

    * ``incomplete``: fewer than two hypotheses, or unrated cells in the matrix;
    * ``conflicting-judgments``: one hypothesis judged with two different likelihood terms;
    * ``exceeds-certainty``: judgments of competing (mutually exclusive) hypotheses whose
      ICD 203 ranges start above 100% in total, e.g. two hypotheses both "likely" (>= 55%);
    * ``against-matrix``: the hypothesis judged most likely is not the least inconsistent one
      in the ACH matrix (Heuer: explain the difference or revisit the ratings);
    * ``weak-basis``: a judgment that names no evidence, or only non-diagnostic evidence;
    * ``sensitive``: the least inconsistent hypothesis changes if any single evidence item is
      removed (Heuer's step 6: how sensitive is the conclusion to a few critical items?).
    """
    if len(assessment.hypotheses) < 2:
        return (
            Finding(
                kind=FindingKind.INCOMPLETE,
                message="fewer than two hypotheses: ACH needs competing explanations",
            ),
        )
    matrix = assessment.matrix()
    return (
        *_incomplete(matrix),
        *_conflicting(assessment.judgments),
        *_exceeds_certainty(assessment.judgments),
        *_against_matrix(assessment.judgments, matrix),
        *_weak_basis(assessment.judgments, matrix),
        *_sensitive(matrix),
    )


def _incomplete(matrix: AchMatrix) -> list[Finding]:
    cells = matrix.cells()
    unrated = [
        f"{e.id}×{h.id}" for e in matrix.evidence for h in matrix.hypotheses if (e.id, h.id) not in cells
    ]
    if not matrix.evidence:
        return [Finding(kind=FindingKind.INCOMPLETE, message="no evidence has been added yet")]
    if not unrated:
        return []
    total = len(matrix.evidence) * len(matrix.hypotheses)
    shown = ", ".join(unrated[:8]) + (", …" if len(unrated) > 8 else "")
    return [
        Finding(
            kind=FindingKind.INCOMPLETE,
            message=f"{len(unrated)} of {total} cells are unrated ({shown}); scores count only rated cells",
            ids=tuple(unrated),
        )
    ]


def _by_hypothesis(judgments: tuple[Judgment, ...]) -> dict[str, list[Judgment]]:
    grouped: dict[str, list[Judgment]] = {}
    for judgment in judgments:
        if judgment.hypothesis is not None:
            grouped.setdefault(judgment.hypothesis, []).append(judgment)
    return grouped


def _conflicting(judgments: tuple[Judgment, ...]) -> list[Finding]:
    findings = []
    for hypothesis, group in _by_hypothesis(judgments).items():
        for a, b in itertools.combinations(group, 2):
            if a.likelihood != b.likelihood:
                findings.append(
                    Finding(
                        kind=FindingKind.CONFLICTING_JUDGMENTS,
                        message=f"{a.id} and {b.id} judge {hypothesis} differently "
                        f"({a.likelihood.label} vs {b.likelihood.label})",
                        ids=(a.id, b.id),
                    )
                )
    return findings


def _exceeds_certainty(judgments: tuple[Judgment, ...]) -> list[Finding]:
    # The most lenient reading: for each hypothesis, the judgment with the lowest lower bound.
    lowest = {
        hypothesis: min(group, key=lambda j: j.likelihood.range_pct[0])
        for hypothesis, group in _by_hypothesis(judgments).items()
    }
    total_pct = sum(j.likelihood.range_pct[0] for j in lowest.values())
    if len(lowest) < 2 or total_pct <= 100:
        return []
    parts = ", ".join(
        f"{h} {j.likelihood.value} (>= {j.likelihood.range_pct[0]}%)" for h, j in lowest.items()
    )
    return [
        Finding(
            kind=FindingKind.EXCEEDS_CERTAINTY,
            message=f"judgments of competing hypotheses add to at least {total_pct}%: {parts}; "
            "competing hypotheses are meant to exclude each other",
            ids=tuple(j.id for j in lowest.values()),
        )
    ]


def _against_matrix(judgments: tuple[Judgment, ...], matrix: AchMatrix) -> list[Finding]:
    order = tuple(Likelihood)
    judged = [(order.index(j.likelihood), j.id, j.hypothesis) for j in judgments if j.hypothesis]
    if not judged:
        return []
    top = max(rank for rank, _, _ in judged)
    favoured = sorted((h, jid) for rank, jid, h in judged if rank == top and h is not None)
    best = set(matrix.least_inconsistent())
    if {h for h, _ in favoured} & best or len({h for h, _ in favoured}) != 1:
        return []
    hypothesis, lead = favoured[0]
    scores = {s.hypothesis_id: s.weighted for s in matrix.inconsistency()}
    best_text = ", ".join(f"{h} ({scores[h]:g})" for h in sorted(best))
    return [
        Finding(
            kind=FindingKind.AGAINST_MATRIX,
            message=f"{lead} judges {hypothesis} the most likely, but the matrix finds "
            f"{best_text} least inconsistent against {scores[hypothesis]:g} for {hypothesis}; "
            "explain the difference or revisit the ratings",
            ids=(lead, hypothesis),
        )
    ]


def _weak_basis(judgments: tuple[Judgment, ...], matrix: AchMatrix) -> list[Finding]:
    diagnostic = {d.evidence_id for d in matrix.diagnosticity() if d.diagnostic}
    findings = []
    for judgment in judgments:
        if not judgment.basis:
            message = f"{judgment.id} names no evidence it rests on"
        elif not diagnostic.intersection(judgment.basis):
            message = (
                f"{judgment.id} rests only on non-diagnostic evidence "
                f"({', '.join(judgment.basis)}): it does not separate the hypotheses"
            )
        else:
            continue
        findings.append(Finding(kind=FindingKind.WEAK_BASIS, message=message, ids=(judgment.id,)))
    return findings


def _sensitive(matrix: AchMatrix) -> list[Finding]:
    # Leaving one item out subtracts its contribution from each hypothesis's score.
    scores = {s.hypothesis_id: s.weighted for s in matrix.inconsistency()}
    best = set(lowest(scores))
    weights = {e.id: e.weight for e in matrix.evidence}
    contribution: dict[str, dict[str, float]] = {e.id: {} for e in matrix.evidence}
    for r in matrix.ratings:
        contribution[r.evidence_id][r.hypothesis_id] = r.rating.inconsistency * weights[r.evidence_id]
    pivotal = [
        item.id
        for item in matrix.evidence
        if set(lowest({h: v - contribution[item.id].get(h, 0.0) for h, v in scores.items()})) != best
    ]
    if not pivotal:
        return []
    return [
        Finding(
            kind=FindingKind.SENSITIVE,
            message=f"the least inconsistent hypothesis ({', '.join(sorted(best))}) changes if "
            + (f"{pivotal[0]} is" if len(pivotal) == 1 else f"any one of {', '.join(pivotal)} is")
            + " wrong or left out: check it first (Heuer: sensitivity to critical items)",
            ids=tuple(pivotal),
        )
    ]
