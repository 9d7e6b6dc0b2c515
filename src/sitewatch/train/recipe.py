"""A training recipe: the small TOML file that says how a model is trained, read strictly.

``sitewatch train --recipe FILE.toml`` reads one; the shipped model's recipe ships beside its
card (``<model>.recipe.toml``), so anyone can see, and rerun, how it was made. Every key is
optional (a missing key takes the default below); an unknown section or key is refused, so a
typo never silently trains with a default. Relative paths are relative to ``root``: the
recipe's own folder unless the caller gives another (``--data-root``).

The sections and keys, with their defaults::

    name = "sitewatch-vehicles"      # model name written into the card
    teacher = ""                     # model labelling --self-train scenes ("": --base's card)

    [data]                           # labelled tiles (leave out to train on reviews only)
    images = ""                      # folder of images
    labels = ""                      # folder of label files
    extra_labels = ""                # label files adding boxes, e.g. an audit's missed vehicles
    format = "voc"                   # voc, yolo or dota
    class_names = []                 # YOLO: class names in id order
    gsd_m = 0.0                      # ground sample distance of the images, metres
    holdout = []                     # image stems held out for measurement

    [layouts]                        # real vehicle layouts (YOLO files, MVRSD class order)
    folder = ""
    image_px = 640                   # side of the images the layout files belong to
    gsd_m = 0.0                      # their GSD (0: [data] gsd_m)

    [ground]
    paste = []                       # "PATH@GSD[:x0,y0,x1,y1]": ground to paste vehicles on
    negative = []                    # ground that must stay empty: hard negatives

    [synthesis]
    tiles = 600                      # synthetic tiles
    gsd_m = 0.3                      # GSD the model is trained (and later run) at
    colour_jitter = 0.12
    layout_turn_deg = 0.0

    [training]
    epochs = 8
    imgsz = 512
    batch = 8
    device = "cpu"                   # cpu or a CUDA index such as "0"
    threads = 2
    seed = 0
    scale_jitter = 0.1               # images scaled by a random factor in [1 - s, 1 + s]

    [mining]                         # hard negatives mined part-way through training
    epochs = 0                       # train this many epochs, mine, then train the rest
    threshold = 0.25
    labelled = false                 # also mine the labelled tiles (needs complete labels)

    [civilian]                       # civilian ground (sitewatch.train.civground)
    images = ""                      # labelled civilian images: every vehicle a civilian_vehicle
    labels = ""                      # their label files (default: the images' folder)
    format = "yolo"                  # yolo or voc
    class_names = []                 # YOLO: class names in id order
    vehicle_names = []               # the names that are vehicles ([]: every name)
    include = []                     # stem patterns of the label files to use ([]: all)
    gsd_m = 0.0                      # their ground sample distance
    distil = []                      # "PATH@GSD[:x0,y0,x1,y1]": unlabelled scenes the teacher labels
    teacher = "dota-yolov8n-obb"     # its confident boxes become civilian_vehicle labels
    teacher_gsd_m = 0.15             # GSD the teacher is run at
    score = 0.4                      # teacher boxes at or above: labels
    ignore_score = 0.1               # from this up to score: inpainted (neither vehicle nor ground)
    cell_prob = 0.0                  # chance a synthetic cell is civilian ground
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sitewatch.errors import ConfigError
from sitewatch.train.civground import CivilianGround
from sitewatch.train.labels import LabelFormat
from sitewatch.train.mixing import TileMix
from sitewatch.train.pipeline import TrainRequest
from sitewatch.train.sources import GroundRole, GroundSource
from sitewatch.train.synth import SynthConfig
from sitewatch.train.ultralytics_run import BASE_SHA256, TrainSettings

__all__ = ["TrainingRecipe", "read_recipe"]

#: (section or "" for the top level, key) -> (field of TrainingRecipe, kind).
_SCHEMA: dict[tuple[str, str], tuple[str, str]] = {
    ("", "name"): ("name", "str"),
    ("", "teacher"): ("teacher", "str"),
    ("data", "images"): ("images_dir", "path"),
    ("data", "labels"): ("labels_dir", "path"),
    ("data", "extra_labels"): ("extra_labels_dir", "path"),
    ("data", "format"): ("label_format", "format"),
    ("data", "class_names"): ("class_names", "strs"),
    ("data", "gsd_m"): ("data_gsd_m", "float"),
    ("data", "holdout"): ("holdout", "strs"),
    ("layouts", "folder"): ("layouts_dir", "path"),
    ("layouts", "image_px"): ("layout_image_px", "int"),
    ("layouts", "gsd_m"): ("layout_gsd_m", "float"),
    ("ground", "paste"): ("grounds", "strs"),
    ("ground", "negative"): ("negatives", "strs"),
    ("synthesis", "tiles"): ("tiles", "int"),
    ("synthesis", "gsd_m"): ("gsd_m", "float"),
    ("synthesis", "colour_jitter"): ("colour_jitter", "float"),
    ("synthesis", "layout_turn_deg"): ("layout_turn_deg", "float"),
    ("training", "epochs"): ("epochs", "int"),
    ("training", "imgsz"): ("imgsz", "int"),
    ("training", "batch"): ("batch", "int"),
    ("training", "device"): ("device", "str"),
    ("training", "threads"): ("threads", "int"),
    ("training", "seed"): ("seed", "int"),
    ("training", "scale_jitter"): ("scale_jitter", "float"),
    ("mining", "epochs"): ("mine_epochs", "int"),
    ("mining", "threshold"): ("mine_threshold", "float"),
    ("mining", "labelled"): ("mine_labelled", "bool"),
    ("civilian", "images"): ("civilian_images_dir", "path"),
    ("civilian", "labels"): ("civilian_labels_dir", "path"),
    ("civilian", "format"): ("civilian_format", "format"),
    ("civilian", "class_names"): ("civilian_class_names", "strs"),
    ("civilian", "vehicle_names"): ("civilian_vehicle_names", "strs"),
    ("civilian", "include"): ("civilian_include", "strs"),
    ("civilian", "gsd_m"): ("civilian_gsd_m", "float"),
    ("civilian", "distil"): ("civilian_distil", "strs"),
    ("civilian", "teacher"): ("civilian_teacher", "str"),
    ("civilian", "teacher_gsd_m"): ("civilian_teacher_gsd_m", "float"),
    ("civilian", "score"): ("civilian_score", "float"),
    ("civilian", "ignore_score"): ("civilian_ignore_score", "float"),
    ("civilian", "cell_prob"): ("civilian_cell_prob", "float"),
}
_SECTIONS = sorted({s for s, _ in _SCHEMA if s})


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainingRecipe:
    """How a model is trained: data, layouts, ground, synthesis, training and mining.

    Read from TOML with :func:`read_recipe` (the module docstring lists the keys); turned into
    a :class:`~sitewatch.train.pipeline.TrainRequest` with :meth:`request`. Paths are absolute
    here (resolved against the recipe's root when read); None means "not given".
    """

    name: str = "sitewatch-vehicles"
    teacher: str | None = None
    images_dir: Path | None = None
    labels_dir: Path | None = None
    extra_labels_dir: Path | None = None
    label_format: LabelFormat = LabelFormat.VOC
    class_names: tuple[str, ...] | None = None
    data_gsd_m: float | None = None
    holdout: tuple[str, ...] = ()
    layouts_dir: Path | None = None
    layout_image_px: int = 640
    layout_gsd_m: float | None = None
    grounds: tuple[GroundSource, ...] = ()
    negatives: tuple[GroundSource, ...] = ()
    tiles: int = 600
    gsd_m: float = 0.3
    colour_jitter: float = 0.12
    layout_turn_deg: float = 0.0
    epochs: int = 8
    imgsz: int = 512
    batch: int = 8
    device: str = "cpu"
    threads: int = 2
    seed: int = 0
    scale_jitter: float = 0.1
    mine_epochs: int = 0
    mine_threshold: float = 0.25
    mine_labelled: bool = False
    civilian: CivilianGround = field(default_factory=CivilianGround)
    civilian_cell_prob: float = 0.0

    def __post_init__(self) -> None:
        if self.images_dir is not None and (self.labels_dir is None or not self.data_gsd_m):
            raise ConfigError("[data] images needs [data] labels and [data] gsd_m (the tiles' "
                              "ground sample distance, metres)")
        if self.layouts_dir is not None and not (self.layout_gsd_m or self.data_gsd_m):
            raise ConfigError("[layouts] folder needs [layouts] gsd_m (or [data] gsd_m): the "
                              "ground sample distance of the images the layouts come from")
        for key, value in (("layouts image_px", self.layout_image_px), ("tiles", self.tiles),
                           ("epochs", self.epochs), ("imgsz", self.imgsz), ("batch", self.batch),
                           ("threads", self.threads)):
            if value < 1:
                raise ConfigError(f"recipe {key} must be >= 1, got {value}")
        if self.civilian.empty != (self.civilian_cell_prob == 0):
            raise ConfigError("[civilian] cell_prob > 0 needs civilian images or distil scenes, "
                              "and they need cell_prob > 0 (the chance a cell is civilian ground)")
        TileMix(civilian_cell_prob=self.civilian_cell_prob)  # checks the probabilities
        TrainSettings(scale_jitter=self.scale_jitter)  # checks the jitter

    def request(
        self,
        *,
        base: Path,
        out_dir: Path,
        base_sha256: str = BASE_SHA256,
        reviewed_dir: Path | None = None,
        pseudo_dir: Path | None = None,
    ) -> TrainRequest:
        """The library request this recipe makes, for ``base`` weights writing to ``out_dir``.

        Raises:
            ConfigError: The recipe and the sources disagree (see :class:`TrainRequest`).
        """
        layout_gsd = self.layout_gsd_m or self.data_gsd_m
        # without layouts the training tiles give the layouts (and their side)
        layout_side = {"layout_side_m": self.layout_image_px * layout_gsd} if layout_gsd else {}
        return TrainRequest(
            images_dir=self.images_dir,
            labels_dir=self.labels_dir,
            labels_supplement_dir=self.extra_labels_dir,
            label_format=self.label_format,
            class_names=self.class_names,
            data_gsd_m=self.data_gsd_m or 0.0,
            holdout=self.holdout,
            reviewed_dir=reviewed_dir,
            pseudo_dir=pseudo_dir,
            base_sha256=base_sha256,
            out_dir=out_dir,
            base=base,
            name=self.name,
            layouts_dir=self.layouts_dir,
            grounds=self.grounds + self.negatives,
            n_tiles=self.tiles,
            synth=SynthConfig(gsd_m=self.gsd_m, cell_px=self.imgsz // 2,
                              colour_jitter=self.colour_jitter,
                              layout_turn_deg=self.layout_turn_deg, **layout_side),
            settings=TrainSettings(epochs=self.epochs, imgsz=self.imgsz, batch=self.batch,
                                   device=self.device, threads=self.threads, seed=self.seed,
                                   scale_jitter=self.scale_jitter),
            seed=self.seed,
            mine_epochs=self.mine_epochs,
            mine_threshold=self.mine_threshold,
            mine_labelled=self.mine_labelled,
            mix=TileMix(civilian_cell_prob=self.civilian_cell_prob),
            civilian=None if self.civilian.empty else self.civilian,
        )


def _value(where: str, kind: str, raw: Any, root: Path) -> Any:
    """One TOML value checked against its kind and converted to the field's type."""

    def wrong(expected: str) -> ConfigError:
        return ConfigError(f"{where} must be {expected}, got {raw!r}")

    if kind in ("str", "path", "format"):
        if not isinstance(raw, str):
            raise wrong("a string")
        if kind == "path":
            return root / raw if raw else None
        if kind == "format":
            try:
                return LabelFormat(raw)
            except ValueError:
                raise wrong("one of " + ", ".join(f.value for f in LabelFormat)) from None
        return raw
    if kind == "int":
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise wrong("an integer")
        return raw
    if kind == "float":
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise wrong("a number")
        return float(raw)
    if kind == "bool":
        if not isinstance(raw, bool):
            raise wrong("true or false")
        return raw
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise wrong("a list of strings")
    return tuple(raw)


def _civilian(values: dict[str, Any], root: Path) -> CivilianGround:
    """The ``[civilian]`` keys (taken out of ``values``) as one :class:`CivilianGround`."""
    keys = {name: values.pop(f"civilian_{name}") for name in
            ("images_dir", "labels_dir", "format", "class_names", "vehicle_names", "include",
             "gsd_m", "distil", "teacher", "teacher_gsd_m", "score", "ignore_score")
            if f"civilian_{name}" in values}
    if "format" in keys:
        keys["label_format"] = keys.pop("format")
    if keys.get("gsd_m") == 0.0:
        keys["gsd_m"] = None
    try:
        keys["distil"] = tuple(
            GroundSource(path=root / g.path, gsd_m=g.gsd_m, window_px=g.window_px)
            for g in (GroundSource.parse(spec) for spec in keys.get("distil", ())))
    except ConfigError as exc:
        raise ConfigError(f"[civilian] distil: {exc}") from None
    return CivilianGround(**keys)


def read_recipe(path: Path, *, root: Path | None = None) -> TrainingRecipe:
    """Read a training recipe, strictly.

    Args:
        path: The ``.toml`` file.
        root: Folder relative paths in it are relative to (default: the recipe's folder).

    Raises:
        ConfigError: Unreadable file, bad TOML, an unknown section or key (the message lists
            the valid ones), a value of the wrong type, or settings that contradict each other.
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"recipe {str(path)!r} not found; pass --recipe FILE.toml (see "
                          "docs/training.md)", path=str(path)) from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read recipe {str(path)!r}: {exc}; fix the TOML",
                          path=str(path)) from None
    base = Path(root) if root is not None else path.resolve().parent
    values: dict[str, Any] = {}
    for key, item in raw.items():
        if isinstance(item, dict):
            if key not in _SECTIONS:
                raise ConfigError(f"recipe {str(path)!r}: unknown section [{key}]; valid sections: "
                                  + ", ".join(f"[{s}]" for s in _SECTIONS), path=str(path))
            pairs = [((key, k), v) for k, v in item.items()]
        else:
            pairs = [(("", key), item)]
        for (section, name), value in pairs:
            if (section, name) not in _SCHEMA:
                valid = ", ".join(k for s, k in _SCHEMA if s == section)
                where = f"[{section}] " if section else "top-level "
                raise ConfigError(f"recipe {str(path)!r}: unknown {where}key {name!r}; valid: "
                                  f"{valid}", path=str(path))
            field_name, kind = _SCHEMA[(section, name)]
            where = f"recipe {str(path)!r}: " + (f"[{section}] {name}" if section else name)
            values[field_name] = _value(where, kind, value, base)
    try:
        for field_name, role in (("grounds", GroundRole.GROUND),
                                 ("negatives", GroundRole.NEGATIVE)):
            parsed = [GroundSource.parse(spec, role=role) for spec in values.get(field_name, ())]
            values[field_name] = tuple(
                GroundSource(path=base / g.path, gsd_m=g.gsd_m, window_px=g.window_px, role=role)
                for g in parsed
            )
    except ConfigError as exc:
        raise ConfigError(f"recipe {str(path)!r}: [ground] {exc}", path=str(path)) from None
    try:
        values["civilian"] = _civilian(values, base)
    except ConfigError as exc:
        raise ConfigError(f"recipe {str(path)!r}: {exc}", path=str(path)) from None
    if values.get("class_names") == ():
        values["class_names"] = None
    if values.get("teacher") == "":
        values["teacher"] = None
    for field_name in ("data_gsd_m", "layout_gsd_m"):
        if values.get(field_name) == 0.0:
            values[field_name] = None
    try:
        return TrainingRecipe(**values)
    except ConfigError as exc:
        raise ConfigError(f"recipe {str(path)!r}: {exc}", path=str(path)) from None
