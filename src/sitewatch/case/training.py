"""Training on a case: the teacher's pseudo-labels of its scenes (audited in it), and the one
call ``sitewatch train`` makes (:func:`train_model`).

(The analyst's reviewed labels are exported by :func:`sitewatch.case.export_reviewed_labels`.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sitewatch.case.reviewed import export_reviewed_labels, label_stem
from sitewatch.catalog import CaseStore, summarise

if TYPE_CHECKING:
    from sitewatch.train import PseudoExport, TrainingRecipe


def export_pseudo_labels(store: CaseStore, folder: Path, teacher: str, *,
                         skip_reviewed: bool) -> PseudoExport:
    """Pseudo-label the case's scenes with ``teacher`` into ``folder`` and audit it
    (``export-pseudo-labels``: the folder, the teacher, the images and the label count).

    With ``skip_reviewed``, scenes whose latest run an analyst fully reviewed are left out: the
    analyst's labels are better than the teacher's.

    Raises:
        ConfigError: ``folder`` is not empty, no scene is left, or the teacher cannot load.
        RasterReadError, ResolutionError: a scene cannot be read or is too coarse.
    """
    from sitewatch.train import PseudoScene, write_pseudo_labels

    scenes = []
    for scene in store.scenes():
        run_id = store.latest_run_id(scene.sha256)
        reviews = store.reviews(scene.sha256, run_id=run_id) if run_id else ()
        summary = summarise(store.detections(scene.sha256), reviews)
        if skip_reviewed and reviews and summary.complete:
            continue
        scenes.append(PseudoScene(path=scene.path, gsd_m=scene.gsd_m, stem=label_stem(scene)))
    done = write_pseudo_labels(scenes, teacher, folder)
    store.append_audit("export-pseudo-labels", {"path": str(folder), "teacher": teacher,
                                                "images": list(done.stems), "labels": done.labels})
    return done


def train_model(
    *,
    base: Path,
    out: Path,
    recipe_file: Path | None = None,
    data_root: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    from_reviews: Path | None = None,
    self_train: Path | None = None,
    resume: bool = False,
    note: Callable[[str], object] = lambda _: None,
    progress: Callable[[int, int, str], None] | None = None,
) -> dict[str, Any]:
    """What ``sitewatch train`` does: read the recipe, export a case's reviews and pseudo-labels
    (each audited in its case) and fine-tune; returns the training summary.

    ``overrides`` replace the recipe's fields (``epochs``, ``tiles``, ``name``, ``device``,
    ``seed``, ``scale_jitter``); ``None`` values are ignored. ``base`` may name a packaged model
    whose ``.pt`` lies beside its card. The base weights are checked before any case is touched,
    and a trained model is never replaced. ``note`` hears one line per case export. ``resume``
    continues the interrupted training in ``out`` (see :class:`sitewatch.train.TrainRequest`);
    the case exports it already holds are kept.

    Raises:
        ConfigError: nothing to train on, ``--data-root`` without a recipe, the model exists
            already, no teacher for self-training, the recipe and sources disagree, or (with
            ``resume``) the folder's training was started with another recipe, seed or base.
        ModelError: the base weights are missing or fail their hash check.
    """
    from sitewatch.digest import sha256_file
    from sitewatch.errors import ConfigError
    from sitewatch.train import expected_base_sha256, run_training, verify_weights

    recipe = _recipe(recipe_file, data_root, overrides or {},
                     from_cases=from_reviews is not None or self_train is not None)
    base = _packaged_base(base)
    if resume and (out / f"{recipe.name}.json").exists():
        raise ConfigError(f"--resume: the training in {out} finished ({out / (recipe.name + '.json')} "
                          "is written); nothing to resume")
    if not resume and (out / f"{recipe.name}.onnx").exists():
        raise ConfigError(f"{out / (recipe.name + '.onnx')} exists; a trained model is never "
                          "replaced: choose another --name or --out")
    request = recipe.request(
        base=base,
        out_dir=out,
        base_sha256=expected_base_sha256(base),
        reviewed_dir=out / "reviewed" if from_reviews else None,
        pseudo_dir=out / "pseudo" if self_train else None,
    )
    if recipe_file is not None:
        request = replace(request, recipe_file=(str(recipe_file), sha256_file(recipe_file)))
    request = replace(request, resume=resume)
    teacher = _teacher(recipe, base) if self_train is not None else None
    verify_weights(request.base, request.base_sha256)  # before the case is touched
    if from_reviews is not None and request.reviewed_dir is not None \
            and not (resume and request.reviewed_dir.is_dir()):
        note(_export_reviews(from_reviews, request.reviewed_dir))
    if teacher is not None and self_train is not None and request.pseudo_dir is not None \
            and not (resume and request.pseudo_dir.is_dir()):
        note(_export_pseudo(self_train, request.pseudo_dir, teacher,
                            skip_reviewed=from_reviews is not None
                            and from_reviews.resolve() == self_train.resolve()))
    return run_training(request, progress=progress)


def _recipe(recipe_file: Path | None, data_root: Path | None, overrides: Mapping[str, Any], *,
            from_cases: bool) -> TrainingRecipe:
    """The recipe file (or the defaults) with the overrides applied (``None`` ones ignored).

    Raises:
        ConfigError: ``data_root`` without a recipe, or nothing to train on.
    """
    from sitewatch.errors import ConfigError
    from sitewatch.train import TrainingRecipe, read_recipe

    if data_root is not None and recipe_file is None:
        raise ConfigError("--data-root says where a recipe's paths are: give --recipe FILE.toml")
    recipe = read_recipe(recipe_file, root=data_root) if recipe_file is not None else TrainingRecipe()
    recipe = replace(recipe, **{k: v for k, v in overrides.items() if v is not None})
    if recipe.images_dir is None and not from_cases:
        raise ConfigError("nothing to train on: give a --recipe with [data] images and labels, "
                          "--from-reviews CASE or --self-train CASE")
    return recipe


def _export_reviews(case: Path, folder: Path) -> str:
    """Export the case's fully reviewed scenes to ``folder`` (audited in the case); what was."""
    done = export_reviewed_labels(CaseStore.open(case), folder)
    return (f"reviews: {len(done.images)} fully reviewed scenes, {done.vehicles} vehicles"
            + (f"; left out: {'; '.join(done.skipped)}" if done.skipped else ""))


