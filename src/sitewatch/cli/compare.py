"""``sitewatch compare``: rank reference galleries for ground photos and videos of a vehicle."""

from __future__ import annotations

import argparse
from pathlib import Path

from sitewatch.cli.options import add_quiet
from sitewatch.cli.progress import Bars, wanted
from sitewatch.untrusted import printable

HELP = "compare vehicles in ground photos or videos with galleries of reference photos"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the compare command."""
    parser.add_argument("queries", nargs="+", type=Path, metavar="QUERY",
                        help="photo (JPEG, PNG, WebP) or video (MP4, MOV, WebM)")
    parser.add_argument("--gallery", action="append", required=True, metavar="NAME=DIR",
                        help="named folder of reference photos/videos (repeat for each gallery)")
    parser.add_argument("--out", type=Path, required=True, metavar="FILE.json",
                        help="where to write the results")
    parser.add_argument("--panel", type=Path, metavar="DIR",
                        help="also write one comparison panel PNG per query into DIR")
    parser.add_argument("--mark", action="append", default=[], metavar="FEATURE=STATE",
                        help="feature checklist mark, STATE is seen, absent or not_visible")
    parser.add_argument("--family", action="append", default=[], metavar="NAME",
                        help="restrict the checklist to T-64, T-72 or T-80 (repeatable)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for the networks")
    parser.add_argument("--max-keyframes", type=int, default=8,
                        help="most keyframes taken from each video")
    parser.add_argument("--keep-gps", action="store_true",
                        help="write the photos' and videos' GPS positions into --out (by default "
                        "they are left out, as are absolute local paths: the file is meant to be "
                        "shared)")
    add_quiet(parser)


def run(args: argparse.Namespace) -> int:
    """Run the comparison and print one line per query."""
    from sitewatch.compare import CompareOptions, compare_files, parse_gallery_spec

    galleries = dict(parse_gallery_spec(spec) for spec in args.gallery)
    options = CompareOptions(panel_dir=args.panel, families=tuple(args.family),
                             marks=tuple(args.mark), threads=args.threads,
                             max_keyframes=args.max_keyframes, keep_gps=args.keep_gps)
    with Bars(total=len(galleries) + len(args.queries), unit="file",
              enabled=wanted(args.quiet)) as bars:
        results = compare_files(args.queries, galleries, args.out, options=options,
                                progress=bars.advance)
    for result in results:
        ranking = ", ".join(f"{s.name} {s.similarity:+.2f}" for s in result.ranking[:3])
        print(printable(f"{result.path}: {ranking} ({result.seconds:.1f} s)"))
    print(f"wrote {args.out}")
    return 0
