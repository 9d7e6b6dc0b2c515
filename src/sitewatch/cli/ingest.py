"""``sitewatch ingest DIR FILE... --site NAME --date YYYY-MM-DD``: add images to a case."""

from __future__ import annotations

import argparse
from pathlib import Path

from sitewatch.catalog import CaseStore, ingest_files, parse_date
from sitewatch.cli.options import add_case_dir, add_gsd
from sitewatch.untrusted import printable

HELP = "hash, check and store images (GeoTIFF/COG, JPEG, PNG, STAC Item JSON) in a case"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Ingest options."""
    add_case_dir(parser)
    parser.add_argument("files", type=Path, nargs="+", metavar="FILE")
    parser.add_argument("--site", required=True, help="site name, e.g. rostov_a")
    parser.add_argument("--date", default=None, help="acquisition date YYYY-MM-DD "
                        "(optional for a STAC Item, which carries its own)")
    add_gsd(parser)
    parser.add_argument("--source", default="", help="where the imagery came from")
    parser.add_argument("--licence", default="", help="terms the imagery is held under")


def run(args: argparse.Namespace) -> int:
    """Ingest and say what was added."""
    from sitewatch.detect import estimate_gsd, load_detector

    store = CaseStore.open(args.case_dir)
    detector = None

    def estimator(path: Path):  # type: ignore[no-untyped-def]  # the model loads if needed
        nonlocal detector
        detector = detector or load_detector(None)
        return estimate_gsd(path, detector)

    result = ingest_files(
        store, args.files, site=args.site,
        date=parse_date(args.date) if args.date else None,
        gsd_m=None if args.gsd == "auto" else args.gsd, gsd_auto=args.gsd == "auto",
        estimate_gsd=estimator, source=args.source, licence=args.licence,
    )
    for note in result.gsd_notes:
        print(note)
    for scene in result.added:
        print(printable(f"added {scene.original_name} {scene.sha256[:12]} {scene.site} "
                        f"{scene.date} {scene.width_px}x{scene.height_px} px {scene.gsd_m:.2f} m "
                        f"{'georeferenced' if scene.georeferenced else 'not georeferenced'}"))
    for name in result.already_stored:
        print(printable(f"already stored {name}"))
    return 0
