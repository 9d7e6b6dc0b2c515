"""``sitewatch verify DIR``: re-hash every original and check the audit chain."""

from __future__ import annotations

import argparse
import sys

from sitewatch.catalog import CaseStore, verify_case
from sitewatch.cli.options import add_case_dir
from sitewatch.untrusted import printable

HELP = "re-hash every stored original and check the audit chain; exit 1 if anything changed"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Verify options."""
    add_case_dir(parser)
    parser.add_argument("--head", metavar="HASH", default=None,
                        help="the audit head published with the case (in its report): check "
                        "the log still contains that entry in an unbroken chain")


def run(args: argparse.Namespace) -> int:
    """Print problems; 0 when the case is intact."""
    report = verify_case(CaseStore.open(args.case_dir), head=args.head)
    for note in report.recovered:
        print(printable(f"FINISHED {note}"), file=sys.stderr)
    for problem in report.problems:
        print(printable(f"FAIL {problem}"), file=sys.stderr)
    print(f"{'OK' if report.ok else 'CHANGED'}: {report.originals_checked} originals, "
          f"{report.files_checked} derived files, {report.audit_entries_checked} audit entries "
          f"checked, {len(report.problems)} problems")
    if args.head and report.ok:
        print(f"the published head {args.head[:12]} is in the chain; {report.after_head} "
              "entries were logged after it")
    return 0 if report.ok else 1
