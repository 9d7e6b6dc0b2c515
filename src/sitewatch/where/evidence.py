"""Each where/when check as a value the case can store, cite and recompute.

A :class:`WhereCheck` keeps the inputs that made it (canonical JSON), the finding in one line,
whether the claim fits, the uncertainty, and the library and version that computed it.
:func:`run_check` is the one function that turns inputs into a check, so replay calls it again on
the stored inputs and compares the results.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from sitewatch.errors import ConfigError
from sitewatch.where.checks import check_place_time, fitting_times, where_on_earth
from sitewatch.where.shadows import ShadowMarks, ShadowMeasurement, measure_shadow, measurement_from_lengths
from sitewatch.where.sun import solar_library


class CheckKind(StrEnum):
    """The questions sitewatch answers about where and when."""

    PLACE_TIME = "shadow-place-time"
    TIMES_OF_DAY = "shadow-times-of-day"
    WHERE_ON_EARTH = "shadow-where-on-earth"
    OVERHEAD_SUN = "overhead-sun"
    MEDIA = "media-metadata"


def canonical(data: object) -> str:
    """Canonical JSON text (sorted keys, no spaces) so equal inputs compare equal.

    >>> canonical({"b": 1, "a": [1.5, None]})
    '{"a":[1.5,null],"b":1}'
    """
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class WhereCheck:
    """One check, ready to be stored in a case and cited as ``where:<check_id>``."""

    check_id: str
    kind: CheckKind
    inputs_json: str
    result_json: str
    finding: str
    fits: bool | None
    uncertainty: str
    library: str

    def __post_init__(self) -> None:
        from sitewatch.assess import check_id

        check_id("where check", self.check_id)

    @property
    def ref(self) -> str:
        """The assessment reference that cites this check."""
        return f"where:{self.check_id}"

    def to_json(self) -> dict[str, object]:
        """Plain JSON form (inverse of :meth:`from_json`)."""
        return {"check_id": self.check_id, "kind": self.kind.value, "inputs": json.loads(self.inputs_json),
                "result": json.loads(self.result_json), "finding": self.finding, "fits": self.fits,
                "uncertainty": self.uncertainty, "library": self.library}

    @classmethod
    def from_json(cls, data: dict[str, Any], *, source: str = "<json>") -> WhereCheck:
        """A check from :meth:`to_json` output.

        Raises:
            ConfigError: a field is missing or has the wrong type.
        """
        try:
            return cls(check_id=str(data["check_id"]), kind=CheckKind(data["kind"]),
                       inputs_json=canonical(data["inputs"]), result_json=canonical(data["result"]),
                       finding=str(data["finding"]), fits=data["fits"] if data["fits"] in (True, False)
                       else None, uncertainty=str(data["uncertainty"]), library=str(data["library"]))
        except (KeyError, ValueError, TypeError) as exc:
            raise ConfigError(f"where check {source!r} is malformed ({exc}); re-run the check") from exc


def _measurement(inputs: dict[str, Any]) -> ShadowMeasurement:
    seed = int(inputs.get("seed", 0))
    if "marks" in inputs:
        return measure_shadow(ShadowMarks.from_json(inputs["marks"]), seed=seed)
    if "lengths" in inputs:
        lengths = inputs["lengths"]
        return measurement_from_lengths(float(lengths["height_m"]), float(lengths["shadow_m"]),
                                        error_m=float(lengths["error_m"]), seed=seed)
    raise ConfigError("a shadow check needs pixel marks or measured lengths")


def _time(text: object) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError as exc:
        raise ConfigError(f"time {text!r} is not ISO 8601 (e.g. 2014-06-11T07:00:00Z)") from exc
    if value.tzinfo is None:
        raise ConfigError(f"time {text!r} has no time zone; add Z for UTC or an offset like +03:00")
    return value.astimezone(dt.UTC)


def _uncertainty(m: ShadowMeasurement) -> str:
    text = (f"sun elevation {m.elevation_deg:.2f}° ({m.elevation_interval.level:.1%} interval "
            f"{m.elevation_interval.low_deg:.2f}–{m.elevation_interval.high_deg:.2f}°)")
    if m.azimuth_deg is not None and m.azimuth_interval is not None:
        text += (f", azimuth {m.azimuth_deg:.1f}° ({m.azimuth_interval.low_deg:.1f}–"
                 f"{m.azimuth_interval.high_deg:.1f}°)")
    return text + f", from ±{m.marking_error_px:g} px marking error ({m.samples} Monte Carlo draws)"


def run_check(check_id: str, kind: CheckKind, inputs: dict[str, Any], *,
              outputs: Path | None = None) -> WhereCheck:
    """Compute a check from its inputs (deterministic: replay calls this again).

    ``outputs`` is a folder where the where-on-Earth map (PNG and GeoJSON) is written.

    Raises:
        ConfigError: inputs missing or malformed for this kind.
    """
    if kind is CheckKind.MEDIA or kind is CheckKind.OVERHEAD_SUN:
        raise ConfigError(f"{kind.value} checks are made by their own functions, not run_check")
    m = _measurement(inputs)
    result: dict[str, Any] = {"shadow_ratio": round(m.shadow_ratio, 6),
                              "elevation_deg": round(m.elevation_deg, 4),
                              "elevation_interval_deg": [round(m.elevation_interval.low_deg, 4),
                                                         round(m.elevation_interval.high_deg, 4)],
                              "azimuth_deg": None if m.azimuth_deg is None else round(m.azimuth_deg, 3),
                              "assumptions": list(m.assumptions)}
    fits: bool | None
    if kind is CheckKind.PLACE_TIME:
        when = _time(inputs["time_utc"])
        check = check_place_time(m, lon_deg=float(inputs["lon_deg"]), lat_deg=float(inputs["lat_deg"]),
                                 time_utc=when)
        fits = check.fits
        sun = check.predicted
        result.update(predicted_azimuth_deg=round(sun.azimuth_deg, 3),
                      predicted_elevation_deg=round(sun.elevation_deg, 3), tolerance_deg=check.tolerance_deg)
        finding = (f"at ({check.lat_deg:.4f}, {check.lon_deg:.4f}) on {when:%Y-%m-%d %H:%M} UTC "
                   "the sun stood "
                   f"{sun.elevation_deg:.1f}° high at azimuth {sun.azimuth_deg:.1f}°; the shadow says "
                   f"{m.elevation_deg:.1f}°" + ("" if m.azimuth_deg is None else f" at {m.azimuth_deg:.1f}°")
                   + (": the claim fits" if fits else ": the claim does NOT fit"))
    elif kind is CheckKind.TIMES_OF_DAY:
        day = dt.date.fromisoformat(str(inputs["day"]))
        times = fitting_times(m, lon_deg=float(inputs["lon_deg"]), lat_deg=float(inputs["lat_deg"]), day=day,
                              time_zone=inputs.get("time_zone"))
        local = times.local()
        windows = [f"{a:%H:%M}–{b:%H:%M}" for a, b in local]
        result.update(time_zone=times.time_zone, windows_utc=[[a.isoformat(), b.isoformat()]
                                                              for a, b in times.windows_utc])
        fits = bool(windows)
        finding = (f"on {day} at ({times.lat_deg:.4f}, {times.lon_deg:.4f}) the shadow fits "
                   + (", ".join(windows) + f" local time ({times.time_zone})" if windows
                      else "no time of day"))
    else:
        when = _time(inputs["time_utc"])
        sun_map = where_on_earth(m, when, step_deg=float(inputs.get("step_deg", 0.1)))
        fits = None
        result.update(fraction_of_cells=round(sun_map.fraction_of_cells, 6))
        finding = (f"at {when:%Y-%m-%d %H:%M} UTC the sun stood {m.elevation_interval.low_deg:.1f}–"
                   f"{m.elevation_interval.high_deg:.1f}° high on {sun_map.fraction_of_cells:.1%} of the "
                   "globe's grid cells")
        if "lon_deg" in inputs and "lat_deg" in inputs:
            fits = sun_map.fits_at(float(inputs["lon_deg"]), float(inputs["lat_deg"]))
            result["claimed_place_fits"] = fits
            finding += "; the claimed place is " + ("inside" if fits else "OUTSIDE") + " that band"
        if outputs is not None:
            from sitewatch.where.maps import write_sun_map_geojson, write_sun_map_png

            claimed = (float(inputs["lon_deg"]), float(inputs["lat_deg"])) if "lon_deg" in inputs else None
            write_sun_map_png(sun_map, outputs / f"{check_id}.png", claimed=claimed)
            write_sun_map_geojson(sun_map, outputs / f"{check_id}.geojson")
    return WhereCheck(check_id=check_id, kind=kind, inputs_json=canonical(inputs),
                      result_json=canonical(result), finding=finding, fits=fits,
                      uncertainty=_uncertainty(m), library=solar_library())


@dataclass(frozen=True, slots=True, kw_only=True)
class WhereWhenRow:
    """One line of the report's where-when section."""

    check_id: str
    kind: str
    finding: str
    verdict: str
    uncertainty: str
    library: str


def where_when_rows(checks: tuple[WhereCheck, ...] | list[WhereCheck]) -> tuple[WhereWhenRow, ...]:
    """The report's where-when section: media first, then shadow and overhead checks."""
    order = {CheckKind.MEDIA: 0, CheckKind.PLACE_TIME: 1, CheckKind.TIMES_OF_DAY: 2,
             CheckKind.WHERE_ON_EARTH: 3, CheckKind.OVERHEAD_SUN: 4}
    rows = []
    for check in sorted(checks, key=lambda c: (order[c.kind], c.check_id)):
        verdict = {True: "fits", False: "does not fit", None: "no claim tested"}[check.fits]
        rows.append(WhereWhenRow(check_id=check.check_id, kind=check.kind.value, finding=check.finding,
                                 verdict=verdict, uncertainty=check.uncertainty, library=check.library))
    return tuple(rows)
