"""int8 quantization settings against the float model, on tiles no setting calibrated on.

Made for issue 19's int8 calibration (``docs/model-records/dense-park.md``, "The int8 variant
remade"). ``--model`` names the float model (default: the default model); its card gives the
tile size and GSD (``--model-gsd`` overrides the GSD: the base DOTA model's card says 0.05 m,
which makes hundreds of 1024 px tiles of these sets). Two sets of tiles at the model's GSD
(0.3 m for the default model): the depot scene's north-west corner
(x 0-768, y 0-1280 at 0.25 m) with three civilian scenes, and its south-west corner (x 0-560,
y 1324-2432) with three others; both lie outside the hand-labelled regions A and B and the
training recipes' paste areas. ``--fold nw`` calibrates on the first and compares on the
second (``sw`` the other way round). For each setting it quantizes the float model with
onnxruntime and compares, on the comparison tiles:

- anchors: of the anchors whose best class score is >= 0.15 in the float model, the share
  still >= 0.15 (``kept_anch``; ``kept_low_anch`` for those under 0.5), the median ratio of
  int8 to float score and the mean absolute difference of their logits;
- detections (decoded at score 0.15, rotated NMS 0.45): the share of the float model's boxes
  that an int8 box matches at rotated IoU >= 0.3 (``det_recall``; ``low_recall`` for boxes
  scoring under 0.5) and the share of int8 boxes matching a float box (``det_prec``).

``--speed`` instead times the given ONNX files' forward pass (the product's
:class:`OnnxDetector` sessions, with ``--model``'s card) on 8 comparison tiles, interleaved,
and prints the medians of wall and process CPU time and of the per-repeat ratios to the first
file.

Usage (needs onnx, in the ``train`` extra)::

    python tools/int8_settings.py --fold nw --work /tmp/int8 \
        '{"minmax": {}, "reduce_range": {"reduce_range": true}, "stem_float": {"exclude": "not:/model.0/"}}'
    python tools/int8_settings.py --speed 11 FLOAT.onnx INT8.onnx
    python tools/int8_settings.py --model dota-yolov8n-obb --model-gsd 0.15 --speed 7 FLOAT.onnx INT8.onnx
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from eval_dense import rotated_iou

from sitewatch.detect import DEFAULT_MODEL, ModelCard, OnnxDetector, card_path_for, decode_yolo_obb, load_card

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SITEWATCH_DATA", ROOT.parent / "shared" / "data")) / "overhead"
DEPOT = DATA / "scenes" / "AUAU040001_depot.tif"
NW, SW = (0, 0, 768, 1280), (0, 1324, 560, 2432)
CIV1 = [(DATA / "civilian/inria_austin_sample/aerial_sample.png", 0.3),
        (DATA / "civilian/simd_samples/simd_0061.jpg", 0.3),
        (DATA / "civilian/carpk_samples/carpk_456.png", 0.1)]
CIV2 = [(DATA / "civilian/simd_samples/simd_4111.jpg", 0.3),
        (DATA / "civilian/simd_samples/simd_0177.jpg", 0.3),
        (DATA / "civilian/carpk_samples/carpk_457.png", 0.1)]
DFL = ["/model.22/dfl/conv/Conv"]
SCORE, LOW = 0.15, 0.5


def tiles_of(path: Path, gsd: float, window: tuple[int, int, int, int] | None = None, *, size: int,
             model_gsd: float, stride: int | None = None) -> list[np.ndarray]:
    """Model-size RGB tiles of an image (or a window of it) resampled to the model's GSD, overlapping
    by half a tile unless ``stride`` is given."""
    stride = stride or size // 2
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise SystemExit(f"cannot read {path}")
    image = bgr[:, :, ::-1]
    if window:
        x0, y0, x1, y1 = window
        image = image[y0:y1, x0:x1]
    f = gsd / model_gsd
    image = cv2.resize(image, (max(size, round(image.shape[1] * f)), max(size, round(image.shape[0] * f))),
                       interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR)
    h, w = image.shape[:2]
    xs = sorted({*range(0, w - size + 1, stride), w - size})
    ys = sorted({*range(0, h - size + 1, stride), h - size})
    return [np.ascontiguousarray(image[y:y + size, x:x + size]) for y in ys for x in xs]


def tile_sets(fold: str, *, size: int, model_gsd: float) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(calibration tiles, comparison tiles) of a fold, ``size`` px at ``model_gsd``."""
    def of(civ: list[tuple[Path, float]], window: tuple[int, int, int, int]) -> list[np.ndarray]:
        return tiles_of(DEPOT, 0.25, window, size=size, model_gsd=model_gsd) + [
            t for p, g in civ for t in tiles_of(p, g, stride=size, size=size, model_gsd=model_gsd)]

    nw, sw = of(CIV1, NW), of(CIV2, SW)
    return (nw, sw) if fold == "nw" else (sw, nw)


