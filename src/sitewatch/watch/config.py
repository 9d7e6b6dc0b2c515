"""The watch list: ``watch.toml`` read strictly into frozen values.

A watch list names sites (an area-of-interest polygon in WGS84 longitude/latitude, given inline
or as a GeoJSON/KML file of named polygons), a date range and imagery sources::

    [watch]
    folder = "watch-out"          # site cases, cache and cutouts live here (relative to this file)
    start = "2014-01-01"
    end = "2024-12-31"
    margin_m = 50.0               # read this much ground around each site
    min_coverage = 0.9            # a scene must cover this share of a site's polygon
    model = "sitewatch-vehicles-yolov8n-obb"

    [[sites]]
    name = "depot_a"
    polygon = [[-84.41, 33.75], [-84.40, 33.75], [-84.40, 33.76], [-84.41, 33.76]]

    [[sites]]
    file = "border_sites.geojson" # or .kml: one site per named polygon

    [[sources]]
    kind = "folder"               # GeoTIFFs whose names hold their date, e.g. 2014-06-11.tif
    name = "downloads"
    path = "imagery"

    [[sources]]
    kind = "stac-catalog"         # a static catalog: a local catalog.json or an http(s) address
    name = "partner"
    href = "catalog/catalog.json"

    [[sources]]
    kind = "stac-api"             # searched with pystac-client
    name = "provider"
    url = "http://127.0.0.1:7822"
    collections = ["overhead"]
    max_cloud_cover = 20.0        # eo:cloud_cover, percent
    max_off_nadir_deg = 25.0      # view:off_nadir
    asset = "visual"              # the asset to read (default: visual, image, data, or any GeoTIFF)

Unknown keys and tables are refused with the key named, so a typo never silently widens a watch.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sitewatch.catalog import parse_date, parse_site
from sitewatch.errors import ConfigError
from sitewatch.untrusted import load_json

#: Largest watch.toml or sites file read (a watch list is a small text file).
MAX_CONFIG_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class Site:
    """A watched site: its name (also its case folder's name) and polygon.

    Attributes:
        name: 1-64 letters, digits, '-', '_' or '.'.
        ring_lonlat: The polygon's outer ring as (longitude, latitude) pairs, WGS84, not closed.
    """

    name: str
    ring_lonlat: tuple[tuple[float, float], ...]

    def __post_init__(self) -> None:
        parse_site(self.name)
        ring = tuple((float(x), float(y)) for x, y in self.ring_lonlat)
        if ring and ring[0] == ring[-1]:
            ring = ring[:-1]
        object.__setattr__(self, "ring_lonlat", ring)
        bad = [p for p in ring if not (math.isfinite(p[0]) and math.isfinite(p[1])
                                       and -180 <= p[0] <= 180 and -90 <= p[1] <= 90)]
        if len(ring) < 3 or bad:
            raise ConfigError(f"site {self.name!r}: the polygon needs at least 3 corners given as "
                              "[longitude, latitude] in degrees"
                              + (f" ({bad[0]} is not one)" if bad else ""))
        if not self.polygon().is_valid or self.polygon().area == 0:
            raise ConfigError(f"site {self.name!r}: the polygon crosses itself or has no area; "
                              "list its corners in order around the site")

    def polygon(self) -> Any:
        """The site as a shapely Polygon in longitude/latitude."""
        from shapely.geometry import Polygon

        return Polygon(self.ring_lonlat)


@dataclass(frozen=True, slots=True, kw_only=True)
class FolderSource:
    """Local GeoTIFFs whose file names hold their acquisition date (``YYYY-MM-DD``)."""

    name: str
    path: Path


@dataclass(frozen=True, slots=True, kw_only=True)
class StacCatalogSource:
    """A static STAC catalog (a ``catalog.json`` path or http(s) address), read with pystac."""

    name: str
    href: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StacApiSource:
    """A STAC API searched with pystac-client, with the limits a scene must meet.

    Attributes:
        max_cloud_cover: Largest ``eo:cloud_cover`` (percent) accepted; None: no limit.
        max_off_nadir_deg: Largest ``view:off_nadir`` accepted; None: no limit.
        asset: The asset key to read; empty: the first of visual, image, data or a GeoTIFF.
    """

    name: str
    url: str
    collections: tuple[str, ...] = ()
    max_cloud_cover: float | None = None
    max_off_nadir_deg: float | None = None
    asset: str = ""


Source = FolderSource | StacCatalogSource | StacApiSource


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchConfig:
    """A whole watch list.

    Attributes:
        path: The watch.toml it was read from.
        folder: Where the site cases (``cases/SITE``), task cache and cutouts are kept.
        start, end: Acquisition dates watched, both included.
        margin_m: Ground read around each site's polygon, in metres.
        min_coverage: Share (0-1] of a site's polygon a scene must cover to be used.
        model: Detector model name or path; empty: the package default.
        sites, sources: What is watched, and where imagery is looked for.
    """

    path: Path
    folder: Path
    start: dt.date
    end: dt.date
    sites: tuple[Site, ...]
    sources: tuple[Source, ...]
    margin_m: float = 50.0
    min_coverage: float = 0.9
    model: str = ""

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ConfigError(f"{self.path}: [watch] end {self.end} is before start {self.start}")
        if not (math.isfinite(self.margin_m) and 0 <= self.margin_m <= 10_000):
            raise ConfigError(f"{self.path}: [watch] margin_m {self.margin_m} must be 0-10000 metres")
        if not 0 < self.min_coverage <= 1:
            raise ConfigError(f"{self.path}: [watch] min_coverage {self.min_coverage} must be in "
                              "(0, 1], e.g. 0.9")
        for kind, names in (("site", [s.name for s in self.sites]),
                            ("source", [s.name for s in self.sources])):
            repeated = sorted({n for n in names if names.count(n) > 1})
            if repeated:
                raise ConfigError(f"{self.path}: {kind} name {repeated[0]!r} is used twice; "
                                  f"give each {kind} its own name")
        if not self.sites or not self.sources:
            raise ConfigError(f"{self.path}: a watch needs at least one [[sites]] and one "
                              "[[sources]] entry")


_WATCH_KEYS = {"folder", "start", "end", "margin_m", "min_coverage", "model"}
_SOURCE_KEYS = {
    "folder": {"kind", "name", "path"},
    "stac-catalog": {"kind", "name", "href"},
    "stac-api": {"kind", "name", "url", "collections", "max_cloud_cover", "max_off_nadir_deg",
                 "asset"},
}


def load_watch(path: Path) -> WatchConfig:
    """Read a watch.toml strictly (unknown keys refused; relative paths from its folder).

    Raises:
        ConfigError: unreadable, not TOML, an unknown or missing key, a bad value, or a sites
            file that cannot be read; the message names the file and the key.
    """
    doc = _toml(path)
    _only(doc, {"watch", "sites", "sources"}, f"{path}")
    watch = _table(doc.get("watch"), f"{path}: [watch]")
    _only(watch, _WATCH_KEYS, f"{path}: [watch]")
    base = path.parent
    sites: list[Site] = []
    for i, entry in enumerate(_tables(doc.get("sites"), f"{path}: [[sites]]")):
        sites.extend(_sites(entry, base, f"{path}: [[sites]] #{i + 1}"))
    sources = tuple(_source(entry, base, f"{path}: [[sources]] #{i + 1}")
                    for i, entry in enumerate(_tables(doc.get("sources"), f"{path}: [[sources]]")))
    return WatchConfig(
        path=path,
        folder=base / _text(watch, "folder", f"{path}: [watch]", default="watch-out"),
        start=_date(watch, "start", path),
        end=_date(watch, "end", path),
        margin_m=_number(watch, "margin_m", f"{path}: [watch]", 50.0),
        min_coverage=_number(watch, "min_coverage", f"{path}: [watch]", 0.9),
        model=_text(watch, "model", f"{path}: [watch]", default=""),
        sites=tuple(sites),
        sources=sources,
    )


def _toml(path: Path) -> dict[str, Any]:
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"watch list '{path}' is over {MAX_CONFIG_BYTES} bytes; split it")
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read watch list '{path}': {exc}; check the path") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"watch list '{path}' is not valid TOML: {exc}") from None


def _only(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}")


def _table(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where} is missing or not a table")
    return value


def _tables(value: Any, where: str) -> list[Mapping[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(f"{where}: give one or more tables ([[...]] entries)")
    return value


def _text(table: Mapping[str, Any], key: str, where: str, *, default: str | None = None) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or (default is None and not value):
        raise ConfigError(f"{where}: {key} must be text" + (" and is missing" if value is None else ""))
    return value


def _number(table: Mapping[str, Any], key: str, where: str, default: float | None) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{where}: {key} must be a number, not {str(value)[:40]!r}")
    return float(value)


def _optional_number(table: Mapping[str, Any], key: str, where: str) -> float | None:
    return None if key not in table else _number(table, key, where, None)


def _date(table: Mapping[str, Any], key: str, path: Path) -> dt.date:
    value = table.get(key)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str):
        raise ConfigError(f"{path}: [watch] {key} must be a date YYYY-MM-DD")
    return parse_date(value)


def _sites(entry: Mapping[str, Any], base: Path, where: str) -> list[Site]:
    if "file" in entry:
        _only(entry, {"file"}, where)
        return read_sites_file(base / _text(entry, "file", where))
    _only(entry, {"name", "polygon"}, where)
    ring = entry.get("polygon")
    if not isinstance(ring, list) or not all(isinstance(p, list) and len(p) == 2 for p in ring):
        raise ConfigError(f"{where}: polygon must be a list of [longitude, latitude] pairs")
    try:
        return [Site(name=_text(entry, "name", where), ring_lonlat=tuple(tuple(p) for p in ring))]
    except (TypeError, ValueError) as exc:
        if isinstance(exc, ConfigError):
            raise ConfigError(f"{where}: {exc}") from None
        raise ConfigError(f"{where}: polygon corners must be numbers") from None


def _source(entry: Mapping[str, Any], base: Path, where: str) -> Source:
    kind = entry.get("kind")
    if kind not in _SOURCE_KEYS:
        raise ConfigError(f"{where}: kind {str(kind)[:40]!r} is not one of "
                          f"{', '.join(sorted(_SOURCE_KEYS))}")
    _only(entry, _SOURCE_KEYS[kind], where)
    name = _text(entry, "name", where)
    if kind == "folder":
        return FolderSource(name=name, path=base / _text(entry, "path", where))
    if kind == "stac-catalog":
        href = _text(entry, "href", where)
        if "://" not in href:
            href = str(base / href)
        return StacCatalogSource(name=name, href=href)
    url = _text(entry, "url", where)
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"{where}: url {url[:100]!r} must start with http:// or https://")
    collections = entry.get("collections", [])
    if not isinstance(collections, list) or not all(isinstance(c, str) for c in collections):
        raise ConfigError(f"{where}: collections must be a list of collection ids")
    return StacApiSource(
        name=name, url=url, collections=tuple(collections),
        max_cloud_cover=_optional_number(entry, "max_cloud_cover", where),
        max_off_nadir_deg=_optional_number(entry, "max_off_nadir_deg", where),
        asset=_text(entry, "asset", where, default=""),
    )


def read_sites_file(path: Path) -> list[Site]:
    """Sites from a GeoJSON FeatureCollection (a ``name`` property per polygon) or a KML file
    (a ``<name>`` per Placemark polygon).

    Raises:
        ConfigError: unreadable, too large, not GeoJSON/KML, a polygon without a name, or a
            geometry that is not a polygon.
    """
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"sites file '{path}' is over {MAX_CONFIG_BYTES} bytes; split it")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read sites file '{path}': {exc}; check the path") from None
    kml = path.suffix.lower() == ".kml"
    named = _kml_polygons(text, path) if kml else _geojson_polygons(text, path)
    if not named:
        raise ConfigError(f"sites file '{path}' holds no polygon; give one polygon per site")
    try:
        return [Site(name=name, ring_lonlat=ring) for name, ring in named]
    except ConfigError as exc:
        raise ConfigError(f"sites file '{path}': {exc}") from None


def _geojson_polygons(text: str, path: Path) -> list[tuple[str, tuple[tuple[float, float], ...]]]:
    doc = load_json(text, f"sites file '{path}'")
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list):
        raise ConfigError(f"sites file '{path}' is not a GeoJSON FeatureCollection")
    out = []
    for i, feature in enumerate(features):
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        props = feature.get("properties") if isinstance(feature, dict) else None
        name = props.get("name") if isinstance(props, dict) else None
        if not isinstance(geometry, dict) or geometry.get("type") != "Polygon":
            raise ConfigError(f"sites file '{path}': feature {i + 1} is not a Polygon; give each "
                              "site as one polygon")
        if not isinstance(name, str):
            raise ConfigError(f"sites file '{path}': feature {i + 1} has no 'name' property; "
                              "name each site")
        try:
            ring = tuple((float(x), float(y)) for x, y, *_ in geometry["coordinates"][0])
        except (TypeError, ValueError, KeyError, IndexError):
            raise ConfigError(f"sites file '{path}': feature {i + 1} ({name!r}) has malformed "
                              "coordinates") from None
        out.append((name, ring))
    return out


def _kml_polygons(text: str, path: Path) -> list[tuple[str, tuple[tuple[float, float], ...]]]:
    import xml.etree.ElementTree as ET

    if "<!ENTITY" in text or "<!DOCTYPE" in text:
        raise ConfigError(f"sites file '{path}' declares a DOCTYPE or entities, which a KML file "
                          "does not need; remove them")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ConfigError(f"sites file '{path}' is not KML: {exc}") from None
    out = []
    for i, placemark in enumerate(e for e in root.iter() if e.tag.endswith("Placemark")):
        name = next((e.text for e in placemark.iter() if e.tag.endswith("}name") or e.tag == "name"),
                    None)
        outer = next((e for e in placemark.iter() if e.tag.endswith("outerBoundaryIs")), None)
        coords = None if outer is None else next(
            (e.text for e in outer.iter() if e.tag.endswith("coordinates")), None)
        if coords is None:
            continue  # a point or line placemark: not a site
        if not name or not name.strip():
            raise ConfigError(f"sites file '{path}': polygon placemark {i + 1} has no <name>")
        try:
            ring = tuple((float(t.split(",")[0]), float(t.split(",")[1])) for t in coords.split())
        except (ValueError, IndexError):
            raise ConfigError(f"sites file '{path}': placemark {name.strip()!r} has malformed "
                              "coordinates") from None
        out.append((name.strip(), ring))
    return out
