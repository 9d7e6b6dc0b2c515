"""``sitewatch replay DIR``: recompute every derived result from the manifest and compare."""

from __future__ import annotations

import argparse
import sys

from sitewatch.catalog import CaseStore
from sitewatch.cli.options import add_case_dir
from sitewatch.untrusted import printable

HELP = "recompute every detection, count and event from the manifest; exit 1 on any difference"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Replay options."""
    add_case_dir(parser)


def run(args: argparse.Namespace) -> int:
    """Print differences; 0 when everything was reproduced."""
    from sitewatch.case import replay_case

    report = replay_case(CaseStore.open(args.case_dir))
    for difference in report.differences:
        print(printable(f"DIFF {difference}"), file=sys.stderr)
    print(f"{'REPRODUCED' if report.ok else 'DIFFERENT'}: {report.scenes_recomputed} scenes "
          f"recomputed, {len(report.differences)} differences")
    return 0 if report.ok else 1
