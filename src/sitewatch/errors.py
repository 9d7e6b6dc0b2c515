"""The one error tree of sitewatch.

Every error raised on purpose by sitewatch derives from :class:`SitewatchError`. Each stage
has a base, and leaves also inherit the builtin a caller would naturally catch::

    SitewatchError
    ├── ConfigError (ValueError)           bad option, bad date, unknown name
    ├── GeoError                           CRS, distance, travel-time problems
    ├── CatalogError                       the case store
    │   ├── CaseNotFoundError (FileNotFoundError)
    │   ├── InputFileError (ValueError)    a file that cannot be ingested as given
    │   └── IntegrityError                 verify found a changed or missing file or entry
    ├── ImageryError
    │   ├── RasterReadError (OSError)      corrupt, truncated or unreadable raster
    │   ├── NotGeoreferencedError (ValueError)
    │   └── RegistrationError              two dates could not be aligned
    ├── DetectError
    │   ├── ModelError (FileNotFoundError) missing or tampered weights
    │   ├── ResolutionError (ValueError)   vehicles would be too few pixels long
    │   └── LabelFileError (ValueError)    malformed or unreadable label file (VOC, YOLO, DOTA)
    ├── TrackError
    ├── CompareError
    ├── AssessError (ValueError)
    ├── ReportError
    ├── ReviewError
    └── WatchError                         many sites (sitewatch watch)
        └── SourceError (OSError)          an imagery source cannot be reached or read

The message is the first argument and names the thing, the value and the next step; context
goes in keyword arguments stored on the instance, so errors survive pickling across worker
processes.
"""

from __future__ import annotations

from typing import Any


class SitewatchError(Exception):
    """Root of every error sitewatch raises on purpose."""

    def __init__(self, message: str, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.context = context

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, self.context))

    def __str__(self) -> str:
        return self.message


def _rebuild(cls: type[SitewatchError], message: str, context: dict[str, Any]) -> SitewatchError:
    return cls(message, **context)


class ConfigError(SitewatchError, ValueError):
    """An option, date, name or configuration value is invalid."""


class GeoError(SitewatchError):
    """Coordinate reference, distance or travel-time problem."""


class CatalogError(SitewatchError):
    """Problem with the case store."""


class CaseNotFoundError(CatalogError, FileNotFoundError):
    """The case folder does not exist or is not a sitewatch case."""


class InputFileError(CatalogError, ValueError):
    """A file that cannot be ingested as given."""


class IntegrityError(CatalogError):
    """A stored original or audit entry changed, went missing or appeared."""


class ImageryError(SitewatchError):
    """Problem reading or aligning imagery."""


class RasterReadError(ImageryError, OSError):
    """A raster is corrupt, truncated or in a format that cannot be decoded."""


class NotGeoreferencedError(ImageryError, ValueError):
    """Georeference is needed but the image has none."""


class RegistrationError(ImageryError):
    """Two dates of a site could not be registered to each other."""


class DetectError(SitewatchError):
    """Problem in the detection stage."""


class ModelError(DetectError, FileNotFoundError):
    """Model weights are missing, unreadable or fail their hash check."""


class ResolutionError(DetectError, ValueError):
    """Ground sample distance too coarse for the vehicles to be detected."""


class LabelFileError(DetectError, ValueError):
    """A label file (Pascal VOC, YOLO, DOTA) is malformed, unreadable or names an unknown class."""


class TrackError(SitewatchError):
    """Problem in cross-date tracking."""


class CompareError(SitewatchError):
    """Problem comparing ground photos or video with references."""


class AssessError(SitewatchError, ValueError):
    """Invalid hypothesis, judgment or evidence link."""


class ReportError(SitewatchError):
    """Problem writing a report or export."""


class ReviewError(SitewatchError):
    """Problem in the review app."""


class WatchError(SitewatchError):
    """Problem running a watch list over many sites."""


class SourceError(WatchError, OSError):
    """An imagery source (folder, STAC catalog or API, remote GeoTIFF) cannot be reached or read."""
