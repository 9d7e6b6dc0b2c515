"""``sitewatch scene list|retire|restore|keep|redate|set-gsd|mosaic|seams DIR ...``: see and
correct a case's scenes. Every correction needs ``--reason``; the original stays stored and the
audit log records who changed what and why (``sitewatch verify`` checks it). ``mosaic`` makes
several georeferenced images of one site and date into one scene (its sources retired, their
seams kept); ``seams`` shows or exports where each source lies in a mosaic.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from sitewatch.catalog import parse_date
from sitewatch.cli.options import add_case_dir
from sitewatch.untrusted import printable

if TYPE_CHECKING:
    from sitewatch.case import SceneRow
    from sitewatch.catalog import CaseStore, MosaicAdded

HELP = ("list a case's scenes and correct them: retire, restore, keep one per date, redate, "
        "set-gsd, mosaic several of one date")


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
    mosaic = sub.add_parser(
        "mosaic", help="make georeferenced images of one site and date into one scene",
        description="Warp georeferenced images of one site and date onto one grid (GDAL) and "
        "store the mosaic as a new scene; its sources are retired (still stored) and the seams "
        "(each source's outline in the mosaic) are kept. Refused, with nothing changed, when a "
        "source has no georeference or two sources show different ground where they overlap.")
    add_case_dir(mosaic)
    mosaic.add_argument("scenes", nargs="+", metavar="SCENE",
                        help="two or more scenes: file names as ingested or 6+ hash digits; "
                        "where they overlap the one named first is kept")
    mosaic.add_argument("--reason", required=True, help="why (kept in the audit log)")
    mosaic.add_argument("--analyst", default=None, help="who makes the change")
    seams = sub.add_parser("seams", help="where each source lies in a mosaic scene",
                           description="Print each source's outline in a mosaic scene; with "
                           "--out, write them as GeoJSON (lon/lat outlines, pixel outlines).")
    add_case_dir(seams)
    seams.add_argument("scene", metavar="SCENE", help="the mosaic's file name or 6+ hash digits")
    seams.add_argument("--out", type=Path, default=None, help="write the seams to this .geojson")
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
                            help="who makes the change (default: $SITEWATCH_ACTOR, else 'analyst')")


def run(args: argparse.Namespace) -> int:
    """List, or make one correction and say what changed."""
    import sitewatch.case as case
    from sitewatch.catalog import CaseStore

    store = CaseStore.open(args.case_dir)
    if args.action == "list":
        return _print_list(case.list_scenes(store))
    if args.action == "seams":
        return _print_seams(store, args.scene, args.out)
    if args.action == "mosaic":
        return _print_mosaic(case.mosaic_scenes(store, args.scenes, reason=args.reason,
                                                actor=args.analyst), store.root)
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


def _print_mosaic(made: MosaicAdded, root: Path) -> int:
    s, grid = made.scene, made.result
    print(printable(f"mosaic {s.sha256[:12]} {s.original_name}: {len(made.sources)} scenes of site "
                    f"{s.site} on {s.date}, {grid.width_px} x {grid.height_px} px at {s.gsd_m:.2f} m "
                    f"(audit entry {made.audit_seq})"))
    for source, part in zip(made.sources, grid.parts, strict=True):
        print(printable(f"  {source.sha256[:12]} {source.original_name}: {part.pixels_used} px "
                        "used, retired (still stored)"))
    for overlap in grid.overlaps:
        agreement = ("too small or uniform to check" if overlap.correlation is None
                     else f"correlation {overlap.correlation:.2f}")
        print(printable(f"  overlap {overlap.first} / {overlap.second}: {overlap.overlap_px} px, "
                        f"{agreement}"))
    print(f"seams: {made.seams_path.relative_to(root)} (`sitewatch scene seams {root} "
          f"{s.sha256[:12]}`)")
    print(f"run `sitewatch detect {root}` to detect on the mosaic")
    return 0


def _print_seams(store: CaseStore, ref: str, out: Path | None) -> int:
    from sitewatch.catalog import read_seams
    from sitewatch.errors import ConfigError

    if out is not None and out.suffix.lower() not in (".geojson", ".json"):
        raise ConfigError(f"--out '{out}' must end in .geojson (the seams are GeoJSON)")
    scene, seams = read_seams(store, ref)
    print(printable(f"mosaic {scene.sha256[:12]} {scene.original_name}: "
                    f"{len(seams['features'])} sources, first listed on top"))
    for feature in seams["features"]:
        p = feature["properties"]
        corners = " ".join(f"({x:.1f},{y:.1f})" for x, y in p["outline_px"])
        print(printable(f"  {p['order']}: {p['sha256'][:12]} {p['source']}: {p['pixels_used']} px "
                        f"used; outline in the mosaic {corners}"))
    if out is not None:
        out.write_text(json.dumps(seams, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {out}")
    return 0
