"""Options shared by several commands."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_case_dir(parser: argparse.ArgumentParser) -> None:
    """The positional case folder."""
    parser.add_argument("case_dir", type=Path, metavar="DIR", help="the case folder")


def add_gsd(parser: argparse.ArgumentParser) -> None:
    """--gsd for images without georeference."""
    parser.add_argument(
        "--gsd", type=float, default=None, metavar="METRES",
        help="ground sample distance in metres per pixel (needed when the image has no georeference)",
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
    from sitewatch.detect import DetectOptions
    from sitewatch.detect.torch_backend import GPU_BATCH_SIZE

    return DetectOptions().batch_size if device == "cpu" else GPU_BATCH_SIZE


def add_quiet(parser: argparse.ArgumentParser) -> None:
    """--quiet: no progress bars (they are drawn only on a terminal anyway)."""
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress bars (none are drawn when output is piped)")
