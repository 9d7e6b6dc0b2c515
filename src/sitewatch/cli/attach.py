"""``sitewatch attach DIR --zones F --alerts F --sightings F --boundary F``: analyst files."""

from __future__ import annotations

import argparse
from pathlib import Path

from sitewatch.cli.options import add_case_dir

HELP = "attach zones (GeoJSON/KML), alert thresholds (TOML), sightings (CSV) or a border to a case"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """One option per kind of analyst file."""
    add_case_dir(parser)
    parser.add_argument("--zones", type=Path, help="zones drawn on the reference date (.geojson, .kml)")
    parser.add_argument("--alerts", type=Path, help="alert thresholds per zone (.toml)")
    parser.add_argument("--sightings", type=Path, help="sightings elsewhere (.csv: id,time_utc,lon,lat,"
                        "place,seen,count,source)")
    parser.add_argument("--boundary", type=Path, help="a border to measure distances to (.geojson)")
    parser.add_argument("--comparison", type=Path,
                        help="a `sitewatch compare --out` result (.json) with its panels")
    parser.add_argument("--keep-gps", action="store_true",
                        help="keep the GPS positions of ground photos in the stored comparison")


def run(args: argparse.Namespace) -> int:
    """Check and store each file given."""
    from sitewatch.case import ATTACHMENT_KINDS, attach_files

    attach_files(args.case_dir,
                 [(kind, getattr(args, kind)) for kind in ATTACHMENT_KINDS if getattr(args, kind)],
                 comparison=args.comparison, keep_gps=args.keep_gps,
                 attached=lambda kind, stored: print(f"attached {kind}: {stored}"))
    return 0
