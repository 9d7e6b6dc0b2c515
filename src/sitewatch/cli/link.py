"""``sitewatch link DIR SIGHTINGS_FILE``: which departures could have reached each sighting."""

from __future__ import annotations

import argparse
from pathlib import Path

from sitewatch.cli.options import add_case_dir
from sitewatch.untrusted import printable

HELP = ("for each sighting, which departures from which sites could have reached it in time, "
        "by transporter, tracked road march and rail")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Link options."""
    add_case_dir(parser)
    parser.add_argument("sightings", type=Path, metavar="SIGHTINGS_FILE",
                        help="CSV: id,time_utc,lon,lat,place,seen,count,source")
    parser.add_argument("--boundary", type=Path, default=None, metavar="FILE.geojson",
                        help="a border (line or area, WGS84) to measure distances to (default: "
                             "the boundary attached to the case, if any)")
    parser.add_argument("--out", type=Path, default=None, metavar="FILE.csv",
                        help="also write every link, with speeds and their sources, as CSV")


def run(args: argparse.Namespace) -> int:
    """Track every site, link its departures to the sightings and print the verdicts."""
    from sitewatch.case import link_and_log
    from sitewatch.catalog import CaseStore
    from sitewatch.geo import DEFAULT_SPEEDS

    found = link_and_log(CaseStore.open(args.case_dir), args.sightings,
                         boundary_file=args.boundary, out=args.out)
    links, boundary = found.links, found.boundary
    for s in found.sightings:
        border = ("" if boundary is None
                  else f", {boundary.distance_m(s.lonlat) / 1000:.1f} km from {boundary.name}")
        print(printable(f"sighting {s.sighting_id} {s.time_utc:%Y-%m-%d %H:%M}Z {s.seen} at "
                        f"{s.place} ({s.source}){border}"))
        mine = [lk for lk in links if lk.sighting is s]
        if not mine:
            print("  no departure of that kind from any georeferenced site")
        for lk in mine:
            d = lk.departure
            print(f"  {d.n} {d.label} left {d.site} {d.date_from}..{d.date_to}, "
                  f"{lk.distance_m / 1000:.1f} km: {lk.speed.mode.value:<19} "
                  f"{lk.verdict.value.upper()} ({lk.reason})")
    print("speeds used (km/h typical/max, detour, delay h) and their sources:")
    for speed in DEFAULT_SPEEDS.values():
        print(f"  {speed.mode.value}: {speed.typical_kmh:g}/{speed.max_kmh:g}, "
              f"x{speed.detour_factor:g}, {speed.fixed_delay_h:g} h. {speed.source}")
    if args.out:
        print(f"wrote {len(links)} links to {args.out}")
    return 0
