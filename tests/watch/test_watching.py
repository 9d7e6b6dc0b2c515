"""A whole watch on real parts: COGs of a real scene served over HTTP with range support, a
static STAC catalog, a STAC API (``rustac serve``), a Dask LocalCluster and the package's real
detector. A second run does no work and changes no file; verify and replay hold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sitewatch.case import replay_case
from sitewatch.catalog import CaseStore, sha256_file, verify_case
from sitewatch.watch import DetectorSource, case_folder, cluster_client, load_watch, run_watch
from tests.watch.conftest import DATES, Scenes, write_watch_config
from tests.watch.servers import range_server, rustac_binary, stac_api

MODEL = DetectorSource(model="sitewatch-vehicles-yolov8n-obb-int8", threads=1)


def _item(name: str, date: str, href: str, ring: tuple, **props: float) -> dict:
    coords = [list(p) for p in ring] + [list(ring[0])]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    return {
        "type": "Feature", "stac_version": "1.0.0", "id": name, "collection": "overhead",
        "geometry": {"type": "Polygon", "coordinates": [coords]},
        "bbox": [min(xs), min(ys), max(xs), max(ys)],
        "properties": {"datetime": f"{date}T10:00:00Z", "license": "CC-BY-SA-4.0", **props},
        "links": [{"rel": "license", "href": "https://creativecommons.org/licenses/by-sa/4.0/"}],
        "assets": {"visual": {"href": href, "type":
                              "image/tiff; application=geotiff; profile=cloud-optimized"}},
    }


def _footprint(path: Path) -> tuple:
    import rasterio
    from rasterio.warp import transform_geom
    from shapely.geometry import box, shape

    with rasterio.open(path) as src:
        geom = transform_geom(src.crs, "EPSG:4326", box(*src.bounds).__geo_interface__)
    return tuple(shape(geom).exterior.coords)[:-1]


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): sha256_file(p) for p in sorted(folder.rglob("*"))
            if p.is_file()}


@pytest.mark.skipif(rustac_binary() is None, reason="rustac (pip install rustac) not installed")
def test_stac_api_watch_reruns_without_work_and_verifies(scenes: Scenes, tmp_path: Path) -> None:
    with range_server(scenes.folder) as server:
        footprint = _footprint(scenes.files[0])
        items = [_item(f"depot-{d}", d, f"{server.url}/{f.name}", footprint,
                       **{"eo:cloud_cover": 5.0, "view:off_nadir": 10.0})
                 for d, f in zip(DATES, scenes.files, strict=True)]
        # Refused by the limits: too cloudy, too oblique, and one without a cloud figure.
        items.append(_item("cloudy", "2014-07-01", f"{server.url}/{scenes.files[0].name}",
                           footprint, **{"eo:cloud_cover": 80.0, "view:off_nadir": 10.0}))
        items.append(_item("oblique", "2014-07-02", f"{server.url}/{scenes.files[0].name}",
                           footprint, **{"eo:cloud_cover": 1.0, "view:off_nadir": 40.0}))
        items.append(_item("unknown-sky", "2014-07-03", f"{server.url}/{scenes.files[0].name}",
                           footprint))
        items_file = tmp_path / "items.json"
        items_file.write_text(json.dumps({"type": "FeatureCollection", "features": items}))
        with stac_api(items_file) as api:
            config = load_watch(write_watch_config(tmp_path, scenes.ring_lonlat, f"""
[[sources]]
kind = "stac-api"
name = "provider"
url = "{api}"
collections = ["overhead"]
max_cloud_cover = 20.0
max_off_nadir_deg = 25.0
"""))
            with cluster_client(None, workers=2, threads_per_worker=1) as client:
                first = run_watch(config, client, detector_source=MODEL)
                before = _tree(config.folder)
                sent_before = sum(server.sent.values())
                second = run_watch(config, client, detector_source=MODEL)
            after = _tree(config.folder)
            sent_on_rerun = sum(server.sent.values()) - sent_before

    (site,) = first.sites
    assert (site.offered, site.ingested, site.detected) == (2, 2, 2)
    assert (first.tasks_run, first.scenes_run) == (1, 2) and site.report is not None  # one task
    assert site.report.is_file() and site.report.is_relative_to(config.folder)  # drawn on a worker
    phases = ("find_cut_ingest", "detect", "track_report")
    assert tuple(name for name, _ in first.phase_s) == phases
    assert dict(first.workers_cpu_s)["detect"] > 0 and dict(first.workers_cpu_s)["track_report"] > 0
    assert (second.tasks_run, second.scenes_run) == (0, 0) and second.sites[0].seen_before == 2
    assert second.sites[0].report is None
    assert after == before  # the rerun changed no file
    assert sent_on_rerun == 0  # and read no pixel (HEAD requests only)
    store = CaseStore.open(case_folder(config, "depot"))
    assert verify_case(store).ok
    assert replay_case(store).ok
    entries = [json.loads(line) for line in store.audit_path.read_text().splitlines()]
    ingests = [e["details"] for e in entries if e["action"] == "watch-ingest"]
    assert {i["item"]["id"] for i in ingests} == {f"depot-{d}" for d in DATES}
    assert all(i["source_identity"]["etag"] and i["window"]["width_px"] > 0 for i in ingests)
    assert ingests[0]["item"]["links"][0]["rel"] in {"license", "root", "self", "collection",
                                                     "parent", "items"}


def test_folder_and_static_catalog_sources_feed_one_case(scenes: Scenes, tmp_path: Path) -> None:
    import pystac

    catalog = pystac.Catalog(id="partner", description="partner scenes")
    footprint = _footprint(scenes.files[0])
    catalog.add_item(pystac.Item.from_dict(_item("depot-late", "2014-06-11",
                                                 str(scenes.files[1]), footprint)))
    catalog.normalize_and_save(str(tmp_path / "catalog"),
                               catalog_type=pystac.CatalogType.SELF_CONTAINED)
    local = tmp_path / "downloads"
    local.mkdir()
    (local / scenes.files[0].name).write_bytes(scenes.files[0].read_bytes())
    (local / "notes.txt").write_text("not imagery")
    config = load_watch(write_watch_config(tmp_path, scenes.ring_lonlat, """
[[sources]]
kind = "folder"
name = "downloads"
path = "downloads"

[[sources]]
kind = "stac-catalog"
name = "partner"
href = "catalog/catalog.json"
"""))
    with cluster_client(None, workers=1, threads_per_worker=1) as client:
        summary = run_watch(config, client, detector_source=MODEL)
    (site,) = summary.sites
    assert (site.offered, site.ingested) == (2, 2)
    store = CaseStore.open(case_folder(config, "depot"))
    sources = sorted(s.source for s in store.scenes())
    assert sources == ["downloads: depot_2014-05-30.tif", "partner: STAC item depot-late (overhead)"]
    assert (store.layout.derived / "counts.csv").is_file() and store.layout.report.is_file()
    assert verify_case(store).ok
