"""``sitewatch events DIR --out FILE.csv``: one row per event (arrived, departed, moved, ...)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sitewatch.cli.options import add_case_dir
from sitewatch.untrusted import printable

HELP = "write every tracked event of the case (arrived, departed, moved, stayed, loaded) as CSV"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Events options."""
    add_case_dir(parser)
    parser.add_argument("--out", type=Path, required=True, metavar="FILE.csv",
                        help="CSV file to write")
    parser.add_argument("--zones", type=Path, default=None, metavar="FILE",
                        help="zones (.geojson or .kml) drawn on each site's reference date "
                             "(default: the zones attached to the case, if any)")
    parser.add_argument("--alerts", type=Path, default=None, metavar="FILE.toml",
                        help="alert thresholds per zone; crossings are printed (default: the "
                             "alerts attached to the case, if any)")


def run(args: argparse.Namespace) -> int:
    """Track every site of the case and write its events."""
    from sitewatch.case import write_events
    from sitewatch.catalog import CaseStore

    tracks, rows = write_events(CaseStore.open(args.case_dir), args.out, zones_file=args.zones,
                                alerts_file=args.alerts)
    for track in tracks:
        for refusal in track.refused:
            print(printable(f"{track.site} {refusal.date}: left out, {refusal.message}"))
        for note in track.registration_notes:
            print(printable(f"{track.site} {note.sentence}"))
        for alert in track.alerts:
            print(printable(f"ALERT {track.site} {alert.message}"))
        for pair in track.pairs:
            print(printable(f"{track.site} {pair.sentence}"))
        unmeasured = sorted({c.unmeasured for c in track.counts if c.unmeasured is not None})
        for why in unmeasured:
            print(printable(f"{track.site}: loaded transporters are {why}: the only 'loaded' "
                            "rows are the vehicles an analyst marked"))
        if track.unseen:
            print(printable(f"{track.site}: {len(track.unseen)} vehicles not judged (their place "
                            "unseen on one date of a pair): rows of kind 'unseen' with the reason"))
    print(f"wrote {rows} events of {len(tracks)} sites to {args.out}")
    return 0
