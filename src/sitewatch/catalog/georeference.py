"""Georeference for what users actually have: a screenshot or press picture with a world file
(``.jgw``/``.pgw``/``.tfw``/``.wld`` and its ``.prj``), a GDAL ``.aux.xml``, or ground control
points the analyst picked (pixel ↔ lon/lat, three or more, fitted by GDAL).

Sidecar files sit beside the image the user gave; the stored original does not carry them, so
the georeference found here goes into the catalog (transform, CRS, footprint, GSD) and the
sidecars' names and hashes into the ingest audit entry. Errors name the user's files.
"""

from __future__ import annotations

import csv
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sitewatch.digest import sha256_file
from sitewatch.errors import ConfigError, GeoError, InputFileError
from sitewatch.imagery import POLYNOMIAL_POINTS, Affine6, fit_gcps

#: World-file suffixes GDAL reads beside an image (the ``.wld`` form works for every format).
WORLD_SUFFIXES = (".jgw", ".pgw", ".tfw", ".wld", ".j2w", ".gfw", ".tifw", ".jpgw", ".pngw")
WGS84_WKT = ('GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],'
             'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433],AUTHORITY["EPSG","4326"]]')


@dataclass(frozen=True, slots=True, kw_only=True)
class ControlPoint:
    """A pixel of the image (x right, y down, from its top-left corner) and where it is on Earth."""

    x_px: float
    y_px: float
    lon_deg: float
    lat_deg: float

    def __post_init__(self) -> None:
        values = (self.x_px, self.y_px, self.lon_deg, self.lat_deg)
        if not all(math.isfinite(v) for v in values):
            raise ConfigError(f"ground control point {values} holds a value that is not a number")
        if not (-180 <= self.lon_deg <= 180 and -90 <= self.lat_deg <= 90):
            raise ConfigError(
                f"ground control point ({self.x_px:g}, {self.y_px:g}) -> lon {self.lon_deg:g}, "
                f"lat {self.lat_deg:g}: longitude must be -180..180 and latitude -90..90 (in that "
                "order: 'px,py,lon,lat')")


@dataclass(frozen=True, slots=True, kw_only=True)
class Georeference:
    """Where an image lies, how that was found, and how well it fits.

    ``method`` is ``world file``, ``aux.xml`` or ``ground control points``; ``sidecars`` are
    the files beside the image that were read; ``residuals_m`` the distance between each control
    point and where the fitted transform puts it (empty without control points).
    """

    transform: Affine6
    crs_wkt: str
    method: str
    sidecars: tuple[Path, ...] = ()
    residuals_m: tuple[float, ...] = ()
    #: The control points fitted (empty for sidecars) and the fit's polynomial order: 1 is an
    #: affine transform; 2 and 3 mean the picture was rectified (warped) by GDAL.
    points: tuple[ControlPoint, ...] = ()
    order: int = 1

    @property
    def rms_m(self) -> float | None:
        """Root-mean-square residual of the control points, in metres."""
        if not self.residuals_m:
            return None
        return math.sqrt(sum(r * r for r in self.residuals_m) / len(self.residuals_m))

    def describe(self) -> str:
        """One line for the terminal, e.g. ``5 ground control points, RMS 2.1 m, worst 3.4 m``."""
        if self.method == "ground control points":
            n = len(self.residuals_m)
            fit = "an affine fit" if self.order == 1 else f"a polynomial of order {self.order}"
            if n == POLYNOMIAL_POINTS[self.order]:
                return (f"{n} ground control points, {fit}: an exact fit, so nothing checks them "
                        f"(give {n + 1}+)")
            return (f"{n} ground control points, {fit}, residual RMS {self.rms_m:.2f} m, worst "
                    f"{max(self.residuals_m):.2f} m")
        return f"{self.method} {' + '.join(p.name for p in self.sidecars)}"

    def audit_details(self) -> dict[str, object]:
        """What the ingest audit entry keeps of it."""
        details: dict[str, object] = {
            "method": self.method,
            "sidecars": [{"name": p.name, "sha256": sha256_file(p)} for p in self.sidecars],
        }
        if self.residuals_m:
            details["residuals_m"] = [round(r, 3) for r in self.residuals_m]
            details["rms_m"] = round(self.rms_m or 0.0, 3)
        if self.points:
            details["order"] = self.order
            details["points"] = [[p.x_px, p.y_px, p.lon_deg, p.lat_deg] for p in self.points]
        return details

    def residual_lines(self) -> tuple[str, ...]:
        """One line per control point: its pixel, its lon/lat and its residual."""
        return tuple(f"point {i}: pixel ({p.x_px:g}, {p.y_px:g}) -> lon {p.lon_deg:.7f}, lat "
                     f"{p.lat_deg:.7f}: residual {r:.2f} m"
                     for i, (p, r) in enumerate(zip(self.points, self.residuals_m, strict=True), 1))


def parse_control_point(text: str) -> ControlPoint:
    """Read ``"px,py,lon,lat"`` (as ``--gcp`` takes it).

    >>> parse_control_point("10,20,39.5,47.25").lat_deg
    47.25

    Raises:
        ConfigError: not four numbers, or a lon/lat out of range.
    """
    parts = [p.strip() for p in text.replace(";", ",").split(",")]
    try:
        x, y, lon, lat = (float(p) for p in parts)
    except ValueError:
        raise ConfigError(f"--gcp {text!r} must be four numbers 'px,py,lon,lat', e.g. "
                          "--gcp 120,80,39.7012,47.2368") from None
    return ControlPoint(x_px=x, y_px=y, lon_deg=lon, lat_deg=lat)


def read_control_points(path: Path) -> tuple[ControlPoint, ...]:
    """Ground control points from a CSV file: ``px,py,lon,lat`` per row, an optional header.

    Raises:
        InputFileError: the file is missing or a row is not four numbers.
    """
    if not path.is_file():
        raise InputFileError(f"cannot read ground control points '{path}': no such file")
    points = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for number, row in enumerate(csv.reader(handle), start=1):
            cells = [c.strip() for c in row if c.strip()]
            if not cells or cells[0].startswith("#"):
                continue
            try:
                points.append(parse_control_point(",".join(cells[:4])))
            except ConfigError as exc:
                if number == 1 and not _numeric(cells[0]):
                    continue  # a header
                raise InputFileError(f"'{path}' line {number}: {exc}") from None
    return tuple(points)


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def find_georeference(
    path: Path, *, control_points: Sequence[ControlPoint] = (), crs: str | None = None,
) -> Georeference | None:
    """The georeference of ``path`` from its control points or sidecar files, if it has one.

    Control points, when given, win over anything the file carries. Otherwise a ``.aux.xml``
    with a transform (or control points) and a CRS, or a world file with its ``.prj`` (or
    ``crs``), is used. An image whose georeference is embedded (a GeoTIFF) returns ``None``:
    :func:`sitewatch.catalog.inspect.inspect_raster` reads that itself.

    Raises:
        InputFileError: control points that no transform fits, or a world file without a
            coordinate system (no ``.prj`` and no ``crs``); the message names the user's file.
    """
    if control_points:
        return _from_control_points(path, control_points)
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning, RasterioError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(path) as dataset:
                files = [Path(f) for f in dataset.files[1:]]
                transform = tuple(float(v) for v in dataset.transform[:6])
                has_transform = not dataset.transform.is_identity
                crs_wkt = dataset.crs.to_wkt() if dataset.crs else None
                gcps, gcp_crs = dataset.gcps
    except RasterioError:
        return None  # inspect_raster reports an unreadable file
    aux = [f for f in files if f.name.lower().endswith(".aux.xml")]
    world = [f for f in files if f.suffix.lower() in WORLD_SUFFIXES]
    if has_transform and crs_wkt is not None:
        if aux:
            return Georeference(transform=transform, crs_wkt=crs_wkt,  # type: ignore[arg-type]
                                method="aux.xml", sidecars=tuple(aux))
        return None  # embedded
    if has_transform and world:
        crs_wkt, prj = _world_file_crs(path, world[0], crs)
        return Georeference(transform=transform, crs_wkt=crs_wkt,  # type: ignore[arg-type]
                            method="world file", sidecars=(world[0], *prj))
    if gcps and gcp_crs is not None and gcp_crs.to_epsg() == 4326:
        points = [ControlPoint(x_px=g.col, y_px=g.row, lon_deg=g.x, lat_deg=g.y) for g in gcps]
        found = _from_control_points(path, points)
        return Georeference(transform=found.transform, crs_wkt=found.crs_wkt,
                            method="ground control points", sidecars=tuple(aux),
                            residuals_m=found.residuals_m, points=found.points)
    if has_transform:
        if crs is None:
            raise InputFileError(f"'{path}' has a transform but no coordinate system; pass --crs "
                                 "(e.g. --crs EPSG:4326) or georeference it with --gcp")
        return Georeference(transform=transform, crs_wkt=_user_crs(crs),  # type: ignore[arg-type]
                            method="aux.xml" if aux else "transform", sidecars=tuple(aux))
    return None


def _world_file_crs(path: Path, world: Path, crs: str | None) -> tuple[str, tuple[Path, ...]]:
    from rasterio.crs import CRS
    from rasterio.errors import CRSError

    if crs is not None:
        return _user_crs(crs), ()
    prj = next((p for p in (path.with_suffix(".prj"), path.with_name(path.name + ".prj"))
                if p.is_file()), None)
    if prj is None:
        raise InputFileError(
            f"'{path}' has a world file '{world.name}' but no '{path.with_suffix('.prj').name}' "
            "saying its coordinate system; put the .prj beside it or pass --crs (e.g. --crs "
            "EPSG:32637, or EPSG:4326 when the world file is in degrees)")
    try:
        return CRS.from_wkt(prj.read_text(encoding="utf-8", errors="replace").strip()).to_wkt(), (prj,)
    except CRSError as exc:
        raise InputFileError(f"cannot read the coordinate system in '{prj}': {exc}; replace it "
                             "or pass --crs EPSG:XXXX") from None


def _user_crs(text: str) -> str:
    from rasterio.crs import CRS
    from rasterio.errors import CRSError

    try:
        return CRS.from_user_input(text).to_wkt()
    except CRSError:
        raise ConfigError(f"--crs {text!r} is not a coordinate system; give an EPSG code such as "
                          "EPSG:4326 or EPSG:32637") from None


def _from_control_points(path: Path, points: Sequence[ControlPoint]) -> Georeference:
    try:
        transform, residuals = fit_gcps([p.x_px for p in points], [p.y_px for p in points],
                                        [p.lon_deg for p in points], [p.lat_deg for p in points])
    except GeoError as exc:
        raise InputFileError(f"cannot georeference '{path}': {exc}") from None
    return Georeference(transform=transform, crs_wkt=WGS84_WKT, method="ground control points",
                        residuals_m=tuple(float(r) for r in residuals), points=tuple(points))