class _Reader:
    def __init__(self, tiles: list[np.ndarray]) -> None:
        self._it = iter(tiles)

    def get_next(self) -> dict[str, np.ndarray] | None:
        tile = next(self._it, None)
        return None if tile is None else {"images": tile.transpose(2, 0, 1)[None].astype(np.float32) / 255}


def _excluded(pre: Path, exclude: str) -> list[str]:
    """Convolutions kept float: "dfl", "clslast" (and the last conv of each class branch), "cls"
    (the class branches), "head" (all of /model.22/), "only:P1,P2" (all but the named
    prefixes), "not:P1,P2" (the named prefixes, and the DFL conv)."""
    import onnx

    names = [n.name for n in onnx.load(str(pre)).graph.node if n.op_type == "Conv"]
    if exclude.startswith(("only:", "not:")):
        prefixes = tuple(exclude.split(":", 1)[1].split(","))
        keep = [n for n in names if n.startswith(prefixes) != exclude.startswith("only:")]
        return sorted(set(keep + DFL))
    return {"dfl": DFL,
            "clslast": DFL + [f"/model.22/cv3.{i}/cv3.{i}.2/Conv" for i in range(3)],
            "cls": DFL + [n for n in names if n.startswith("/model.22/cv3")],
            "head": [n for n in names if n.startswith("/model.22/")]}[exclude]


def make(src: Path, out: Path, calib: list[np.ndarray], *, method: str = "minmax", pct: float = 99.999,
         exclude: str = "dfl", per_channel: bool = True, reduce_range: bool = False, act: str = "u8") -> None:
    """One quantized variant (QDQ, Conv only, int8 weights)."""
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    pre = out.parent / f"{src.stem}-pre.onnx"  # one per float model
    if not pre.exists():
        quant_pre_process(str(src), str(pre), skip_symbolic_shape=True)
    extra: dict[str, Any] = {}
    cm = {"minmax": CalibrationMethod.MinMax, "percentile": CalibrationMethod.Percentile,
          "entropy": CalibrationMethod.Entropy}[method]
    if method == "percentile":
        extra["CalibPercentile"] = pct
    quantize_static(str(pre), str(out), _Reader(calib), quant_format=QuantFormat.QDQ, per_channel=per_channel,
                    reduce_range=reduce_range,
                    activation_type=QuantType.QUInt8 if act == "u8" else QuantType.QInt8,
                    weight_type=QuantType.QInt8, op_types_to_quantize=["Conv"],
                    nodes_to_exclude=_excluded(pre, exclude), calibrate_method=cm, extra_options=extra)


def _run(path: Path, tiles: list[np.ndarray]) -> np.ndarray:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
    outs = []
    for i in range(0, len(tiles), 4):
        batch = np.stack(tiles[i:i + 4]).transpose(0, 3, 1, 2).astype(np.float32) / 255
        outs.append(session.run(None, {"images": batch})[0])
    return np.concatenate(outs)


def compare(ref: np.ndarray, raw: np.ndarray, classes: list[int]) -> dict[str, float]:
    """Agreement of an int8 output with the float output (see the module docs), on the scores of
    the output ``classes`` the card keeps."""
    rows = [4 + c for c in classes]
    fs, qs = ref[:, rows].max(1), raw[:, rows].max(1)
    m = fs >= SCORE

    def logit(p: np.ndarray) -> np.ndarray:
        p = np.clip(p, 1e-6, 1 - 1e-6)
        return np.log(p / (1 - p))

    res: dict[str, float] = {
        "anch_f": int(m.sum()), "anch_q": int((qs >= SCORE).sum()),
        "kept_anch": float((qs[m] >= SCORE).mean()),
        "kept_low_anch": float((qs[m & (fs < LOW)] >= SCORE).mean()),
        "med_ratio": float(np.median(qs[m] / fs[m])),
        "logit_mae": float(np.abs(logit(qs[m]) - logit(fs[m])).mean()),
    }
    decode = lambda r: decode_yolo_obb(r, class_indices=classes, score_threshold=SCORE, iou_threshold=0.45)  # noqa: E731
    nf = nq = tp = lowf = lowtp = 0
    for (fb, fsc, _), (qb, _, _) in zip(decode(ref), decode(raw), strict=True):
        nf, nq, lowf = nf + len(fb), nq + len(qb), lowf + int((fsc < LOW).sum())
        if not len(fb) or not len(qb):
            continue
        iou, used = rotated_iou(fb, qb), set()
        for i in np.argsort(-fsc):
            j = [j for j in np.argsort(-iou[i]) if iou[i, j] >= 0.3 and j not in used][:1]
            if j:
                used.add(j[0])
                tp += 1
                lowtp += int(fsc[i] < LOW)
    res.update(det_f=nf, det_q=nq, det_recall=tp / max(nf, 1), det_prec=tp / max(nq, 1),
               low_recall=lowtp / max(lowf, 1))
    return res


