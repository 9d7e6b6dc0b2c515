"""Reading zones (GeoJSON, KML) and alert thresholds (TOML), validated at the edge.

GeoJSON zones are Polygon or MultiPolygon features with a ``name`` property, in WGS84
longitude/latitude (RFC 7946). A site without georeference draws its zones in pixel
coordinates of the reference date and says so with a top-level ``"sitewatch:frame":
"pixel"`` member. KML zones are Placemarks with a ``name`` and a Polygon's outer boundary.

Alert files are TOML::

    [[alert]]
    zone = "parking"            # a zone name, or "*" for the whole site
    label = "armored_vehicle"   # a label, or "loaded_transporter"
    more_than = 5               # and/or fewer_than = 2
"""

from __future__ import annotations

import math
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sitewatch.detect import VehicleClass
from sitewatch.errors import ConfigError
from sitewatch.track.types import LOADED_TRANSPORTER
from sitewatch.track.zones import Zone, ZoneFrame
from sitewatch.untrusted import check_lonlat, load_json

MAX_ZONE_FILE_BYTES = 20_000_000
#: Most zones a file may hold: each is counted on every date (60,000 made a report run 180 s).
MAX_ZONES = 5_000
_KML = "{http://www.opengis.net/kml/2.2}"


def _read_text(path: Path, what: str) -> str:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {str(path)!r}: {exc.strerror}") from None
    if size > MAX_ZONE_FILE_BYTES:
        raise ConfigError(f"{what} {str(path)!r} is {size} bytes, over the "
                          f"{MAX_ZONE_FILE_BYTES} byte limit; simplify the polygons")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {what} {str(path)!r}: {exc}") from None


def _rings(geometry: dict[str, Any], path: Path) -> list[list[tuple[float, float]]]:
    kind = geometry.get("type")
    coords = geometry.get("coordinates")
    polygons = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else None
    if not isinstance(polygons, list):
        raise ConfigError(f"zone file {str(path)!r}: geometry type {kind!r} is not a Polygon "
                          "or MultiPolygon; draw zones as polygons")
    rings = []
    for poly in polygons:
        exterior = poly[0] if isinstance(poly, list) and poly else None
        if not isinstance(exterior, list):
            raise ConfigError(f"zone file {str(path)!r}: malformed coordinates: a polygon is a "
                              "list of rings, each a list of [x, y] points")
        rings.append([_point(p, path) for p in exterior])
    return rings


def _point(point: object, path: Path) -> tuple[float, float]:
    """``[x, y]`` (or ``[x, y, z]``) as two floats; a string, a bool or a nested list is refused
    (a point given as the string "12" was read character by character as (1, 2))."""
    if (not isinstance(point, list) or len(point) not in (2, 3)
            or not all(isinstance(v, int | float) and not isinstance(v, bool)
                       and math.isfinite(v) for v in point)):
        raise ConfigError(f"zone file {str(path)!r}: malformed coordinates: a point must be "
                          f"[x, y] finite numbers, not {str(point)[:40]!r}")
    return float(point[0]), float(point[1])


def load_geojson_zones(path: Path) -> tuple[Zone, ...]:
    """Zones from a GeoJSON FeatureCollection (or one Feature).

    Raises:
        ConfigError: unreadable, not GeoJSON, a feature without a name or polygon.
    """
    doc = load_json(_read_text(path, "zone file"), f"zone file {str(path)!r}")
    if not isinstance(doc, dict):
        raise ConfigError(f"zone file {str(path)!r} is not a GeoJSON object")
    frame_text = doc.get("sitewatch:frame", "lonlat")
    try:
        frame = ZoneFrame(frame_text)
    except ValueError:
        raise ConfigError(f"zone file {str(path)!r}: unknown frame {frame_text!r}; valid: "
                          "lonlat, pixel") from None
    features = doc.get("features") if doc.get("type") == "FeatureCollection" else [doc]
    if not isinstance(features, list):
        raise ConfigError(f"zone file {str(path)!r}: 'features' is not a list of features")
    zones = []
    for i, feat in enumerate(features):
        props = feat.get("properties") if isinstance(feat, dict) else None
        if not isinstance(props, dict) or not isinstance(feat.get("geometry") or {}, dict) \
                or feat.get("type") != "Feature":
            raise ConfigError(f"zone file {str(path)!r}: feature {i} is not a GeoJSON Feature "
                              "with a 'properties' object and a polygon 'geometry'")
        name = props.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"zone file {str(path)!r}: feature {i} has no 'name' property")
        for ring in _rings(feat.get("geometry") or {}, path):
            zones.append(_zone(name.strip(), ring, frame, path))
    return _bounded(zones, path)


