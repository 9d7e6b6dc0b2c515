"""``sitewatch shadow --base X,Y --top X,Y --tip X,Y [--place LAT,LON] [--time T | --date D]``, and
``sitewatch shadow overhead CASE|IMAGE --mark ...`` (:mod:`sitewatch.cli.shadow_overhead`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sitewatch.errors import ConfigError
from sitewatch.untrusted import printable

HELP = ("sun and shadow check of a ground photo: does a claimed place and time fit, which times of a "
        "day fit, or where on Earth at a time")


def _pair(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) != 2:
        raise argparse.ArgumentTypeError(f"{text!r} is not two numbers 'a,b'")
    return values


def _four(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) != 4:
        raise argparse.ArgumentTypeError(f"{text!r} is not four numbers 'x1,y1,x2,y2'")
    return values


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Marks (or lengths), the claim, and where to keep the result; ``overhead`` for an overhead image."""
    from sitewatch.cli import shadow_overhead

    modes = parser.add_subparsers(dest="shadow_mode", metavar="overhead", required=False)
    overhead = modes.add_parser("overhead", help=shadow_overhead.HELP, description=shadow_overhead.HELP)
    shadow_overhead.add_arguments(overhead)
    marks = parser.add_argument_group("marks on the photo (pixels, x right, y down)")
    marks.add_argument("--base", type=_pair, help="the upright object's base, X,Y")
    marks.add_argument("--top", type=_pair, help="the object's top, X,Y")
    marks.add_argument("--tip", type=_pair, help="the tip of its shadow, X,Y")
    marks.add_argument("--reference", type=_four, help="a ground line of known bearing, X1,Y1,X2,Y2 "
                       "(marked in the direction of --reference-bearing); gives the sun's azimuth")
    marks.add_argument("--reference-bearing", type=float, help="bearing of the reference line, degrees "
                       "east of true north")
    marks.add_argument("--error-px", type=float, default=3.0, help="marking error, ± pixels (default 3)")
    lengths = parser.add_argument_group("or lengths measured on the ground")
    lengths.add_argument("--height-m", type=float, help="object height, metres")
    lengths.add_argument("--shadow-m", type=float, help="shadow length, metres")
    lengths.add_argument("--length-error-m", type=float, default=0.05, help="± metres (default 0.05)")
    claim = parser.add_argument_group("the claim")
    claim.add_argument("--place", type=_pair, help="claimed place, LAT,LON (degrees)")
    claim.add_argument("--time", help="claimed time, ISO 8601 with zone (2014-06-11T10:00+03:00)")
    claim.add_argument("--date", help="claimed local date at --place, YYYY-MM-DD: which times fit")
    claim.add_argument("--time-zone", help="IANA zone for --date (default: looked up from --place)")
    claim.add_argument("--map", action="store_true", help="with --time: where on Earth (PNG + GeoJSON)")
    out = parser.add_argument_group("where the result goes")
    out.add_argument("--case", type=Path, help="record the check in this case folder")
    out.add_argument("--id", default="shadow-1", help="check id in the case (default shadow-1)")
    out.add_argument("--cite-as", help="also add it to the assessment as evidence with this id")
    out.add_argument("--out", type=Path, default=Path("."), help="folder for the map without --case")


def _inputs(args: argparse.Namespace) -> dict[str, object]:
    inputs: dict[str, object] = {}
    if args.base and args.top and args.tip:
        reference = None
        if args.reference is not None:
            if args.reference_bearing is None:
                raise ConfigError("--reference needs --reference-bearing (degrees east of true north)")
            r = args.reference
            reference = {"start_px": r[:2], "end_px": r[2:], "bearing_deg": args.reference_bearing}
        inputs["marks"] = {"base_px": args.base, "top_px": args.top, "tip_px": args.tip,
                           "marking_error_px": args.error_px, "reference": reference}
    elif args.height_m is not None and args.shadow_m is not None:
        inputs["lengths"] = {"height_m": args.height_m, "shadow_m": args.shadow_m,
                             "error_m": args.length_error_m}
    else:
        raise ConfigError("give the marks --base, --top and --tip (pixels), or --height-m and --shadow-m")
    if args.place:
        inputs["lat_deg"], inputs["lon_deg"] = args.place
    if args.time:
        inputs["time_utc"] = args.time
    if args.date:
        inputs["day"] = args.date
    if args.time_zone:
        inputs["time_zone"] = args.time_zone
    return inputs


def run(args: argparse.Namespace) -> int:
    """Run the check the claim asks for and print its finding."""
    if getattr(args, "shadow_mode", None) == "overhead":
        from sitewatch.cli import shadow_overhead

        return shadow_overhead.run(args)
    from sitewatch.case import shadow_check
    from sitewatch.catalog import CaseStore
    from sitewatch.where import CheckKind

    inputs = _inputs(args)
    if args.time and (args.map or not args.place):
        kind = CheckKind.WHERE_ON_EARTH
    elif args.time and args.place:
        kind = CheckKind.PLACE_TIME
    elif args.date and args.place:
        kind = CheckKind.TIMES_OF_DAY
    else:
        raise ConfigError("say what to check: --place and --time (does it fit), --place and --date "
                          "(which times fit) or --time (where on Earth)")
    store = CaseStore.open(args.case) if args.case else None
    check = shadow_check(store, args.id, kind, inputs, outputs=args.out, cite_as=args.cite_as)
    print(printable(check.finding))
    print(printable(f"uncertainty: {check.uncertainty}"))
    print(printable(f"computed by {check.library}"))
    if kind is CheckKind.WHERE_ON_EARTH:
        folder = store.layout.where if store else args.out
        print(f"map: {folder / (args.id + '.png')} and {folder / (args.id + '.geojson')}")
    return 0
