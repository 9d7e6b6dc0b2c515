"""``sitewatch scene list|retire|restore|keep|redate|set-gsd DIR ...``: see and correct a case's
scenes. Every correction needs ``--reason``; the original stays stored and the audit log
records who changed what and why (``sitewatch verify`` checks it).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from sitewatch.catalog import parse_date
from sitewatch.cli.options import add_case_dir
from sitewatch.untrusted import printable

if TYPE_CHECKING:
    from sitewatch.case import SceneRow

HELP = "list a case's scenes and correct them: retire, restore, keep one per date, redate, set-gsd"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """One sub-action per correction."""
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = sub.add_parser("list", help="every scene, retired ones too, with its status")
    add_case_dir(listing)
    actions = {
        "retire": "take a scene out of every job (its original stays stored)",
        "restore": "bring a retired scene back",
        "keep": "keep this scene for its date and retire the others of that site and date",
        "redate": "correct a scene's acquisition date",
        "set-gsd": "correct a scene's ground sample distance (then run `sitewatch detect` again)",
    }
    for name, text in actions.items():
        action = sub.add_parser(name, help=text, description=text)
        add_case_dir(action)
        action.add_argument("scene", metavar="SCENE",
                            help="the file name as ingested, or 6+ leading digits of its hash")
        if name == "redate":
            action.add_argument("date", metavar="YYYY-MM-DD", help="the right acquisition date")
        if name == "set-gsd":
            action.add_argument("gsd", type=float, metavar="METRES",
                                help="the right ground sample distance, metres per pixel")
        action.add_argument("--reason", required=True,
                            help="why (kept in the audit log), e.g. 'date read from the EXIF'")
        action.add_argument("--analyst", default=None,
                            help="who makes the change (default: the login name)")


def run(args: argparse.Namespace) -> int:
    """List, or make one correction and say what changed."""
    import sitewatch.case as case
    from sitewatch.catalog import CaseStore

    store = CaseStore.open(args.case_dir)
    if args.action == "list":
        return _print_list(case.list_scenes(store))
    who = {"reason": args.reason, "actor": args.analyst}
    if args.action == "keep":
        changes = case.keep_scene(store, args.scene, **who)
    elif args.action == "retire":
        changes = (case.retire_scene(store, args.scene, **who),)
    elif args.action == "restore":
        changes = (case.restore_scene(store, args.scene, **who),)
    elif args.action == "redate":
        changes = (case.redate_scene(store, args.scene, parse_date(args.date), **who),)
    else:
        changes = (case.set_scene_gsd(store, args.scene, args.gsd, **who),)
    for change in changes:
        print(printable(f"scene {change.scene_sha256[:12]}: {change.field} {change.old} -> "
                        f"{change.new} (audit entry {change.audit_seq}, by {change.actor})"))
    if args.action == "set-gsd":
        print(f"run `sitewatch detect {store.root}` to detect again at the new GSD")
    return 0


def _print_list(rows: tuple[SceneRow, ...]) -> int:
    print(f"{'hash':12}  {'site':12} {'date':10} {'gsd m':>6} {'vehicles':>8}  {'status':14} name")
    for row in rows:
        s = row.scene
        found = "-" if row.detections is None else str(row.detections)
        edits = f" ({row.changes} corrections)" if row.changes else ""
        print(printable(f"{s.sha256[:12]}  {s.site:12} {s.date} {s.gsd_m:6.2f} {found:>8}  "
                        f"{row.status:14} {s.original_name}{edits}"))
    if not rows:
        print("no scenes; add some with `sitewatch ingest`")
    return 0
