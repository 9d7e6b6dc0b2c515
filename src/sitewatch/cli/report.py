"""``sitewatch report DIR``: the self-contained HTML report of a case."""

from __future__ import annotations

import argparse
from pathlib import Path

from sitewatch.catalog import CaseStore
from sitewatch.cli.options import add_case_dir, add_quiet
from sitewatch.cli.progress import Bars, wanted

HELP = "write the case's self-contained HTML report"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Report options."""
    add_case_dir(parser)
    parser.add_argument("--out", type=Path, default=None,
                        help="where to write the HTML (default DIR/derived/report.html)")
    parser.add_argument("--pdf", action="store_true",
                        help="also write a PDF beside the HTML (needs the pdf extra: WeasyPrint)")
    add_quiet(parser)


def run(args: argparse.Namespace) -> int:
    """Write the report and print its path."""
    from sitewatch.case import report_case

    store = CaseStore.open(args.case_dir)
    with Bars(total=1, unit="step", enabled=wanted(args.quiet)) as bars:
        path = report_case(store, out=args.out, pdf=args.pdf, progress=bars.advance)
    print(path)
    if args.pdf:
        print(path.with_suffix(".pdf"))
    return 0
