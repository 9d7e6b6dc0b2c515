"""Detection over a whole raster: resample to the model's GSD, tile, batch, merge seams.

Tiles are laid out in the image's full-resolution grid (``tile_px / scale`` pixels a side) and
each is resized to the model's input, so every box maps back to full resolution by one offset
and one scale. Reading and resizing run in a background thread, overlapped with inference.
"""

from __future__ import annotations

import math
import queue
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import ExitStack, closing
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from sitewatch.detect.backend import TileArrays, TileBackend
from sitewatch.detect.fragments import fragment_mask
from sitewatch.detect.merging import VEHICLE_CARGO, merge_tile_boxes
from sitewatch.detect.obb import bounds, rotated_nms
from sitewatch.detect.tta import VIEWS, FlipTTA
from sitewatch.detect.types import (
    Detection,
    Detector,
    detections_from_arrays,
    detections_to_arrays,
)
from sitewatch.errors import ConfigError, ResolutionError
from sitewatch.geo import LonLat
from sitewatch.imagery import (
    GsdEstimate,
    RasterInfo,
    RasterReader,
    Tile,
    pixel_to_lonlat,
    tile_grid,
)

#: The extra scales and the fragment rule of :meth:`DetectOptions.with_uncertain_gsd`.
UNCERTAIN_GSD_FACTORS: tuple[float, ...] = (0.8, 1.25)
UNCERTAIN_GSD_FRAGMENT_INSIDE = 0.5


@dataclass(frozen=True, slots=True, kw_only=True)
class DetectOptions:
    """Knobs of tiled detection; the defaults suit vehicles at 0.15-0.6 m.

    Attributes:
        overlap_m: Tile overlap on the ground; at least the longest vehicle, so each vehicle
            is whole in some tile.
        vehicle_length_m: Length of a car, used to refuse imagery that is too coarse.
        min_vehicle_px: A car shorter than this in the image is refused (ResolutionError).
        batch_size: Tiles per inference call.
        merge_iou: Rotated IoU above which boxes from different tiles are duplicates.
        edge_margin_px: A box within this many model pixels of an inner tile edge is cut.
        cover_threshold: A cut box is dropped when a whole box covers this share of it.
        prefetch_batches: Batches read ahead in the background thread (0: no thread).
        model_gsd_m: Resample tiles to this GSD instead of the one the model card names
            (coarser is faster but, measured on MVRSD, finds fewer vehicles).
        tta_views: Test-time augmentation: also run the model on these views of each tile
            and fuse them (:class:`sitewatch.detect.tta.FlipTTA`); empty: off.
        fragment_inside: Fold second boxes on one vehicle: after the merge, drop a box with at
            least this share of its area inside a box at least 1/``fragment_area`` times larger
            and at most ``fragment_max_length_m`` long (:func:`sitewatch.detect.fragment_mask`;
            a vehicle on a transporter is kept); None: off.
        fragment_area: See ``fragment_inside``.
        fragment_max_length_m: See ``fragment_inside``: a longer box is not one vehicle (a box
            over a row of parked vehicles does not swallow them).
        gsd_factors: Also run the whole image as if its GSD were the GSD used times each of
            these factors (the GSD is uncertain: estimated, or a guess), and merge the runs:
            every scale's boxes, ``fragment_inside`` (when set) across scales, then rotated NMS
            (``merge_iou``). Empty: one scale. Costs one run of the model per scale; only
            :func:`detect_raster` runs several scales.
    """

    overlap_m: float = 20.0
    vehicle_length_m: float = 4.5
    min_vehicle_px: float = 6.0
    batch_size: int = 4
    merge_iou: float = 0.3
    edge_margin_px: float = 2.0
    cover_threshold: float = 0.5
    prefetch_batches: int = 2
    model_gsd_m: float | None = None
    tta_views: tuple[str, ...] = ()
    fragment_inside: float | None = None
    fragment_area: float = 0.6
    fragment_max_length_m: float = 20.0
    gsd_factors: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "tta_views", tuple(self.tta_views))  # from JSON: a list
        object.__setattr__(self, "gsd_factors", tuple(self.gsd_factors))
        checks = {
            "overlap_m": self.overlap_m >= 0,
            "vehicle_length_m": self.vehicle_length_m > 0,
            "min_vehicle_px": self.min_vehicle_px > 0,
            "batch_size": self.batch_size >= 1,
            "merge_iou": 0 < self.merge_iou <= 1,
            "edge_margin_px": self.edge_margin_px >= 0,
            "cover_threshold": 0 < self.cover_threshold <= 1,
            "prefetch_batches": self.prefetch_batches >= 0,
            "model_gsd_m": self.model_gsd_m is None or self.model_gsd_m > 0,
            "tta_views": set(self.tta_views) <= set(VIEWS),
            "fragment_inside": self.fragment_inside is None or 0 < self.fragment_inside <= 1,
            "fragment_area": 0 < self.fragment_area <= 1,
            "fragment_max_length_m": self.fragment_max_length_m > 0,
            "gsd_factors": all(0.25 <= f <= 4 and f != 1 for f in self.gsd_factors)
            and len(set(self.gsd_factors)) == len(self.gsd_factors),
        }
        bad = [f"{k}={getattr(self, k)}" for k, ok in checks.items() if not ok]
        if bad:
            raise ConfigError(f"invalid detect options: {', '.join(bad)}")

    def with_uncertain_gsd(self) -> DetectOptions:
        """These options for an image whose GSD is uncertain (estimated, or a guess): also run
        at 0.8 and 1.25 times the GSD, folding fragments (inside share 0.5) across the scales.

        Measured on three leave-site-out folds' held-out tiles told a GSD 25 % off
        (``tools/eval_gsd_scales.py``; docs/model-records/gsd-scales.md): more recall than one
        scale at every GSD tried, less precision and larger over-counts at the true one; three
        times the work. ``sitewatch detect --gsd-uncertain`` asks for it.
        """
        return replace(self, gsd_factors=UNCERTAIN_GSD_FACTORS,
                       fragment_inside=self.fragment_inside or UNCERTAIN_GSD_FRAGMENT_INSIDE)


