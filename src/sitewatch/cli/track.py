"""``sitewatch track DIR``: counts per site, date and label, and what arrived or departed."""

from __future__ import annotations

import argparse

from sitewatch.catalog import CaseStore
from sitewatch.cli.options import add_case_dir

HELP = "count vehicles per site, date and label, and list arrivals and departures"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Track options."""
    add_case_dir(parser)


def run(args: argparse.Namespace) -> int:
    """Print counts and events per site."""
    from sitewatch.case import track_and_log

    tracks, intervals_note = track_and_log(CaseStore.open(args.case_dir))
    print(f"counts with a {intervals_note}")
    for track in tracks:
        print(f"site {track.site}")
        for count in track.counts:
            if count.zone is None:
                shown = (f"{count.n} ({count.interval_lo}-{count.interval_hi})" if count.observable
                         else f"not observable ({count.reason})")
                print(f"  {count.date} {count.label:<30} {shown}")
        for event in track.events:
            if event.kind.value != "stayed":
                print(f"  {event.date_from} -> {event.date_to} {event.kind.value:<9} "
                      f"{event.label} at ({event.x_px:.0f}, {event.y_px:.0f}) px")
    return 0
