"""STAC Item JSON as an ingest input: the item names a local image asset and its date.

An item is an untrusted file: its asset must be a relative href that resolves (symlinks
followed) inside the item's own folder and names an image, not another item (or itself); its
``gsd`` must be a finite, plausible number of metres. All of this is checked before anything
is stored.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from sitewatch.catalog.inspect import sniff_format
from sitewatch.catalog.scene import ImageFormat
from sitewatch.errors import InputFileError
from sitewatch.untrusted import json_int

#: Plausible ground sample distances (metres), the same bounds as ``ingest --gsd``.
GSD_RANGE_M = (0.01, 1000.0)
_MAX_ITEM_BYTES = 16 * 1024 * 1024

_IMAGE_TYPES = ("image/tiff", "image/jpeg", "image/png", "image/webp")


@dataclass(frozen=True, slots=True, kw_only=True)
class StacImage:
    """The local image a STAC Item points at, with what the item says about it."""

    asset_path: Path
    date: dt.date | None
    gsd_m: float | None
    source: str
    licence: str


def read_stac_item(path: Path) -> StacImage:
    """Read a STAC Item and resolve its image asset to a local file.

    Raises:
        InputFileError: not a valid STAC Item, or its image asset is remote or missing.
    """
    import pystac

    try:
        if path.stat().st_size > _MAX_ITEM_BYTES:
            raise InputFileError(f"STAC Item '{path}' is over {_MAX_ITEM_BYTES} bytes; an item "
                                 "is a small JSON file: check the file")
        data = json.loads(path.read_text(encoding="utf-8"), parse_constant=_keep_constant,
                          parse_int=json_int)
        item = pystac.Item.from_dict(data)
        href = _image_asset(item, path).href
        if not isinstance(href, str):
            raise InputFileError(f"STAC Item '{path}' gives its image asset an href that is not "
                                 "text; fix the item")
        asset_path = _local_asset(href, path)
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError, OSError,
            pystac.STACError, pystac.STACTypeError) as exc:
        if isinstance(exc, InputFileError):
            raise
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:200]
        raise InputFileError(f"cannot read '{path}' as a STAC Item: {reason}") from None
    _check_bbox(data, path)
    when = item.datetime or item.common_metadata.start_datetime
    return StacImage(
        asset_path=asset_path,
        date=when.date() if when else None,
        gsd_m=_gsd_m(data, path),
        source=(f"STAC item {item.id}" + (f" ({item.collection_id})" if item.collection_id
                                           else ""))[:300],
        licence=str(data.get("properties", {}).get("license", ""))[:300],
    )


def _check_bbox(data: dict[str, Any], path: Path) -> None:
    """An item's ``bbox``, when given, is 4 (or 6, with heights) finite numbers: west, south,
    (bottom,) east, north, (top), longitudes within ±180°, latitudes within ±90°, south ≤ north
    (west > east is allowed: a box across the antimeridian). pystac reads any list (strings,
    NaN, 1e300) without complaint."""
    bbox = data.get("bbox")
    if bbox is None:
        return
    numbers = (isinstance(bbox, list) and len(bbox) in (4, 6)
               and all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                       for v in bbox))
    if numbers:
        half = len(bbox) // 2
        west, south, east, north = bbox[0], bbox[1], bbox[half], bbox[half + 1]
        numbers = (all(-180 <= v <= 180 for v in (west, east))
                   and -90 <= south <= north <= 90)
    if not numbers:
        raise InputFileError(f"STAC Item '{path}' gives bbox {str(bbox)[:80]!r}, not [west, south, "
                             "east, north] in degrees (finite, longitudes within ±180, latitudes "
                             "within ±90, south ≤ north); fix the item")


def _keep_constant(name: str) -> float:
    """``NaN`` and ``Infinity`` are read (to be refused with a clear message where they sit)."""
    return float(name)


def _gsd_m(data: dict[str, Any], path: Path) -> float | None:
    """The item's ``gsd`` in metres, or ``None``; refuses anything but a plausible number."""
    properties = data.get("properties")
    gsd = properties.get("gsd") if isinstance(properties, dict) else None
    if gsd is None:
        return None
    low, high = GSD_RANGE_M
    if isinstance(gsd, bool) or not isinstance(gsd, int | float) or not math.isfinite(gsd) \
            or not low <= gsd <= high:
        raise InputFileError(f"STAC Item '{path}' gives gsd {str(gsd)[:40]!r}, not a ground sample "
                             f"distance in metres ({low} to {high}); fix the item or pass --gsd")
    return float(gsd)


def _local_asset(href: str, path: Path) -> Path:
    """The asset file an ``href`` names, which must lie inside the item's folder."""
    parsed = urlparse(href)
    if parsed.scheme not in ("", "file"):
        raise InputFileError(
            f"STAC Item '{path}' points at remote asset {href[:200]}; sitewatch works offline: "
            "download the asset and point the item's href at the local file"
        )
    relative = unquote(parsed.path)
    if parsed.scheme == "file" or parsed.netloc or relative.startswith(("/", "\\")) \
            or Path(relative).is_absolute() or ".." in Path(relative).parts or not relative:
        raise InputFileError(
            f"STAC Item '{path}' names asset {href[:200]!r}: an asset must be a path relative to "
            "the item's folder, without '..'; put the image beside the item and name it there"
        )
    folder = path.parent.resolve()
    asset_path = (folder / relative).resolve()
    if not asset_path.is_relative_to(folder):
        raise InputFileError(f"STAC Item '{path}' names asset {href[:200]!r}, which leads outside "
                             "the item's folder (a link?); copy the image itself beside the item")
    if not asset_path.is_file():
        raise InputFileError(f"STAC Item '{path}' names asset '{asset_path.name}', which does not "
                             "exist beside it; check the href")
    if asset_path == path.resolve() or sniff_format(asset_path) is ImageFormat.STAC_JSON:
        raise InputFileError(f"STAC Item '{path}' names asset '{asset_path.name}', which is a STAC "
                             "Item itself (or this one), not an image; point it at the image file")
    return asset_path


def _image_asset(item: Any, path: Path) -> Any:
    assets = item.assets
    for key in ("visual", "image", "data"):
        if key in assets:
            return assets[key]
    for asset in assets.values():
        if (asset.media_type or "").split(";")[0] in _IMAGE_TYPES:
            return asset
    raise InputFileError(
        f"STAC Item '{path}' has no image asset (looked for 'visual', 'image', 'data' or an image "
        "media type); add one"
    )
