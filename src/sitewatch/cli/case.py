"""``sitewatch case init DIR``: create an empty case folder."""

from __future__ import annotations

import argparse

from sitewatch.case import init_case
from sitewatch.cli.options import add_case_dir

HELP = "create and manage case folders"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the ``init`` action."""
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    init = sub.add_parser("init", help="create an empty case folder")
    add_case_dir(init)


def run(args: argparse.Namespace) -> int:
    """Create the case."""
    store = init_case(args.case_dir)
    print(f"created case {store.root}")
    return 0
