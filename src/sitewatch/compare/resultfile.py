"""A ``sitewatch compare --out`` result read back from disk: an untrusted file.

A comparison file reaches a case from outside (``sitewatch attach --comparison``) and its
panels end up base64-embedded in the published report, so everything in it is checked at the
edge against an explicit schema before anything is stored:

- the layout is the one :func:`sitewatch.compare.comparison.output_document` writes; unknown
  keys are refused, every number must be finite, strings and lists are bounded;
- a ``panel`` is a relative path that resolves (symlinks followed) inside the folder the JSON
  came from, names a regular file, and decodes as a still image of bounded size;
- GPS positions read from photo or video metadata are dropped from the stored copy unless the
  user asks to keep them.

A case's stored comparison is read back through the same schema (the stored copy could have
been edited), and a panel is handed to the report only when it is a ``panel-NNN.png`` file
directly inside the case's comparison folder that is a real PNG.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sitewatch.errors import ConfigError
from sitewatch.untrusted import json_int

if TYPE_CHECKING:
    from PIL import Image

#: Largest comparison JSON read (bytes); real results are a few hundred kilobytes.
MAX_FILE_BYTES = 32 * 1024 * 1024
#: Largest panel file read (bytes) and decoded panel (pixels); panels are about 2000×1500.
MAX_PANEL_BYTES = 64 * 1024 * 1024
MAX_PANEL_PIXELS = 40_000_000
_MAX_TEXT = 4096
_MAX_ITEMS = 100_000
_GPS_KEYS = frozenset({"exif_lonlat", "container_lonlat"})
_SHA256 = re.compile(r"[0-9a-f]{64}")
_STORED_PANEL = re.compile(r"panel-\d{3,6}\.png")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PANEL_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp"})


class _Bad(Exception):
    """A schema violation: where in the document, and what is wrong there."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True, slots=True)
class _Text:
    choices: frozenset[str] | None = None

    def check(self, value: object, where: str) -> object:
        if not isinstance(value, str):
            raise _Bad(where, f"expected text, found {type(value).__name__}")
        if len(value) > _MAX_TEXT:
            raise _Bad(where, f"text of {len(value)} characters (at most {_MAX_TEXT})")
        if self.choices is not None and value not in self.choices:
            raise _Bad(where, f"{value[:40]!r} is not one of {', '.join(sorted(self.choices))}")
        return value


@dataclass(frozen=True, slots=True)
class _Digest:
    """A SHA-256 as sitewatch writes it: 64 lowercase hexadecimal digits."""

    def check(self, value: object, where: str) -> object:
        if not isinstance(value, str) or not _SHA256.fullmatch(value):
            raise _Bad(where, f"expected a SHA-256 (64 hex digits), found {str(value)[:40]!r}")
        return value


@dataclass(frozen=True, slots=True)
class _Number:
    integer: bool = False

    def check(self, value: object, where: str) -> object:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Bad(where, f"expected a number, found {type(value).__name__}")
        if self.integer and not isinstance(value, int):
            raise _Bad(where, f"expected a whole number, found {value!r}")
        if not math.isfinite(value) or abs(value) > 1e12:
            raise _Bad(where, f"number {value!r} is not finite or out of range")
        return value


@dataclass(frozen=True, slots=True)
class _Flag:
    def check(self, value: object, where: str) -> object:
        if not isinstance(value, bool):
            raise _Bad(where, f"expected true or false, found {type(value).__name__}")
        return value


@dataclass(frozen=True, slots=True)
class _Maybe:
    inner: _Spec

    def check(self, value: object, where: str) -> object:
        return None if value is None else self.inner.check(value, where)


@dataclass(frozen=True, slots=True)
class _List:
    item: _Spec
    min_items: int = 0
    max_items: int = _MAX_ITEMS

    def check(self, value: object, where: str) -> object:
        if not isinstance(value, list):
            raise _Bad(where, f"expected a list, found {type(value).__name__}")
        if not self.min_items <= len(value) <= self.max_items:
            raise _Bad(where, f"{len(value)} items (expected {self.min_items} to {self.max_items})")
        return [self.item.check(v, f"{where}[{i}]") for i, v in enumerate(value)]


@dataclass(frozen=True, slots=True)
class _Map:
    """An object whose keys are free text (feature names) and values share one spec."""

    value: _Spec

    def check(self, value: object, where: str) -> object:
        if not isinstance(value, dict):
            raise _Bad(where, f"expected an object, found {type(value).__name__}")
        if len(value) > _MAX_ITEMS:
            raise _Bad(where, f"{len(value)} keys (at most {_MAX_ITEMS})")
        return {_Text().check(k, where): self.value.check(v, f"{where}.{k}")
                for k, v in value.items()}


