"""``sitewatch bench``: throughput and recall of sitewatch against SAHI + Ultralytics.

Both pipelines run end to end, file to merged detections, on the same scene file with the
same weights, tile size, overlap and score threshold, on the same CPU threads. Models are
loaded and warmed up before the clock starts; runs alternate (sitewatch, baseline, sitewatch,
...) so that load from other processes hits both alike, and the median is reported.

The scene is first resampled to the working GSD (by default the scene's own, i.e. no
resampling) and mirror-tiled to the requested size, then written as a tiled GeoTIFF; both
pipelines run on that file without further resampling.

The network alone (``*_network_*``), in the same run and on the same threads, alternating
with the pipelines: each sitewatch model's forward pass on as many tiles, in the same batches,
as its pipeline ran on the scene, with the batches prepared before the clock starts (no
reading, resampling, decoding or merging). It is the limit the pipeline can reach;
``*_share_of_network`` is the pipeline's throughput over it.

Recall is measured two ways, in the same run:

- ``*_recall``: on the scene, which has no labels: against the *consensus* set, the union of
  both runs' detections scoring >= 0.5, merged where they overlap (IoU >= 0.3). Each run's
  recall is the share of that set it finds at the benchmark's score threshold. It shows
  whether one pipeline misses what the other finds; it says nothing about vehicles both miss.
- ``*_labelled_*``: class-agnostic precision, recall and AP (IoU >= 0.3) on labelled tiles
  (the 8 MVRSD tiles, given at ``labelled_gsd_m``), each resampled to the working GSD and
  padded to a full tile, when a label folder is given. AP here only sees detections above
  the benchmark's score threshold (``sitewatch eval`` keeps scores down to 0.01).
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import rasterio
from rasterio.errors import NotGeoreferencedWarning

from sitewatch.detect import (
    BASE_MODEL,
    PAD_VALUE,
    SOURCES,
    DetectOptions,
    Detector,
    TileBackend,
    TorchDetector,
    VehicleClass,
    available_cores,
    bounds,
    default_cache,
    detect_raster,
    load_detector,
    plan_tiles,
    torch_weights_path,
)
from sitewatch.digest import sha256_file
from sitewatch.errors import ConfigError, ModelError
from sitewatch.imagery import RasterReader, Tile
from sitewatch.train.evaluation import scored_against, trained_on_stems
from sitewatch.train.labels import read_labels
from sitewatch.train.scoring import evaluate, greedy_match, iou_matrix

#: Score a detection needs to enter the consensus reference set.
CONSENSUS_SCORE = 0.5

Boxes = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True, slots=True, kw_only=True)
class BenchConfig:
    """Settings shared by both pipelines.

    Attributes:
        gsd_m: Ground sample distance assumed for the scene (it has no georeference).
        work_gsd_m: Resample the scene to this GSD first (None: keep ``gsd_m``).
        side_px: Mirror-tile the (resampled) scene up to at least this many pixels a side.
        tile_px: Tile (slice) size, the model input.
        overlap_m: Tile overlap on the ground.
        score_threshold: Confidence threshold of both pipelines.
        batch_size: Tiles per forward pass, both pipelines.
        threads: CPU threads for onnxruntime and torch (0: all this process may use).
        repeats: Timed runs of each pipeline (alternating); the median is reported.
        labelled_gsd_m: GSD of the labelled tiles.
        device: Where the baseline runs (``cpu`` or a CUDA device); the sitewatch detectors
            are built for the same device by the caller.
    """

    gsd_m: float = 0.3
    work_gsd_m: float | None = None
    side_px: int = 4800
    tile_px: int = 1024
    overlap_m: float = 20.0
    score_threshold: float = 0.25
    batch_size: int = 4
    threads: int = 0
    repeats: int = 2
    labelled_gsd_m: float = 0.3
    device: str = "cpu"

    @property
    def work_gsd(self) -> float:
        """The GSD both pipelines run at."""
        return self.work_gsd_m or self.gsd_m

    @property
    def overlap_px(self) -> int:
        """Overlap in working pixels."""
        return math.ceil(self.overlap_m / self.work_gsd)


def _resize(rgb: np.ndarray, factor: float) -> np.ndarray:
    if factor == 1.0:
        return rgb
    size = (round(rgb.shape[1] * factor), round(rgb.shape[0] * factor))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_LINEAR if factor > 1 else cv2.INTER_AREA)


def mirrored_scene(source: Path, out: Path, *, factor: float, side_px: int) -> tuple[int, int]:
    """Write ``source``, resized by ``factor`` and mirror-tiled to ``side_px``, as a GeoTIFF.

    Mirroring keeps the scene's real texture continuous across the copies' edges.
    """
    with RasterReader(source) as reader:
        info = reader.info
        rgb = reader.read_rgb(
            Tile(x0_px=0, y0_px=0, width_px=info.width_px, height_px=info.height_px)
        )
    rgb = _resize(rgb, factor)
    reps_y, reps_x = math.ceil(side_px / rgb.shape[0]), math.ceil(side_px / rgb.shape[1])
    rows = []
    for ry in range(reps_y):
        block = rgb if ry % 2 == 0 else rgb[::-1]
        rows.append(
            np.concatenate(
                [block if rx % 2 == 0 else block[:, ::-1] for rx in range(reps_x)], axis=1
            )
        )
    scene = np.concatenate(rows, axis=0)
    profile = {
        "driver": "GTiff", "width": scene.shape[1], "height": scene.shape[0], "count": 3,
        "dtype": "uint8", "tiled": True, "blockxsize": 512, "blockysize": 512,
        "compress": "deflate", "photometric": "RGB",
    }  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(out, "w", **profile) as dst:
            dst.write(np.moveaxis(scene, -1, 0))
    return scene.shape[1], scene.shape[0]


def consensus_set(runs: Sequence[Boxes], *, iou_min: float = 0.3) -> np.ndarray:
    """Union of the runs' detections scoring >= 0.5, overlapping ones (IoU >= iou_min) merged."""
    ref = np.concatenate([b[s >= CONSENSUS_SCORE] for b, s in runs]).reshape(-1, 4)
    ref_scores = np.concatenate([s[s >= CONSENSUS_SCORE] for _, s in runs])
    kept: list[int] = []
    for i in np.argsort(-ref_scores, kind="stable").tolist():
        if not kept or iou_matrix(ref[i : i + 1], ref[kept]).max() < iou_min:
            kept.append(i)
    return ref[kept]


