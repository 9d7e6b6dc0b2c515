"""sitewatch.watch: many sites, many dates. A watch list (``watch.toml``) names sites and
imagery sources (local folders, static STAC catalogs, STAC APIs); each run finds the new scenes
of every site, reads only the window covering it (HTTP range requests for cloud-optimised
GeoTIFFs), ingests it into the site's case, detects on a Dask cluster with results cached by
content hash, and tracks and reports what changed.

It sits above :mod:`sitewatch.case` and below the CLI.
"""

from __future__ import annotations

from sitewatch.watch.cache import TaskCache, task_key
from sitewatch.watch.config import (
    FolderSource,
    Site,
    StacApiSource,
    StacCatalogSource,
    WatchConfig,
    load_watch,
    read_sites_file,
)
from sitewatch.watch.cutout import Cutout, cut_site
from sitewatch.watch.scale import measure_engine_cpu, measure_scale
from sitewatch.watch.scheduling import (
    ClusterResult,
    DetectorSource,
    cluster_client,
    detect_on_cluster,
)
from sitewatch.watch.sources import Candidate, candidates
from sitewatch.watch.watching import SiteOutcome, WatchSummary, case_folder, run_watch, watch_once

__all__ = [
    "Candidate",
    "ClusterResult",
    "Cutout",
    "DetectorSource",
    "FolderSource",
    "Site",
    "SiteOutcome",
    "StacApiSource",
    "StacCatalogSource",
    "TaskCache",
    "WatchConfig",
    "WatchSummary",
    "candidates",
    "case_folder",
    "cluster_client",
    "cut_site",
    "detect_on_cluster",
    "load_watch",
    "measure_engine_cpu",
    "measure_scale",
    "read_sites_file",
    "run_watch",
    "task_key",
    "watch_once",
]
