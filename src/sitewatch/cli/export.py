"""``sitewatch export DIR --format F --out PATH``: detections and events for other tools."""

from __future__ import annotations

import argparse
from pathlib import Path

from sitewatch.cli.options import add_case_dir

HELP = ("export detections and events as GeoJSON, KML/KMZ (images and boxes on the time "
        "slider), CSV, COCO or GeoPackage (a layer per kind), or counts as CSV or GeoJSON")
FORMATS = ("geojson", "kml", "kmz", "csv", "coco", "gpkg", "counts-csv", "counts-geojson")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Export options."""
    add_case_dir(parser)
    parser.add_argument("--format", default=None, choices=FORMATS,
                        help="default: from the --out suffix (.json is GeoJSON); kmz carries the analysed "
                        "images as dated ground overlays; counts-csv and counts-geojson write "
                        "each count with its interval")
    parser.add_argument("--out", type=Path, required=True, metavar="PATH")


def run(args: argparse.Namespace) -> int:
    """Write the export and say how many features it holds."""
    from sitewatch.case import export_case_folder
    from sitewatch.untrusted import printable

    result = export_case_folder(args.case_dir, args.out, args.format)
    export_format = result.export_format
    what = "counts" if export_format.startswith("counts-") else "features"
    extra = f" and {result.overlays} images" if export_format == "kmz" else ""
    extra += "".join(f", {n} {layer}" for layer, n in result.layers)
    print(f"wrote {result.features} {what}{extra} to {args.out}")
    for note in result.notes:
        print(f"note: {printable(note)}")
    return 0