@dataclass(frozen=True, slots=True)
class _Object:
    required: Mapping[str, _Spec]
    optional: Mapping[str, _Spec]

    def check(self, value: object, where: str) -> object:
        if not isinstance(value, dict):
            raise _Bad(where, f"expected an object, found {type(value).__name__}")
        unknown = sorted(set(value) - set(self.required) - set(self.optional))
        if unknown:
            raise _Bad(where, f"unknown key {unknown[0][:40]!r}")
        missing = sorted(set(self.required) - set(value))
        if missing:
            raise _Bad(where, f"missing key {missing[0]!r}")
        specs = {**self.optional, **self.required}
        return {k: specs[k].check(v, f"{where}.{k}") for k, v in value.items()}


_Spec = _Text | _Digest | _Number | _Flag | _Maybe | _List | _Map | _Object


def _obj(required: Mapping[str, _Spec] | None = None, **optional: _Spec) -> _Object:
    return _Object(required=required or {}, optional=optional)


_TEXT = _Text()
_SHA = _Digest()
_NUM = _Number()
_INT = _Number(integer=True)
_TEXTS = _List(_TEXT)
_BOX = _List(_INT, min_items=4, max_items=4)
_LONLAT = _Maybe(_List(_NUM, min_items=2, max_items=2))
_KIND = _Text(frozenset({"photo", "video"}))
_TRACE = _obj(
    {"source_path": _TEXT}, source_sha256=_SHA, kind=_KIND, frame_sha256=_SHA,
    width_px=_INT, height_px=_INT, frame_index=_Maybe(_INT), timestamp_s=_Maybe(_NUM),
    exif_datetime_local=_Maybe(_TEXT), exif_utc_offset=_Maybe(_TEXT),
    exif_time_utc=_Maybe(_TEXT), exif_lonlat=_LONLAT, container_time_utc=_Maybe(_TEXT),
    container_lonlat=_LONLAT, sharpness=_Maybe(_NUM),
)
_CROP = _obj(frame=_TEXT, frame_sha256=_SHA, box_px=_BOX, detector_label=_TEXT,
             detector_score=_NUM, armour_probability=_NUM)
_REFERENCE = _obj({"path": _TEXT}, sha256=_SHA, frame_index=_Maybe(_INT), similarity=_NUM,
                  box_px=_BOX)
_SCORE = _obj({"gallery": _TEXT, "similarity": _NUM}, nearest_similarity=_NUM,
              mean_similarity=_NUM, baseline_similarity=_NUM, reference_count=_INT,
              best_references=_List(_REFERENCE))
_LOCAL = _obj(reference=_TEXT, ratio_test_matches=_INT, ransac_inliers=_INT,
              spread_fraction=_NUM, concentrated_possible_logo=_Flag())
_FRAME = _obj(trace=_TRACE, crops=_List(_CROP),
              ranking=_List(_obj({"gallery": _TEXT, "similarity": _NUM})))
_QUERY = _obj(
    {"query": _TEXT, "sha256": _SHA, "kind": _KIND, "ranking": _List(_SCORE)},
    seconds=_NUM, best_frame=_TRACE, best_crop=_CROP, local_feature_matches=_List(_LOCAL),
    frames=_List(_FRAME), panel=_Maybe(_TEXT),
)
_OPERATOR = _obj(army=_TEXT, status=_TEXT, confidence=_TEXT, sources=_TEXTS)
_VARIANT = _obj(variant=_TEXT, family=_TEXT, consistent=_Flag(), conflicts=_TEXTS,
                supporting=_TEXTS, uncertain=_TEXTS, operators=_List(_OPERATOR), sources=_TEXTS)
_CHECKLIST = _obj(marks=_Map(_TEXT), features=_Map(_TEXT), consistent_variants=_List(_VARIANT),
                  excluded_variants=_List(_obj(variant=_TEXT, conflicts=_TEXTS)), note=_TEXT)
_MODEL = _obj(name=_TEXT, onnx_sha256=_SHA, source_package=_TEXT, source_file=_TEXT,
              source_sha256=_SHA, licence=_TEXT)
