"""``sitewatch ingest DIR FILE... --site NAME --date YYYY-MM-DD``: add images to a case."""

from __future__ import annotations

import argparse
from pathlib import Path

from sitewatch.catalog import parse_date
from sitewatch.cli.options import add_case_dir, add_gsd, add_quiet
from sitewatch.cli.progress import Bars, wanted
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
    parser.add_argument("--gcp", action="append", default=[], metavar="PX,PY,LON,LAT",
                        help="a ground control point of an image without georeference (a "
                        "screenshot): pixel x, y from the top-left corner and its lon, lat; "
                        "give 3 or more (4+ to measure the error)")
    parser.add_argument("--gcps", type=Path, default=None, metavar="FILE.csv",
                        help="ground control points from a CSV file, one 'px,py,lon,lat' a row")
    parser.add_argument("--gcp-order", type=int, choices=(1, 2, 3), default=1,
                        help="how the points are fitted: 1 affine (3+ points), 2 or 3 a "
                        "polynomial (6+ or 10+ points; the picture is rectified by GDAL and the "
                        "original kept)")
    parser.add_argument("--crs", default=None, metavar="EPSG:XXXX",
                        help="coordinate system of a world file that has no .prj beside it")
    parser.add_argument("--source", default="", help="where the imagery came from")
    parser.add_argument("--licence", default="", help="terms the imagery is held under")
    add_quiet(parser)


def run(args: argparse.Namespace) -> int:
    """Ingest and say what was added."""
    from sitewatch.case import ingest_images

    date = parse_date(args.date) if args.date else None
    with Bars(total=len(args.files), unit="file", enabled=wanted(args.quiet)) as bars:
        result = ingest_images(
            args.case_dir, args.files, site=args.site, date=date, gsd=args.gsd,
            control_points=args.gcp, control_points_file=args.gcps, gcp_order=args.gcp_order,
            crs=args.crs, source=args.source, licence=args.licence,
            progress=lambda path: bars.step(path.name),
        )
    for note in result.gsd_notes:
        print(printable(note))
    placed = dict(result.georeferences)
    for scene in result.added:
        print(printable(f"added {scene.original_name} {scene.sha256[:12]} {scene.site} "
                        f"{scene.date} {scene.width_px}x{scene.height_px} px {scene.gsd_m:.2f} m "
                        f"{'georeferenced' if scene.georeferenced else 'not georeferenced'}"))
        if scene.sha256 in placed:
            print(printable(f"  placed by {placed[scene.sha256].describe()}"))
            for line in placed[scene.sha256].residual_lines():
                print(printable(f"    {line}"))
    for name, kept in result.already_as:
        differs = (date is not None and kept.date != date) or kept.site != args.site
        note = (f"; not the site or date given: correct it with `sitewatch scene redate "
                f"{args.case_dir} {kept.sha256[:12]} YYYY-MM-DD --reason TEXT`" if differs else "")
        print(printable(f"already stored {name} ({kept.original_name} {kept.sha256[:12]}, kept "
                        f"date {kept.date}, site {kept.site}){note}"))
    return 0