@dataclass(frozen=True, slots=True, kw_only=True)
class RasterDetections:
    """Vehicles found in one raster, with what is needed to reproduce the run.

    Attributes:
        path: The raster.
        detections: Merged detections in the full-resolution pixel grid; ``lonlat`` is set
            when the raster is georeferenced.
        gsd_m: The raster's ground sample distance used, in metres.
        gsd_source: ``"georeference"``, ``"given"`` or ``"estimated"`` (from the vehicles).
        model_name: Detector name.
        model_sha256: Detector weights hash.
        model_gsd_m: The GSD the tiles were resampled to (nominal; the exact factor is
            ``detector.tile_px / tile_px``).
        tile_count: Tiles run.
        tile_px: Tile side in full-resolution pixels.
        overlap_px: Tile overlap in full-resolution pixels.
        options: The options used.
        gsd_estimate: How the GSD was estimated, when it was.
    """

    path: Path
    detections: tuple[Detection, ...]
    gsd_m: float
    gsd_source: str
    model_name: str
    model_sha256: str
    model_gsd_m: float
    tile_count: int
    tile_px: int
    overlap_px: int
    options: DetectOptions = field(default_factory=DetectOptions)
    gsd_estimate: GsdEstimate | None = None

    def params(self) -> dict[str, Any]:
        """Provenance record: everything but the detections, JSON-ready."""
        return {
            "path": str(self.path),
            "gsd_m": self.gsd_m,
            "gsd_source": self.gsd_source,
            "model_name": self.model_name,
            "model_sha256": self.model_sha256,
            "model_gsd_m": self.model_gsd_m,
            "tile_count": self.tile_count,
            "tile_px": self.tile_px,
            "overlap_px": self.overlap_px,
            "options": asdict(self.options),
            "gsd_estimate": self.gsd_estimate.to_dict() if self.gsd_estimate else None,
        }


