"""Running a watch list: new scenes of every site found, cut, ingested, detected, tracked and
reported, each site in its own case folder (``FOLDER/cases/SITE``).

What has been done is read from each case's own audit log (a ``watch-ingest`` or
``watch-skip`` entry per source scene, keyed by the source's address, the pin of its bytes
(ETag or hash), the site's polygon and the margin), so a rerun does only new work and, when
there is none, writes nothing at all.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from sitewatch.case import (
    detect_case,
    init_case,
    offered_keys,
    report_case,
    scenes_to_detect,
    take_offered_scene,
    track_and_log,
)
from sitewatch.catalog import CaseStore, DetectionRecord, Scene
from sitewatch.detect import DetectOptions
from sitewatch.errors import ConfigError
from sitewatch.watch.config import Site, WatchConfig, load_watch
from sitewatch.watch.cutout import cut_site, is_remote, source_identity
from sitewatch.watch.scheduling import DetectorSource, TaskCache, cluster_client, detect_on_cluster
from sitewatch.watch.sources import Candidate, candidates


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteOutcome:
    """What a watch run did for one site.

    Attributes:
        site: The site's name.
        case: Its case folder.
        offered: Scenes the sources offered in the date range.
        ingested: New scenes cut and added to the case.
        too_little: New scenes refused for covering less than ``min_coverage`` of the site.
        seen_before: Scenes handled by an earlier run.
        detected: Scenes detected in this run; detections: what they found.
        report: The report written (None when nothing changed).
    """

    site: str
    case: Path
    offered: int
    ingested: int
    too_little: int
    seen_before: int
    detected: int
    detections: int
    report: Path | None


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchSummary:
    """What :func:`run_watch` did: per site, and the cluster's work (tasks submitted, scene
    windows they detected, windows taken from the cache, tiles run, tiles of unfinished
    windows taken from pieces an interrupted run kept).

    ``phase_s``, ``phase_cpu_s`` and ``workers_cpu_s`` give the wall time of each phase, the
    CPU time this process used in it and the CPU time the cluster's worker processes used in it
    (on a shared remote cluster, other clients' work too): ``find_cut_ingest`` (asking the
    sources, cutting and ingesting windows, in this process, site after site), ``detect``
    (planning; the cluster's tasks; merging, caching and writing the cases here) and
    ``track_report`` (tracking and report of each changed site, one cluster task per site).
    """

    sites: tuple[SiteOutcome, ...]
    tasks_run: int
    scenes_run: int
    cache_hits: int
    tiles_run: int = 0
    tiles_reused: int = 0
    phase_s: tuple[tuple[str, float], ...] = ()
    phase_cpu_s: tuple[tuple[str, float], ...] = ()
    workers_cpu_s: tuple[tuple[str, float], ...] = ()


def case_folder(config: WatchConfig, site: str) -> Path:
    """The case folder of ``site`` in this watch."""
    return config.folder / "cases" / site


def run_watch(
    config: WatchConfig,
    client: Any,
    *,
    detector_source: DetectorSource,
    options: DetectOptions | None = None,
    note: Callable[[str], object] | None = None,
    tiles_per_task: int | None = None,
) -> WatchSummary:
    """Find, cut and ingest every new scene of every site, detect them on the Dask cluster of
    ``client`` (tasks of about ``tiles_per_task`` tiles, see
    :func:`sitewatch.watch.scheduling.pack_pieces`), then track and report each site that
    changed (one cluster task per site: :func:`track_and_report`).

    Raises:
        SourceError: a source cannot be reached or read.
        ConfigError: a source file without a date, a bad detector.
        WatchError: a detection task failed on every worker it was given.
    """
    if tiles_per_task is not None and tiles_per_task < 1:
        raise ConfigError(f"tiles per task must be at least 1, got {tiles_per_task}")
    options = options or DetectOptions()
    clock = _PhaseClock(client)
    detector = detector_source.load()
    stores: dict[str, CaseStore] = {}
    found: dict[str, tuple[int, int, int, int]] = {}
    for site in config.sites:
        store = _case(case_folder(config, site.name))
        stores[site.name] = store
        found[site.name] = _ingest_new(config, site, store, note)
    clock.lap("find_cut_ingest")
    pending = {name: scenes_to_detect(store, detector, options=options)
               for name, store in stores.items()}
    everything = [scene for scenes in pending.values() for scene in scenes]
    result = detect_on_cluster(client, everything, detector, detector_source, options=options,
                               cache=TaskCache(folder=config.folder / "cache"),
                               tiles_per_task=tiles_per_task) if everything else None
    counted: dict[str, tuple[int, int]] = {}
    for site in config.sites:
        if pending[site.name] and result is not None:
            summary = detect_case(stores[site.name], detector, options=options,
                                  runner=partial(_computed, result.records))
            counted[site.name] = (summary.scenes_processed, summary.detections)
    clock.lap("detect")
    changed = [site.name for site in config.sites
               if found[site.name][1] or counted.get(site.name, (0, 0))[0]]
    # One task per site: each case is written by one process (never two on one SQLite file),
    # and the sites' figures and reports are drawn on the cluster's cores side by side.
    roots = [stores[name].root for name in changed]
    written = client.gather(client.map(track_and_report, [r.resolve() for r in roots],
                                       pure=False)) if changed else []
    reports = {name: root / path.relative_to(root.resolve())  # named as the case is here
               for name, root, path in zip(changed, roots, written, strict=True)}
    outcomes = []
    for site in config.sites:
        store, (offered, ingested, too_little, seen) = stores[site.name], found[site.name]
        detected, detections = counted.get(site.name, (0, 0))
        outcomes.append(SiteOutcome(site=site.name, case=store.root, offered=offered,
                                    ingested=ingested, too_little=too_little, seen_before=seen,
                                    detected=detected, detections=detections,
                                    report=reports.get(site.name)))
    clock.lap("track_report")
    return WatchSummary(sites=tuple(outcomes), tasks_run=result.tasks_run if result else 0,
                        scenes_run=result.scenes_run if result else 0,
                        cache_hits=result.cache_hits if result else 0,
                        tiles_run=result.tiles_run if result else 0,
                        tiles_reused=result.tiles_reused if result else 0,
                        phase_s=tuple(clock.wall), phase_cpu_s=tuple(clock.cpu),
                        workers_cpu_s=tuple(clock.workers))


#: Reports draw their figures with matplotlib's pyplot, whose figure registry is one per
#: process and not thread-safe: a worker running several task threads draws one report at a
#: time (sites still run side by side on different worker processes).
_DRAWING = threading.Lock()


def track_and_report(case: Path) -> Path:
    """Track one site's case, write its counts and its report (run as one cluster task per
    site, so each case has one writer); returns the report's path."""
    store = CaseStore.open(case)
    with _DRAWING:
        track_and_log(store, counts_out=store.layout.derived / "counts.csv")
        return report_case(store)


class _PhaseClock:
    """Wall seconds, this process's CPU seconds and the cluster's workers' CPU seconds between
    laps."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.wall: list[tuple[str, float]] = []
        self.cpu: list[tuple[str, float]] = []
        self.workers: list[tuple[str, float]] = []
        self._last = self._now()

    def _now(self) -> tuple[float, float, float]:
        return (time.perf_counter(), time.process_time(),
                float(sum(self.client.run(time.process_time).values())))

    def lap(self, name: str) -> None:
        now = self._now()
        for got, a, b in zip((self.wall, self.cpu, self.workers), self._last, now, strict=True):
            got.append((name, round(b - a, 3)))
        self._last = now


def _computed(records: Mapping[str, tuple[DetectionRecord, ...]], todo: Sequence[Scene]
              ) -> dict[str, tuple[DetectionRecord, ...]]:
    return {scene.sha256: records[scene.sha256] for scene in todo}


def _case(root: Path) -> CaseStore:
    return CaseStore.open(root) if root.exists() else init_case(root)


def candidate_key(candidate: Candidate, site: Site, margin_m: float) -> tuple[str, dict[str, str]]:
    """The key of a source scene for a site, and the pin of the source's bytes it includes.

    A local file is pinned by size and modification time (hashed in full only when cut); a
    remote one by its ETag (or Last-Modified and length), asked with an HTTP HEAD.
    """
    if is_remote(candidate.href):
        pin = source_identity(candidate.href)
    else:
        stat = os.stat(candidate.href)
        pin = {"size": str(stat.st_size), "mtime_ns": str(stat.st_mtime_ns)}
    # Not the item's links: they name the API's own address, which may move.
    text = json.dumps({"href": candidate.href, "pin": pin, "item_id": candidate.item_id,
                       "collection": candidate.collection, "site": site.ring_lonlat,
                       "margin_m": margin_m}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest(), pin


def _ingest_new(config: WatchConfig, site: Site, store: CaseStore,
                note: Callable[[str], object] | None) -> tuple[int, int, int, int]:
    """Cut and ingest the site's new scenes; returns (offered, ingested, too little, seen)."""
    done = offered_keys(store)
    offered = ingested = too_little = seen = 0
    for source in config.sources:
        for candidate in candidates(source, site, config):
            offered += 1
            key, _ = candidate_key(candidate, site, config.margin_m)
            if key in done:
                seen += 1
                continue
            added = _ingest_one(config, site, store, candidate, key)
            done.add(key)
            ingested += added
            too_little += not added
            if note:
                note(f"{site.name}: {candidate.describe()} {candidate.date}: "
                     + ("ingested" if added else "covers too little of the site, skipped"))
    return offered, ingested, too_little, seen


