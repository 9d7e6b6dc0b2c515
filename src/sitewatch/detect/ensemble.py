"""Two detectors as one: the fine-tuned military model checked by the base checkpoint.

Fine-tuning on military vehicle parks taught the default model armour and trucks but made it
forget some of what its base (the DOTA checkpoint) knew about civilian ground: it misses cars
the base finds and calls some civilian objects military. :class:`CombinedDetector` runs both on
every tile and combines their boxes by explicit rules (:class:`CombineRules`,
:func:`combine`):

- **relabel**: a box the primary calls military, with a weak score, on which the secondary
  finds a confident vehicle, becomes ``civilian_vehicle`` (off by default: on military parks the
  base finds military vehicles too, so it cannot tell them apart);
- **add**: a confident secondary vehicle that no primary box overlaps is added, labelled
  ``added_label`` (``vehicle`` by default: the base cannot say military or civilian);
- **veto**: a box the primary calls military, with a score under ``veto_below``, that no
  secondary box overlaps is dropped.

Which rules are on is chosen by measurement (``tools/eval_civilian.py`` on civilian ground,
the MVRSD tiles for military ground; see ``docs/model-records/civilian-retention.md``).

The combined detector satisfies :class:`sitewatch.detect.types.Detector`, so tiled detection,
the CLI and the case pipeline use it unchanged. Its ``name`` and ``sha256`` name both models
(``primary+secondary@gsd`` and ``sha_primary+sha_secondary``) so provenance identifies both.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import cv2
import numpy as np

from sitewatch.detect.obb import bounds, pair_overlaps
from sitewatch.detect.types import (
    MILITARY_CLASSES,
    Detection,
    Detector,
    VehicleClass,
    detections_from_arrays,
    detections_to_arrays,
)
from sitewatch.errors import ConfigError

__all__ = ["CombineRules", "CombinedDetector", "combine", "cross_iou", "load_ensemble"]

_ORDER = tuple(VehicleClass)
_MILITARY_IDS = np.array([_ORDER.index(v) for v in MILITARY_CLASSES], dtype=np.intp)


@dataclass(frozen=True, slots=True, kw_only=True)
class CombineRules:
    """How the primary's and the secondary's boxes are combined (see the module docs).

    Attributes:
        match_iou: Rotated IoU at which a secondary box confirms a primary one.
        secondary_min_score: A secondary box counts (confirms, relabels, is added) from this
            score.
        relabel_below: A confirmed military primary box under this score becomes civilian
            (0: never).
        add_unmatched: Add secondary boxes no primary box overlaps.
        added_label: The label added boxes take.
        veto_below: An unconfirmed military primary box under this score is dropped (0: never).
    """

    match_iou: float = 0.3
    secondary_min_score: float = 0.25
    relabel_below: float = 0.0
    add_unmatched: bool = True
    added_label: VehicleClass = VehicleClass.VEHICLE
    veto_below: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "added_label", VehicleClass(self.added_label))
        checks = {
            "match_iou": 0 < self.match_iou <= 1,
            "secondary_min_score": 0 <= self.secondary_min_score < 1,
            "relabel_below": 0 <= self.relabel_below <= 1,
            "veto_below": 0 <= self.veto_below <= 1,
        }
        bad = [f"{k}={getattr(self, k)}" for k, ok in checks.items() if not ok]
        if bad:
            raise ConfigError(f"invalid combine rules: {', '.join(bad)}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        out = asdict(self)
        out["added_label"] = self.added_label.value
        return out


def cross_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Rotated IoU of each box of ``a`` (N, 5) with each of ``b`` (M, 5), shape (N, M).

    >>> cross_iou(np.array([[5, 5, 4, 2, 0.0]]), np.array([[6, 5, 4, 2, 0.0], [50, 50, 2, 2, 0]]))
    array([[0.6, 0. ]])
    """
    a = np.asarray(a, np.float64).reshape(-1, 5)
    b = np.asarray(b, np.float64).reshape(-1, 5)
    out = np.zeros((len(a), len(b)))
    if not len(a) or not len(b):
        return out
    ba, bb = bounds(a), bounds(b)
    touch = ((ba[:, None, 0] < bb[None, :, 2]) & (bb[None, :, 0] < ba[:, None, 2])
             & (ba[:, None, 1] < bb[None, :, 3]) & (bb[None, :, 1] < ba[:, None, 3]))
    i, j = np.nonzero(touch)
    if len(i):
        both = np.concatenate([a, b])
        inter, area_i, area_j = pair_overlaps(both, i, j + len(a))
        out[i, j] = inter / np.maximum(area_i + area_j - inter, 1e-9)
    return out


