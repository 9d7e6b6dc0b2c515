"""Finding the scenes a source holds for a site and a date range.

Each source yields :class:`Candidate` values: where the image is (a local path or an http(s)
address), its date, and the STAC item (with its links) it came from, kept as provenance. Whether
a candidate really covers the site is decided when its window is cut (:mod:`sitewatch.watch.cutout`),
from the raster's own georeference; the STAC geometry only narrows the search.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sitewatch.errors import ConfigError, SourceError
from sitewatch.watch.config import (
    FolderSource,
    Site,
    Source,
    StacApiSource,
    StacCatalogSource,
    WatchConfig,
)

_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4}-\d{2}-\d{2})(?!\d)")
_RASTER_SUFFIXES = (".tif", ".tiff")
_ASSET_KEYS = ("visual", "image", "data")
_GEOTIFF_TYPES = ("image/tiff", "image/tiff; application=geotiff",
                  "image/tiff; application=geotiff; profile=cloud-optimized")


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """A scene a source offers for a site.

    Attributes:
        source: The source's name in the watch list.
        href: A local path or an http(s) address of the raster.
        date: Acquisition date (UTC).
        item_id: The STAC item id ("" for a folder file).
        collection: The STAC collection id ("" when none).
        item_json: The STAC item with its links, as JSON text ("" for a folder file).
        licence: The item's licence, when it states one.
    """

    source: str
    href: str
    date: dt.date
    item_id: str = ""
    collection: str = ""
    item_json: str = ""
    licence: str = ""

    def describe(self) -> str:
        """One line naming where the scene came from (stored as the scene's source)."""
        if self.item_id:
            return (f"{self.source}: STAC item {self.item_id}"
                    + (f" ({self.collection})" if self.collection else ""))[:300]
        return f"{self.source}: {Path(self.href).name}"[:300]


def candidates(source: Source, site: Site, config: WatchConfig) -> tuple[Candidate, ...]:
    """The scenes ``source`` offers for ``site`` between the watch's dates, oldest first.

    Raises:
        SourceError: the source cannot be reached or read (the message names it).
        ConfigError: a folder file has no date in its name.
    """
    if isinstance(source, FolderSource):
        found = list(_folder(source, config))
    elif isinstance(source, StacCatalogSource):
        found = list(_static_catalog(source, site, config))
    else:
        found = list(_api(source, site, config))
    return tuple(sorted(found, key=lambda c: (c.date, c.href)))


def _folder(source: FolderSource, config: WatchConfig) -> Iterator[Candidate]:
    if not source.path.is_dir():
        raise SourceError(f"source {source.name!r}: folder '{source.path}' does not exist; check "
                          "its path in the watch list")
    for path in sorted(source.path.iterdir()):
        if path.suffix.lower() not in _RASTER_SUFFIXES or not path.is_file():
            continue
        match = _DATE_IN_NAME.search(path.name)
        if match is None:
            raise ConfigError(f"source {source.name!r}: '{path}' has no YYYY-MM-DD date in its "
                              "name; rename it (e.g. depot_2014-06-11.tif) or describe it in a "
                              "STAC catalog")
        try:
            date = dt.date.fromisoformat(match.group(1))
        except ValueError:
            raise ConfigError(f"source {source.name!r}: '{path.name}' holds {match.group(1)!r}, "
                              "not a calendar date; rename it") from None
        if config.start <= date <= config.end:
            yield Candidate(source=source.name, href=str(path.resolve()), date=date)


def _static_catalog(source: StacCatalogSource, site: Site, config: WatchConfig
                    ) -> Iterator[Candidate]:
    import pystac

    try:
        catalog = pystac.Catalog.from_file(source.href)
        items = list(catalog.get_items(recursive=True))
    except (OSError, ValueError, KeyError, pystac.STACError) as exc:
        raise SourceError(f"source {source.name!r}: cannot read STAC catalog {source.href[:200]}: "
                          f"{str(exc)[:200]}; check the address") from None
    aoi = site.polygon()
    for item in items:
        found = _from_item(source.name, item.to_dict(transform_hrefs=True), "", config, aoi,
                           href_base=item.get_self_href())
        if found:
            yield found


def _api(source: StacApiSource, site: Site, config: WatchConfig) -> Iterator[Candidate]:
    from pystac_client import Client
    from pystac_client.exceptions import APIError

    try:
        client = Client.open(source.url)
        search = client.search(
            collections=list(source.collections) or None,
            intersects=site.polygon().__geo_interface__,
            datetime=f"{config.start.isoformat()}T00:00:00Z/{config.end.isoformat()}T23:59:59Z",
            max_items=10_000,
        )
        items = [item.to_dict() for item in search.items()]
    except (OSError, APIError, ValueError) as exc:
        raise SourceError(f"source {source.name!r}: STAC API search at {source.url[:200]} failed: "
                          f"{str(exc)[:200]}; check that the API is up and the collection "
                          "exists") from None
    aoi = site.polygon()
    for data in items:
        props = data.get("properties", {})
        # Limits are checked here whatever the server did with them: not every API filters.
        if not _within(props.get("eo:cloud_cover"), source.max_cloud_cover):
            continue
        if not _within(props.get("view:off_nadir"), source.max_off_nadir_deg):
            continue
        found = _from_item(source.name, data, source.asset, config, aoi, href_base=None)
        if found:
            yield found


def _within(value: Any, limit: float | None) -> bool:
    """An item without the property passes no limit: its absence is not a clear sky."""
    if limit is None:
        return True
    return isinstance(value, int | float) and not isinstance(value, bool) and value <= limit


def _from_item(source: str, data: dict[str, Any], asset_key: str, config: WatchConfig, aoi: Any,
               *, href_base: str | None) -> Candidate | None:
    from shapely.errors import ShapelyError
    from shapely.geometry import shape

    props = data.get("properties") or {}
    when = props.get("datetime") or props.get("start_datetime")
    try:
        date = dt.datetime.fromisoformat(str(when).replace("Z", "+00:00")).astimezone(dt.UTC).date()
    except ValueError:
        return None
    if not config.start <= date <= config.end:
        return None
    geometry = data.get("geometry")
    try:
        if geometry is not None and not shape(geometry).intersects(aoi):
            return None
    except (ValueError, TypeError, AttributeError, KeyError, IndexError, ShapelyError):
        return None  # a geometry shapely cannot read: e.g. {"type": "Polygon"}, no coordinates
    href = _asset_href(data.get("assets") or {}, asset_key)
    if href is None:
        return None
    if "://" not in href and not href.startswith("/") and href_base:
        href = str((Path(href_base).parent / href).resolve())
    return Candidate(
        source=source, href=href, date=date, item_id=str(data.get("id", ""))[:200],
        collection=str(data.get("collection") or "")[:200],
        item_json=json.dumps(data, sort_keys=True), licence=str(props.get("license", ""))[:200],
    )


def _asset_href(assets: dict[str, Any], key: str) -> str | None:
    if key:
        chosen = assets.get(key)
    else:
        chosen = next((assets[k] for k in _ASSET_KEYS if k in assets), None) or next(
            (a for a in assets.values()
             if isinstance(a, dict) and str(a.get("type", "")).lower() in _GEOTIFF_TYPES), None)
    href = chosen.get("href") if isinstance(chosen, dict) else None
    return href if isinstance(href, str) and href else None
