"""``sitewatch track DIR``: counts per site, date and label, and what arrived or departed."""

from __future__ import annotations

import argparse
from pathlib import Path

from sitewatch.catalog import CaseStore
from sitewatch.cli.options import add_case_dir
from sitewatch.untrusted import printable

HELP = "count vehicles per site, date and label, and list arrivals and departures"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Track options."""
    add_case_dir(parser)
    parser.add_argument("--counts", type=Path, default=None, metavar="FILE.csv",
                        help="also write every count (per site, zone, date and label: detected, "
                             "estimate, interval, rates) as CSV")


def run(args: argparse.Namespace) -> int:
    """Print counts and events per site."""
    from itertools import groupby

    from sitewatch.case import track_and_log

    tracked = track_and_log(CaseStore.open(args.case_dir), counts_out=args.counts)
    options = tracked.options
    print(f"counts with a {tracked.intervals_note}")
    print(f"  {tracked.interval_meaning}")
    unmeasured = sorted({c.unmeasured for t in tracked.tracks for c in t.counts
                         if c.unmeasured is not None})
    for why in unmeasured:  # once, not on every row
        print(f"  loaded transporters are {why}")
    for track in tracked.tracks:
        print(f"site {track.site}")
        print(f"  {'date':<10} {'label':<30} {'detected':>8} {'estimate':>8}  "
              f"{options.interval_level:.0%} interval")
        site_counts = [c for c in track.counts if c.zone is None]
        for date, of_date in groupby(site_counts, key=lambda c: c.date):
            shares = set()
            for c in of_date:
                if c.unmeasured is not None:
                    marked = f"analyst marked {c.marked}" if c.marked else "none marked"
                    shown = (f"{'-':>8} {'-':>8}  not measurable by the detector, analyst marks "
                             f"only: {marked}")
                elif c.observable:
                    shown = f"{c.n:>8} {c.estimate or 0:>8.0f}  {c.interval_lo}-{c.interval_hi}"
                else:
                    shown = f"not observable ({c.reason})"
                print(f"  {c.date} {c.label:<30} {shown}")
                if c.partial and c.observable_share is not None:
                    shares.add(c.observable_share)
            for share in sorted(shares):  # one share per date: the site's
                print(f"    {date}: partial, counts only the {share:.0%} of the site this date "
                      "showed; vehicles in the rest are not counted")
        for note in track.registration_notes:
            print(printable(f"  {note.sentence}"))
        for event in track.events:
            if event.kind.value != "stayed":
                print(f"  {event.date_from} -> {event.date_to} {event.kind.value:<9} "
                      f"{event.label} at ({event.x_px:.0f}, {event.y_px:.0f}) px")
    if args.counts is not None:
        print(f"wrote {tracked.counts_written} counts to {args.counts}")
    return 0
