"""``sitewatch review DIR``: review the case's detections in the browser, on this machine only."""

from __future__ import annotations

import argparse
from pathlib import Path

from sitewatch.catalog import CaseStore, default_actor
from sitewatch.cli.options import add_case_dir
from sitewatch.errors import ReviewError

HELP = "review detections in the browser (127.0.0.1, token-protected); or export reviewed labels"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Review options."""
    add_case_dir(parser)
    parser.add_argument("--port", type=int, default=8765,
                        help="port on 127.0.0.1 (default 8765; 0 picks a free one)")
    parser.add_argument("--reviewer", default=None, metavar="NAME",
                        help="your name, written with every decision (default: $SITEWATCH_ACTOR, else "
                        "'analyst'; never the OS login, which would travel with the case)")
    parser.add_argument("--export-labels", type=Path, default=None, metavar="OUT",
                        help="instead of serving, write the reviewed scenes as DOTA labels into "
                             "OUT for sitewatch train")
    parser.add_argument("--partial", action="store_true",
                        help="with --export-labels: also export scenes not fully reviewed")


def run(args: argparse.Namespace) -> int:
    """Serve the review app, or export reviewed labels."""
    store = CaseStore.open(args.case_dir)
    if args.export_labels is not None:
        from sitewatch.case import export_reviewed_labels

        done = export_reviewed_labels(store, args.export_labels, complete_only=not args.partial)
        print(f"wrote {len(done.images)} images with {done.vehicles} reviewed vehicles to "
              f"{args.export_labels}")
        for line in done.skipped:
            print(f"skipped {line} (use --partial to include)")
        print(f"fine-tune on the reviews with: sitewatch train --from-reviews {args.case_dir} "
              "--base MODEL.pt --out NEW_MODEL_DIR [--data ... to keep the earlier tiles]")
        return 0
    try:
        from sitewatch.review import serve
    except ImportError as exc:
        raise ReviewError(f"the review app needs FastAPI and uvicorn ({exc.name} is missing): "
                          "pip install 'sitewatch[review]'") from None
    if not 0 <= args.port <= 65535:
        raise ReviewError(f"--port {args.port} is not a TCP port; give 1-65535, or 0 for any")
    serve(store, reviewer=args.reviewer or default_actor(), port=args.port,
          announce=lambda text: print(text, flush=True))
    return 0
