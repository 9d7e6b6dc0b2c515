"""Model cards for fine-tuned detectors.

``<name>.json`` follows the card format of the shipped models (:mod:`sitewatch.detect.modelcard`
on the detect branch: the same keys, nothing else, so the ONNX loader accepts it).
``<name>.training.json`` beside it holds what a card has no key for: the data trained on and
held out (with hashes), the recipe, the measured held-out metrics and the base model's metrics
on the same tiles.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sitewatch.detect import VehicleClass
from sitewatch.digest import sha256_file
from sitewatch.train.ultralytics_run import BASE_SHA256

__all__ = ["expected_base_sha256", "inherited_score", "inherited_training_data", "write_model_card"]


def _copy(src: Path, dst: Path) -> Path:
    if src.resolve() != dst.resolve():
        shutil.copyfile(src, dst)
    return dst


def write_model_card(
    out_dir: Path,
    *,
    name: str,
    onnx_path: Path,
    pt_path: Path,
    classes: Sequence[VehicleClass],
    input_px: int,
    gsd_m: float,
    gsd_note: str,
    source: str,
    exporter: str,
    training: Mapping[str, Any],
    score: tuple[float, str] | None = None,
    training_data: Sequence[str] = (),
) -> tuple[Path, Path]:
    """Copy the weights to ``<name>.onnx`` / ``<name>.pt`` and write the two cards beside them.

    ``score`` is the card's ``score_threshold`` and ``score_note``; without it the loader's
    default (0.25) applies. ``training_data`` is the card's list of what the weights were made
    from, with its terms (see :func:`inherited_training_data`).

    Returns:
        The paths of ``<name>.json`` (loader card) and ``<name>.training.json``.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = _copy(onnx_path, out_dir / f"{name}.onnx")
    pt_path = _copy(pt_path, out_dir / f"{name}.pt")
    card = {
        "name": name,
        "onnx_file": onnx_path.name,
        "onnx_sha256": sha256_file(onnx_path),
        "source_package": source,
        "source_file": pt_path.name,
        "source_sha256": sha256_file(pt_path),
        "exporter": exporter,
        "classes": [c.value for c in classes],
        "class_map": {c.value: c.value for c in classes},
        "input_px": input_px,
        "gsd_m": gsd_m,
        "gsd_note": gsd_note,
        "licence": "AGPL-3.0",
    }
    if score is not None:
        card["score_threshold"], card["score_note"] = score
    if training_data:
        card["training_data"] = list(training_data)
    card_path = out_dir / f"{name}.json"
    card_path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    side_path = out_dir / f"{name}.training.json"
    side = {
        "name": name,
        "onnx_sha256": card["onnx_sha256"],
        "pt_sha256": card["source_sha256"],
        **training,
    }
    side_path.write_text(json.dumps(side, indent=2, default=str) + "\n", encoding="utf-8")
    return card_path, side_path


def _base_card(base: Path) -> dict[str, Any] | None:
    """The card ``sitewatch train`` wrote beside ``base``, if ``base`` is such a model."""
    try:
        data = json.loads(base.with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("source_file") == base.name else None


def inherited_training_data(base: Path, name: str) -> list[str]:
    """What the card of a model trained from ``base`` says its weights were made from.

    The base model's own sources, when ``base`` is a sitewatch model whose card names them (its
    weights carry them on), then this run's data: named in its training record, its terms not
    known to sitewatch.
    """
    card = _base_card(base)
    earlier = card.get("training_data", []) if card else []
    return [*(item for item in earlier if isinstance(item, str)),
            f"Fine-tuning data: what the sitewatch train run that made {name} trained on, named "
            f"in its training record ({name}.training.json); terms: those its sources state, "
            "not recorded by sitewatch"]


def inherited_score(base: Path) -> tuple[float, str] | None:
    """The base model's card score, for a model trained on from it (None: the loader default).

    The recipe's score is chosen on cross-validation of the recipe; a model trained further
    from a sitewatch model keeps it, and its note says so.
    """
    card = _base_card(base)
    if card is None or "score_threshold" not in card:
        return None
    note = (f"inherited from the base model {card.get('name', base.stem)}'s card, not measured "
            "on this model")
    if card.get("score_note"):
        note += f"; there: {card['score_note']}"
    return float(card["score_threshold"]), note


def expected_base_sha256(base: Path) -> str:
    """The sha256 ``base`` must have: its card's when it is a model ``sitewatch train`` wrote.

    A ``<name>.pt`` written by :func:`write_model_card` has ``<name>.json`` beside it naming it
    as ``source_file`` with its ``source_sha256``; any other file must be the DOTA checkpoint.
    """
    card = _base_card(base)
    return str(card.get("source_sha256", BASE_SHA256)) if card is not None else BASE_SHA256
