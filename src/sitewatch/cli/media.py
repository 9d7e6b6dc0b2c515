"""``sitewatch media CASE [FILE ...]``: place, time, camera and signs of editing of a case's media."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sitewatch.cli.options import add_case_dir
from sitewatch.untrusted import printable

HELP = "list (and record) the GPS, capture time, camera, software and signs of editing of photos/videos"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The case and photos or videos to add to it."""
    add_case_dir(parser)
    parser.add_argument("files", nargs="*", type=Path, help="photos or videos to read and record")


def run(args: argparse.Namespace) -> int:
    """Record the files given, then print every media check of the case, one block per file."""
    from sitewatch.case import media_inventory
    from sitewatch.catalog import CaseStore

    checks = media_inventory(CaseStore.open(args.case_dir), tuple(args.files))
    if not checks:
        print("no photos or videos recorded; give files: sitewatch media CASE photo.jpg clip.mp4")
    for check in checks:
        meta = json.loads(check.result_json)
        print(printable(f"{check.check_id}: {check.finding}"))
        for label, key in (("camera", "camera"), ("software", "software"), ("UTC", "capture_utc"),
                           ("GPS clock", "gps_time_utc"), ("container time", "container_time_utc")):
            if meta.get(key):
                print(printable(f"  {label}: {meta[key]}"))
        for sign in meta.get("editing_signs", []):
            print(printable(f"  editing sign: {sign}"))
        for note in meta.get("notes", []):
            print(printable(f"  note: {note}"))
    return 0