def speed(repeats: int, paths: list[Path], tiles: list[np.ndarray], card: ModelCard) -> dict[str, Any]:
    """Interleaved forward-pass times of each file through the product's ONNX backend (``card``'s
    settings, its file replaced)."""
    dets = {f"{p.parent.name}/{p.name}": OnnxDetector(dataclasses.replace(card, onnx_path=p)) for p in paths}
    batch = {n: d.network_input(tiles) for n, d in dets.items()}
    for n, d in dets.items():  # warm up
        d.run_network(batch[n])
    wall: dict[str, list[float]] = {n: [] for n in dets}
    cpu: dict[str, list[float]] = {n: [] for n in dets}
    for r in range(repeats):
        for n in (list(dets) if r % 2 == 0 else list(reversed(dets))):
            t, c = time.perf_counter(), time.process_time()
            dets[n].run_network(batch[n])
            wall[n].append(time.perf_counter() - t)
            cpu[n].append(time.process_time() - c)
    first = next(iter(dets))

    def paired(times: dict[str, list[float]], n: str) -> float:
        return statistics.median(a / b for a, b in zip(times[first], times[n], strict=True))

    return {n: {"median_wall_s": statistics.median(wall[n]), "median_cpu_s": statistics.median(cpu[n]),
                "wall_speedup_median_of_pairs": paired(wall, n),
                "cpu_speedup_median_of_pairs": paired(cpu, n),
                "wall_s": [round(x, 3) for x in wall[n]], "cpu_s": [round(x, 3) for x in cpu[n]]}
            for n in dets} | {"tiles": len(tiles), "sessions": dets[first].sessions}


def main() -> int:
    """Compare settings, or time files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=DEFAULT_MODEL,
                        help=f"the float model's name (default {DEFAULT_MODEL})")
    parser.add_argument("--model-gsd", type=float, help="tiles at this GSD in metres (default: the card's)")
    parser.add_argument("--fold", choices=("nw", "sw"), default="nw")
    parser.add_argument("--work", type=Path, default=Path("/tmp/int8-settings"))
    parser.add_argument("--speed", type=int, metavar="REPEATS", help="time the ONNX files given instead")
    parser.add_argument("items", nargs="+",
                        help="a JSON object {name: settings} or, with --speed, ONNX files")
    args = parser.parse_args()
    if not DEPOT.is_file():
        print(f"cannot find {DEPOT} (../shared/data or $SITEWATCH_DATA)", file=sys.stderr)
        return 2
    card = load_card(card_path_for(args.model))
    calib, probe = tile_sets(args.fold, size=card.input_px, model_gsd=args.model_gsd or card.gsd_m)
    if args.speed:
        print(json.dumps(speed(args.speed, [Path(p) for p in args.items], probe[:8], card), indent=1))
        return 0
    float_onnx, classes = card.onnx_path, [i for i, _ in card.class_indices()]
    print(f"calibration {len(calib)} tiles, comparison {len(probe)} tiles", flush=True)
    ref = _run(float_onnx, probe)
    args.work.mkdir(parents=True, exist_ok=True)
    for name, settings in json.loads(args.items[0]).items():
        out = args.work / f"{args.model}-{args.fold}-{name}.onnx"
        if not out.exists():
            make(float_onnx, out, calib, **settings)
        result = compare(ref, _run(out, probe), classes)
        rounded = {k: round(v, 3) if isinstance(v, float) else v for k, v in result.items()}
        print(name, json.dumps(settings), json.dumps(rounded), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
