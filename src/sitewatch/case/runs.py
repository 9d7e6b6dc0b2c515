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
#: Options added after runs were first stored: left out of the stored parameters while at their
#: defaults, so a case detected before they existed is not detected again for nothing.
_LATER_OPTIONS = ("fragment_inside", "fragment_area", "fragment_max_length_m", "gsd_factors")


@dataclass(frozen=True, slots=True, kw_only=True)
class DetectionRun:
    """What a detect run was asked to do: the tiling options and the detector's score threshold.

    Stored in the catalog as JSON (:meth:`to_json`); runs recorded before the score was kept were
    made at :data:`~sitewatch.detect.modelcard.LEGACY_SCORE_THRESHOLD`, and :meth:`from_json`
    reads them so.

    >>> run = DetectionRun(options=DetectOptions(), score_threshold=0.15)
    >>> DetectionRun.from_json(run.to_json()) == run
    True
    """

    options: DetectOptions
    score_threshold: float | None = None

    @classmethod
    def of(cls, options: DetectOptions, detector: Detector) -> DetectionRun:
        """The run ``detector`` makes with ``options`` (a detector without a score keeps none)."""
        score = getattr(detector, "score_threshold", None)
        return cls(options=options, score_threshold=None if score is None else float(score))

    @property
    def kept_score(self) -> float:
        """The score boxes were kept from (the legacy one when the run did not say)."""
        return LEGACY_SCORE_THRESHOLD if self.score_threshold is None else self.score_threshold

    def to_json(self) -> dict[str, Any]:
        """JSON-ready parameters, as the catalog stores them."""
        params: dict[str, Any] = json.loads(json.dumps(dataclasses.asdict(self.options), default=str))
        default = json.loads(json.dumps(dataclasses.asdict(DetectOptions()), default=str))
        for key in _LATER_OPTIONS:
            if params[key] == default[key]:
                del params[key]
        if self.score_threshold is not None:
            params[_SCORE_KEY] = self.score_threshold
        return params

    @classmethod
    def from_json(cls, params: Mapping[str, Any]) -> DetectionRun:
        """The run whose parameters the catalog stored (a legacy run gets the legacy score)."""
        options = {key: value for key, value in params.items() if key != _SCORE_KEY}
        score = float(params.get(_SCORE_KEY, LEGACY_SCORE_THRESHOLD))
        return cls(options=DetectOptions(**options), score_threshold=score)


def software_versions() -> dict[str, str]:
    """Versions of sitewatch, Python and the libraries that shape results."""
    versions = {"sitewatch": __version__, "python": platform.python_version()}
    for name in _VERSIONED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions
