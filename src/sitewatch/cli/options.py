"""Options shared by several commands."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_case_dir(parser: argparse.ArgumentParser) -> None:
    """The positional case folder."""
    parser.add_argument("case_dir", type=Path, metavar="DIR", help="the case folder")


def gsd_value(text: str) -> float | str:
    """A --gsd value: metres per pixel, or ``auto``."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--gsd {text!r}: give metres per pixel (e.g. 0.3) or 'auto'") from None


def add_gsd(parser: argparse.ArgumentParser) -> None:
    """--gsd METRES|auto; without it, an image with no georeference has its GSD estimated."""
    parser.add_argument(
        "--gsd", type=gsd_value, default=None, metavar="METRES|auto",
        help="ground sample distance in metres per pixel, or 'auto' to estimate it from the "
        "vehicles in the image (the default, with a note, when an image has no georeference)",
    )


def add_device(parser: argparse.ArgumentParser) -> None:
    """--device: onnxruntime on CPU (default) or PyTorch on a CUDA GPU."""
    parser.add_argument(
        "--device", default="cpu", metavar="cpu|cuda|cuda:N",
        help="cpu (default: the ONNX model with onnxruntime) or a CUDA GPU (the same weights "
        "with PyTorch; needs pip install 'sitewatch[gpu]')",
    )


def batch_size(device: str) -> int:
    """Tiles per forward pass: the detection default on CPU, more on a GPU."""
    from sitewatch.detect import GPU_BATCH_SIZE, DetectOptions

    return DetectOptions().batch_size if device == "cpu" else GPU_BATCH_SIZE


def add_quiet(parser: argparse.ArgumentParser) -> None:
    """--quiet: no progress bars (they are drawn only on a terminal anyway)."""
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress bars (none are drawn when output is piped)")
