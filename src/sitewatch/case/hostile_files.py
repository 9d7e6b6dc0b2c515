"""Hostile analyst files for the fuzz benchmark: zones, boundaries, alerts, sightings, STAC items
and comparison results, each a valid template bent by one mutation.

Mutations work on the parsed document (a leaf replaced by a wrong type, a huge or non-finite
number, a formula, an escape sequence or a path escaping its folder; a key deleted or added;
a value wrapped in thousands of brackets) or on the text (truncated, bytes flipped). Every
choice is drawn from the ``random.Random`` passed in.
"""

from __future__ import annotations

import copy
import json
import random
from dataclasses import dataclass

#: Analyst file kinds: the ``sitewatch attach`` option each goes through, and its suffix.
KINDS = {"zones": ".geojson", "boundary": ".geojson", "alerts": ".toml", "sightings": ".csv",
         "stac": ".json", "comparison": ".json"}

_ZONES: dict[str, object] = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"name": "parking"},
     "geometry": {"type": "Polygon", "coordinates": [[[39.70, 47.20], [39.71, 47.20],
                                                      [39.71, 47.21], [39.70, 47.20]]]}},
    {"type": "Feature", "properties": {"name": "rail"},
     "geometry": {"type": "MultiPolygon", "coordinates": [[[[39.72, 47.20], [39.73, 47.20],
                                                            [39.73, 47.21], [39.72, 47.20]]]]}},
]}
_BOUNDARY: dict[str, object] = {"type": "Polygon", "coordinates": [
    [[39.0, 47.0], [40.0, 47.0], [40.0, 48.0], [39.0, 48.0], [39.0, 47.0]]]}
_ALERTS: dict[str, object] = {"alert": [
    {"zone": "parking", "label": "armored_vehicle", "more_than": 5},
    {"zone": "*", "label": "loaded_transporter", "fewer_than": 2},
]}
_SIGHTINGS = [["id", "time_utc", "lon", "lat", "place", "seen", "count", "source"],
              ["s1", "2024-05-01T10:00:00Z", "39.70", "47.20", "depot", "tanks", "3", "post"],
              ["s2", "2024-05-02T08:30:00Z", "39.90", "47.10", "road", "trucks", "5", "video"]]
_STAC: dict[str, object] = {
    "type": "Feature", "stac_version": "1.0.0", "id": "fuzz-item",
    "geometry": {"type": "Point", "coordinates": [39.7, 47.2]}, "bbox": [39.7, 47.2, 39.7, 47.2],
    "properties": {"datetime": "2024-05-01T10:00:00Z", "gsd": 0.3, "platform": "fuzz"},
    "links": [], "assets": {"visual": {"href": "image.png", "type": "image/png", "roles": ["data"]}},
}
_SHA = "0" * 64
_COMPARISON: dict[str, object] = {
    "sitewatch_version": "0.1.0", "stage": "compare",
    "models": [{"name": "yolo26n_coco", "onnx_sha256": _SHA, "source_package": "p",
                "source_file": "f", "source_sha256": _SHA, "licence": "AGPL-3.0"}],
    "method": "fuzz template",
    "galleries": [{"name": "g", "folder": "gal", "files": [{"path": "gal/a.png", "sha256": _SHA}]}],
    "checklist": None,
    "queries": [{
        "query": "q.jpg", "sha256": _SHA, "kind": "photo", "seconds": 1.0,
        "ranking": [{"gallery": "g", "similarity": 0.5, "nearest_similarity": 0.5,
                     "mean_similarity": 0.5, "reference_count": 1,
                     "best_references": [{"path": "gal/a.png", "sha256": _SHA, "frame_index": None,
                                          "similarity": 0.5, "box_px": [0, 0, 10, 10]}]}],
        "best_frame": {"source_path": "q.jpg", "source_sha256": _SHA, "kind": "photo",
                       "frame_sha256": _SHA, "width_px": 10, "height_px": 10, "frame_index": None,
                       "timestamp_s": None, "exif_datetime_local": None, "exif_utc_offset": None,
                       "exif_time_utc": None, "exif_lonlat": [39.7, 47.2],
                       "container_time_utc": None, "container_lonlat": None, "sharpness": 1.0},
        "panel": "panel.png",
    }],
}

#: Values a leaf is replaced by.
_HOSTILE_VALUES: tuple[object, ...] = (
    None, True, "abc", "", [], {}, -1, 0, 1e308, -1e308, 10**400, 1e-320, 150.0, -200.0,
    float("nan"), float("inf"), "=HYPERLINK(\"http://evil\",\"x\")", "\x1b[2J\x1b]0;pwned\x07",
    "\u202eexe.png", "../../../../etc/passwd", "/etc/passwd", "C:\\Windows\\win.ini",
    "file:///etc/passwd", "http://127.0.0.1:8787/", "x" * 100_000, "<img src=x onerror=alert(1)>",
    "2024-13-45T99:99:99Z", "9999-12-31T23:59:59Z", "fuzz-item.json", "panel-000.png",
    [[1e300, 1e300]] * 3, {"type": "Point"},
)


@dataclass(frozen=True, slots=True, kw_only=True)
class HostileText:
    """One hostile analyst file: its bytes, kind and what was done to it."""

    kind: str
    data: bytes
    mutation: str


