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
#: Key of the stored parameters that holds the model card's per-label score floors (left out
#: when the card has none, as the later options are, so older cases are not detected again).
_FLOORS_KEY = "label_score_thresholds"
#: Options added after runs were first stored: left out of the stored parameters while at their
#: defaults, so a case detected before they existed is not detected again for nothing.
_LATER_OPTIONS = ("fragment_inside", "fragment_area", "fragment_max_length_m", "gsd_factors")


@dataclass(frozen=True, slots=True, kw_only=True)
class DetectionRun:
    """What a detect run was asked to do: the tiling options, the detector's score threshold and
    the per-label score floors its model card applied (``label_score_thresholds``).

    Stored in the catalog as JSON (:meth:`to_json`); runs recorded before the score was kept were
    made at :data:`~sitewatch.detect.modelcard.LEGACY_SCORE_THRESHOLD`, and :meth:`from_json`
    reads them so. The floors are stored only when the card has some (no packaged card had any
    before they were recorded), so a run with floors is told from one without by their presence.

    >>> run = DetectionRun(options=DetectOptions(), score_threshold=0.15,
    ...                    label_score_thresholds=(("civilian_vehicle", 0.35),))
    >>> DetectionRun.from_json(run.to_json()) == run
    True
    """

    options: DetectOptions
    score_threshold: float | None = None
    label_score_thresholds: tuple[tuple[str, float], ...] = ()

    @classmethod
    def of(cls, options: DetectOptions, detector: Detector) -> DetectionRun:
        """The run ``detector`` makes with ``options`` (a detector without a score keeps none,
        one without a model card applies no floors)."""
        score = getattr(detector, "score_threshold", None)
        card = getattr(detector, "card", None)
        floors = () if card is None else tuple(
            (label.value, float(floor)) for label, floor in card.label_score_thresholds)
        return cls(options=options, score_threshold=None if score is None else float(score),
                   label_score_thresholds=floors)

    @property
    def kept_score(self) -> float:
        """The score boxes were kept from (the legacy one when the run did not say)."""
        return LEGACY_SCORE_THRESHOLD if self.score_threshold is None else self.score_threshold

    @property
    def kept_floors(self) -> dict[str, float]:
        """The per-label floors the run applied, by label value."""
        return dict(self.label_score_thresholds)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready parameters, as the catalog stores them."""
        params: dict[str, Any] = json.loads(json.dumps(dataclasses.asdict(self.options), default=str))
        default = json.loads(json.dumps(dataclasses.asdict(DetectOptions()), default=str))
        for key in _LATER_OPTIONS:
            if params[key] == default[key]:
                del params[key]
        if self.score_threshold is not None:
            params[_SCORE_KEY] = self.score_threshold
        if self.label_score_thresholds:
            params[_FLOORS_KEY] = dict(self.label_score_thresholds)
        return params

    @classmethod
    def from_json(cls, params: Mapping[str, Any]) -> DetectionRun:
        """The run whose parameters the catalog stored (a legacy run gets the legacy score)."""
        options = {key: value for key, value in params.items() if key not in (_SCORE_KEY, _FLOORS_KEY)}
        score = float(params.get(_SCORE_KEY, LEGACY_SCORE_THRESHOLD))
        floors = params.get(_FLOORS_KEY) or {}
        return cls(options=DetectOptions(**options), score_threshold=score,
                   label_score_thresholds=tuple((str(k), float(v)) for k, v in sorted(floors.items())))


def software_versions() -> dict[str, str]:
    """Versions of sitewatch, Python and the libraries that shape results."""
    versions = {"sitewatch": __version__, "python": platform.python_version()}
    for name in _VERSIONED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions
