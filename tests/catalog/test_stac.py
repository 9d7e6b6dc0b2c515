"""A STAC Item is untrusted: its asset stays beside it, and its gsd is a plausible number."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sitewatch.catalog import CaseStore, ingest_files, verify_case
from sitewatch.errors import InputFileError


def _item(folder: Path, href: str, *, gsd: object = None, raw: str | None = None) -> Path:
    properties: dict[str, object] = {"datetime": "2014-05-30T08:00:00Z"}
    if gsd is not None:
        properties["gsd"] = gsd
    item = {"type": "Feature", "stac_version": "1.0.0", "id": "scene-1", "geometry": None,
            "properties": properties, "links": [],
            "assets": {"visual": {"href": href, "type": "image/tiff"}}}
    path = folder / "item.json"
    text = json.dumps(item, allow_nan=True)
    path.write_text(text.replace('"gsd": 0.123', f'"gsd": {raw}') if raw else text)
    return path


@pytest.fixture
def store(tmp_path: Path) -> CaseStore:
    return CaseStore.init(tmp_path / "case")


def _unchanged(store: CaseStore) -> None:
    """A refusal leaves no scene, no stored original and a clean verify."""
    assert store.scenes() == ()
    assert not [p for p in (store.root / "objects").rglob("*") if p.is_file()]
    assert verify_case(store).ok


def test_an_item_naming_itself_is_refused_not_recursed(store: CaseStore, tmp_path: Path) -> None:
    item = _item(tmp_path, "item.json")
    with pytest.raises(InputFileError, match="STAC Item itself"):
        ingest_files(store, [item], site="a", date=None)
    _unchanged(store)


def test_an_item_naming_another_item_is_refused(store: CaseStore, tmp_path: Path) -> None:
    (tmp_path / "inner").mkdir()
    _item(tmp_path / "inner", "item.json")
    outer = tmp_path / "outer.json"
    outer.write_text(_item(tmp_path, "inner/item.json").read_text())
    with pytest.raises(InputFileError, match="STAC Item itself"):
        ingest_files(store, [outer], site="a", date=None)
    _unchanged(store)


@pytest.mark.parametrize("href", ["{abs}", "file://{abs}", "../tiny_geo.tif",
                                  "sub/../../tiny_geo.tif", "%2E%2E/tiny_geo.tif"])
def test_assets_outside_the_items_folder_are_refused(
    store: CaseStore, tmp_path: Path, tiny_geotiff: Path, href: str,
) -> None:
    folder = tmp_path / "items"
    (folder / "sub").mkdir(parents=True)
    item = _item(folder, href.format(abs=tiny_geotiff.resolve()))
    with pytest.raises(InputFileError, match="relative to the item's folder"):
        ingest_files(store, [item], site="a", date=None)
    _unchanged(store)


def test_a_link_out_of_the_items_folder_is_refused(
    store: CaseStore, tmp_path: Path, tiny_geotiff: Path,
) -> None:
    folder = tmp_path / "items"
    folder.mkdir()
    (folder / "scene.tif").symlink_to(tiny_geotiff)
    with pytest.raises(InputFileError, match="outside the item's folder"):
        ingest_files(store, [_item(folder, "scene.tif")], site="a", date=None)
    _unchanged(store)


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity", "1e300", "-0.3", "0", '"0.3"',
                                 "true", "[0.3]", "1e-9"])
def test_implausible_gsd_is_refused_before_anything_is_stored(
    store: CaseStore, tmp_path: Path, tiny_geotiff: Path, raw: str,
) -> None:
    folder = tmp_path / "items"
    folder.mkdir()
    shutil.copy(tiny_geotiff, folder / "scene.tif")
    item = _item(folder, "scene.tif", gsd=0.123, raw=raw)
    with pytest.raises(InputFileError, match="gsd"):
        ingest_files(store, [item], site="a", date=None)
    _unchanged(store)


def test_a_plausible_gsd_and_relative_asset_are_ingested(
    store: CaseStore, tmp_path: Path, tiny_geotiff: Path,
) -> None:
    folder = tmp_path / "items"
    (folder / "img").mkdir(parents=True)
    shutil.copy(tiny_geotiff, folder / "img" / "scene.tif")
    (scene,) = ingest_files(store, [_item(folder, "img/scene.tif", gsd=0.3)], site="a",
                            date=None).added
    assert scene.gsd_m == 0.3  # the item's gsd is taken as given, like --gsd
    assert verify_case(store).ok


@pytest.mark.parametrize("bbox", ["39.7,47.2,39.8,47.3", ["39.7", "47.2", "39.8", "47.3"],
                                  [39.7, 47.2, 39.8], [39.7, 47.2, 1e300, 47.3],
                                  [39.7, 91, 39.8, 92], [39.7, 47.3, 39.8, 47.2], [True, 0, 1, 1],
                                  [10**400, 47.2, 39.7, 47.2]])
def test_a_bbox_that_is_not_four_degrees_is_refused(
    store: CaseStore, tmp_path: Path, tiny_geotiff: Path, bbox: object,
) -> None:
    """Issue 24: bbox strings (and any list at all) were accepted; an integer beyond any float
    (fuzz file 7723) was an OverflowError traceback."""
    folder = tmp_path / "items"
    folder.mkdir()
    shutil.copy(tiny_geotiff, folder / "scene.tif")
    item = _item(folder, "scene.tif")
    item.write_text(json.dumps({**json.loads(item.read_text()), "bbox": bbox}))
    with pytest.raises(InputFileError, match=r"bbox|digits") as caught:
        ingest_files(store, [item], site="a", date=None)
    assert "\n" not in str(caught.value)
    _unchanged(store)
    item.write_text(json.dumps({**json.loads(item.read_text()), "bbox": [179.5, 47.2, -179.5, 47.3]}))
    assert len(ingest_files(store, [item], site="a", date=None, gsd_m=0.5).added) == 1


@pytest.mark.parametrize("text", ['{"type": "Feature"' + ', "a": [' * 50_000, "{" * 100_000,
                                  '{"type": "Feature", "assets": 5}', "{\xff",
                                  json.dumps({"type": "Feature", "stac_version": "1.0.0", "id": "x",
                                              "geometry": None, "links": [],
                                              "properties": {"datetime": "2014-05-30T08:00:00Z"},
                                              "assets": {"visual": {"href": 5}}}),
                                  json.dumps({"type": "Feature", "stac_version": "1.0.0", "id": "x",
                                              "geometry": None, "links": [],
                                              "properties": {"datetime": "2014-05-30T08:00:00Z"},
                                              "assets": {"a": {"href": "x\u0000.tif", "type": 7}}}),
                                  ])
def test_malformed_items_are_one_line_refusals(store: CaseStore, tmp_path: Path,
                                               text: str) -> None:
    path = tmp_path / "item.json"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    with pytest.raises(InputFileError, match="item") as caught:
        ingest_files(store, [path], site="a", date=None)
    assert "\n" not in str(caught.value)
    _unchanged(store)