_GALLERY = _obj({"name": _TEXT}, folder=_TEXT, files=_List(_obj({"path": _TEXT}, sha256=_SHA)))
_DOCUMENT = _obj(
    {"queries": _List(_QUERY, max_items=10_000)},
    sitewatch_version=_TEXT, stage=_Text(frozenset({"compare"})), models=_List(_MODEL),
    method=_TEXT, galleries=_List(_GALLERY), checklist=_Maybe(_CHECKLIST),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ComparisonFile:
    """A checked comparison result: its document and, per query, the panel file it names.

    ``panels[i]`` is the resolved path of query ``i``'s panel (inside the JSON's folder), or
    ``None`` when the query has none.
    """

    source: Path
    document: dict[str, object]
    panels: tuple[Path | None, ...]

    def __post_init__(self) -> None:
        queries = self.document.get("queries")
        if not isinstance(queries, list) or len(queries) != len(self.panels):
            raise ConfigError(f"comparison '{self.source.name}' needs one panel slot per query")


def _read_document(path: Path, *, what: str) -> dict[str, object]:
    """Parse and schema-check one comparison JSON; every failure is one ``ConfigError``."""
    again = "write it again with `sitewatch compare --out`"
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ConfigError(f"{what} '{path.name}' is {size} bytes (at most {MAX_FILE_BYTES}); "
                              f"{again}")
        document = json.loads(path.read_bytes().decode("utf-8"), parse_constant=_refuse_constant,
                              parse_int=json_int)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        if isinstance(exc, ConfigError):
            raise
        problem = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:120]
        raise ConfigError(f"{what} '{path.name}' is not the JSON written by `sitewatch compare "
                          f"--out` ({problem}); {again}") from None
    try:
        checked = _DOCUMENT.check(document, "document")
    except _Bad as exc:
        raise ConfigError(f"{what} '{path.name}' is not a `sitewatch compare --out` result: "
                          f"{exc}; {again}") from None
    assert isinstance(checked, dict)
    return checked


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not a number JSON allows")


#: Keys whose text names a file or folder on the machine that ran ``sitewatch compare``.
_PATH_KEYS = frozenset({"query", "source_path", "path", "folder", "reference"})