def _ingest_one(config: WatchConfig, site: Site, store: CaseStore, candidate: Candidate,
                key: str) -> bool:
    incoming = config.folder / "incoming" / site.name / f"{candidate.date}_{key[:16]}.tif"
    cutout = cut_site(candidate.href, site.polygon(), incoming, margin_m=config.margin_m,
                      min_coverage=config.min_coverage)
    details: dict[str, Any] = {
        "key": key, "source": candidate.source, "href": candidate.href,
        "date": candidate.date.isoformat(), "margin_m": config.margin_m,
        "item": json.loads(candidate.item_json) if candidate.item_json else None,
        **cutout.provenance(),
    }
    reason = (f"covers {cutout.coverage:.0%} of the site, under min_coverage "
              f"{config.min_coverage:.0%}")
    try:
        return take_offered_scene(store, cutout.path, details, skip_reason=reason, site=site.name,
                                  date=candidate.date, source=candidate.describe(),
                                  licence=candidate.licence)
    finally:
        if cutout.path is not None:
            cutout.path.unlink(missing_ok=True)


def scenes_of(config: WatchConfig) -> dict[str, tuple[Scene, ...]]:
    """Every stored scene of every site of the watch (sites without a case: none)."""
    return {site.name: CaseStore.open(case_folder(config, site.name)).scenes()
            for site in config.sites if case_folder(config, site.name).exists()}



def watch_once(
    config_path: Path,
    *,
    cluster: str | None = None,
    workers: int | None = None,
    threads: int | None = None,
    model: str | None = None,
    device: str = "cpu",
    batch_size: int | None = None,
    tiles_per_task: int | None = None,
    note: Callable[[str], object] | None = None,
) -> WatchSummary:
    """What ``sitewatch watch`` does: read the watch list and run it once on Dask.

    ``cluster`` is a scheduler's address, else a local cluster of ``workers`` processes (one
    per two cores by default) with ``threads`` model threads each (cores / workers by default).
    ``model`` overrides the watch list's. ``batch_size`` is tiles per forward pass (the
    detection default when ``None``).

    Raises:
        ConfigError: the watch list cannot be read, or a bad detector; as :func:`run_watch`.
    """
    config = load_watch(config_path)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    workers = workers or max(1, cores // 2)
    threads = threads or max(1, cores // workers)
    source = DetectorSource(model=model or config.model, device=device, threads=threads)
    options = DetectOptions() if batch_size is None else DetectOptions(batch_size=batch_size)
    with cluster_client(cluster, workers=workers, threads_per_worker=1) as client:
        return run_watch(config, client, detector_source=source, options=options, note=note,
                         tiles_per_task=tiles_per_task)
