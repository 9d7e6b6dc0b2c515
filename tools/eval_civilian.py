"""Civilian retention: the default model and the base checkpoint side by side on civilian ground.

Labelled sets (every car labelled, no military vehicle in view), resampled from their native
GSD to each ``--gsd`` with area averaging (labels scaled with them):

- ``cats_drone``: 175 drone tiles of a Madison street, 829 cars, about 0.05 m;
- ``jekhor``: 68 drone frames of Minsk (about 0.06 m) and Harlem (about 0.10 m), cars,
  trucks, buses and minibuses (cyclists left out).

Unlabelled civilian scenes, at their own GSD: Austin suburb, rural Tanzania, Joplin before and
after the tornado, drone car parks, Texas suburbs, Google Earth depots and car parks, the Atlanta
WorldView GeoTIFF and the OSBS forest GeoTIFF (no vehicle at all).

For each model: civilian-car recall and precision (class-agnostic, IoU >= 0.3 on axis-aligned
boxes, at the model's card score), the share of detections labelled military and of found cars
labelled military, and detections per km² on the unlabelled scenes (all, military, certainly
false) — see :mod:`sitewatch.detect.civilian`.

Usage::

    python tools/eval_civilian.py --out docs/model-records/civilian-retention.json \
        --model sitewatch-vehicles-yolov8n-obb --model dota-yolov8n-obb@0.1

With ``--heldout`` only what the civilian training recipe
(``docs/model-records/civilian-candidate.recipe.toml``) never trained on is measured:
``cats_drone``, the Harlem frames of ``jekhor`` (its Minsk frames are trained on), and the right
half of each unlabelled civilian scene (the left halves are distilled from the base model); the
two GeoTIFFs are left out (both recipes train on them as hard negatives).

A model is a registry name, card or ``.onnx`` path, optionally ``@GSD`` to run it at that
model GSD instead of its card's. ``ensemble`` is :func:`sitewatch.detect.ensemble.load_ensemble`
with its defaults; ``ensemble:KEY=VALUE,...`` sets its options.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import cv2
import numpy as np

from sitewatch.detect import DetectOptions, Detector, VehicleClass, bounds, detect_raster, load_detector
from sitewatch.errors import ConfigError
from sitewatch.shared_data import shared_data_path
from sitewatch.train import (
    ImageBoxes,
    LabelledImage,
    SceneDetections,
    civilian_scores,
    false_alarm_rates,
    read_labels,
    read_yolo,
)

CIVILIAN = VehicleClass.CIVILIAN_VEHICLE
LABEL_MAP = {"car": CIVILIAN, "truck": CIVILIAN, "bus": CIVILIAN, "minibus": CIVILIAN}


#: How detections are scored: the docstring's paragraph that says so, written into every record.
_SCORING = next(p for p in __doc__.split("\n\n") if p.startswith("For each model:")).replace("\n", " ")


def overhead_data(tool: str) -> Path:
    """``overhead/`` of the shared data folder, which must hold the civilian ``cats_drone`` set;
    ends ``tool`` with status 2 and one line when it is absent (the default of ``--data`` here
    and in the tools that import this one)."""
    try:
        return shared_data_path("overhead/cats_drone", what="the civilian data").parent
    except ConfigError as error:
        print(f"{tool}: {error}", file=sys.stderr)
        raise SystemExit(2) from None


@dataclass(frozen=True, slots=True, kw_only=True)
class Scene:
    """One unlabelled civilian scene: its file, GSD (None: from its georeference), kind."""

    path: Path
    gsd_m: float | None
    group: str
    vehicle_free: bool = False



def _read(path: Path, flags: int = cv2.IMREAD_COLOR) -> np.ndarray:
    """The image's pixels; an unreadable file stops the measurement with its name."""
    image = cv2.imread(str(path), flags)
    if image is None:
        raise SystemExit(f"cannot read '{path}': not an image, or damaged")
    return np.asarray(image)

def native_gsd(set_name: str, stem: str) -> float:
    """Native GSD of a labelled image, from the data README's figures."""
    if set_name == "cats_drone":
        return 0.05
    return 0.10 if stem.startswith("harlem") else 0.06