def _export_pseudo(case: Path, folder: Path, teacher: str, *, skip_reviewed: bool) -> str:
    """Pseudo-label the case's scenes with ``teacher`` into ``folder`` (audited in the case)."""
    done = export_pseudo_labels(CaseStore.open(case), folder, teacher, skip_reviewed=skip_reviewed)
    pieces = f" in {len(done.stems)} pieces" if len(done.stems) != done.scenes else ""
    return (f"self-training: {done.scenes} scenes{pieces} labelled by {teacher}: {done.labels} labels, "
            f"{done.inpainted} unsure boxes inpainted")


def _packaged_base(base: Path) -> Path:
    """``base`` itself, or the ``.pt`` beside the card of the packaged model it names."""
    from sitewatch.detect import MODELS, card_path_for, load_card, torch_weights_path

    if base.exists() or str(base) not in MODELS:
        return base
    return torch_weights_path(load_card(card_path_for(str(base))))


def _teacher(recipe: TrainingRecipe, base: Path) -> str:
    """The recipe's teacher model, or the ONNX card beside ``base``."""
    from sitewatch.errors import ConfigError

    if recipe.teacher is not None:
        return recipe.teacher
    card = base.with_suffix(".json")
    if not card.is_file():
        raise ConfigError(f"--self-train needs a teacher: {base} has no model card beside "
                          "it; set teacher = \"MODEL\" in the --recipe (e.g. "
                          "sitewatch-vehicles-yolov8n-obb)")
    return str(card)
