"""Where a model's unmatched boxes on ``cats_drone`` lie: at the tile edge, on a car, elsewhere.

Usage::

    python tools/civilian_unmatched.py --model sitewatch-vehicles-yolov8n-obb --gsd 0.12 \
        [--crops unmatched.png]

Each image is resampled as ``tools/eval_civilian.py`` does and read at the model's card score;
a box matching no labelled car (IoU >= 0.3) is counted as touching the tile edge (within 3 px),
overlapping a labelled car (IoU > 0), or elsewhere. ``--crops`` writes the first 48 of those
elsewhere as an 8-column PNG (red: the box, green: labelled cars) to look at by eye.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import cv2
import numpy as np
from eval_civilian import arrays, labelled_sets, overhead_data, resampled

from sitewatch.detect import detect_raster, load_detector
from sitewatch.train import greedy_match, iou_matrix


def _crop(image: np.ndarray, box: np.ndarray, truth: np.ndarray) -> np.ndarray:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    x0, y0 = int(max(0, cx - 40)), int(max(0, cy - 40))
    c = image[y0 : y0 + 80, x0 : x0 + 80].copy()
    c = cv2.copyMakeBorder(c, 0, 80 - c.shape[0], 0, 80 - c.shape[1], cv2.BORDER_CONSTANT)
    for b, colour in [(box, (0, 0, 255)), *((t, (0, 255, 0)) for t in truth)]:
        cv2.rectangle(c, (int(b[0]) - x0, int(b[1]) - y0), (int(b[2]) - x0, int(b[3]) - y0),
                      colour, 1)
    return cv2.resize(c, (160, 160), interpolation=cv2.INTER_NEAREST)


def main() -> int:
    """Count the unmatched boxes by where they lie; optionally write crops of those elsewhere."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="registry name, card or .onnx")
    parser.add_argument("--gsd", type=float, default=0.12)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/sitewatch-civilian"))
    parser.add_argument("--crops", type=Path, help="PNG of the first 48 boxes lying elsewhere")
    args = parser.parse_args()
    data = overhead_data("civilian_unmatched")
    detector = load_detector(args.model)
    score = detector.card.score_threshold
    counts = {"unmatched": 0, "tile_edge": 0, "on_a_car": 0, "elsewhere": 0}
    crops: list[np.ndarray] = []
    for item in labelled_sets(data)["cats_drone"]:
        found = resampled(item, "cats_drone", args.gsd, args.cache)
        if found is None:
            continue
        path, truth = found
        boxes, scores, _ = arrays(detect_raster(path, detector, gsd_m=args.gsd))
        boxes, scores = boxes[scores >= score], scores[scores >= score]
        image = cv2.imread(str(path))
        if image is None:
            raise SystemExit(f"cannot read '{path}': remove it from --cache and run again")
        h, w = image.shape[:2]
        for box, match in zip(boxes, greedy_match(boxes, scores, truth, 0.3), strict=True):
            if match >= 0:
                continue
            counts["unmatched"] += 1
            if box[0] < 3 or box[1] < 3 or box[2] > w - 3 or box[3] > h - 3:
                counts["tile_edge"] += 1
            elif len(truth) and iou_matrix(box[None], truth).max() > 0:
                counts["on_a_car"] += 1
            else:
                counts["elsewhere"] += 1
                crops.append(_crop(image, box, truth))
    print(f"{args.model} at {args.gsd} m, score {score}: {counts}")
    if args.crops and crops:
        crops = crops[:48]
        crops += [np.zeros_like(crops[0])] * (-len(crops) % 8)
        cv2.imwrite(str(args.crops), np.vstack([np.hstack(crops[i : i + 8])
                                                for i in range(0, len(crops), 8)]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