def labelled_sets(data: Path, *, heldout: bool = False) -> dict[str, tuple[LabelledImage, ...]]:
    """The two labelled civilian sets (with ``heldout``, only jekhor's Harlem frames)."""
    cats = read_labels(data / "cats_drone" / "labels", "voc",
                       image_dir=data / "cats_drone" / "images", label_map=LABEL_MAP)
    folder = data / "civilian" / "jekhor_drone_nadir"
    names = [n.strip() for n in (folder / "classes.txt").read_text().splitlines() if n.strip()]
    jekhor = []
    for txt in sorted(folder.glob("*.txt")):
        image = txt.with_suffix(".jpg")
        if not image.is_file():  # classes.txt, SOURCE.txt
            continue
        if heldout and not txt.stem.startswith("harlem"):  # Minsk frames: trained on
            continue
        h, w = _read(image).shape[:2]
        boxes = read_yolo(txt, class_names=names, width_px=w, height_px=h,
                          label_map=LABEL_MAP, skip_unmapped=True)
        jekhor.append(LabelledImage(stem=txt.stem, label_path=txt, image_path=image,
                                    width_px=w, height_px=h, boxes=boxes))
    return {"cats_drone": cats, "jekhor_harlem" if heldout else "jekhor": tuple(jekhor)}


def scenes(data: Path) -> list[Scene]:
    """The unlabelled civilian scenes, with their GSDs (SOURCE.txt of each folder)."""
    civ = data / "civilian"
    out = [Scene(path=civ / "inria_austin_sample" / "aerial_sample.png", gsd_m=0.3,
                 group="suburb"),
           Scene(path=civ / "tanzania_drone_sample" / "tanzania_sample.png", gsd_m=0.12,
                 group="village")]
    out += [Scene(path=p, gsd_m=0.6, group="suburb")
            for p in sorted((civ / "xview2_joplin").glob("*.png"))]
    out += [Scene(path=p, gsd_m=0.6, group="tornado_debris")
            for p in sorted((civ / "xview2_joplin" / "post_tornado").glob("*.png"))]
    out += [Scene(path=p, gsd_m=0.1, group="car_park")
            for p in sorted((civ / "carpk_samples").glob("*.png"))]
    out += [Scene(path=p, gsd_m=0.5, group="suburb")
            for p in sorted((civ / "levir_cd_samples").glob("*.png"))]
    out += [Scene(path=p, gsd_m=0.3, group="car_park")
            for p in sorted((civ / "simd_samples").glob("*.jpg"))]
    out += [Scene(path=data / "geotiff" / "sample_geotiff.tif", gsd_m=None, group="city"),
            Scene(path=data / "geotiff" / "OSBS_029.tif", gsd_m=None, group="forest",
                  vehicle_free=True)]
    return out


