"""A corrupt file whose bytes GDAL quotes in a message (fuzz corpus files 6605 and 6617 of seed 0:
bit flips in a JPEG's XMP packet) must not print tracebacks: rasterio cannot decode such a
message, and Python reported that twice from C code while the file was read as usual."""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import cv2
import numpy as np

from sitewatch.case.fuzzing import run_command
from sitewatch.cli.main import main


def _jpeg_with_a_broken_xmp_packet(path: Path) -> Path:
    ok, encoded = cv2.imencode(".jpg", np.full((64, 88, 3), 120, np.uint8))
    assert ok
    data = encoded.tobytes()
    xmp = b"http://ns.adobe.com/xap/1.0/\x00<x:\xbaxmpmeta xmlns:x='adobe:ns:meta/'></x:xmpmeta>"
    path.write_bytes(data[:2] + b"\xff\xe1" + struct.pack(">H", len(xmp) + 2) + xmp + data[2:])
    return path


def test_a_gdal_message_rasterio_cannot_decode_prints_no_traceback(tmp_path: Path) -> None:
    image = _jpeg_with_a_broken_xmp_packet(tmp_path / "broken-xmp.jpg")
    log = tmp_path / "log"
    assert run_command(main, ["case", "init", str(tmp_path / "case")], log).code == 0
    for argv in (["ingest", str(tmp_path / "case"), str(image), "--site", "s", "--date",
                  "2024-05-01", "--gsd", "0.3", "-q"],
                 ["detect", str(image), "--out", str(tmp_path / "d.csv"), "--gsd", "0.3", "-q"]):
        ran = run_command(main, argv, log)
        text = log.read_text()
        assert ran.code == 0, text
        assert "Traceback" not in text and "UnicodeDecodeError" not in text, text


def test_the_hooks_in_place_before_a_command_are_back_after_it(tmp_path: Path) -> None:
    before = sys.excepthook, sys.unraisablehook
    assert main(["case", "init", str(tmp_path / "case")]) == 0
    assert (sys.excepthook, sys.unraisablehook) == before
