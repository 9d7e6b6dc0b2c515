"""Draw the dense-park hand labels, and optionally a model's boxes, over a window of the depot scene.

Labels are green (difficult ones magenta), a ``sitewatch detect --out FILE.csv`` file's boxes
red; a labelled 16 px grid gives scene pixel coordinates. For checking the labels by eye and
for looking at what a detector does on them (``tools/eval_dense.py``). Reads
``../shared/data`` (or ``$SITEWATCH_DATA``); exits with status 2 when it is absent. The
picture is of research imagery: keep it out of the repository.

Usage::

    python tools/render_dense_labels.py OUT.png --window 1040 440 256 [--scale 4] [--detections D.csv]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np
from eval_dense import LABELS, SCENE, _data_root, polygons, read_boxes, read_detections, read_regions

GREEN, MAGENTA, RED, GRID, GRID_64 = (0, 220, 0), (255, 0, 255), (0, 0, 255), (0, 200, 255), (0, 0, 200)


def render(scene: np.ndarray, x0: int, y0: int, size: int, scale: int,
           layers: list[tuple[np.ndarray, tuple[int, int, int]]]) -> np.ndarray:
    """The window enlarged ``scale`` times with a grid and each layer's boxes in its colour."""
    crop = scene[y0:y0 + size, x0:x0 + size]
    big = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    pad = 30
    canvas = np.full((big.shape[0] + pad, big.shape[1] + pad, 3), 255, np.uint8)
    canvas[pad:, pad:] = big
    for g in range(0, size + 1, 16):
        p = pad + g * scale
        colour = GRID_64 if g % 64 == 0 else GRID
        cv2.line(canvas, (p, pad), (p, canvas.shape[0]), colour, 1)
        cv2.line(canvas, (pad, p), (canvas.shape[1], p), colour, 1)
        if g % 32 == 0:
            cv2.putText(canvas, str(x0 + g), (p - 12, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1)
            cv2.putText(canvas, str(y0 + g), (0, p + 4), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (0, 0, 0), 1)
    for boxes, colour in layers:
        for polygon in polygons(boxes):
            xy = np.asarray(polygon.exterior.coords)[:4]
            pts = np.round((xy - [x0, y0]) * scale + pad).astype(np.int32)
            cv2.polylines(canvas, [pts], True, colour, 1)
    return canvas


def main(argv: list[str] | None = None) -> int:
    """Write one picture."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--window", type=int, nargs=3, required=True, metavar=("X0", "Y0", "SIZE"))
    parser.add_argument("--scale", type=int, default=4)
    parser.add_argument("--detections", type=Path, default=None)
    args = parser.parse_args(argv)
    data = _data_root("render_dense_labels")
    scene = None if data is None else cv2.imread(str(data / SCENE))
    if scene is None:
        print(f"render_dense_labels: cannot read {SCENE} under $SITEWATCH_DATA or ../shared/data",
              file=sys.stderr)
        return 2
    layers = []
    for region in read_regions(LABELS / "regions.csv"):
        boxes, difficult = read_boxes(LABELS / f"{region.name}.csv")
        layers += [(boxes[~difficult], GREEN), (boxes[difficult], MAGENTA)]
    if args.detections is not None:
        layers.append((read_detections(args.detections)[0], RED))
    x0, y0, size = args.window
    cv2.imwrite(str(args.out), render(scene, x0, y0, size, args.scale, layers))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
