"""``sitewatch demo``: build the sample case from the package's files and run the whole job."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "build the sample case shipped with sitewatch, run ingest, detect, track, report"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Demo options."""
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for the demo case (must not exist or be empty; default "
                             "./sitewatch-demo, or sitewatch-demo-2, -3... when that is taken)")


def run(args: argparse.Namespace) -> int:
    """Run the demo and print the report's path."""
    from sitewatch.demo import run_demo

    report = run_demo(args.out, progress=print)
    print(f"report: {report.resolve()}")
    return 0
