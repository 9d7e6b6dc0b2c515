"""``sitewatch detect``: detect vehicles in a case's new scenes, or in loose image files.

``sitewatch detect DIR`` processes every scene of the case not yet processed by this model.
``sitewatch detect IMAGE... --out FILE.csv|FILE.geojson [--gsd M]`` processes loose files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sitewatch.catalog import CaseLayout, CaseStore
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
    from sitewatch.detect import FLIPS, DetectOptions, load_detector

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
    if not is_case:
        if args.max_pixels < 1:
            raise ConfigError(f"--max-pixels {args.max_pixels}: give a number of pixels, e.g. "
                              "--max-pixels 200000000")
        _check_loose(args.targets, args.out, args.max_pixels)
    detector = load_detector(args.model, device=args.device)
    options = DetectOptions(tta_views=FLIPS if args.tta else (), batch_size=batch_size(args.device))
    if is_case:
        return _run_case(CaseStore.open(first), detector, options, args.redo, args.quiet)
    return _run_loose(args.targets, detector, options, args.gsd, args.out, args.quiet)


def _run_case(store: CaseStore, detector: object, options: object, redo: bool,
              quiet: bool) -> int:
    from sitewatch.case import detect_case

    with Bars(total=len(store.scenes()), unit="scene", enabled=wanted(quiet)) as bars:

        def done(scene: object, n: int) -> None:
            name = f"{scene.site} {scene.date} {scene.original_name}"  # type: ignore[attr-defined]
            bars.write(printable(f"{name}: {n}"))
            bars.step(name)

        summary = detect_case(
            store, detector, options=options, redo=redo,  # type: ignore[arg-type]
            progress=done, tile_progress=bars.tiles,
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
    return 1 if summary.unprocessed and not summary.scenes_processed + summary.scenes_skipped else 0


def _run_loose(images: list[Path], detector: Any, options: Any, gsd: float | str | None,
               out: Path, quiet: bool) -> int:
    from functools import partial

    from sitewatch.catalog import GsdSource, choose_gsd
    from sitewatch.detect import detect_raster, estimate_gsd
    from sitewatch.imagery import read_info
    from sitewatch.report import write_detections

    results = []
    with Bars(total=len(images), unit="image", enabled=wanted(quiet)) as bars:
        for image in images:
            given = gsd if isinstance(gsd, float) else None
            choice = choose_gsd(str(image), given_m=given, georef_m=read_info(image).gsd_m,
                                auto=gsd == "auto",
                                estimator=partial(estimate_gsd, image, detector))
            if choice.note:
                bars.write(printable(choice.note))
            estimated = choice.source is GsdSource.ESTIMATED
            found = detect_raster(image, detector, gsd_m=None if estimated else choice.gsd_m,
                                  options=options, progress=bars.tiles,
                                  gsd_estimate=choice.estimate if estimated else None)
            bars.write(printable(f"{image.name}: {len(found.detections)} vehicles"))
            bars.step(image.name)
            results.append((image.name, found.detections))
    count = write_detections(out, results)
    print(f"wrote {count} detections to {out}")
    return 0


def _check_loose(images: list[Path], out: Path, max_pixels: int = MAX_LOOSE_PIXELS) -> None:
    """Refuse, before any work (and before the model loads), an --out of the wrong kind,
    folders, missing files, images over ``max_pixels`` and images that do not decode within the
    time and memory budget."""
    from sitewatch.imagery import check_decodes

    if out.suffix.lower() not in (".csv", ".geojson", ".json"):
        raise ConfigError(f"--out '{out}' must end in .csv or .geojson (the format is chosen "
                          "by the suffix)")
    for image in images:
        if image.is_dir():
            raise ConfigError(f"'{image}' is a folder: pass the image files, e.g. {image}/*.jpg")
        if not image.is_file():
            raise ConfigError(f"cannot read '{image}': no such file; check the path")
        check_decodes(image, max_pixels=max_pixels,
                      beyond=f"to detect on it anyway, ingest it into a case (`sitewatch ingest "
                      f"CASE {image} ...`, then `sitewatch detect CASE`), or pass a larger "
                      "--max-pixels (it may take minutes)")