def right_half(scene: Scene, cache: Path) -> Scene:
    """The scene's right half (columns from width // 2), written once under ``cache``: the
    part of each unlabelled scene the civilian recipe leaves unseen (it distils the left)."""
    out = cache / "right_halves" / scene.path.parent.name / f"{scene.path.stem}.png"
    if not out.is_file():
        out.parent.mkdir(parents=True, exist_ok=True)
        image = _read(scene.path)
        cv2.imwrite(str(out), image[:, image.shape[1] // 2:])
    return Scene(path=out, gsd_m=scene.gsd_m, group=scene.group, vehicle_free=scene.vehicle_free)


def heldout_scenes(data: Path, cache: Path) -> list[Scene]:
    """The right halves of the unlabelled civilian scenes (the GeoTIFFs are training negatives)."""
    return [right_half(s, cache) for s in scenes(data) if s.gsd_m is not None]


def resampled(item: LabelledImage, set_name: str, gsd_m: float,
              cache: Path) -> tuple[Path, np.ndarray] | None:
    """The image at ``gsd_m`` (written once under ``cache``) and its scaled boxes; None when
    ``gsd_m`` is finer than the image."""
    assert item.image_path is not None
    native = native_gsd(set_name, item.stem)
    if gsd_m < native - 1e-9:
        return None
    factor = native / gsd_m
    truth = np.array([b.bounds_px for b in item.boxes], np.float64).reshape(-1, 4) * factor
    out = cache / set_name / f"{gsd_m:g}" / f"{item.stem}.png"
    if not out.is_file():
        out.parent.mkdir(parents=True, exist_ok=True)
        image = _read(item.image_path)
        size = (max(1, round(image.shape[1] * factor)), max(1, round(image.shape[0] * factor)))
        cv2.imwrite(str(out), cv2.resize(image, size, interpolation=cv2.INTER_AREA))
    return out, truth


def build(spec: str) -> tuple[Detector, DetectOptions, float]:
    """A detector, the options to run it with and the score to read it at, from a spec."""
    if spec.startswith("ensemble"):
        from sitewatch.detect import load_ensemble

        kwargs: dict[str, Any] = {}
        if ":" in spec:
            for pair in spec.split(":", 1)[1].split(","):
                key, value = pair.split("=")
                kwargs[key] = float(value)
        ensemble = load_ensemble(**kwargs)
        return ensemble, DetectOptions(), ensemble.score_threshold
    name, _, gsd = spec.partition("@")
    detector = load_detector(name)
    return detector, DetectOptions(model_gsd_m=float(gsd) if gsd else None), \
        detector.card.score_threshold


def arrays(found: Any) -> tuple[np.ndarray, np.ndarray, tuple[VehicleClass, ...]]:
    """Enclosing boxes, scores and labels of a raster's detections."""
    boxes = np.array([[d.box.cx_px, d.box.cy_px, d.box.width_px, d.box.height_px,
                       d.box.angle_rad] for d in found.detections]).reshape(-1, 5)
    return (bounds(boxes), np.array([d.score for d in found.detections]),
            tuple(d.label for d in found.detections))


def run_labelled(detector: Detector, options: DetectOptions, score: float,
                 sets: dict[str, tuple[LabelledImage, ...]], gsds: list[float],
                 cache: Path, limit: int | None) -> dict[str, Any]:
    """Scores on each labelled set at each GSD, and pooled over the sets."""
    out: dict[str, Any] = {}
    for gsd in gsds:
        pooled: list[ImageBoxes] = []
        for set_name, items in sets.items():
            chosen = items[:: max(1, len(items) // limit)] if limit else items
            images = []
            for item in chosen:
                found = resampled(item, set_name, gsd, cache)
                if found is None:
                    continue
                path, truth = found
                pb, ps, pl = arrays(detect_raster(path, detector, gsd_m=gsd, options=options))
                images.append(ImageBoxes(name=item.stem, pred_bounds=pb, pred_scores=ps,
                                         pred_labels=pl, truth_bounds=truth,
                                         truth_labels=(CIVILIAN,) * len(truth)))
            out.setdefault(set_name, {})[f"{gsd:g}"] = civilian_scores(
                images, score_threshold=score)
            pooled += images
        out.setdefault("pooled", {})[f"{gsd:g}"] = civilian_scores(pooled, score_threshold=score)
    return out


def run_scenes(detector: Detector, options: DetectOptions, score: float,
               items: list[Scene]) -> dict[str, Any]:
    """Detections per km² on the unlabelled scenes, per group and in all."""
    found: list[tuple[Scene, SceneDetections]] = []
    for scene in items:
        result = detect_raster(scene.path, detector, gsd_m=scene.gsd_m, options=options)
        h, w = _read(scene.path, cv2.IMREAD_UNCHANGED).shape[:2]
        labels = tuple(d.label for d in result.detections if d.score >= score)
        found.append((scene, SceneDetections(
            name=scene.path.name, area_km2=w * h * result.gsd_m**2 / 1e6, labels=labels,
            vehicle_free=scene.vehicle_free)))
    groups = sorted({s.group for s, _ in found})
    out = {g: false_alarm_rates([d for s, d in found if s.group == g]) for g in groups}
    out["all"] = false_alarm_rates([d for _, d in found])
    out["all_but_car_parks"] = false_alarm_rates(
        [d for s, d in found if s.group != "car_park"])
    return out


def run_military(detector: Detector, options: DetectOptions, score: float,
                 data: Path) -> dict[str, Any]:
    """Military ground: the 8 MVRSD tiles at 0.12 m against their audited labels.

    The default model was trained on these tiles, so this says whether a combination keeps
    what the model does there, not what it does on a new site.
    """
    from sitewatch.train import evaluate_folder

    report = evaluate_folder(data / "mvrsd" / "labels", detector, images_dir=data / "mvrsd" /
                             "images", gsd_m=0.12, options=options, score_threshold=score,
                             supplement_dir=Path(__file__).resolve().parents[1] / "docs" /
                             "mvrsd-audit")
    agn = report["class_agnostic"]
    return {"precision": agn["precision"], "recall": agn["recall"], "tp": agn["tp"],
            "fp": agn["fp"], "fn": agn["fn"],
            "recall_by_truth_label": report["recall_by_truth_label"],
            "class_aware": {k: [v["tp"], v["fp"], v["fn"]]
                            for k, v in report["per_label"].items()}}


def table(results: dict[str, Any]) -> str:
    """A Markdown table of the pooled figures of every model."""
    lines = ["| model | GSD m | set | recall | precision | military share | found as military |",
             "|---|---|---|---|---|---|---|"]
    for model, r in results.items():
        for set_name, by_gsd in r["labelled"].items():
            for gsd, s in by_gsd.items():
                lines.append(f"| {model} | {gsd} | {set_name} ({s['truths']}) | {s['recall']} | "
                             f"{s['precision']} | {s['military_share']} | "
                             f"{s['found_as_military_share']} |")
    lines += ["", "| model | MVRSD 8 tiles P | R | armoured found | civilian found |",
              "|---|---|---|---|---|"]
    for model, r in results.items():
        if r.get("military"):
            m, by = r["military"], r["military"]["recall_by_truth_label"]
            lines.append(f"| {model} | {m['precision']:.3f} | {m['recall']:.3f} | "
                         f"{by.get('armored_vehicle')} | {by.get('civilian_vehicle')} |")
    lines += ["", "| model | scenes | km² | detections/km² | military/km² | certainly false/km² |",
              "|---|---|---|---|---|---|"]
    for model, r in results.items():
        for group, s in r["scenes"].items():
            lines.append(f"| {model} | {group} | {s['area_km2']} | {s['per_km2']} | "
                         f"{s['military_per_km2']} | {s['certainly_false_per_km2']} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run every model on every set, write the JSON and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append",
                        help="registry name, card or .onnx, optionally @MODEL_GSD; repeat "
                        "(default: the default model and the base checkpoint)")
    parser.add_argument("--gsd", type=float, action="append",
                        help="GSD in metres to resample the labelled sets to (0.12, 0.25, 0.5)")
    parser.add_argument("--data", type=Path, default=None,
                        help="the shared overhead folder (default: overhead/ of $SITEWATCH_DATA, "
                        "else of ../shared/data)")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/sitewatch-civilian"),
                        help="where resampled images are written once")
    parser.add_argument("--limit", type=int, help="about this many images per set (quick runs)")
    parser.add_argument("--no-scenes", action="store_true", help="skip the unlabelled scenes")
    parser.add_argument("--military", action="store_true",
                        help="also score the 8 MVRSD tiles (0.12 m, audited labels)")
    parser.add_argument("--no-labelled", action="store_true", help="skip the labelled sets")
    parser.add_argument("--heldout", action="store_true",
                        help="only what the civilian recipe never trained on: cats_drone, the "
                        "Harlem frames, the right half of each unlabelled scene")
    parser.add_argument("--out", type=Path, required=True, help="JSON results")
    args = parser.parse_args(argv)
    args.data = args.data or overhead_data("eval_civilian")
    if not (args.data / "cats_drone").is_dir():
        print(f"no civilian data at {args.data}: pass --data", file=sys.stderr)
        return 2
    models = args.model or ["sitewatch-vehicles-yolov8n-obb", "dota-yolov8n-obb"]
    gsds = args.gsd or [0.12, 0.25, 0.5]
    sets = labelled_sets(args.data, heldout=args.heldout)
    unlabelled = heldout_scenes(args.data, args.cache) if args.heldout else scenes(args.data)
    results: dict[str, Any] = {}
    for spec in models:
        started = time.perf_counter()
        detector, options, score = build(spec)
        results[spec] = {
            "name": detector.name, "sha256": detector.sha256, "score_threshold": score,
            "labelled": {} if args.no_labelled else run_labelled(
                detector, options, score, sets, gsds, args.cache, args.limit),
            "military": run_military(detector, options, score, args.data)
            if args.military else {},
            "scenes": {} if args.no_scenes else run_scenes(detector, options, score, unlabelled),
        }
        results[spec]["seconds"] = round(time.perf_counter() - started, 1)
        print(f"{spec}: {results[spec]['seconds']} s", file=sys.stderr)
        out = {"command": "python tools/eval_civilian.py "
                          + " ".join(sys.argv[1:] if argv is None else argv),
               "how": _SCORING,
               "results": results}
        args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")  # each model
    print(table(results))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