def _resolve_gsd(
    info: RasterInfo, gsd_m: float | None, options: DetectOptions
) -> tuple[float, str]:
    if gsd_m is not None:
        if not (math.isfinite(gsd_m) and gsd_m > 0):
            raise ConfigError(f"gsd_m must be a positive number of metres, got {gsd_m}")
        gsd, source = gsd_m, "given"
    elif info.gsd_m is not None:
        gsd, source = info.gsd_m, "georeference"
    else:
        raise ResolutionError(
            f"{str(info.path)!r} carries no georeference, so its ground sample distance is "
            "unknown; pass it with --gsd METRES (gsd_m=...), e.g. --gsd 0.3",
            path=str(info.path),
        )
    vehicle_px = options.vehicle_length_m / gsd
    if vehicle_px < options.min_vehicle_px:
        raise ResolutionError(
            f"{str(info.path)!r} has {gsd:.3g} m pixels: a {options.vehicle_length_m} m car "
            f"would be {vehicle_px:.1f} px long, under the {options.min_vehicle_px} px needed "
            f"to detect it; use imagery of {options.vehicle_length_m / options.min_vehicle_px:.2g}"
            " m or finer",
            path=str(info.path),
            gsd_m=gsd,
        )
    return gsd, source


def _read_tile(reader: RasterReader, tile: Tile, scale: float) -> np.ndarray:
    rgb = reader.read_rgb(tile)
    if scale != 1.0:
        size = (max(1, round(tile.width_px * scale)), max(1, round(tile.height_px * scale)))
        interp = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
        rgb = cv2.resize(rgb, size, interpolation=interp)
    return rgb


def _pooled_batches(
    requests: Sequence[tuple[TilePlan, int, int]], batch_size: int
) -> Generator[list[np.ndarray], None, None]:
    """The tiles of every request, in order, read and resized in batches of ``batch_size`` that
    run across the requests' rasters; each raster is opened once and closed after its last tile.
    """
    items = [(k, i) for k, (_, start, stop) in enumerate(requests) for i in range(start, stop)]
    last_use: dict[Path, int] = {}
    for n, (k, _) in enumerate(items):
        last_use[requests[k][0].path] = n
    with ExitStack() as stack:
        readers: dict[Path, tuple[RasterReader, ExitStack]] = {}
        for first in range(0, len(items), batch_size):
            out = []
            for n in range(first, min(first + batch_size, len(items))):
                k, i = items[n]
                plan = requests[k][0]
                if plan.path not in readers:
                    own = stack.enter_context(ExitStack())
                    readers[plan.path] = (own.enter_context(RasterReader(plan.path)), own)
                reader, own = readers[plan.path]
                out.append(_read_tile(reader, plan.tiles[i], plan.scale))
                if last_use[plan.path] == n:
                    own.close()
                    del readers[plan.path]
            yield out


