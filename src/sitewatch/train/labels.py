"""Readers for vehicle label files: Pascal VOC XML, YOLO txt and DOTA txt.

Each reader turns one label file into a tuple of :class:`LabelledBox` in the image's own pixel
grid; :func:`read_labels` reads a whole folder into :class:`LabelledImage` values. Source labels
are mapped to :class:`~sitewatch.detect.types.VehicleClass` through :data:`DEFAULT_LABEL_MAP`
(MVRSD ``AFV`` -> armoured, DOTA ``small vehicle`` -> class-agnostic ``vehicle``, ...) or a map
the caller gives. Labels of things that are not vehicles in DOTA (planes, ships, ...) are
skipped; any other unknown label is an error unless ``skip_unmapped=True``.

Every problem in a file raises :class:`~sitewatch.errors.LabelFileError` naming the file and,
where it applies, the line. XML is parsed with the standard library's expat parser, which does
not fetch external entities and limits entity expansion (Python >= 3.11 with expat >= 2.4.1).
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from sitewatch.detect import VehicleClass
from sitewatch.errors import LabelFileError
from sitewatch.geo import OrientedBoxPx

__all__ = [
    "DEFAULT_LABEL_MAP",
    "MVRSD_CLASS_NAMES",
    "LabelFormat",
    "LabelledBox",
    "LabelledImage",
    "dota_line",
    "read_dota",
    "read_labels",
    "read_voc",
    "read_yolo",
    "supplement",
]

#: Class order of MVRSD's ``classes.txt`` (YOLO class ids index this tuple).
MVRSD_CLASS_NAMES: tuple[str, ...] = ("SMV", "LMV", "AFV", "CV", "MCV")

#: Source label (case-insensitive) -> sitewatch class.
DEFAULT_LABEL_MAP: Mapping[str, VehicleClass] = {
    # MVRSD
    "afv": VehicleClass.ARMORED_VEHICLE,
    "lmv": VehicleClass.MILITARY_TRUCK,
    "smv": VehicleClass.MILITARY_LIGHT_VEHICLE,
    "mcv": VehicleClass.MILITARY_ENGINEERING_VEHICLE,
    "cv": VehicleClass.CIVILIAN_VEHICLE,
    # DOTA
    "small vehicle": VehicleClass.VEHICLE,
    "small-vehicle": VehicleClass.VEHICLE,
    "large vehicle": VehicleClass.VEHICLE,
    "large-vehicle": VehicleClass.VEHICLE,
    # VEDAI
    "car": VehicleClass.VEHICLE,
    "truck": VehicleClass.VEHICLE,
    "pickup": VehicleClass.VEHICLE,
    "van": VehicleClass.VEHICLE,
    "tractor": VehicleClass.VEHICLE,
    "camping car": VehicleClass.VEHICLE,
    "camping_car": VehicleClass.VEHICLE,
    "vehicle": VehicleClass.VEHICLE,
    # sitewatch's own names
    **{v.value: v for v in VehicleClass},
}

#: DOTA classes that are not vehicles: skipped silently.
DOTA_NON_VEHICLE_LABELS: frozenset[str] = frozenset(
    {
        "plane", "ship", "storage-tank", "storage tank", "baseball-diamond", "baseball diamond",
        "tennis-court", "tennis court", "basketball-court", "basketball court",
        "ground-track-field", "ground track field", "harbor", "bridge", "helicopter",
        "roundabout", "soccer-ball-field", "soccer ball field", "swimming-pool", "swimming pool",
        "container-crane", "container crane", "airport", "helipad",
    }
)  # fmt: skip

_IMAGE_SUFFIXES: tuple[str, ...] = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp")


class LabelFormat(StrEnum):
    """Label file formats :func:`read_labels` understands."""

    VOC = "voc"
    YOLO = "yolo"
    DOTA = "dota"


@dataclass(frozen=True, slots=True, kw_only=True)
class LabelledBox:
    """One labelled vehicle in an image's full-resolution pixel grid.

    The axis-aligned box ``(x0_px, y0_px, x1_px, y1_px)`` is always set; ``polygon_px`` holds
    the four corners when the source gave an oriented box (DOTA, YOLO-OBB).

    >>> b = LabelledBox(x0_px=1, y0_px=2, x1_px=5, y1_px=4, label=VehicleClass.VEHICLE,
    ...                 source_label="car")
    >>> b.width_px, b.height_px
    (4, 2)
    """

    x0_px: float
    y0_px: float
    x1_px: float
    y1_px: float
    label: VehicleClass
    source_label: str
    polygon_px: tuple[tuple[float, float], ...] | None = None
    difficult: bool = False

    def __post_init__(self) -> None:
        coords = (self.x0_px, self.y0_px, self.x1_px, self.y1_px)
        if not all(math.isfinite(c) for c in coords):
            raise LabelFileError(f"labelled box has a non-finite coordinate: {coords}")
        if not (self.x1_px > self.x0_px and self.y1_px > self.y0_px):
            raise LabelFileError(
                f"labelled box ({self.x0_px}, {self.y0_px}, {self.x1_px}, {self.y1_px}) is empty "
                "or inverted; expected x0 < x1 and y0 < y1"
            )
        if self.polygon_px is not None and len(self.polygon_px) != 4:
            raise LabelFileError(
                f"labelled polygon needs 4 corners, got {len(self.polygon_px)}",
            )

    @property
    def width_px(self) -> float:
        """Width of the axis-aligned box."""
        return self.x1_px - self.x0_px

    @property
    def height_px(self) -> float:
        """Height of the axis-aligned box."""
        return self.y1_px - self.y0_px

    @property
    def bounds_px(self) -> tuple[float, float, float, float]:
        """The axis-aligned box as ``(x0, y0, x1, y1)``."""
        return (self.x0_px, self.y0_px, self.x1_px, self.y1_px)


@dataclass(frozen=True, slots=True, kw_only=True)
class LabelledImage:
    """The labels of one image: its stem, files, size (when known) and boxes."""

    stem: str
    label_path: Path
    image_path: Path | None
    width_px: int | None
    height_px: int | None
    boxes: tuple[LabelledBox, ...]


def _map_label(
    name: str,
    *,
    path: Path,
    where: str,
    label_map: Mapping[str, VehicleClass],
    skip_unmapped: bool,
) -> VehicleClass | None:
    key = name.strip().lower()
    for source, label in label_map.items():
        if source.lower() == key:
            return label
    if key in DOTA_NON_VEHICLE_LABELS or skip_unmapped:
        return None
    known = ", ".join(sorted({k.lower() for k in label_map}))
    raise LabelFileError(
        f"{path}{where}: unknown label {name!r}; pass a label map that covers it, or "
        f"skip_unmapped=True. Known labels: {known}",
        path=str(path),
    )


def _box_from_points(
    points: Sequence[tuple[float, float]],
    *,
    label: VehicleClass,
    source_label: str,
    difficult: bool,
    keep_polygon: bool,
    path: Path,
    where: str,
) -> LabelledBox:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    try:
        return LabelledBox(
            x0_px=min(xs),
            y0_px=min(ys),
            x1_px=max(xs),
            y1_px=max(ys),
            label=label,
            source_label=source_label,
            polygon_px=tuple(points) if keep_polygon else None,
            difficult=difficult,
        )
    except LabelFileError as exc:
        raise LabelFileError(f"{path}{where}: {exc.message}", path=str(path)) from None


def _floats(fields: Sequence[str], *, path: Path, where: str) -> list[float]:
    try:
        values = [float(f) for f in fields]
    except ValueError:
        raise LabelFileError(
            f"{path}{where}: expected numbers, got {' '.join(fields)!r}", path=str(path)
        ) from None
    if not all(math.isfinite(v) for v in values):
        raise LabelFileError(f"{path}{where}: non-finite coordinate", path=str(path))
    return values


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise LabelFileError(
            f"{path}: not UTF-8 text; is it really a label file?", path=str(path)
        ) from None
    except OSError as exc:
        raise LabelFileError(f"{path}: cannot read label file ({exc})", path=str(path)) from exc


def _xml_text(node: ET.Element, tag: str, *, path: Path, where: str) -> str:
    child = node.find(tag)
    if child is None or child.text is None or not child.text.strip():
        raise LabelFileError(f"{path}{where}: missing <{tag}>", path=str(path))
    return child.text.strip()


def read_voc(
    path: Path,
    *,
    label_map: Mapping[str, VehicleClass] = DEFAULT_LABEL_MAP,
    skip_unmapped: bool = False,
) -> tuple[tuple[LabelledBox, ...], tuple[int, int] | None]:
    """Read one Pascal VOC XML file.

    Returns:
        The boxes, and the image size ``(width_px, height_px)`` from ``<size>`` when present.

    Raises:
        LabelFileError: the file is not well-formed XML, lacks a field or holds an unknown label.
    """
    try:
        root = ET.fromstring(_read_text(path))
    except ET.ParseError as exc:
        raise LabelFileError(f"{path}: not well-formed XML ({exc})", path=str(path)) from None
    size: tuple[int, int] | None = None
    size_node = root.find("size")
    if size_node is not None:
        wh = _floats(
            [_xml_text(size_node, t, path=path, where=" <size>") for t in ("width", "height")],
            path=path,
            where=" <size>",
        )
        size = (int(wh[0]), int(wh[1])) if wh[0] > 0 and wh[1] > 0 else None
    boxes = []
    for i, obj in enumerate(root.iter("object")):
        where = f" object {i + 1}"
        name = _xml_text(obj, "name", path=path, where=where)
        label = _map_label(
            name, path=path, where=where, label_map=label_map, skip_unmapped=skip_unmapped
        )
        if label is None:
            continue
        bnd = obj.find("bndbox")
        if bnd is None:
            raise LabelFileError(f"{path}{where}: missing <bndbox>", path=str(path))
        x0, y0, x1, y1 = _floats(
            [_xml_text(bnd, t, path=path, where=where) for t in ("xmin", "ymin", "xmax", "ymax")],
            path=path,
            where=where,
        )
        difficult = (obj.findtext("difficult") or "0").strip() == "1"
        try:
            boxes.append(
                LabelledBox(
                    x0_px=x0, y0_px=y0, x1_px=x1, y1_px=y1, label=label, source_label=name,
                    difficult=difficult,
                )
            )  # fmt: skip
        except LabelFileError as exc:
            raise LabelFileError(f"{path}{where}: {exc.message}", path=str(path)) from None
    return tuple(boxes), size


def read_yolo(
    path: Path,
    *,
    class_names: Sequence[str],
    width_px: int,
    height_px: int,
    label_map: Mapping[str, VehicleClass] = DEFAULT_LABEL_MAP,
    skip_unmapped: bool = False,
) -> tuple[LabelledBox, ...]:
    """Read one YOLO txt file: ``cls cx cy w h`` or YOLO-OBB ``cls x1 y1 ... x4 y4``, normalised.

    Args:
        path: The label file.
        class_names: Source label of each class id, e.g. :data:`MVRSD_CLASS_NAMES`.
        width_px: Image width, to turn normalised coordinates into pixels.
        height_px: Image height.
        label_map: Source label -> sitewatch class.
        skip_unmapped: Skip labels the map lacks instead of raising.

    Raises:
        LabelFileError: a line has the wrong number of fields, a bad number or class id.
    """
    if width_px <= 0 or height_px <= 0:
        raise LabelFileError(f"{path}: image size {width_px}×{height_px} px is not positive")
    boxes = []
    for n, line in enumerate(_read_text(path).splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        where = f" line {n}"
        if len(fields) not in (5, 9):
            raise LabelFileError(
                f"{path}{where}: expected 5 fields (cls cx cy w h) or 9 (cls + 4 corners), "
                f"got {len(fields)}",
                path=str(path),
            )
        values = _floats(fields, path=path, where=where)
        cls_id = int(values[0])
        if cls_id != values[0] or not 0 <= cls_id < len(class_names):
            raise LabelFileError(
                f"{path}{where}: class id {fields[0]} is not in 0..{len(class_names) - 1} "
                f"({', '.join(class_names)}); is the classes list right?",
                path=str(path),
            )
        name = class_names[cls_id]
        label = _map_label(
            name, path=path, where=where, label_map=label_map, skip_unmapped=skip_unmapped
        )
        if label is None:
            continue
        if len(fields) == 5:
            cx, cy, w, h = values[1:]
            points = [
                ((cx - w / 2) * width_px, (cy - h / 2) * height_px),
                ((cx + w / 2) * width_px, (cy + h / 2) * height_px),
            ]
        else:
            c = values[1:]
            points = [(c[2 * k] * width_px, c[2 * k + 1] * height_px) for k in range(4)]
        boxes.append(
            _box_from_points(
                points,
                label=label,
                source_label=name,
                difficult=False,
                keep_polygon=len(fields) == 9,
                path=path,
                where=where,
            )
        )
    return tuple(boxes)


def dota_line(box: OrientedBoxPx, label: str) -> str:
    """One DOTA label line, as :func:`read_dota` reads it: four corners, the label, not difficult."""
    corners = " ".join(f"{x:.1f} {y:.1f}" for x, y in box.corners_px())
    return f"{corners} {label} 0"


def read_dota(
    path: Path,
    *,
    label_map: Mapping[str, VehicleClass] = DEFAULT_LABEL_MAP,
    skip_unmapped: bool = False,
) -> tuple[LabelledBox, ...]:
    """Read one DOTA txt file: ``x1 y1 x2 y2 x3 y3 x4 y4 class [difficult]`` in pixels.

    Header lines ``imagesource:...`` and ``gsd:...`` are skipped; so are DOTA's non-vehicle
    classes.

    Raises:
        LabelFileError: a line has the wrong number of fields or a bad number.
    """
    boxes = []
    for n, line in enumerate(_read_text(path).splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.lower().startswith(("imagesource:", "gsd:")):
            continue
        fields = stripped.split()
        where = f" line {n}"
        if len(fields) < 9:
            raise LabelFileError(
                f"{path}{where}: expected 8 corner coordinates, a class and an optional "
                f"difficult flag, got {len(fields)} fields",
                path=str(path),
            )
        c = _floats(fields[:8], path=path, where=where)
        difficult = False
        rest = fields[8:]
        if len(rest) > 1 and rest[-1] in ("0", "1"):
            difficult = rest[-1] == "1"
            rest = rest[:-1]
        name = " ".join(rest)
        label = _map_label(
            name, path=path, where=where, label_map=label_map, skip_unmapped=skip_unmapped
        )
        if label is None:
            continue
        boxes.append(
            _box_from_points(
                [(c[2 * k], c[2 * k + 1]) for k in range(4)],
                label=label,
                source_label=name,
                difficult=difficult,
                keep_polygon=True,
                path=path,
                where=where,
            )
        )
    return tuple(boxes)


def _find_image(stem: str, folders: Sequence[Path]) -> Path | None:
    for folder in folders:
        for suffix in _IMAGE_SUFFIXES:
            for candidate in (folder / f"{stem}{suffix}", folder / f"{stem}{suffix.upper()}"):
                if candidate.is_file():
                    return candidate
    return None


def _image_size(path: Path) -> tuple[int, int]:
    import cv2  # local: keep label parsing importable without OpenCV loaded

    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise LabelFileError(
            f"{path}: cannot read the image to learn its size (YOLO labels are normalised); "
            "pass image_size_px instead",
            path=str(path),
        )
    return int(image.shape[1]), int(image.shape[0])


def read_labels(
    label_dir: Path,
    format: LabelFormat | str,
    *,
    class_names: Sequence[str] | None = None,
    image_dir: Path | None = None,
    image_size_px: tuple[int, int] | None = None,
    label_map: Mapping[str, VehicleClass] = DEFAULT_LABEL_MAP,
    skip_unmapped: bool = False,
    supplement_dir: Path | None = None,
) -> tuple[LabelledImage, ...]:
    """Read every label file of one format in a folder, sorted by file name.

    ``supplement_dir`` holds label files of the same format that add boxes to images of
    ``label_dir`` (e.g. vehicles a data set left unlabelled, found in an audit): each file's
    boxes are appended to the image of the same stem. Boxes flagged difficult (VOC
    ``<difficult>1``, DOTA's last field) mark objects that may or may not be vehicles:
    evaluation ignores them and training leaves them out.

    Args:
        label_dir: Folder of ``*.xml`` (VOC) or ``*.txt`` (YOLO, DOTA) files.
        format: ``voc``, ``yolo`` or ``dota``.
        class_names: YOLO only: the source label of each class id (``classes.txt`` order).
        image_dir: Where the images are (default: ``label_dir``, then its sibling ``images``).
        image_size_px: YOLO only: one ``(width, height)`` for all images, instead of reading them.
        label_map: Source label -> sitewatch class.
        skip_unmapped: Skip labels the map lacks instead of raising.
        supplement_dir: Label files adding boxes to the images of ``label_dir``.

    Raises:
        LabelFileError: the folder is missing or empty, a file is malformed, or a supplement
            file names an image ``label_dir`` has no labels for.
        ConfigError: unknown format, or YOLO without ``class_names``.
    """
    from sitewatch.errors import ConfigError

    try:
        fmt = LabelFormat(format)
    except ValueError:
        valid = ", ".join(f.value for f in LabelFormat)
        raise ConfigError(f"unknown label format {format!r}; valid formats: {valid}") from None
    if fmt is LabelFormat.YOLO and not class_names:
        raise ConfigError("YOLO labels need class_names (the classes.txt order), e.g. SMV,LMV,...")
    label_dir = Path(label_dir)
    folders = [image_dir] if image_dir is not None else [label_dir, label_dir.parent / "images"]

    def read_folder(folder: Path) -> tuple[LabelledImage, ...]:
        return tuple(
            _read_one(
                p,
                fmt,
                class_names=class_names,
                folders=folders,
                image_size_px=image_size_px,
                label_map=label_map,
                skip_unmapped=skip_unmapped,
            )
            for p in _label_files(folder, fmt)
        )

    images = read_folder(label_dir)
    if supplement_dir is None:
        return images
    return supplement(images, read_folder(Path(supplement_dir)))


def _label_files(folder: Path, fmt: LabelFormat) -> list[Path]:
    if not folder.is_dir():
        raise LabelFileError(f"label folder {folder} does not exist", path=str(folder))
    suffix = ".xml" if fmt is LabelFormat.VOC else ".txt"
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() == suffix)
    files = [p for p in files if p.name != "classes.txt"]
    if not files:
        raise LabelFileError(
            f"label folder {folder} holds no {suffix} files; is --format {fmt.value} right?",
            path=str(folder),
        )
    return files


def supplement(
    images: Sequence[LabelledImage], extra: Sequence[LabelledImage]
) -> tuple[LabelledImage, ...]:
    """``images`` with the boxes of ``extra`` (same stems) appended.

    Raises:
        LabelFileError: an ``extra`` file names an image ``images`` does not have.
    """
    by_stem = {im.stem: im for im in images}
    unknown = [e for e in extra if e.stem not in by_stem]
    if unknown:
        raise LabelFileError(
            f"{unknown[0].label_path}: supplements labels of {unknown[0].stem!r}, which has no "
            f"label file in the main folder; valid stems: {', '.join(sorted(by_stem))}",
            path=str(unknown[0].label_path),
        )
    added = {e.stem: e.boxes for e in extra}
    return tuple(replace(im, boxes=im.boxes + added.get(im.stem, ())) for im in images)


def _read_one(
    path: Path,
    fmt: LabelFormat,
    *,
    class_names: Sequence[str] | None,
    folders: Sequence[Path],
    image_size_px: tuple[int, int] | None,
    label_map: Mapping[str, VehicleClass],
    skip_unmapped: bool,
) -> LabelledImage:
    image_path = _find_image(path.stem, folders)
    size: tuple[int, int] | None = None
    if fmt is LabelFormat.VOC:
        boxes, size = read_voc(path, label_map=label_map, skip_unmapped=skip_unmapped)
    elif fmt is LabelFormat.DOTA:
        boxes = read_dota(path, label_map=label_map, skip_unmapped=skip_unmapped)
    else:
        if image_size_px is not None:
            size = image_size_px
        elif image_path is not None:
            size = _image_size(image_path)
        else:
            raise LabelFileError(
                f"{path}: no image named {path.stem}.* found in "
                f"{', '.join(str(f) for f in folders)} to learn its size; pass image_dir or "
                "image_size_px",
                path=str(path),
            )
        boxes = read_yolo(
            path,
            class_names=class_names or (),
            width_px=size[0],
            height_px=size[1],
            label_map=label_map,
            skip_unmapped=skip_unmapped,
        )
    return LabelledImage(
        stem=path.stem,
        label_path=path,
        image_path=image_path,
        width_px=size[0] if size else None,
        height_px=size[1] if size else None,
        boxes=boxes,
    )
