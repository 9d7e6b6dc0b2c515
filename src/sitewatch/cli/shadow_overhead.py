"""``sitewatch shadow overhead CASE|IMAGE --mark BX,BY:TX,TY ... [--date D | --time T]``."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from sitewatch.errors import ConfigError
from sitewatch.untrusted import printable

HELP = ("sun check of an overhead image: do the shadows you mark fit its stated date (and time) at "
        "the site and a satellite's plausible overpass?")


def _mark(text: str) -> list[float]:
    try:
        values = [float(v) for part in text.split(":") for v in part.split(",")]
    except ValueError:
        values = []
    if len(values) != 4 or text.count(":") != 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a shadow mark 'BASE_X,BASE_Y:TIP_X,TIP_Y'")
    return values


def _pair(text: str) -> tuple[float, float]:
    try:
        lat, lon = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not 'LAT,LON' in degrees") from None
    return lat, lon


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The image, the marks, the claim and where the result goes."""
    parser.add_argument("target", type=Path, metavar="CASE|IMAGE",
                        help="a case folder (with --scene) or an overhead image file")
    parser.add_argument("--scene", dest="o_scene", help="in a case: the scene (file name or hash prefix)")
    parser.add_argument("--mark", dest="o_marks", type=_mark, action="append", default=[],
                        metavar="BX,BY:TX,TY", help="a shadow: the foot of an upright object and the tip "
                        "of its shadow, in image pixels (x right, y down); give two or more")
    parser.add_argument("--date", dest="o_date", help="stated acquisition date YYYY-MM-DD (default: the "
                        "scene's date in the case)")
    parser.add_argument("--time", dest="o_time", help="stated acquisition time, ISO 8601 with zone "
                        "(2009-12-22T16:37Z): checked at that minute")
    parser.add_argument("--place", dest="o_place", type=_pair, help="site LAT,LON (default: where the "
                        "marks are, from the georeference)")
    parser.add_argument("--north-deg", dest="o_north", type=float, help="true north's clockwise angle from "
                        "image-up, for an image without georeference (0: north-up)")
    parser.add_argument("--id", dest="o_id", default="overhead-1", help="check id (default overhead-1)")
    parser.add_argument("--cite-as", dest="o_cite_as", help="in a case: also cite it in the assessment "
                        "as evidence with this id")


def _time(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"time {text!r} is not ISO 8601 (e.g. 2009-12-22T16:37Z)") from None
    if value.tzinfo is None:
        raise ConfigError(f"time {text!r} has no time zone; add Z for UTC or an offset like -05:00")
    return value.astimezone(dt.UTC)


def _date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"date {text!r} is not YYYY-MM-DD") from None


def run(args: argparse.Namespace) -> int:
    """Run the check, print its verdict and numbers; in a case, record it."""
    from sitewatch.case import overhead_shadow_check
    from sitewatch.catalog import CaseStore

    store = CaseStore.open(args.target) if args.target.is_dir() else None
    check = overhead_shadow_check(
        store, args.o_id, args.o_marks, image=None if store else args.target, scene=args.o_scene,
        date=_date(args.o_date), time_utc=_time(args.o_time), place=args.o_place,
        north_image_deg=args.o_north, cite_as=args.o_cite_as)
    result = json.loads(check.result_json)
    inputs = json.loads(check.inputs_json)
    verdict = {True: "FITS", False: "DOES NOT FIT"}[bool(check.fits)]
    print(printable(f"{verdict}: {check.finding}"))
    low, high = result["azimuth_interval_deg"]
    print(f"measured sun azimuth {result['azimuth_deg']:.1f}° (95 % {low:.1f}–{high:.1f}°) from "
          f"{len(inputs['bearings_deg'])} shadows; true north at {inputs['north_image_deg']:.2f}° "
          "from image-up")
    if "predicted_at_time_deg" in result:
        az, el = result["predicted_at_time_deg"]
        print(f"expected at {inputs['time_utc']}: azimuth {az:.1f}°, elevation {el:.1f}°")
    start, end = result["overpass_utc"]
    first, last = result["predicted_overpass_deg"]
    solar = "–".join(f"{int(h):02d}:{round(h % 1 * 60):02d}" for h in inputs["overpass_hours"])
    print(f"plausible overpass {start[11:16]}–{end[11:16]} UTC ({solar} local mean solar time): "
          f"azimuth {first:.1f}–{last:.1f}°")
    print(printable(f"uncertainty: {check.uncertainty}"))
    print(printable(f"computed by {check.library}"))
    if store is not None:
        print(f"recorded: {store.layout.where / (check.check_id + '.json')}")
    return 0
