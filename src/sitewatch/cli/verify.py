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


def run(args: argparse.Namespace) -> int:
    """Print problems; 0 when the case is intact."""
    report = verify_case(CaseStore.open(args.case_dir))
    for problem in report.problems:
        print(printable(f"FAIL {problem}"), file=sys.stderr)
    print(f"{'OK' if report.ok else 'CHANGED'}: {report.originals_checked} originals, "
          f"{report.audit_entries_checked} audit entries checked, {len(report.problems)} problems")
    return 0 if report.ok else 1
