"""The public face of sitewatch.watch is pinned."""

from __future__ import annotations

import sitewatch.watch as watch


def test_exported_members() -> None:
    assert sorted(watch.__all__) == sorted([
        "Candidate", "ClusterResult", "Cutout", "DetectorSource", "FolderSource", "Site",
        "SiteOutcome", "StacApiSource", "StacCatalogSource", "TaskCache", "WatchConfig",
        "WatchSummary", "candidates", "case_folder", "cluster_client", "cut_site",
        "detect_on_cluster", "load_watch", "measure_engine_cpu", "measure_scale", "read_sites_file",
        "run_watch", "task_key", "watch_once",
    ])
    assert all(hasattr(watch, name) for name in watch.__all__)
