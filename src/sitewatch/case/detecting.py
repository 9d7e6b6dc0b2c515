"""Detection as ``sitewatch detect`` asks for it: a case's scenes with a named model, or loose
image files with no case.

:func:`detect_in_case` loads the model and runs :func:`~sitewatch.case.detect_case` (audited in
the case); :func:`detect_images` runs on files outside any case and writes them as CSV or
GeoJSON (nothing is audited: there is no case).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from sitewatch.case.jobs import DetectSummary, detect_case
from sitewatch.catalog import CaseStore, GsdSource, Scene, choose_gsd
from sitewatch.detect import FLIPS, DetectOptions, detect_raster, estimate_gsd, load_detector
from sitewatch.errors import ConfigError


def _options(tta: bool, batch_size: int) -> DetectOptions:
    return DetectOptions(tta_views=FLIPS if tta else (), batch_size=batch_size)


def detect_in_case(
    case_dir: Path,
    *,
    model: str | None,
    device: str,
    tta: bool,
    batch_size: int,
    redo: bool = False,
    scene_done: Callable[[Scene, int], object] | None = None,
    progress: Callable[[int, int, str], object] | None = None,
    tile_progress: Callable[[int, int], object] | None = None,
) -> DetectSummary:
    """Load ``model`` on ``device`` and detect in the case's scenes it has not processed.

    ``scene_done`` hears each scene done and its number of detections; ``progress`` hears
    (scenes done, scenes in the case, the last one's name), first with none done.

    Raises:
        ModelError: the model cannot be loaded (before the case is opened).
        CaseNotFoundError: ``case_dir`` is not a case.
    """
    detector = load_detector(model, device=device)
    store = CaseStore.open(case_dir)
    total = len(store.scenes())
    done = 0
    if progress is not None:
        progress(0, total, "")

    def one_done(scene: Scene, n: int) -> None:
        nonlocal done
        done += 1
        if scene_done is not None:
            scene_done(scene, n)
        if progress is not None:
            progress(done, total, f"{scene.site} {scene.date} {scene.original_name}")

    return detect_case(store, detector, options=_options(tta, batch_size), redo=redo,
                       progress=one_done, tile_progress=tile_progress)


def detect_images(
    images: Sequence[Path],
    out: Path,
    *,
    model: str | None,
    device: str,
    tta: bool,
    batch_size: int,
    gsd: float | str | None,
    gsd_uncertain: bool = False,
    max_pixels: int | None = None,
    note: Callable[[str], object] = lambda _: None,
    progress: Callable[[int, int, str], object] | None = None,
    tile_progress: Callable[[int, int], object] | None = None,
) -> int:
    """Detect in image files outside any case and write them to ``out`` (.csv or .geojson).

    ``gsd`` is metres per pixel, ``"auto"`` (estimated from the vehicles) or ``None`` (from the
    georeference, estimated with a note where there is none); with ``gsd_uncertain`` each image
    is also run at 0.8 and 1.25 times its GSD (:meth:`DetectOptions.with_uncertain_gsd`). Every
    file is checked before the model loads; one whose header declares more than ``max_pixels``
    pixels is refused then. ``note`` hears each GSD note and one line per image; returns the
    detections written.

    Raises:
        ConfigError: ``out`` is not .csv/.geojson, or an image is a folder or missing.
        RasterReadError: an image does not decode within the time and memory budget, or is
            over ``max_pixels``.
        ModelError: the model cannot be loaded.
    """
    from sitewatch.imagery import read_info
    from sitewatch.report import write_detections

    _check_images(images, out, max_pixels)
    detector = load_detector(model, device=device)
    options = _options(tta, batch_size)
    results = []
    for index, image in enumerate(images, start=1):
        given = gsd if isinstance(gsd, float) else None
        choice = choose_gsd(str(image), given_m=given, georef_m=read_info(image).gsd_m,
                            auto=gsd == "auto", estimator=partial(estimate_gsd, image, detector))
        if choice.note:
            note(choice.note)
        estimated = choice.source is GsdSource.ESTIMATED
        if gsd_uncertain:
            note(f"{image.name}: the GSD may be off, so it is also run at 0.8 and 1.25 times it "
                 "(three times the work)")
        elif estimated:
            note(f"{image.name}: an estimated GSD can be off by up to a quarter; --gsd-uncertain "
                 "also runs 0.8 and 1.25 times it (more found, more false boxes)")
        found = detect_raster(image, detector, gsd_m=None if estimated else choice.gsd_m,
                              options=options.with_uncertain_gsd() if gsd_uncertain else options,
                              progress=tile_progress,
                              gsd_estimate=choice.estimate if estimated else None)
        note(f"{image.name}: {len(found.detections)} vehicles")
        if progress is not None:
            progress(index, len(images), image.name)
        results.append((image.name, found.detections))
    return write_detections(out, results)


def _check_images(images: Sequence[Path], out: Path, max_pixels: int | None) -> None:
    """Refuse, before any work (and before the model loads), an ``out`` of the wrong kind,
    folders, missing files, images over ``max_pixels`` and images that do not decode within the
    time and memory budget."""
    from sitewatch.imagery import check_decodes

    if out.suffix.lower() not in (".csv", ".geojson", ".json"):
        raise ConfigError(f"--out '{out}' must end in .csv or .geojson (the format is chosen "
                          "by the suffix)")
    for image in images:
        if image.is_dir():
            raise ConfigError(f"'{image}' is a folder: pass the image files, e.g. {image}/*.jpg")
        if not image.is_file():
            raise ConfigError(f"cannot read '{image}': no such file; check the path")
        check_decodes(image, max_pixels=max_pixels,
                      beyond=f"to detect on it anyway, ingest it into a case (`sitewatch ingest "
                      f"CASE {image} ...`, then `sitewatch detect CASE`), or pass a larger "
                      "--max-pixels (it may take minutes)")