def recall_against(
    reference: np.ndarray, run: Boxes, *, score_threshold: float, iou_min: float = 0.3
) -> float | None:
    """Share of ``reference`` boxes the run finds at ``score_threshold`` (None if empty)."""
    if not len(reference):
        return None
    boxes, scores = run
    above = scores >= score_threshold
    # Reference boxes play "predictions" of equal score, matched to the run's boxes.
    matched = greedy_match(reference, np.ones(len(reference)), boxes[above], iou_min)
    return round(float((matched >= 0).mean()), 4)


def _sitewatch_boxes(path: Path, detector: Detector, config: BenchConfig, gsd_m: float) -> Boxes:
    options = DetectOptions(
        overlap_m=config.overlap_m, batch_size=config.batch_size, model_gsd_m=config.work_gsd
    )
    return _boxes_of(detect_raster(path, detector, gsd_m=gsd_m, options=options))


def _padded_predict(
    predict: Callable[[np.ndarray], Boxes], config: BenchConfig
) -> Callable[[Path], Boxes]:
    """Baseline on a labelled tile: resample to the working GSD, pad to a full tile."""
    factor = config.labelled_gsd_m / config.work_gsd

    def run(path: Path) -> Boxes:
        with RasterReader(path) as reader:
            info = reader.info
            rgb = reader.read_rgb(
                Tile(x0_px=0, y0_px=0, width_px=info.width_px, height_px=info.height_px)
            )
        rgb = _resize(rgb, factor)
        h, w = max(rgb.shape[0], config.tile_px), max(rgb.shape[1], config.tile_px)
        canvas = np.full((h, w, 3), PAD_VALUE, dtype=np.uint8)
        canvas[: rgb.shape[0], : rgb.shape[1]] = rgb
        boxes, scores = predict(canvas)
        return boxes / factor, scores

    return run


def _labelled(
    mvrsd: Path, predict: Callable[[Path], Boxes], name: str, supplement: Path | None
) -> dict[str, Any]:
    images = []
    labelled = read_labels(mvrsd / "labels", "voc", image_dir=mvrsd / "images",
                           supplement_dir=supplement)
    for item in labelled:
        if item.image_path is None:
            raise ConfigError(f"no image for {str(item.label_path)!r}")
        boxes, scores = predict(item.image_path)
        images.append(scored_against(item, name=item.stem, pred_bounds=boxes, pred_scores=scores,
                                     pred_labels=(VehicleClass.VEHICLE,) * len(scores)))
    agn = evaluate(images)["class_agnostic"]
    out = {f"{name}_labelled_{k}": agn[k] for k in ("precision", "recall", "ap")}
    return {**out, "labelled_truths": agn["truths"], "labelled_images": len(images)}