def _local_names(value: object) -> object:
    r"""The same JSON value with every absolute, home-relative or ``..`` path cut to its name,
    so the stored copy names files (with their hashes) but not the folders or the login of the
    machine that made it.

    >>> _local_names({"query": "/home/ana/photos/t72.jpg", "path": "gal/a.png"})
    {'query': 't72.jpg', 'path': 'gal/a.png'}
    >>> _local_names({"folder": "C:\\Users\\ana\\ref", "source_path": "../x/q.mp4"})
    {'folder': 'ref', 'source_path': 'q.mp4'}
    """
    if isinstance(value, dict):
        return {k: _local_name(v) if k in _PATH_KEYS and isinstance(v, str) else _local_names(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_local_names(v) for v in value]
    return value


def _local_name(text: str) -> str:
    from pathlib import PureWindowsPath

    windows = PureWindowsPath(text)  # reads both / and \ as separators
    if windows.is_absolute() or windows.drive or text.startswith(("/", "\\", "~")) \
            or ".." in windows.parts:
        return windows.name
    return text


def _drop_gps(value: object) -> object:
    """The same JSON value with every metadata GPS position set to ``None``."""
    if isinstance(value, dict):
        return {k: None if k in _GPS_KEYS else _drop_gps(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_drop_gps(v) for v in value]
    return value


def _panel_path(folder: Path, name: str, source: Path) -> Path:
    """The panel file ``name`` inside ``folder``; refuses absolute paths and escapes."""
    relative = Path(name)
    if relative.is_absolute() or name.startswith(("/", "\\")) or ".." in relative.parts \
            or "\\" in name or not name.strip():
        raise ConfigError(f"panel {name[:80]!r} named in '{source.name}' must be a path relative "
                          f"to the folder of '{source.name}' without '..'; run `sitewatch "
                          "compare` again with --panel DIR inside the folder of --out")
    base = folder.resolve()
    resolved = (base / relative).resolve()
    if not resolved.is_relative_to(base):
        raise ConfigError(f"panel {name[:80]!r} named in '{source.name}' leads outside its folder "
                          "(a link?); copy the panel itself into that folder")
    if resolved.suffix.lower() not in _PANEL_SUFFIXES or not resolved.is_file():
        raise ConfigError(f"panel {name[:80]!r} named in '{source.name}' is not a .png, .jpg or "
                          ".webp file there; run `sitewatch compare --panel DIR` again")
    return resolved


def shareable(document: dict[str, object], *, keep_gps: bool = False) -> dict[str, object]:
    """A compare result as it may leave the machine: every absolute, home-relative or ``..``
    path cut to its name (:func:`_local_names`), and, unless ``keep_gps``, every metadata GPS
    position set to ``None``. ``compare --out`` writes this, and a case stores it."""
    named = _local_names(document)
    cleaned = named if keep_gps else _drop_gps(named)
    assert isinstance(cleaned, dict)
    return cleaned


def load_comparison(path: Path, *, keep_gps: bool = False) -> ComparisonFile:
    """Read and check a ``sitewatch compare --out`` result before it is attached to a case.

    Args:
        path: the JSON file; panel paths in it are relative to its folder.
        keep_gps: keep the photo and video GPS positions; by default they are dropped, so the
            case's shareable files do not carry where a photo was taken.

    Paths of queries and references are cut to their names where they are absolute or leave
    the JSON's folder (:func:`_local_names`), so the stored copy carries no local folder or
    login; the hashes still identify each file.

    Raises:
        ConfigError: unreadable or oversized file, a layout other than the compare result's
            (unknown key, wrong type, non-finite number), or a panel that is absolute, leaves
            the JSON's folder or is not an image file.
    """
    read = _read_document(path, what="comparison file")
    assert isinstance(read, dict)
    document = shareable(read, keep_gps=keep_gps)
    queries = document["queries"]
    assert isinstance(queries, list)
    panels = tuple(_panel_path(path.parent, q["panel"], path) if q.get("panel") else None
                   for q in queries)
    return ComparisonFile(source=path, document=document, panels=panels)


def read_panel(path: Path, *, source: Path) -> bytes:
    """A panel re-encoded as PNG without metadata, after its header is checked for size.

    The header is read first (Pillow reads no pixels on open), so a small file that declares a
    huge image is refused before anything is decoded.

    Raises:
        ConfigError: the file is too big, declares too many pixels, or does not decode.
    """
    import io
    import warnings

    from PIL import Image, UnidentifiedImageError

    refuse = (f"panel '{path.name}' named in '{source.name}' {{}}; run `sitewatch compare "
              "--panel DIR` again")
    if path.stat().st_size > MAX_PANEL_BYTES:
        raise ConfigError(refuse.format(f"is over {MAX_PANEL_BYTES} bytes"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            rgb = _decode_bounded(path, refuse)
    except ConfigError:
        raise
    except (OSError, ValueError, UnidentifiedImageError, Image.DecompressionBombError,
            Image.DecompressionBombWarning, SyntaxError) as exc:
        raise ConfigError(refuse.format(f"cannot be decoded ({str(exc)[:80]})")) from None
    rgb.info.clear()  # no EXIF, GPS, ICC or text chunks travel into the case
    out = io.BytesIO()
    rgb.save(out, format="PNG")
    return out.getvalue()


def _decode_bounded(path: Path, refuse: str) -> Image.Image:
    from PIL import Image

    with Image.open(path) as image:
        width, height = image.size
        if image.format not in ("PNG", "JPEG", "WEBP") or getattr(image, "n_frames", 1) != 1:
            raise ConfigError(refuse.format("is not a still PNG, JPEG or WebP image"))
        if width * height > MAX_PANEL_PIXELS:
            raise ConfigError(refuse.format(f"declares {width}×{height} px (at most "
                                            f"{MAX_PANEL_PIXELS} px)"))
        return image.convert("RGB")


def attached_comparisons(folder: Path) -> tuple[dict[str, object], ...]:
    """The queries of the comparison stored in a case's comparison ``folder``.

    Each query with a panel gets ``panel_path``, the stored PNG to embed in the report, only
    when the panel is a ``panel-NNN.png`` file directly in ``folder`` (not a link) that starts
    with the PNG signature.

    Raises:
        ConfigError: the stored ``comparison.json`` does not pass the schema (edited?), or a
            panel it names is not a stored PNG of the case.
    """
    target = folder / "comparison.json"
    if not target.is_file():
        return ()
    document = _read_document(target, what="the case's stored comparison")
    queries = document["queries"]
    assert isinstance(queries, list)
    for query in queries:
        name = query.get("panel")
        if not name:
            continue
        panel = folder / name
        if not _STORED_PANEL.fullmatch(name) or panel.is_symlink() or not panel.is_file() \
                or not _starts_png(panel):
            raise ConfigError(f"stored comparison panel {name[:80]!r} in '{folder}' is not a PNG "
                              "that `sitewatch attach --comparison` stored; attach the "
                              "comparison again")
        query["panel_path"] = panel
    return tuple(queries)


def _starts_png(path: Path) -> bool:
    with path.open("rb") as stream:
        return stream.read(len(_PNG_SIGNATURE)) == _PNG_SIGNATURE
