"""``sitewatch assess DIR ACTION``: hypotheses, evidence, ratings, judgments; the ACH matrix.

Every change is audited by :mod:`sitewatch.case.assessment`; ``show`` only reads.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

from sitewatch.assess import (
    SAMPLES,
    Evidence,
    EvidenceKind,
    EvidenceRating,
    Hypothesis,
    Rating,
    format_ach_text,
)
from sitewatch.case import change_assessment
from sitewatch.catalog import CaseStore
from sitewatch.errors import ConfigError

HELP = "record competing hypotheses, evidence, ratings and ICD 203 judgments; show the ACH matrix"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``sitewatch assess``."""
    parser.add_argument("case_dir", type=Path, metavar="DIR", help="the case folder")
    sub = parser.add_subparsers(dest="assess_action", metavar="ACTION", required=True)

    p = sub.add_parser("add-hypothesis", help="add a competing hypothesis")
    p.add_argument("id", metavar="ID", help="short id, e.g. H1")
    p.add_argument("text", metavar="TEXT", help="what the hypothesis claims")

    p = sub.add_parser("add-evidence", help="add a piece of evidence")
    p.add_argument("id", metavar="ID", help="short id, e.g. E1")
    p.add_argument("text", metavar="TEXT", help="what the evidence shows")
    p.add_argument("--kind", required=True, help=", ".join(k.value for k in EvidenceKind))
    p.add_argument("--source", required=True, help="where it comes from")
    p.add_argument("--ref", help="case object it rests on: count:SITE/DATE/LABEL[/ZONE], "
                   "event:SITE/FROM..TO/KIND/LABEL or link:SIGHTING (the report prints "
                   "sitewatch's own figure for these beside TEXT), or sha256:HASH")
    p.add_argument("--credibility", type=float, default=1.0, help="weight in (0, 1]")
    p.add_argument("--relevance", type=float, default=1.0, help="weight in (0, 1]")

    p = sub.add_parser("rate", help="rate evidence against a hypothesis (replaces a rating)")
    p.add_argument("evidence", metavar="EVIDENCE", help="evidence id")
    p.add_argument("hypothesis", metavar="HYPOTHESIS", help="hypothesis id")
    p.add_argument("rating", metavar="RATING", help="CC, C, NA, I or II")
    p.add_argument("--note", default="", help="why this rating")

    p = sub.add_parser("judge", help="record a judgment in ICD 203 terms")
    p.add_argument(
        "statement",
        metavar="TEXT",
        help="the claim judged, stated without hedges; without the options below, write "
        "'likely, moderate confidence: <claim>'",
    )
    p.add_argument("--likelihood", metavar="TERM", help="an ICD 203 term, e.g. 'very likely'")
    p.add_argument("--confidence", metavar="LEVEL", help="low, moderate or high")
    p.add_argument(
        "--estimate",
        metavar="PHRASE",
        help="likelihood and confidence in one phrase, e.g. 'likely, moderate confidence'",
    )
    p.add_argument("--basis", default="", metavar="E1,E2", help="evidence ids it rests on")
    p.add_argument("--hypothesis", metavar="ID", help="the hypothesis the statement asserts")
    p.add_argument("--id", dest="judgment_id", metavar="ID", help="default: next free J<n>")

    p = sub.add_parser("show", help="print the ACH matrix, most diagnostic evidence first")
    p.add_argument("--json", action="store_true", help="print the table as JSON")

    p = sub.add_parser(
        "import",
        help="validate an assessment file and make it the case's (rewritten in sitewatch's layout)",
    )
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", type=Path, metavar="PATH", help="an assessment.toml to import")
    source.add_argument("--sample", metavar="NAME", help=f"a shipped sample: {', '.join(SAMPLES)}")
    p.add_argument("--replace", action="store_true", help="replace an existing assessment")