def _prefetched(
    source: Iterator[list[np.ndarray]], depth: int
) -> Generator[list[np.ndarray], None, None]:
    """Run ``source`` in a thread, ``depth`` items ahead; re-raise its errors here."""
    if depth == 0:
        yield from source
        return
    box: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(kind: str, value: Any) -> bool:
        while not stop.is_set():
            try:
                box.put((kind, value), timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in source:
                if not put("item", item):
                    return
            put("done", None)
        except BaseException as exc:  # handed to the consumer, re-raised there
            put("error", exc)
        finally:
            if isinstance(source, Generator):
                source.close()  # its open files close in the thread that used them

    thread = threading.Thread(target=work, name="sitewatch-tile-reader", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = box.get()
            if kind == "done":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        thread.join()


def _batch_arrays(detector: Detector, batch: list[np.ndarray]) -> list[TileArrays]:
    """Per tile: boxes, scores and label indices as :func:`detections_to_arrays` gives them
    from ``detector.detect_batch`` (a :class:`TileBackend`'s arrays are taken as they are,
    scores clipped as :class:`Detection` clips them, with no Detection built on the way)."""
    if isinstance(detector, TileBackend):
        return [(boxes, np.clip(scores, 0.0, 1.0), labels)
                for boxes, scores, labels in detector.detect_arrays(batch)]
    return [detections_to_arrays(found) for found in detector.detect_batch(batch)]


def _tile_arrays(
    found: TileArrays, tile: Tile, scale: float, info: RasterInfo, margin_px: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Boxes mapped to full resolution, scores, label indices and the cut-at-inner-edge flag."""
    raw, scores, labels = found
    aabb = bounds(raw)
    w_model, h_model = tile.width_px * scale, tile.height_px * scale
    truncated = (
        ((aabb[:, 0] <= margin_px) & (tile.x0_px > 0))
        | ((aabb[:, 1] <= margin_px) & (tile.y0_px > 0))
        | ((aabb[:, 2] >= w_model - margin_px) & (tile.x1_px < info.width_px))
        | ((aabb[:, 3] >= h_model - margin_px) & (tile.y1_px < info.height_px))
    )
    full = raw.copy()
    full[:, 0] = tile.x0_px + raw[:, 0] / scale
    full[:, 1] = tile.y0_px + raw[:, 1] / scale
    full[:, 2:4] = raw[:, 2:4] / scale
    return full, scores, labels, truncated


def _to_detections(
    boxes: np.ndarray, scores: np.ndarray, labels: np.ndarray, info: RasterInfo
) -> tuple[Detection, ...]:
    lonlats: list[LonLat | None] = [None] * len(boxes)
    if info.georeferenced and len(boxes) and info.transform and info.crs_wkt:
        lon, lat = pixel_to_lonlat(info.transform, info.crs_wkt, boxes[:, 0], boxes[:, 1]).T
        lonlats = [
            LonLat(lon_deg=float(a), lat_deg=float(b)) for a, b in zip(lon, lat, strict=True)
        ]
    return detections_from_arrays(boxes, scores, labels, lonlats)


@dataclass(frozen=True, slots=True, kw_only=True)
class TilePlan:
    """How one raster is cut into model tiles: everything :func:`detect_raster` decides before
    running the model. Tiles are numbered in :func:`sitewatch.imagery.tile_grid` order; any run
    of them can be detected on its own (:func:`detect_tiles`) and the pieces merged as one
    (:func:`merge_tile_parts`), with the same result as the whole raster at once.

    Attributes:
        path: The raster.
        info: Its header (size, georeference).
        gsd_m, gsd_source: Its ground sample distance and where that came from.
        model_gsd_m: The GSD tiles are resampled to (nominal).
        tile_px, overlap_px: Tile side and overlap in full-resolution pixels.
        scale: Model pixels per full-resolution pixel.
        tiles: The tiles.
    """

    path: Path
    info: RasterInfo
    gsd_m: float
    gsd_source: str
    model_gsd_m: float
    tile_px: int
    overlap_px: int
    scale: float
    tiles: tuple[Tile, ...]


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class TileParts:
    """Detections of the tiles ``start``..``stop`` (exclusive) of a :class:`TilePlan`, before
    the seams are merged: boxes (N, 5) in the raster's full-resolution grid, scores (N,), label
    indices into ``tuple(VehicleClass)`` (N,) and whether each box is cut at an inner tile edge.
    """

    start: int
    stop: int
    boxes: np.ndarray
    scores: np.ndarray
    labels: np.ndarray
    cut: np.ndarray


def plan_tiles(
    path: str | Path,
    detector: Detector,
    *,
    gsd_m: float | None = None,
    options: DetectOptions | None = None,
    gsd_estimate: GsdEstimate | None = None,
) -> TilePlan:
    """The tiling :func:`detect_raster` would use on ``path`` (reads only the header).

    Raises:
        RasterReadError: The file cannot be read.
        ResolutionError: The GSD is unknown, or too coarse for vehicles to be detected.
        ConfigError: Invalid ``gsd_m`` or options.
    """
    options = options or DetectOptions()
    with RasterReader(path) as reader:
        info = reader.info
    if gsd_estimate is not None and gsd_m is None:
        gsd, source = _resolve_gsd(info, gsd_estimate.gsd_m, options)[0], "estimated"
    else:
        gsd, source = _resolve_gsd(info, gsd_m, options)
    return _layout(Path(path), info, gsd, source, detector, options)


def _layout(path: Path, info: RasterInfo, gsd: float, source: str, detector: Detector,
            options: DetectOptions) -> TilePlan:
    model_gsd = options.model_gsd_m or detector.gsd_m
    tile_full = max(1, round(detector.tile_px * model_gsd / gsd))
    overlap_full = min(math.ceil(options.overlap_m / gsd), tile_full - 1)
    tiles = tile_grid(info.width_px, info.height_px, tile_px=tile_full, overlap_px=overlap_full)
    return TilePlan(path=path, info=info, gsd_m=gsd, gsd_source=source,
                    model_gsd_m=model_gsd, tile_px=tile_full, overlap_px=overlap_full,
                    scale=detector.tile_px / tile_full, tiles=tiles)


def detect_tiles(
    requests: Sequence[tuple[TilePlan, int, int]],
    detector: Detector,
    *,
    options: DetectOptions | None = None,
    progress: Callable[[int, int], object] | None = None,
) -> list[TileParts]:
    """Run the model on tiles ``start``..``stop`` of each request's plan, in batches of
    ``options.batch_size`` that run across rasters (small windows of many scenes fill one
    batch); one :class:`TileParts` per request, in order.

    Raises:
        RasterReadError: A file cannot be read.
        ConfigError: A tile range outside its plan.
    """
    options = options or DetectOptions()
    for plan, start, stop in requests:
        if not 0 <= start <= stop <= len(plan.tiles):
            raise ConfigError(f"tiles {start}..{stop} are outside the {len(plan.tiles)} tiles of "
                              f"{str(plan.path)!r}")
    if options.tta_views:
        detector = FlipTTA(detector, flips=options.tta_views)
    owners = [(k, i) for k, (_, start, stop) in enumerate(requests) for i in range(start, stop)]
    found: list[list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]] = [[] for _ in requests]
    batches = _prefetched(_pooled_batches(requests, options.batch_size), options.prefetch_batches)
    done = 0
    with closing(batches):
        for batch in batches:
            results = _batch_arrays(detector, batch)
            for result, (k, i) in zip(results, owners[done : done + len(batch)], strict=True):
                plan = requests[k][0]
                found[k].append(_tile_arrays(result, plan.tiles[i], plan.scale, plan.info,
                                             options.edge_margin_px))
            done += len(batch)
            if progress is not None:
                progress(done, len(owners))
    return [
        TileParts(
            start=start,
            stop=stop,
            boxes=np.concatenate([p[0] for p in parts]) if parts else np.empty((0, 5)),
            scores=np.concatenate([p[1] for p in parts]) if parts else np.empty(0),
            labels=np.concatenate([p[2] for p in parts]) if parts else np.empty(0, dtype=np.intp),
            cut=np.concatenate([p[3] for p in parts]) if parts else np.empty(0, dtype=bool),
        )
        for (_, start, stop), parts in zip(requests, found, strict=True)
    ]


def merge_tile_parts(
    plan: TilePlan,
    parts: Sequence[TileParts],
    detector: Detector,
    *,
    options: DetectOptions | None = None,
    gsd_estimate: GsdEstimate | None = None,
) -> RasterDetections:
    """The raster's detections from pieces that together cover every tile of ``plan`` once,
    merged across all seams by the one rule :func:`detect_raster` uses.

    Raises:
        ConfigError: The pieces miss a tile or cover one twice, or ``options`` asks for
            several scales (only :func:`detect_raster` runs them).
    """
    options = options or DetectOptions()
    if options.gsd_factors:
        raise ConfigError(f"gsd_factors={list(options.gsd_factors)}: several scales run only "
                          "through detect_raster, not in pieces")
    boxes, scores, labels = _seam_merged(plan, parts, options)
    keep = _folded(boxes, labels, plan.gsd_m, options)
    return _raster_detections(plan, boxes[keep], scores[keep], labels[keep], detector,
                              options=options, tile_count=len(plan.tiles),
                              gsd_estimate=gsd_estimate)


def _seam_merged(plan: TilePlan, parts: Sequence[TileParts],
                 options: DetectOptions) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pieces of one plan merged across its seams: boxes, scores and labels kept."""
    ordered = sorted(parts, key=lambda p: (p.start, p.stop))
    edges = [0] + [e for p in ordered for e in (p.start, p.stop)] + [len(plan.tiles)]
    if any(a != b for a, b in zip(edges[::2], edges[1::2], strict=True)):
        spans = ", ".join(f"{p.start}..{p.stop}" for p in ordered)
        raise ConfigError(f"the pieces ({spans}) do not cover the {len(plan.tiles)} tiles of "
                          f"{str(plan.path)!r} exactly once")
    boxes = np.concatenate([p.boxes for p in ordered]) if ordered else np.empty((0, 5))
    scores = np.concatenate([p.scores for p in ordered]) if ordered else np.empty(0)
    labels = np.concatenate([p.labels for p in ordered]) if ordered else np.empty(0, dtype=np.intp)
    cut = np.concatenate([p.cut for p in ordered]) if ordered else np.empty(0, dtype=bool)
    keep = merge_tile_boxes(
        boxes, scores, cut, iou_threshold=options.merge_iou, cover_threshold=options.cover_threshold,
        labels=labels, cargo=VEHICLE_CARGO,
    )
    return boxes[keep], scores[keep], labels[keep]


def _folded(boxes: np.ndarray, labels: np.ndarray, gsd_m: float,
            options: DetectOptions) -> np.ndarray:
    """Indices of the boxes that are not fragments of another (all when the rule is off)."""
    if options.fragment_inside is None:
        return np.arange(len(boxes))
    drop = fragment_mask(boxes, inside_share=options.fragment_inside,
                         max_area_ratio=options.fragment_area,
                         max_length_px=options.fragment_max_length_m / gsd_m,
                         labels=labels, cargo=VEHICLE_CARGO)
    return np.flatnonzero(~drop)


def _raster_detections(plan: TilePlan, boxes: np.ndarray, scores: np.ndarray,
                       labels: np.ndarray, detector: Detector, *, options: DetectOptions,
                       tile_count: int, gsd_estimate: GsdEstimate | None) -> RasterDetections:
    name = FlipTTA(detector, flips=options.tta_views).name if options.tta_views else detector.name
    return RasterDetections(
        path=plan.path,
        detections=_to_detections(boxes, scores, labels, plan.info),
        gsd_m=plan.gsd_m,
        gsd_source=plan.gsd_source,
        model_name=name,
        model_sha256=detector.sha256,
        model_gsd_m=plan.model_gsd_m,
        tile_count=tile_count,
        tile_px=plan.tile_px,
        overlap_px=plan.overlap_px,
        options=options,
        gsd_estimate=gsd_estimate,
    )


def detect_raster(
    path: str | Path,
    detector: Detector,
    *,
    gsd_m: float | None = None,
    options: DetectOptions | None = None,
    gsd_estimate: GsdEstimate | None = None,
    progress: Callable[[int, int], object] | None = None,
) -> RasterDetections:
    """Find vehicles in a raster of any size.

    Args:
        path: Any raster GDAL can open.
        detector: The model (see :func:`sitewatch.detect.load_detector`).
        gsd_m: The raster's ground sample distance in metres; overrides the georeference and
            is required when the raster has none.
        options: Tiling and merging options.
        gsd_estimate: The GSD estimated from the raster's vehicles
            (:func:`sitewatch.detect.estimate_gsd`), used when ``gsd_m`` is None and recorded.
        progress: Called with (tiles done, tiles in all) after each batch of tiles.

    Raises:
        RasterReadError: The file cannot be read.
        ResolutionError: The GSD is unknown, or too coarse for vehicles to be detected.
        ConfigError: Invalid ``gsd_m`` or options.
    """
    options = options or DetectOptions()
    plan = plan_tiles(path, detector, gsd_m=gsd_m, options=options, gsd_estimate=gsd_estimate)
    if not options.gsd_factors:
        parts = detect_tiles([(plan, 0, len(plan.tiles))], detector, options=options,
                             progress=progress)
        return merge_tile_parts(plan, parts, detector, options=options, gsd_estimate=gsd_estimate)
    # Several scales: the image as if its GSD were plan.gsd_m * factor, each scale's seams
    # merged on its own, then fragments folded and duplicates suppressed across the scales.
    plans = [plan] + [_layout(plan.path, plan.info, plan.gsd_m * f, plan.gsd_source, detector,
                              options) for f in options.gsd_factors]
    parts = detect_tiles([(p, 0, len(p.tiles)) for p in plans], detector, options=options,
                         progress=progress)
    merged = [_seam_merged(p, [part], options) for p, part in zip(plans, parts, strict=True)]
    boxes = np.concatenate([m[0] for m in merged])
    scores = np.concatenate([m[1] for m in merged])
    labels = np.concatenate([m[2] for m in merged])
    alive = _folded(boxes, labels, plan.gsd_m, options)
    keep = alive[rotated_nms(boxes[alive], scores[alive], iou_threshold=options.merge_iou,
                             labels=labels[alive], cargo=VEHICLE_CARGO)]
    return _raster_detections(plan, boxes[keep], scores[keep], labels[keep], detector,
                              options=options, tile_count=sum(len(p.tiles) for p in plans),
                              gsd_estimate=gsd_estimate)
