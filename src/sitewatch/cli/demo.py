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
    from sitewatch.errors import CatalogError

    out = args.out or _free_folder(Path("sitewatch-demo"))
    if args.out is not None and out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise CatalogError(f"'{out}' is not empty (a demo run before?); open its report at "
                           f"{out / 'derived' / 'report.html'}, or pick a new folder with --out")
    report = run_demo(out, progress=print)
    print(f"report: {report.resolve()}")
    return 0


def _free_folder(base: Path) -> Path:
    """``base``, or the first of ``base-2``, ``base-3``... that is absent or empty."""
    candidate, number = base, 1
    while candidate.exists() and (not candidate.is_dir() or any(candidate.iterdir())):
        number += 1
        candidate = base.with_name(f"{base.name}-{number}")
    return candidate