def hostile_file(kind: str, rng: random.Random) -> HostileText:
    """A hostile ``kind`` file (one of :data:`KINDS`) made by a mutation drawn from ``rng``."""
    template = {"zones": _ZONES, "boundary": _BOUNDARY, "alerts": _ALERTS, "stac": _STAC,
                "comparison": _COMPARISON, "sightings": _SIGHTINGS}[kind]
    document = copy.deepcopy(template)
    how = rng.choice(["leaf", "leaf", "leaf", "delete", "unknown-key", "nest", "many", "text"])
    mutation = how
    if how == "leaf":
        mutation = _replace_leaf(document, rng)
    elif how == "delete":
        mutation = _delete_key(document, rng)
    elif how == "unknown-key" and isinstance(document, dict):
        document[rng.choice(["extra", "panel_path", "__proto__", "sitewatch:frame"])] = rng.choice(
            _HOSTILE_VALUES)
    elif how == "nest":
        depth = rng.choice([70, 1000, 100_000])
        _set_random_leaf(document, rng, _Nested(depth))
        mutation = f"nested {depth} deep"
    elif how == "many":
        mutation = f"{_grow(document, rng.choice([6_000, 60_000]))} copies of a list item"
    text = _render(kind, document)
    if how == "text":
        text, mutation = _mangle_text(text, rng)
    return HostileText(kind=kind, data=text, mutation=f"{kind}: {mutation}")


class _Nested:
    """A value written as ``depth`` nested lists (rendered by :func:`_render`)."""

    def __init__(self, depth: int) -> None:
        self.depth = depth


def _paths(node: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Every path (keys and indexes) to a leaf or container below ``node``."""
    found: list[tuple[object, ...]] = []
    items = (node.items() if isinstance(node, dict)
             else enumerate(node) if isinstance(node, list) else ())
    for key, child in items:
        found.append((*prefix, key))
        found += _paths(child, (*prefix, key))
    return found


def _set(document: object, path: tuple[object, ...], value: object) -> None:
    parent = document
    for key in path[:-1]:
        parent = parent[key]  # type: ignore[index]
    parent[path[-1]] = value  # type: ignore[index]


def _replace_leaf(document: object, rng: random.Random) -> str:
    path = rng.choice(_paths(document))
    value = rng.choice(_HOSTILE_VALUES)
    _set(document, path, value)
    shown = repr(value)
    return f"{'.'.join(map(str, path))} = {shown[:40]}"


def _set_random_leaf(document: object, rng: random.Random, value: object) -> None:
    _set(document, rng.choice(_paths(document)), value)


def _delete_key(document: object, rng: random.Random) -> str:
    paths = _paths(document)
    path = rng.choice(paths)
    parent = document
    for key in path[:-1]:
        parent = parent[key]  # type: ignore[index]
    del parent[path[-1]]  # type: ignore[attr-defined]
    return f"deleted {'.'.join(map(str, path))}"


#: A grown file stays under about this many bytes (a real analyst file is far smaller).
_GROWN_BYTES = 4_000_000


def _grow(document: object, count: int) -> int:
    """Repeat the first item of the first list ``count`` times (fewer when the file would pass
    :data:`_GROWN_BYTES`); returns the copies made."""
    lists = [p for p in _paths(document) if isinstance(_get(document, p), list) and _get(document, p)]
    target = document if isinstance(document, list) else _get(document, lists[0]) if lists else None
    if not isinstance(target, list):
        return 0
    count = min(count, _GROWN_BYTES // max(1, len(json.dumps(target[0], default=str))))
    target.extend([target[0]] * count)
    return count


def _get(document: object, path: tuple[object, ...]) -> object:
    for key in path:
        document = document[key]  # type: ignore[index]
    return document


def _render(kind: str, document: object) -> bytes:
    """The document as its file format; a :class:`_Nested` value as that many brackets."""
    marker = "\x00NESTED\x00"
    depth = 0

    def plain(value: object) -> object:
        nonlocal depth
        if isinstance(value, _Nested):
            depth = value.depth
            return marker
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    tree = plain(document)
    if kind == "sightings":
        rows = tree if isinstance(tree, list) else [[tree]]
        text = "\n".join(",".join(_cell(c) for c in (r if isinstance(r, list) else [r])) for r in rows)
    elif kind == "alerts":
        text = _toml(tree)
    else:
        text = json.dumps(tree)  # NaN and Infinity written as JSON's non-standard constants
    nested = "[" * depth + "]" * depth
    return text.replace(json.dumps(marker), nested).replace(marker, nested).encode("utf-8", "replace")


def _cell(value: object) -> str:
    text = json.dumps(value) if isinstance(value, dict | list) else str(value)
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n') else text


def _toml(tree: object) -> str:
    """A small TOML writer for the alert file's shape (arrays of tables, scalars)."""
    if not isinstance(tree, dict):
        return f"alert = {_toml_value(tree)}\n"
    lines = []
    for key, value in tree.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for table in value:
                lines.append(f"[[{key}]]")
                lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in table.items()]
        else:
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


def _toml_key(key: object) -> str:
    return json.dumps(str(key))


def _toml_value(value: object) -> str:
    if value is None:
        return '""'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if value != value else "inf" if value == float("inf") else (
            "-inf" if value == float("-inf") else repr(value))
    if isinstance(value, int | str):
        return json.dumps(value) if isinstance(value, str) else str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value))


def _mangle_text(text: bytes, rng: random.Random) -> tuple[bytes, str]:
    data = bytearray(text)
    if rng.random() < 0.5 and data:
        cut = rng.randrange(len(data))
        return bytes(data[:cut]), f"truncated at {cut}"
    flips = rng.choice([1, 4, 32])
    for _ in range(flips):
        at = rng.randrange(len(data))
        data[at] = rng.choice(b'{}[]",:\\\x00\xff\xc3\n=-')
    return bytes(data), f"{flips} bytes replaced"