def combine(
    primary: tuple[np.ndarray, np.ndarray, np.ndarray],
    secondary: tuple[np.ndarray, np.ndarray, np.ndarray],
    rules: CombineRules,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The combined boxes (N, 5), scores and VehicleClass indices of one tile.

    Both inputs are ``(boxes, scores, label indices)`` in the same pixel grid. Pure.

    >>> p = (np.array([[10, 10, 8, 4, 0.0], [40, 40, 8, 4, 0]]), np.array([0.2, 0.3]),
    ...      np.array([0, 0]))  # two weak armoured boxes
    >>> s = (np.array([[10, 10, 8, 4, 0.0], [80, 80, 8, 4, 0]]), np.array([0.9, 0.8]),
    ...      np.array([5, 5]))  # the base sees a vehicle on the first and one elsewhere
    >>> b, sc, lab = combine(p, s, CombineRules(relabel_below=0.5, veto_below=0.5))
    >>> [_ORDER[k].value for k in lab], sc.tolist()
    (['civilian_vehicle', 'vehicle'], [0.2, 0.8])
    """
    pb, ps, pl = (np.asarray(x) for x in primary)
    sb, ss, _ = (np.asarray(x) for x in secondary)
    pb, sb = pb.reshape(-1, 5), sb.reshape(-1, 5)
    strong = ss >= rules.secondary_min_score
    sb, ss = sb[strong], ss[strong]
    iou = cross_iou(pb, sb)
    confirmed = (iou >= rules.match_iou).any(axis=1) if len(sb) else np.zeros(len(pb), bool)
    military = np.isin(pl, _MILITARY_IDS)
    labels = pl.astype(np.intp).copy()
    relabel = military & confirmed & (ps < rules.relabel_below)
    labels[relabel] = _ORDER.index(VehicleClass.CIVILIAN_VEHICLE)
    keep = ~(military & ~confirmed & (ps < rules.veto_below))
    boxes, scores, labels = pb[keep], ps[keep].astype(np.float64), labels[keep]
    if rules.add_unmatched and len(sb):
        alone = ~(iou > 0).any(axis=0) if len(pb) else np.ones(len(sb), bool)
        boxes = np.concatenate([boxes, sb[alone]])
        scores = np.concatenate([scores, ss[alone].astype(np.float64)])
        labels = np.concatenate(
            [labels, np.full(int(alone.sum()), _ORDER.index(rules.added_label), np.intp)])
    return boxes, scores, labels


class CombinedDetector:
    """Runs ``primary`` and ``secondary`` on every tile and combines their boxes.

    Satisfies :class:`sitewatch.detect.types.Detector` with the primary's GSD and tile size;
    each tile is resized for the secondary to ``secondary_gsd_m`` (by default the GSD at which
    the primary's tile fills the secondary's input). Keeps nothing between calls.

    Args:
        primary: The detector whose labels are kept (the fine-tuned model).
        secondary: The detector that confirms, relabels and adds (the base checkpoint).
        rules: How boxes are combined.
        secondary_gsd_m: The GSD tiles are resized to for the secondary.
        score_threshold: The score the combination is read at, for evaluation tools (the
            inner detectors already apply their own).

    Raises:
        ConfigError: The resized tile would not fit the secondary's input.
    """

    def __init__(self, primary: Detector, secondary: Detector, *, rules: CombineRules,
                 secondary_gsd_m: float | None = None, score_threshold: float = 0.0) -> None:
        self.primary = primary
        self.secondary = secondary
        self.rules = rules
        self.secondary_gsd_m = secondary_gsd_m or (
            primary.gsd_m * primary.tile_px / secondary.tile_px)
        self.score_threshold = score_threshold
        self.factor = primary.gsd_m / self.secondary_gsd_m
        if round(primary.tile_px * self.factor) > secondary.tile_px:
            raise ConfigError(
                f"a {primary.tile_px} px tile of {primary.name} at {primary.gsd_m} m resized "
                f"to {self.secondary_gsd_m} m is {round(primary.tile_px * self.factor)} px, over "
                f"{secondary.name}'s {secondary.tile_px} px input; choose a secondary GSD of "
                f"{primary.gsd_m * primary.tile_px / secondary.tile_px:g} m or coarser")

    @property
    def name(self) -> str:
        """Both models' names and the secondary's GSD."""
        return f"{self.primary.name}+{self.secondary.name}@{self.secondary_gsd_m:g}"

    @property
    def sha256(self) -> str:
        """Both models' weight hashes, primary first, joined by ``+``."""
        return f"{self.primary.sha256}+{self.secondary.sha256}"

    @property
    def gsd_m(self) -> float:
        """The primary's ground sample distance."""
        return self.primary.gsd_m

    @property
    def tile_px(self) -> int:
        """The primary's tile size."""
        return self.primary.tile_px

    def provenance(self) -> dict[str, Any]:
        """Both models and the rules, JSON-ready."""
        return {
            "primary": {"name": self.primary.name, "sha256": self.primary.sha256},
            "secondary": {"name": self.secondary.name, "sha256": self.secondary.sha256,
                          "gsd_m": self.secondary_gsd_m},
            "rules": self.rules.to_dict(),
        }

    def _resized(self, tile: np.ndarray) -> np.ndarray:
        if abs(self.factor - 1.0) < 1e-9:
            return tile
        h, w = tile.shape[:2]
        size = (max(1, round(w * self.factor)), max(1, round(h * self.factor)))
        interp = cv2.INTER_AREA if self.factor < 1 else cv2.INTER_LINEAR
        return cv2.resize(tile, size, interpolation=interp)

    def detect_batch(self, tiles: list[np.ndarray]) -> list[tuple[Detection, ...]]:
        """Detect with both models, map the secondary's boxes back, combine per tile."""
        first = self.primary.detect_batch(tiles)
        second = self.secondary.detect_batch([self._resized(t) for t in tiles])
        out = []
        for p, s in zip(first, second, strict=True):
            sb, ss, sl = detections_to_arrays(s)
            sb[:, :4] /= self.factor
            boxes, scores, labels = combine(detections_to_arrays(p), (sb, ss, sl), self.rules)
            out.append(detections_from_arrays(boxes, scores, labels))
        return out


def load_ensemble(
    primary: str | None = None,
    secondary: str | None = None,
    *,
    secondary_gsd_m: float | None = None,
    threads: int | None = None,
    **rules: Any,
) -> CombinedDetector:
    """The default model checked by the base checkpoint (or any two registered models).

    Args:
        primary: Model whose labels are kept (default: the package default).
        secondary: Model that confirms and adds (default: the base DOTA checkpoint).
        secondary_gsd_m: GSD the secondary runs at (default: the primary's tile fills its input).
        threads: CPU threads of each model.
        **rules: :class:`CombineRules` fields.

    Raises:
        ConfigError, ModelError: As :func:`sitewatch.detect.load_detector` and
            :class:`CombinedDetector`; an unknown rule name.
    """
    from sitewatch.detect.loading import load_detector
    from sitewatch.detect.registry import BASE_MODEL

    unknown = sorted(set(rules) - set(CombineRules.__dataclass_fields__))
    if unknown:
        raise ConfigError(f"unknown combine rules {unknown}; valid: "
                          f"{', '.join(CombineRules.__dataclass_fields__)}")
    first = load_detector(primary, threads=threads)
    second = load_detector(secondary or BASE_MODEL, threads=threads)
    return CombinedDetector(first, second, rules=CombineRules(**rules),
                            secondary_gsd_m=secondary_gsd_m,
                            score_threshold=min(first.score_threshold, second.score_threshold))
