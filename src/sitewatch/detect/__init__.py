"""sitewatch.detect stage: find vehicles in rasters of any size with an ONNX model on CPU (or
the same weights with PyTorch on a GPU: ``load_detector(..., device="cuda")``).

Public names:

- :class:`Detection`, :class:`VehicleClass`, :class:`Detector` (the protocol any backend meets).
- :func:`load_detector`: a registered model, model card or ONNX file, hash-verified, on CPU or GPU.
- :func:`estimate_gsd` with :class:`GsdSearch`: an image's GSD from its vehicles' lengths.
- :func:`detect_raster` with :class:`DetectOptions`, returning :class:`RasterDetections`.
"""

from __future__ import annotations

from sitewatch.detect.gsd import GsdSearch, estimate_gsd
from sitewatch.detect.onnx_backend import load_detector
from sitewatch.detect.tiled import DetectOptions, RasterDetections, detect_raster
from sitewatch.detect.types import Detection, Detector, VehicleClass

__all__ = [
    "DetectOptions",
    "Detection",
    "Detector",
    "GsdSearch",
    "RasterDetections",
    "VehicleClass",
    "detect_raster",
    "estimate_gsd",
    "load_detector",
]
