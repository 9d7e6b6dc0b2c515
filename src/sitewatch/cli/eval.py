"""``sitewatch eval``: score a detector on a folder of labelled images."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from sitewatch.cli.options import add_device, batch_size
from sitewatch.detect import FLIPS, DetectOptions
from sitewatch.train import LabelFormat, evaluate_model

HELP = "precision, recall, AP and count error of a detector on labelled images"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``sitewatch eval``."""
    parser.add_argument("--images", type=Path, required=True, help="folder of images")
    parser.add_argument("--labels", type=Path, required=True, help="folder of label files")
    parser.add_argument("--extra-labels", type=Path, metavar="DIR",
                        help="label files (same format) adding boxes to --labels, e.g. an "
                        "audit's missed vehicles (docs/mvrsd-audit)")
    parser.add_argument("--format", default="voc", choices=[f.value for f in LabelFormat])
    parser.add_argument("--classes", type=Path, help="YOLO class names, one a line")
    parser.add_argument("--gsd", type=float, help="image ground sample distance in metres")
    parser.add_argument("--model", help="registered model name, model card or .onnx path")
    parser.add_argument("--model-gsd", type=float, help="resample to this GSD, not the card's")
    parser.add_argument("--iou", type=float, default=0.3, help="IoU to count a match (0.3)")
    parser.add_argument("--score", type=float, default=None,
                        help="score for P/R (default: the model card's score_threshold)")
    parser.add_argument("--tta", action="store_true",
                        help="also run on mirrored and half-turned tiles and fuse the views "
                        "(4× the inference)")
    parser.add_argument("--out", type=Path, help="write the full report as JSON here")
    add_device(parser)


def _fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def run(args: argparse.Namespace) -> int:
    """Run the evaluation and print a summary."""
    done = evaluate_model(
        args.labels,
        model=args.model,
        device=args.device,
        options=DetectOptions(model_gsd_m=args.model_gsd, tta_views=FLIPS if args.tta else (),
                              batch_size=batch_size(args.device)),
        score_threshold=args.score,
        classes_file=args.classes,
        label_format=args.format,
        images_dir=args.images,
        gsd_m=args.gsd,
        iou_min=args.iou,
        supplement_dir=args.extra_labels,
    )
    report, score, seen = done.report, done.score_threshold, done.trained_on_overlap
    if seen:
        print(f"warning: {len(seen)} of these images were in {done.model_name}'s training data "
              f"({', '.join(seen)}): these figures are not held-out accuracy")
    head = f"{'slice':<32}{'truths':>7}{'preds':>7}{'P':>7}{'R':>7}{'AP':>7}{'AP50':>7}{'cnt':>6}"
    print(f"{report['images']} images, IoU >= {args.iou}, score >= {score}"
          + (f", {report['difficult_labels']} difficult labels ignored"
             if report["difficult_labels"] else ""))
    print(head)
    rows = [("all (class-agnostic)", report["class_agnostic"])]
    rows += list(report["per_label"].items())
    for name, s in rows:
        print(
            f"{name:<32}{s['truths']:>7}{s['predictions']:>7}{_fmt(s['precision']):>7}"
            f"{_fmt(s['recall']):>7}{_fmt(s['ap']):>7}{_fmt(s['ap50']):>7}{s['count_error']:>6}"
        )
    print("recall by truth label, any detection class:")
    for name, value in report["recall_by_truth_label"].items():
        print(f"  {name:<30}{_fmt(value)}")
    if args.out is not None:
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    return 0