def _environment(threads: int, detector: Detector) -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions: dict[str, str | None] = {}
    for module in ("onnxruntime", "numpy", "cv2", "torch", "ultralytics", "sahi"):
        try:
            versions[module] = str(__import__(module).__version__)
        except ImportError:
            versions[module] = None
    return {
        "device": detector.device_name() if isinstance(detector, TorchDetector) else f"CPU: {cpu}",
        "cores": threads,
        "cores_visible": available_cores(),
        "load_average_1min_at_start": round(os.getloadavg()[0], 2),
        "versions": versions,
    }


def _timed(
    pipelines: dict[str, Callable[[], Boxes]], repeats: int,
    progress: Callable[[int, int, str], None] | None = None,
) -> tuple[dict[str, Boxes], dict[str, list[float]]]:
    """Run the pipelines alternately ``repeats`` times; last result and all timings.
    ``progress`` hears ``(done, total, name)`` after each timed run."""
    results: dict[str, Boxes] = {}
    times: dict[str, list[float]] = {name: [] for name in pipelines}
    done, total = 0, repeats * len(pipelines)
    for _ in range(repeats):
        for name, run in pipelines.items():
            started = time.perf_counter()
            results[name] = run()
            times[name].append(time.perf_counter() - started)
            done += 1
            if progress is not None:
                progress(done, total, name)
    return results, times


_NO_BOXES: Boxes = (np.empty((0, 5)), np.empty(0))


