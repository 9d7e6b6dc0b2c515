"""``sitewatch detect``: detect vehicles in a case's new scenes, or in loose image files.

``sitewatch detect DIR`` processes every scene of the case not yet processed by this model.
``sitewatch detect IMAGE... --out FILE.csv|FILE.geojson [--gsd M]`` processes loose files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sitewatch.catalog import CaseLayout
from sitewatch.cli.options import add_device, add_gsd, add_quiet, batch_size
from sitewatch.cli.progress import Bars, wanted
from sitewatch.errors import ConfigError
from sitewatch.untrusted import printable

#: Most pixels a loose image may have unless ``--max-pixels`` says more (50 Mpx, about
#: 7,000²). Detection costs about 0.1 CPU s a tile, so a 12,000²-17,000² px file (a 100 KB
#: one-colour JPEG does it) took minutes on 2 cores; a case resumes its scenes, a loose run does
#: not, so a small file asking for minutes is refused from its header.
MAX_LOOSE_PIXELS = 50_000_000


HELP = "detect vehicles in a case (DIR) or in loose image files (IMAGE... --out FILE)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Detect options."""
    parser.add_argument("targets", type=Path, nargs="+", metavar="DIR|IMAGE")
    parser.add_argument("--out", type=Path, default=None,
                        help="for loose images: a .csv or .geojson file to write")
    add_gsd(parser)
    parser.add_argument("--gsd-uncertain", action="store_true",
                        help="loose images: the GSD (given, georeferenced or estimated) may be off "
                        "by a quarter; also run at 0.8 and 1.25 times it and merge: finds more, "
                        "with more false boxes (3x the work; docs/model-records/gsd-scales.md)")
    parser.add_argument("--max-pixels", type=int, default=MAX_LOOSE_PIXELS, metavar="N",
                        help="loose images: refuse an image of more than N pixels before any "
                        f"work (default {MAX_LOOSE_PIXELS:,}; a case has no such cap)")
    parser.add_argument("--model", default=None,
                        help="model name or .onnx path (default: the package's default model)")
    parser.add_argument("--tta", action="store_true",
                        help="also run on mirrored tiles and fuse the views: finds more, "
                        "4× slower (see docs/training.md for what it was measured to gain)")
    add_device(parser)
    parser.add_argument("--redo", action="store_true",
                        help="for a case: run again on scenes already processed")
    add_quiet(parser)


def run(args: argparse.Namespace) -> int:
    """Run on a case or on loose files."""
    first = args.targets[0]
    is_case = len(args.targets) == 1 and CaseLayout(first).catalog.is_file()
    if not is_case and args.out is None:
        if not first.exists():
            raise ConfigError(f"no case at '{first}': check the name (`ls` lists the folders "
                              "here), or give image files and --out FILE.csv")
        if first.is_dir():
            raise ConfigError(f"'{first}' is a folder but not a sitewatch case; create one with "
                              f"`sitewatch case init {first}`, or give image files and --out FILE")
        raise ConfigError("loose images need --out FILE.csv or --out FILE.geojson")
    if not is_case and args.max_pixels < 1:
        raise ConfigError(f"--max-pixels {args.max_pixels}: give a number of pixels, e.g. "
                          "--max-pixels 200000000")
    if is_case and args.gsd_uncertain:
        raise ConfigError("--gsd-uncertain applies to loose images; a case's scenes keep the GSD "
                          "they were ingested with (`sitewatch scene set-gsd` corrects one)")
    if is_case:
        return _run_case(args)
    return _run_loose(args)


def _run_case(args: argparse.Namespace) -> int:
    from sitewatch.case import detect_in_case

    with Bars(total=0, unit="scene", enabled=wanted(args.quiet)) as bars:
        summary = detect_in_case(
            args.targets[0], model=args.model, device=args.device, tta=args.tta,
            batch_size=batch_size(args.device), redo=args.redo,
            scene_done=lambda scene, n: bars.write(printable(
                f"{scene.site} {scene.date} {scene.original_name}: {n}")),
            progress=bars.advance, tile_progress=bars.tiles,
        )
    for scene, reason in summary.unprocessed:
        print(printable(f"skipped {scene.site} {scene.date} {scene.original_name}: {reason}"),
              file=sys.stderr)
    print(f"{summary.scenes_processed} scenes processed, {summary.detections} detections, "
          f"{summary.scenes_skipped} already done" +
          (f", {len(summary.unprocessed)} could not be processed (see above; correct them with "
           "`sitewatch scene set-gsd` or take them out with `sitewatch scene retire`)"
           if summary.unprocessed else "") +
          (f" (run {summary.run_id})" if summary.run_id else ""))
    _note_known_limits(args.model)
    return 1 if summary.unprocessed and not summary.scenes_processed + summary.scenes_skipped else 0


def _run_loose(args: argparse.Namespace) -> int:
    from sitewatch.case import detect_images

    with Bars(total=len(args.targets), unit="image", enabled=wanted(args.quiet)) as bars:
        count = detect_images(
            args.targets, args.out, model=args.model, device=args.device, tta=args.tta,
            batch_size=batch_size(args.device), gsd=args.gsd, gsd_uncertain=args.gsd_uncertain,
            max_pixels=args.max_pixels,
            note=lambda line: bars.write(printable(line)), progress=bars.advance,
            tile_progress=bars.tiles,
        )
    print(f"wrote {count} detections to {args.out}")
    _note_known_limits(args.model)
    return 0


def _note_known_limits(model: str | None) -> None:
    """One line on stderr when the model's card names measured limits of its output."""
    from sitewatch.detect import load_card, model_card_path

    path = model_card_path(model)
    card = load_card(path, verify=False)  # the run has just loaded and verified it
    if card.known_limits:
        print(printable(f"note: {card.name} has measured limits that bear on its labels and "
                        f"counts ({'; '.join(card.limit_topics())}): its card gives them with "
                        f"their figures ({path})"), file=sys.stderr)