def run(args: argparse.Namespace) -> int:
    """Run one ``assess`` action; library errors propagate to the CLI edge.

    Raises:
        CaseNotFoundError: DIR is not a sitewatch case.
        AssessError: invalid input or assessment file; nothing is written.
    """
    store = CaseStore.open(args.case_dir)
    action: Callable[[CaseStore, argparse.Namespace], int] = _ACTIONS[args.assess_action]
    return action(store, args)


def _add_hypothesis(store: CaseStore, args: argparse.Namespace) -> int:
    hypothesis = Hypothesis(id=args.id, text=args.text)
    change_assessment(store, "assess.add-hypothesis", lambda a: a.with_hypothesis(hypothesis))
    print(f"added hypothesis {hypothesis.id}")
    return 0


def _add_evidence(store: CaseStore, args: argparse.Namespace) -> int:
    evidence = Evidence(
        id=args.id,
        kind=EvidenceKind.parse(args.kind),
        description=args.text,
        source=args.source,
        ref=args.ref,
        credibility=args.credibility,
        relevance=args.relevance,
    )
    change_assessment(store, "assess.add-evidence", lambda a: a.with_evidence(evidence))
    print(f"added evidence {evidence.id}")
    return 0


def _rate(store: CaseStore, args: argparse.Namespace) -> int:
    entry = EvidenceRating(
        evidence_id=args.evidence,
        hypothesis_id=args.hypothesis,
        rating=Rating.parse(args.rating),
        note=args.note,
    )
    old, _ = change_assessment(store, "assess.rate", lambda a: a.with_rating(entry))
    previous = old.rating_of(entry.evidence_id, entry.hypothesis_id)
    was = f" (was {previous.rating.value})" if previous else ""
    print(f"rated {entry.evidence_id} against {entry.hypothesis_id}: {entry.rating.value}{was}")
    return 0


def _judge(store: CaseStore, args: argparse.Namespace) -> int:
    basis = tuple(b.strip() for b in args.basis.split(",") if b.strip())
    flags = (args.likelihood, args.confidence)
    if args.estimate is not None and flags != (None, None):
        raise ConfigError("give either --estimate or --likelihood with --confidence, not both")
    if args.estimate is None and None in flags and flags != (None, None):
        raise ConfigError(
            "a judgment needs both --likelihood TERM and --confidence LEVEL (stated "
            "separately), or --estimate 'likely, moderate confidence', or neither with TEXT "
            "written as 'likely, moderate confidence: <statement>'"
        )

    _, new = change_assessment(store, "assess.judge", lambda a: a.with_judgment_from(
        args.statement, judgment_id=args.judgment_id, estimate=args.estimate,
        likelihood=args.likelihood, confidence=args.confidence, basis=basis,
        hypothesis=args.hypothesis))
    judgment = new.judgments[-1]
    print(f"recorded judgment {judgment.id}: {' '.join(judgment.sentences)}")
    return 0


def _show(store: CaseStore, args: argparse.Namespace) -> int:
    from sitewatch.case import assessment_table

    table = assessment_table(store)
    if args.json:
        print(json.dumps(table.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_ach_text(table), end="")
    return 0


def _import(store: CaseStore, args: argparse.Namespace) -> int:
    from sitewatch.case import import_assessment_from

    imported, origin = import_assessment_from(store, sample=args.sample, file=args.file,
                                              replace=args.replace)
    note = " (ILLUSTRATIVE sample)" if imported.illustrative else ""
    print(
        f"imported {origin}{note}: {len(imported.hypotheses)} hypotheses, "
        f"{len(imported.evidence)} evidence, {len(imported.ratings)} ratings, "
        f"{len(imported.judgments)} judgments"
    )
    return 0


_ACTIONS: dict[str, Callable[[CaseStore, argparse.Namespace], int]] = {
    "add-hypothesis": _add_hypothesis,
    "add-evidence": _add_evidence,
    "rate": _rate,
    "judge": _judge,
    "show": _show,
    "import": _import,
}