def _network_alone(path: Path, detector: Detector, config: BenchConfig) -> Callable[[], Boxes] | None:
    """The forward pass on as many tiles, in the same batches, as :func:`_sitewatch_boxes` runs
    on ``path``; batches (real tiles of the scene) prepared here, outside the clock. None for a
    detector that is not a :class:`TileBackend`."""
    if not isinstance(detector, TileBackend):
        return None
    options = DetectOptions(
        overlap_m=config.overlap_m, batch_size=config.batch_size, model_gsd_m=config.work_gsd
    )
    plan = plan_tiles(path, detector, gsd_m=config.work_gsd, options=options)
    count, size = len(plan.tiles), config.batch_size
    with RasterReader(path) as reader:
        sample = [reader.read_rgb(tile) for tile in plan.tiles[: min(size, count)]]
    full = detector.network_input(sample) if count >= size else None
    rest = detector.network_input(sample[: count % size]) if count % size else None

    def run() -> Boxes:
        for _ in range(count // size):
            detector.run_network(full)
        if rest is not None:
            detector.run_network(rest)
        return _NO_BOXES

    run()  # warm up, as the pipelines are
    return run


def _labels(detectors: Sequence[Detector]) -> list[str]:
    """Report keys: ``sitewatch`` for the first detector, ``sitewatch_<name>`` for others."""
    out = ["sitewatch"]
    for d in detectors[1:]:
        out.append("sitewatch_" + "".join(c if c.isalnum() else "_" for c in d.name))
    if len(set(out)) != len(out):
        raise ConfigError(f"bench detectors need distinct names, got {[d.name for d in detectors]}")
    return out


def _check_weights(weights: Path, detectors: Sequence[Detector]) -> None:
    actual = sha256_file(weights)
    for detector in detectors:
        card = detector.card if isinstance(detector, TileBackend) else None
        expected = card.source_sha256 if card is not None else None
        if actual != expected:
            raise ModelError(
                f"{str(weights)!r} is not the weights the model {detector.name!r} was exported "
                f"from (sha256 {expected}); run `sitewatch models fetch`",
                path=str(weights),
            )


def run_benchmark(
    scene: Path,
    detectors: Sequence[Detector],
    *,
    weights: Path | None,
    config: BenchConfig,
    mvrsd: Path | None = None,
    labels_supplement: Path | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> dict[str, Any]:
    """Time sitewatch and (when ``weights`` is given) the SAHI baseline on one scene.

    ``progress`` hears ``(done, total, pipeline)`` after each timed run.

    Args:
        scene: The source scene.
        detectors: sitewatch detectors (built with ``config`` threads and threshold); the
            first is reported as ``sitewatch_*``, others as ``sitewatch_<name>_*``. The
            consensus set comes from the first and the baseline.
        weights: Ultralytics ``.pt`` of the same model for the baseline, or None to skip it.
        config: Shared settings.
        mvrsd: Folder with ``images/`` and ``labels/`` (VOC) for the labelled comparison.
        labels_supplement: VOC files completing those labels (an audit; difficult objects are
            ignored).

    Raises:
        ConfigError: Bad settings, or the baseline is asked for but torch/Ultralytics/SAHI
            are missing.
        ModelError: ``weights`` are not the ones the detectors' ONNX was made from.
    """
    if config.work_gsd <= 0 or config.side_px < config.tile_px or config.repeats < 1:
        raise ConfigError(f"bench needs GSDs > 0, side_px >= tile_px, repeats >= 1: {config}")
    if not detectors:
        raise ConfigError("bench needs at least one detector")
    labels = _labels(detectors)
    if weights is not None:
        _check_weights(weights, detectors)
    threads = config.threads or available_cores()
    report: dict[str, Any] = {**_environment(threads, detectors[0]), "method": __doc__}
    with tempfile.TemporaryDirectory(prefix="sitewatch-bench-") as tmp:
        big, warm = Path(tmp) / "scene.tif", Path(tmp) / "warm.tif"
        factor = config.gsd_m / config.work_gsd
        width, height = mirrored_scene(scene, big, factor=factor, side_px=config.side_px)
        mirrored_scene(scene, warm, factor=factor, side_px=config.tile_px)
        pipelines: dict[str, Callable[[], Boxes]] = {}
        for label, detector in zip(labels, detectors, strict=True):
            _sitewatch_boxes(warm, detector, config, config.work_gsd)
            pipelines[label] = partial(_sitewatch_boxes, big, detector, config, config.work_gsd)
            network = _network_alone(big, detector, config)
            if network is not None:
                pipelines[f"{label}_network"] = network
        baseline = None
        if weights is not None:
            from sitewatch.train.sahi_baseline import SahiBaseline

            baseline = SahiBaseline(
                weights, tile_px=config.tile_px, overlap_px=config.overlap_px,
                score_threshold=config.score_threshold, threads=threads,
                batch_size=config.batch_size, device=config.device,
            )  # fmt: skip
            baseline.predict(str(warm))
            pipelines["baseline"] = partial(baseline.predict, str(big))
        runs, times = _timed(pipelines, config.repeats, progress)
    area_km2 = width * height * config.work_gsd**2 / 1e6
    reference = consensus_set([v for k, v in runs.items() if k in ("sitewatch", "baseline")])
    for name, (boxes, scores) in runs.items():
        seconds = statistics.median(times[name])
        report[f"{name}_seconds"] = round(seconds, 3)
        report[f"{name}_seconds_all"] = [round(t, 3) for t in times[name]]
        report[f"{name}_km2_per_s"] = round(area_km2 / seconds, 4)
        if name.endswith("_network"):
            continue
        report[f"{name}_detections"] = len(boxes)
        report[f"{name}_recall"] = recall_against(
            reference, (boxes, scores), score_threshold=config.score_threshold
        )
    for label in labels:
        if f"{label}_network" in times:
            report[f"{label}_share_of_network"] = round(
                statistics.median(times[f"{label}_network"]) / statistics.median(times[label]), 3)
    if baseline is not None:
        for label in labels:
            key = "ratio" if label == "sitewatch" else f"ratio_{label}"
            report[key] = round(report[f"{label}_km2_per_s"] / report["baseline_km2_per_s"], 3)
    else:
        report["baseline_skipped"] = "no Ultralytics weights given (run `sitewatch models fetch`)"
    if mvrsd is not None:
        options = DetectOptions(batch_size=config.batch_size, model_gsd_m=config.work_gsd)
        for label, detector in zip(labels, detectors, strict=True):
            run = partial(_detect_file, detector=detector, gsd_m=config.labelled_gsd_m,
                          options=options)  # fmt: skip
            report.update(_labelled(mvrsd, run, label, labels_supplement))
            if isinstance(detector, TileBackend):
                stems = {p.stem for p in (mvrsd / "labels").glob("*.xml")}
                report[f"{label}_labelled_trained_on"] = sorted(
                    stems & trained_on_stems(detector.card))
        if baseline is not None:
            report.update(_labelled(mvrsd, _padded_predict(baseline.predict, config), "baseline",
                                    labels_supplement))
        report["labelled_supplement"] = str(labels_supplement) if labels_supplement else None
    report.update(
        labelled_note="the labelled tiles compare the pipelines on the same weights; tiles a "
        "model was trained on (*_labelled_trained_on) make them no measure of held-out accuracy",
        consensus_size=len(reference),
        consensus_score=CONSENSUS_SCORE,
        scene=str(scene),
        scene_px=[width, height],
        area_km2=round(area_km2, 4),
        gsd_m_assumed=config.gsd_m,
        work_gsd_m=config.work_gsd,
        tile_px=config.tile_px,
        overlap_px=config.overlap_px,
        score_threshold=config.score_threshold,
        batch_size=config.batch_size,
        repeats=config.repeats,
        models={
            label: {"name": d.name, "sha256": d.sha256}
            for label, d in zip(labels, detectors, strict=True)
        },
        model_sha256=detectors[0].sha256,
        weights_sha256=sha256_file(weights) if weights is not None else None,
        load_average_1min_at_end=round(os.getloadavg()[0], 2),
    )
    return report


def _detect_file(path: Path, *, detector: Detector, gsd_m: float, options: DetectOptions) -> Boxes:
    return _boxes_of(detect_raster(path, detector, gsd_m=gsd_m, options=options))


def _boxes_of(result: Any) -> Boxes:
    raw = np.array(
        [
            [d.box.cx_px, d.box.cy_px, d.box.width_px, d.box.height_px, d.box.angle_rad]
            for d in result.detections
        ]
    ).reshape(-1, 5)
    return bounds(raw), np.array([d.score for d in result.detections])


def benchmark_models(
    scene: Path,
    models: Sequence[str | None],
    *,
    settings: BenchConfig,
    score_threshold: float | None = None,
    weights: Path | None = None,
    baseline: bool = True,
    mvrsd: Path | None = None,
    labels_supplement: Path | None = None,
    note: Callable[[str], object] = lambda _: None,
    progress: Callable[[int, int, str], None] | None = None,
) -> dict[str, Any]:
    """What ``sitewatch bench`` does: load the models and time them (and the SAHI baseline).

    Every model runs at the first one's score threshold (its card's unless
    ``score_threshold``) with ``settings``' threads on its device; ``settings``' tile size and
    threshold are replaced by the models'. The baseline uses ``weights``, by default the
    Ultralytics file the first model was exported from (beside its card, or fetched). Labelled
    tiles without a ``labels`` folder are left out, with a ``note``.

    Raises:
        ConfigError: the baseline weights are missing, or the models' input sizes differ.
        ModelError: a model cannot be loaded.
    """
    from dataclasses import replace

    if mvrsd is not None and not (mvrsd / "labels").is_dir():
        note(f"note: labelled tiles not found at {mvrsd}; skipping the labelled comparison")
        mvrsd = None
    threads = settings.threads or None
    first, *others = models or [None]
    detectors = [load_detector(first, score_threshold=score_threshold, threads=threads,
                               device=settings.device)]
    score = detectors[0].score_threshold  # the first card's, unless given: both pipelines
    detectors += [load_detector(m, score_threshold=score, threads=threads, device=settings.device)
                  for m in others]
    if baseline:
        weights = weights or _baseline_weights(detectors[0])
        if not weights.is_file():
            raise ConfigError(
                f"baseline weights {str(weights)!r} not found; run `sitewatch models fetch`, "
                "pass --weights PATH, or use --no-baseline"
            )
    else:
        weights = None
    sizes = {d.tile_px for d in detectors}
    if len(sizes) != 1:
        raise ConfigError(f"bench models need one input size to share the slice size, got {sizes}")
    config = replace(settings, tile_px=sizes.pop(), score_threshold=score)
    return run_benchmark(scene, detectors, weights=weights, config=config, mvrsd=mvrsd,
                         labels_supplement=labels_supplement, progress=progress)


def _baseline_weights(detector: TileBackend) -> Path:
    """The Ultralytics weights the model was exported from: beside its card, or fetched."""
    beside = torch_weights_path(detector.card)
    if beside.is_file():
        return beside
    return default_cache() / BASE_MODEL / Path(SOURCES[BASE_MODEL].member).name
