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