def _zone(name: str, ring: list[tuple[float, float]], frame: ZoneFrame, path: Path) -> Zone:
    """A zone whose map coordinates are real longitudes and latitudes."""
    if frame is ZoneFrame.LONLAT:
        for lon, lat in ring:
            check_lonlat(lon, lat, f"zone file {str(path)!r}: zone {name[:40]!r}")
    return Zone(name=name, exterior=tuple(ring), frame=frame)


def _bounded(zones: list[Zone], path: Path) -> tuple[Zone, ...]:
    if len(zones) > MAX_ZONES:
        raise ConfigError(f"zone file {str(path)!r} holds {len(zones)} zones, over the "
                          f"{MAX_ZONES} sitewatch counts in; merge zones or split the site")
    return tuple(zones)


def load_kml_zones(path: Path) -> tuple[Zone, ...]:
    """Zones from KML Placemarks holding Polygons (outer boundaries only).

    Raises:
        ConfigError: unreadable, a DOCTYPE or entity declaration (refused: they enable
            entity-expansion attacks), not KML, or a placemark without a name.
    """
    text = _read_text(path, "zone file")
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise ConfigError(f"zone file {str(path)!r} declares a DOCTYPE or entities, which "
                          "sitewatch refuses; export the KML again without them")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ConfigError(f"zone file {str(path)!r} is not well-formed XML: {exc}") from None
    ns = _KML if root.tag.startswith(_KML) else ""
    zones = []
    for pm in root.iter(f"{ns}Placemark"):
        name = (pm.findtext(f"{ns}name") or "").strip()
        for poly in pm.iter(f"{ns}Polygon"):
            coords = poly.findtext(f"{ns}outerBoundaryIs/{ns}LinearRing/{ns}coordinates")
            if coords is None:
                continue
            if not name:
                raise ConfigError(f"zone file {str(path)!r}: a Placemark has no name")
            try:
                ring = [(float(t.split(",")[0]), float(t.split(",")[1]))
                        for t in coords.split()]
            except (ValueError, IndexError):
                raise ConfigError(f"zone file {str(path)!r}: zone {name!r} has malformed "
                                  "coordinates") from None
            zones.append(_zone(name, ring, ZoneFrame.LONLAT, path))
    return _bounded(zones, path)


def load_zones(path: Path) -> tuple[Zone, ...]:
    """Zones from a ``.geojson``/``.json`` or ``.kml`` file.

    Raises:
        ConfigError: unknown extension or a bad file.
    """
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        return load_geojson_zones(path)
    if suffix == ".kml":
        return load_kml_zones(path)
    raise ConfigError(f"zone file {str(path)!r}: unknown type {suffix!r}; give .geojson or .kml")


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertRule:
    """Report when ``label`` in ``zone`` (``None``: the whole site) crosses a threshold."""

    zone: str | None
    label: str
    more_than: int | None = None
    fewer_than: int | None = None

    def __post_init__(self) -> None:
        if self.more_than is None and self.fewer_than is None:
            raise ConfigError(f"alert on {self.label!r} in {self.zone!r} needs more_than or "
                              "fewer_than")

    def crossed(self, n: int) -> str | None:
        """The threshold text when ``n`` crosses it, else ``None``."""
        if self.more_than is not None and n > self.more_than:
            return f"more than {self.more_than}"
        if self.fewer_than is not None and n < self.fewer_than:
            return f"fewer than {self.fewer_than}"
        return None


