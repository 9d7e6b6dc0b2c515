"""A detection run's parameters as one value, and the software that shapes results."""

from __future__ import annotations

import dataclasses
import json
import platform
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from sitewatch import __version__
from sitewatch.detect import LEGACY_SCORE_THRESHOLD, DetectOptions, Detector

_VERSIONED = ("numpy", "onnxruntime", "opencv-python-headless", "rasterio", "shapely", "pyproj",
              "scipy")
#: Key of the stored parameters that holds the score the detector kept boxes from.
_SCORE_KEY = "score_threshold"
#: Key of the stored parameters that holds the model card's per-label score floors.
_FLOORS_KEY = "label_score_thresholds"


@dataclass(frozen=True, slots=True, kw_only=True)
class DetectionRun:
    """What a detect run was asked to do: the tiling options, the detector's score threshold and
    the per-label score floors its model card applied (``label_score_thresholds``).

    Stored in the catalog as JSON (:meth:`to_json`); runs recorded before the score was kept were
    made at :data:`~sitewatch.detect.modelcard.LEGACY_SCORE_THRESHOLD`, and :meth:`from_json`
    reads them so. Runs recorded before the floors were kept have ``label_score_thresholds``
    None (no packaged model's card had floors then); a run with a card without floors records
    an empty mapping, so a run with floors is told from one without.

    >>> run = DetectionRun(options=DetectOptions(), score_threshold=0.15,
    ...                    label_score_thresholds=(("civilian_vehicle", 0.35),))
    >>> DetectionRun.from_json(run.to_json()) == run
    True
    """

    options: DetectOptions
    score_threshold: float | None = None
    label_score_thresholds: tuple[tuple[str, float], ...] | None = None

    @classmethod
    def of(cls, options: DetectOptions, detector: Detector) -> DetectionRun:
        """The run ``detector`` makes with ``options`` (a detector without a score keeps none,
        one without a model card records no floors)."""
        score = getattr(detector, "score_threshold", None)
        card = getattr(detector, "card", None)
        floors = None if card is None else tuple(
            (label.value, float(floor)) for label, floor in card.label_score_thresholds)
        return cls(options=options, score_threshold=None if score is None else float(score),
                   label_score_thresholds=floors)

    @property
    def kept_score(self) -> float:
        """The score boxes were kept from (the legacy one when the run did not say)."""
        return LEGACY_SCORE_THRESHOLD if self.score_threshold is None else self.score_threshold

    @property
    def kept_floors(self) -> dict[str, float]:
        """The per-label floors the run applied, by label value (none when it did not say)."""
        return dict(self.label_score_thresholds or ())

    def to_json(self) -> dict[str, Any]:
        """JSON-ready parameters, as the catalog stores them."""
        params: dict[str, Any] = json.loads(json.dumps(dataclasses.asdict(self.options), default=str))
        if self.score_threshold is not None:
            params[_SCORE_KEY] = self.score_threshold
        if self.label_score_thresholds is not None:
            params[_FLOORS_KEY] = dict(self.label_score_thresholds)
        return params

    @classmethod
    def from_json(cls, params: Mapping[str, Any]) -> DetectionRun:
        """The run whose parameters the catalog stored (a legacy run gets the legacy score)."""
        options = {key: value for key, value in params.items() if key not in (_SCORE_KEY, _FLOORS_KEY)}
        score = float(params.get(_SCORE_KEY, LEGACY_SCORE_THRESHOLD))
        floors = params.get(_FLOORS_KEY)
        return cls(options=DetectOptions(**options), score_threshold=score,
                   label_score_thresholds=None if floors is None else tuple(
                       (str(k), float(v)) for k, v in sorted(floors.items())))


def software_versions() -> dict[str, str]:
    """Versions of sitewatch, Python and the libraries that shape results."""
    versions = {"sitewatch": __version__, "python": platform.python_version()}
    for name in _VERSIONED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions
