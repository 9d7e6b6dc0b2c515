"""Value types of the tracking stage: observations in, counts and events out."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from sitewatch.detect import Detection
from sitewatch.errors import ConfigError, TrackError
from sitewatch.geo import LonLat
from sitewatch.imagery import Registration

if TYPE_CHECKING:
    from sitewatch.catalog import Scene

#: Count and event label of an armoured vehicle standing on a truck or trailer.
LOADED_TRANSPORTER = "loaded_transporter"


class EventKind(StrEnum):
    """What happened to one vehicle between two dates (or, for ``LOADED``, on one date)."""

    ARRIVED = "arrived"
    DEPARTED = "departed"
    MOVED = "moved"
    STAYED = "stayed"
    LOADED = "loaded"


@dataclass(frozen=True, slots=True, kw_only=True)
class Observation:
    """One image of one site on one date, with the detections found in it.

    ``transform`` is the GDAL-order affine (a, b, c, d, e, f) from pixel to ``crs_wkt`` map
    coordinates, or ``None`` for an image with no georeference. Detections are in this image's
    own pixel grid.
    """

    scene_id: str
    site: str
    date: dt.date
    image_path: Path
    gsd_m: float
    transform: tuple[float, ...] | None
    crs_wkt: str | None
    width_px: int
    height_px: int
    detections: tuple[Detection, ...]

    @classmethod
    def of_scene(cls, scene: Scene, detections: tuple[Detection, ...] = ()) -> Observation:
        """A catalogued scene as tracking takes it (registration needs no detections)."""
        return cls(
            scene_id=scene.sha256, site=scene.site, date=scene.date, image_path=scene.path,
            gsd_m=scene.gsd_m, transform=scene.transform, crs_wkt=scene.crs_wkt,
            width_px=scene.width_px, height_px=scene.height_px, detections=detections,
        )

    def __post_init__(self) -> None:
        if not (math.isfinite(self.gsd_m) and self.gsd_m > 0):
            raise ConfigError(
                f"scene {self.scene_id!r}: ground sample distance must be positive, got "
                f"{self.gsd_m} m; give the gsd_m the catalog measured",
                scene_id=self.scene_id,
            )
        if self.width_px <= 0 or self.height_px <= 0:
            raise ConfigError(
                f"scene {self.scene_id!r}: image size {self.width_px}×{self.height_px} px is empty",
                scene_id=self.scene_id,
            )
        if self.transform is not None:
            if len(self.transform) != 6:
                raise ConfigError(
                    f"scene {self.scene_id!r}: transform needs 6 GDAL-order numbers, got "
                    f"{len(self.transform)}",
                    scene_id=self.scene_id,
                )
            if self.crs_wkt is None:
                raise ConfigError(
                    f"scene {self.scene_id!r}: a transform without a CRS cannot be used; give "
                    "crs_wkt or drop the transform",
                    scene_id=self.scene_id,
                )

    @property
    def georeferenced(self) -> bool:
        """Whether pixel positions can be turned into map positions."""
        return self.transform is not None and self.crs_wkt is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackOptions:
    """Knobs of :func:`sitewatch.track.track_site`, all with documented defaults.

    Attributes:
        max_move_m: farthest a vehicle may move between two dates and still be matched as the
            same vehicle ("moved"); farther, it reads as a departure plus an arrival.
        stay_tolerance_m: displacement below which a matched vehicle "stayed"; the tolerance
            actually used is ``max(stay_tolerance_m, 3 × combined error)``, the combined error
            adding (in quadrature) both dates' registration residuals and both detections'
            localisation error.
        localisation_sigma_m: standard error of a detected box centre on the ground (0.5 m
            is a placeholder: measure it for the detector in use).
        label_cost: matching cost added when two detections carry different labels (in units
            of ``max_move_m``: 1.0 makes a label change as dear as the longest move).
        size_cost: cost per unit of ``|log(length ratio)|``.
        heading_cost: cost per radian of axial heading difference (elongated boxes only).
        detector_precision: fraction of detections that are real vehicles. The default 0.9
            is a placeholder; pass the detector's measured value.
        detector_recall: fraction of real vehicles the detector finds. Default 0.8, a
            placeholder as above.
        rates_by_label: measured (label, precision, recall) per label (e.g. from ``sitewatch
            eval``); labels not listed use the two values above.
        interval_level: two-sided level of the intervals on the true number of vehicles, in
            (0, 1) (:mod:`sitewatch.track.intervals`).
        min_coverage: fraction of a zone the image must cover to count it.
        max_cloud_fraction: share of the covered part of a zone under cloud or washed out
            (local haze, thick cloud, cloud shadow) above which the zone is not observable.
        min_px_per_vehicle: the smallest vehicle must be at least this many pixels long.
        smallest_vehicle_m: length of the smallest vehicle to be counted (a HMMWV, ~4.6 m).
        min_score: detections scoring lower are ignored.
        measure_visibility: estimate cloud and haze from the pixels (needs the image files).
        same_patch_correlation: a vehicle detected on one date only, whose surroundings
            correlate at least this well (zero-mean normalised) with the same ground on the
            other date, was missed by the detector there: it "stayed" (at half confidence)
            rather than arrived or departed. 1.0 turns this check off. Needs
            ``measure_visibility``.
        move_correlation: a match that moved is kept only when the vehicle's aligned pixels
            on the two dates correlate at least this well; below, it reads as a departure
            and an arrival (one vehicle left, another came). -1.0 turns this check off.
        max_haze_fraction: contrast loss above which a date is not observable.
        unmeasured_residual_m: registration residual assumed when nothing measured it (a
            georeference-only registration: archive georeferences are often off by several
            metres).
        loaded_overlap: fraction of an armoured box that must lie on a truck box for it to
            read as loaded.
        loaded_max_angle_rad: largest axial angle between an armoured box and the truck box.
        loaded_unmeasured: ``None`` when loaded transporters are counted like any label (rates
            from ``rates_by_label``' ``loaded_transporter`` entry, else the armoured ones);
            otherwise the sentence saying that the detector's loaded figure is not a count (not
            measured, or measured below the bar, with the figure measured). Loaded counts then
            hold only the analyst's marks, with no estimate or interval, and only marked
            vehicles give loaded events.
    """

    max_move_m: float = 20.0
    stay_tolerance_m: float = 1.5
    localisation_sigma_m: float = 0.5
    label_cost: float = 0.6
    size_cost: float = 0.5
    heading_cost: float = 0.2
    detector_precision: float = 0.9
    detector_recall: float = 0.8
    rates_by_label: tuple[tuple[str, float, float], ...] = ()
    interval_level: float = 0.9
    min_coverage: float = 0.9
    max_cloud_fraction: float = 0.3
    min_px_per_vehicle: float = 10.0
    smallest_vehicle_m: float = 4.6
    min_score: float = 0.0
    measure_visibility: bool = True
    same_patch_correlation: float = 0.85
    move_correlation: float = 0.5
    max_haze_fraction: float = 0.6
    unmeasured_residual_m: float = 5.0
    loaded_overlap: float = 0.6
    loaded_max_angle_rad: float = math.radians(20.0)
    loaded_unmeasured: str | None = None

    def __post_init__(self) -> None:
        for name in ("detector_precision", "detector_recall"):
            value = getattr(self, name)
            if not 0.0 < value <= 1.0:
                raise ConfigError(f"TrackOptions.{name} must be in (0, 1], got {value}")
        if not 0.0 < self.interval_level < 1.0:
            raise ConfigError(f"TrackOptions.interval_level must be in (0, 1), got "
                              f"{self.interval_level}: a 100% interval on the true number is "
                              "unbounded whenever recall is below 1")
        for name in ("max_move_m", "stay_tolerance_m", "smallest_vehicle_m"):
            value = getattr(self, name)
            if not value > 0:
                raise ConfigError(f"TrackOptions.{name} must be positive, got {value}")
        for label, precision, recall in self.rates_by_label:
            if not (0.0 < precision <= 1.0 and 0.0 < recall <= 1.0):
                raise ConfigError(f"TrackOptions.rates_by_label: {label!r} needs precision and "
                                  f"recall in (0, 1], got {precision} and {recall}")
        if self.stay_tolerance_m >= self.max_move_m:
            raise ConfigError(
                f"TrackOptions.stay_tolerance_m ({self.stay_tolerance_m} m) must be below "
                f"max_move_m ({self.max_move_m} m)"
            )


def rates_for(options: TrackOptions, label: str) -> tuple[float, float]:
    """(precision, recall) of the detector for ``label``.

    >>> rates_for(TrackOptions(rates_by_label=(("armored_vehicle", 0.8, 0.6),)),
    ...           "armored_vehicle")
    (0.8, 0.6)
    """
    for name, precision, recall in options.rates_by_label:
        if name == label:
            return precision, recall
    return options.detector_precision, options.detector_recall


#: A count whose zone was seen over less than this share is partial (rasterising a zone's edge
#: on the visibility grid alone loses a few tenths of a percent).
PARTIAL_BELOW = 0.995


@dataclass(frozen=True, slots=True, kw_only=True)
class Count:
    """How many vehicles of one label one zone held on one date, and whether it could be seen.

    A count is three figures (:mod:`sitewatch.track.intervals`): ``n``, the detections;
    ``estimate``, the true number estimated from them as ``n × precision ÷ recall``; and
    ``interval_lo``/``interval_hi``, an interval for the true number at ``interval_level``,
    which always holds the estimate. ``precision`` and ``recall`` are the detector's rates used
    for this label.

    ``n`` is ``None`` when the zone was not observable: an unseen zone is never 0, and it has
    no estimate, interval or rates either.

    ``unmeasured`` is set, on an observable count, when the detector's figure for this label is
    not a count (loaded transporters, while the detector's rate of finding them is not
    measured to the bar: :attr:`TrackOptions.loaded_unmeasured`): ``n``, the estimate, the
    interval and the rates are then ``None``, and ``marked`` is how many vehicles an analyst
    marked (a floor on the true number, not an estimate); ``reason`` says so in words, and
    ``unmeasured`` gives the figure measured.

    ``observable_share`` is the share of the zone this date actually showed (inside the image,
    clear of cloud, not washed out: the mask events are claimed on); ``cloud_fraction`` and
    ``washed_fraction`` are shares of the covered part. A count of a zone only partly seen
    (:attr:`partial`) counts the vehicles of the seen part only, and its ``reason`` says so.
    """

    site: str
    date: dt.date
    label: str
    zone: str | None
    n: int | None
    observable: bool
    reason: str
    interval_lo: int | None = None
    interval_hi: int | None = None
    coverage: float | None = None
    cloud_fraction: float | None = None
    px_per_vehicle: float | None = None
    estimate: float | None = None
    interval_level: float | None = None
    precision: float | None = None
    recall: float | None = None
    washed_fraction: float | None = None
    observable_share: float | None = None
    unmeasured: str | None = None
    marked: int | None = None

    @property
    def partial(self) -> bool:
        """Whether this count covers only part of its zone (the rest hidden or outside the
        image): its figures are then for the seen part, a floor for the whole zone."""
        return self.observable and self.observable_share is not None and (
            self.observable_share < PARTIAL_BELOW)

    def __post_init__(self) -> None:
        for name in ("coverage", "cloud_fraction", "washed_fraction", "observable_share"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 1.0 + 1e-9:
                raise TrackError(f"count of {self.label!r} on {self.date}: {name} must be a "
                                 f"share in [0, 1], got {value}")
        if self.unmeasured is not None:
            self._check_unmeasured()
            return
        if self.marked is not None:
            raise TrackError(f"count of {self.label!r} on {self.date}: only a count the detector "
                             "cannot measure carries the analyst's marks apart (marked)")
        if self.observable != (self.n is not None):
            raise TrackError(
                f"count of {self.label!r} in zone {self.zone!r} on {self.date}: n must be given "
                f"exactly when observable (observable={self.observable}, n={self.n})"
            )
        if self.n is not None and self.n < 0:
            raise TrackError(f"count of {self.label!r} on {self.date} is negative: {self.n}")
        figures = (self.estimate, self.interval_lo, self.interval_hi, self.interval_level,
                   self.precision, self.recall)
        what = f"count of {self.label!r} in zone {self.zone!r} on {self.date}"
        if not self.observable and any(v is not None for v in figures):
            raise TrackError(f"{what} is not observable, so it has no estimate, interval or "
                             "rates; leave them None")
        if self.observable and any(v is None for v in figures):
            raise TrackError(f"{what}: an observable count needs its estimate, interval and the "
                             "rates they came from (sitewatch.track.intervals.estimate_count)")
        lo, estimate, hi = self.interval_lo, self.estimate, self.interval_hi
        if lo is not None and estimate is not None and hi is not None and not (
                0 <= lo <= estimate <= hi):
            raise TrackError(f"{what}: the estimate {estimate:g} lies outside its interval "
                             f"{lo}-{hi}, or a bound is negative (a bug: report it)")

    def _check_unmeasured(self) -> None:
        what = f"count of {self.label!r} in zone {self.zone!r} on {self.date}"
        figures = (self.n, self.estimate, self.interval_lo, self.interval_hi,
                   self.interval_level, self.precision, self.recall)
        if not self.observable or any(v is not None for v in figures):
            raise TrackError(f"{what}: a count the detector cannot measure ({self.unmeasured}) "
                             "is observable and has no detections, estimate, interval or rates")
        if self.marked is None or self.marked < 0:
            raise TrackError(f"{what}: a count the detector cannot measure needs the number of "
                             f"vehicles an analyst marked (>= 0), got {self.marked}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """One vehicle's change between two consecutive dates, in the reference date's pixel grid.

    For ``ARRIVED``, ``MOVED`` and ``STAYED`` the position is where the vehicle stands on
    ``date_to``; for ``DEPARTED`` where it stood on ``date_from``. ``from_x_px``/``from_y_px``
    give the earlier position of a move. ``LOADED`` events have ``date_from == date_to``.
    """

    site: str
    date_from: dt.date
    date_to: dt.date
    kind: EventKind
    label: str
    zone: str | None
    x_px: float
    y_px: float
    lonlat: LonLat | None = None
    confidence: float = 1.0
    from_x_px: float | None = None
    from_y_px: float | None = None
    distance_m: float | None = None

    def __post_init__(self) -> None:
        if self.date_to < self.date_from:
            raise TrackError(f"event ends ({self.date_to}) before it starts ({self.date_from})")
        if not 0.0 <= self.confidence <= 1.0:
            raise TrackError(f"event confidence must be in [0, 1], got {self.confidence}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Unseen:
    """A vehicle of one date whose place the other date of a pair could not show.

    Nothing is claimed about it between ``date_from`` and ``date_to``: it is neither an
    arrival, a departure, a move nor a stay. ``unseen_on`` is the date that could not see the
    place and ``reason`` why (outside that image, under cloud, hazy, too coarse). The position
    is where the vehicle stood on the date it was seen, in the reference date's pixel grid.
    """

    site: str
    date_from: dt.date
    date_to: dt.date
    unseen_on: dt.date
    reason: str
    label: str
    zone: str | None
    x_px: float
    y_px: float
    lonlat: LonLat | None = None
    confidence: float = 1.0

    def __post_init__(self) -> None:
        if self.date_to < self.date_from:
            raise TrackError(f"unseen record ends ({self.date_to}) before it starts "
                             f"({self.date_from})")
        if self.unseen_on not in (self.date_from, self.date_to):
            raise TrackError(f"unseen record: unseen_on {self.unseen_on} must be one of its "
                             f"dates {self.date_from} and {self.date_to}")


@dataclass(frozen=True, slots=True, kw_only=True)
class PairSummary:
    """How much of one zone (``None``: the whole site) two consecutive dates could both see.

    ``observable_share`` is the fraction of the zone observable on both ``date_from`` and
    ``date_to`` (inside both images, not under cloud or haze, fine enough for the smallest
    vehicle); only there are events between the two dates claimed. ``compared_share`` is the
    fraction observable on ``date_to`` and on at least one earlier date: a place hidden on
    ``date_from`` is compared with the last date that saw it.
    """

    site: str
    date_from: dt.date
    date_to: dt.date
    zone: str | None
    observable_share: float
    compared_share: float

    def __post_init__(self) -> None:
        for name in ("observable_share", "compared_share"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise TrackError(f"pair summary {self.date_from}..{self.date_to}: {name} must "
                                 f"be in [0, 1], got {value}")

    @property
    def sentence(self) -> str:
        """One line for a reader.

        >>> PairSummary(site="s", date_from=dt.date(2020, 3, 2), date_to=dt.date(2020, 3, 9),
        ...     zone=None, observable_share=0.03, compared_share=0.5).sentence[:60]
        '2020-03-02 to 2020-03-09: 3% of the site observable on both '
        """
        where = "the site" if self.zone is None else f"zone {self.zone!r}"
        return (f"{self.date_from} to {self.date_to}: {self.observable_share:.0%} of {where} "
                f"observable on both dates ({self.compared_share:.0%} compared with the last "
                "date that saw it)")


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert:
    """A zone threshold crossed on one date."""

    site: str
    date: dt.date
    zone: str
    label: str
    threshold: str
    n: int
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Refusal:
    """A date left out of the comparison because it could not be registered."""

    date: dt.date
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RegistrationNote:
    """A date registered by its georeference alone because its pixels could not be matched.

    ``message`` says why pixel registration failed; ``assumed_residual_m`` is the residual the
    comparison assumed in its place (``TrackOptions.unmeasured_residual_m``): nothing measured
    how well the two georeferences agree.
    """

    date: dt.date
    message: str
    assumed_residual_m: float

    @property
    def sentence(self) -> str:
        """One line for a reader.

        >>> RegistrationNote(date=dt.date(2024, 6, 11), message="0 of 0 matches",
        ...     assumed_residual_m=5.0).sentence[:70]
        '2024-06-11: compared by georeference alone, assuming a 5.0 m residual '
        """
        return (f"{self.date}: compared by georeference alone, assuming a "
                f"{self.assumed_residual_m:.1f} m residual (pixel registration failed: "
                f"{self.message})")


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteTrack:
    """Everything tracking found at one site.

    ``events`` are claimed only where both dates of their pair could see; ``unseen`` lists
    the vehicles of a pair whose place one of its dates could not show, with the reason;
    ``pairs`` says, per pair of consecutive dates and zone, how much of it both dates saw;
    ``registration_notes`` lists the dates compared by georeference alone because their pixels
    could not be matched.
    """

    site: str
    reference_date: dt.date
    dates: tuple[dt.date, ...]
    counts: tuple[Count, ...]
    events: tuple[Event, ...]
    registrations: tuple[Registration, ...]
    alerts: tuple[Alert, ...] = field(default=())
    refused: tuple[Refusal, ...] = field(default=())
    unseen: tuple[Unseen, ...] = field(default=())
    pairs: tuple[PairSummary, ...] = field(default=())
    registration_notes: tuple[RegistrationNote, ...] = field(default=())

    def event_counts(self) -> dict[tuple[str | None, dt.date, dt.date, str, str], int]:
        """Events per (zone, date_from, date_to, kind, label), zone ``None`` outside zones.

        >>> SiteTrack(site="s", reference_date=dt.date(2014, 8, 1), dates=(), counts=(),
        ...     events=(), registrations=()).event_counts()
        {}
        """
        out: dict[tuple[str | None, dt.date, dt.date, str, str], int] = {}
        for e in self.events:
            key = (e.zone, e.date_from, e.date_to, e.kind.value, e.label)
            out[key] = out.get(key, 0) + 1
        return out

    def count(self, date: dt.date, label: str, zone: str | None = None) -> Count:
        """The count of ``label`` in ``zone`` (``None``: the whole site) on ``date``.

        Raises:
            TrackError: no such count was made.
        """
        for c in self.counts:
            if c.date == date and c.label == label and c.zone == zone:
                return c
        raise TrackError(
            f"no count of {label!r} in zone {zone!r} on {date} at site {self.site!r}; dates "
            f"tracked: {', '.join(str(d) for d in self.dates)}"
        )
