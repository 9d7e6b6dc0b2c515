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
    from sitewatch.catalog import CaseStore
    from sitewatch.pipeline import observations, sites
    from sitewatch.track import load_alerts, load_zones, track_site
    from sitewatch.track.tables import write_events_csv

    store = CaseStore.open(args.case_dir)
    zones_file = args.zones or store.attached("zones")
    alerts_file = args.alerts or store.attached("alerts")
    zones = load_zones(zones_file) if zones_file else ()
    rules = load_alerts(alerts_file) if alerts_file else ()
    tracks = tuple(track_site(observations(store, site), zones=zones, alerts=rules)
                   for site in sites(store))
    rows = write_events_csv(tracks, args.out)
    for track in tracks:
        for refusal in track.refused:
            print(printable(f"{track.site} {refusal.date}: left out, {refusal.message}"))
        for alert in track.alerts:
            print(printable(f"ALERT {track.site} {alert.message}"))
    print(f"wrote {rows} events of {len(tracks)} sites to {args.out}")
    store.append_audit("events", {"path": str(args.out), "rows": rows,
                                  "sites": [t.site for t in tracks]})
    return 0