_ALERT_KEYS = {"zone", "label", "more_than", "fewer_than"}
#: Most alert rules a file may hold (each is checked on every count; 60,000 were accepted).
MAX_ALERTS = 1_000
#: Largest threshold an alert may set, and longest zone name it may watch.
MAX_ALERT_THRESHOLD = 1_000_000
MAX_ZONE_NAME = 200
#: Labels an alert may watch: the detector's labels and loaded transporters.
ALERT_LABELS = frozenset({*(v.value for v in VehicleClass), LOADED_TRANSPORTER})


def load_alerts(path: Path) -> tuple[AlertRule, ...]:
    """Alert rules from a TOML file (see the module docstring); unknown keys are refused.

    Raises:
        ConfigError: unreadable, not TOML, unknown keys or bad values.
    """
    try:
        doc = tomllib.loads(_read_text(path, "alert file"))
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise ConfigError(f"alert file {str(path)!r} is not TOML: {reason}") from None
    unknown = set(doc) - {"alert"}
    if unknown:
        raise ConfigError(f"alert file {str(path)!r}: unknown tables {sorted(unknown)}; only "
                          "[[alert]] is read")
    items = doc.get("alert", [])
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ConfigError(f"alert file {str(path)!r}: 'alert' must be [[alert]] tables, e.g. "
                          '[[alert]] zone = "north" label = "armored_vehicle" more_than = 3')
    if len(items) > MAX_ALERTS:
        raise ConfigError(f"alert file {str(path)!r} holds {len(items):,} alerts, over the "
                          f"{MAX_ALERTS:,} sitewatch checks; keep the ones an analyst will read")
    rules = []
    for i, item in enumerate(items):
        bad = set(item) - _ALERT_KEYS
        if bad:
            raise ConfigError(f"alert file {str(path)!r}: alert {i} has unknown keys "
                              f"{sorted(bad)}; valid: {sorted(_ALERT_KEYS)}")
        label, zone = item.get("label"), item.get("zone", "*")
        if not isinstance(label, str) or not isinstance(zone, str):
            raise ConfigError(f"alert file {str(path)!r}: alert {i} needs string zone and label")
        if not zone.strip() or len(zone) > MAX_ZONE_NAME or not zone.isprintable():
            raise ConfigError(f"alert file {str(path)!r}: alert {i} zone {zone[:60]!r} is not a "
                              f"zone name (1 to {MAX_ZONE_NAME} printable characters) or \"*\"")
        limits = {k: item.get(k) for k in ("more_than", "fewer_than")}
        if any(v is not None and (not isinstance(v, int) or isinstance(v, bool)
                                  or not 0 <= v <= MAX_ALERT_THRESHOLD) for v in limits.values()):
            raise ConfigError(f"alert file {str(path)!r}: alert {i} thresholds must be "
                              f"integers from 0 to {MAX_ALERT_THRESHOLD:,}")
        rule = AlertRule(zone=None if zone == "*" else zone, label=label, **limits)
        if label not in ALERT_LABELS:  # an alert on a label nothing carries would never fire
            raise ConfigError(f"alert file {str(path)!r}: alert {i} label {label[:60]!r} is not "
                              f"a label sitewatch counts; valid: {', '.join(sorted(ALERT_LABELS))}")
        rules.append(rule)
    return tuple(rules)


def check_alert_zones(alerts: tuple[AlertRule, ...], zones: tuple[Zone, ...], alerts_file: Path
                      ) -> None:
    """Refuse an alert that watches a zone the zones do not hold: it could never fire, and its
    silence would read as "nothing crossed" (an alert zone of ``file:///etc/passwd`` was
    accepted and silently never checked).

    Raises:
        ConfigError: naming the alert file, the alert, its zone and the zones there are.
    """
    names = {z.name for z in zones}
    for i, rule in enumerate(alerts):
        if rule.zone is not None and rule.zone not in names:
            valid = ", ".join(repr(n[:40]) for n in sorted(names)[:10]) or "none attached"
            raise ConfigError(f"alert file {str(alerts_file)!r}: alert {i} watches zone "
                              f"{rule.zone[:60]!r}, which no zone file given holds (zones: "
                              f"{valid}); fix the name, use \"*\" for the whole site, or attach "
                              "the zones")
