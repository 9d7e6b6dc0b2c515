"""What a STAC source offers: an item whose geometry shapely cannot read is passed over."""

from __future__ import annotations

from pathlib import Path

from sitewatch.watch import candidates, load_watch
from tests.watch.conftest import write_watch_config

RING = [[39.70, 47.20], [39.72, 47.20], [39.72, 47.22], [39.70, 47.22]]


def _item(name: str, geometry: dict) -> dict:
    return {
        "type": "Feature", "stac_version": "1.0.0", "id": name, "geometry": geometry,
        "bbox": [39.70, 47.20, 39.72, 47.22], "links": [],
        "properties": {"datetime": "2014-06-11T10:00:00Z"},
        "assets": {"visual": {"href": f"{name}.tif", "type": "image/tiff"}},
    }


def test_an_item_whose_geometry_has_no_coordinates_is_passed_over(tmp_path: Path) -> None:
    """Fuzz corpus file 3078 of seed 0 gave the boundary loader ``{"type": "Polygon"}``; shapely
    answers that with a KeyError, which a STAC item's geometry must not turn into a traceback."""
    import pystac

    catalog = pystac.Catalog(id="partner", description="partner scenes")
    for name, geometry in (("good", {"type": "Polygon", "coordinates": [[*RING, RING[0]]]}),
                           ("no-coordinates", {"type": "Polygon"}),
                           ("empty", {"type": "Polygon", "coordinates": []})):
        catalog.add_item(pystac.Item.from_dict(_item(name, geometry)))
    catalog.normalize_and_save(str(tmp_path / "catalog"),
                               catalog_type=pystac.CatalogType.SELF_CONTAINED)
    path = write_watch_config(tmp_path, RING, """
[[sources]]
kind = "stac-catalog"
name = "partner"
href = "catalog/catalog.json"
""")
    config = load_watch(path)
    found = candidates(config.sources[0], config.sites[0], config)
    assert [Path(c.href).name for c in found] == ["good.tif"]
