"""The case's tracks, computed once per case state and kept under ``derived/``.

Tracking a dense scene takes about a minute and a gigabyte; ``sitewatch track``, ``events``,
``report`` and every ``export`` need the same tracks. They are written to
``derived/tracks.json`` (:attr:`CaseLayout.tracks`) with a key: the digest of everything
that shapes them (every observation tracking takes: scene hashes, dates, GSDs,
georeferences and the newest reviewed detections; the zone and alert files' hashes; the
tracking options; the versions of sitewatch and of the libraries that shape results; and
the tracking code itself). Any change of those gives another key, and the tracks are
recomputed. ``sitewatch replay`` never reads the cache: it recomputes.

The file is JSON, not a pickle, so a case folder received from someone else cannot run code
when opened; a file that does not decode, or whose tracks do not match the digest stored
with them, is ignored and recomputed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import json
import os
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sitewatch.case.manifest import canonical_digest, tracks_digest
from sitewatch.case.runs import software_versions
from sitewatch.catalog import sha256_file
from sitewatch.track import Observation, SiteTrack, TrackOptions

#: Bumped when the file's layout changes.
FORMAT = 1


def tracks_key(
    observations: Sequence[tuple[str, Sequence[Observation]]],
    options: TrackOptions,
    *,
    zones_file: Path | None,
    alerts_file: Path | None,
) -> str:
    """Digest of everything the case's tracks are made from (module docstring)."""
    return canonical_digest({
        "format": FORMAT,
        "software": software_versions(),
        "code": _code_digest(),
        "options": dataclasses.asdict(options),
        "zones": sha256_file(zones_file) if zones_file else None,
        "alerts": sha256_file(alerts_file) if alerts_file else None,
        "sites": [[site, [_observation(o) for o in obs]] for site, obs in observations],
    })


def load_tracks(path: Path, key: str) -> tuple[SiteTrack, ...] | None:
    """The tracks stored at ``path`` under ``key``, or ``None`` when absent, stale or damaged."""
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(stored, dict) or stored.get("key") != key:
            return None
        tracks = tuple(_decode(SiteTrack, t) for t in stored["tracks"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return tracks if tracks_digest(tracks) == stored.get("tracks_sha256") else None


def save_tracks(path: Path, key: str, tracks: tuple[SiteTrack, ...]) -> bool:
    """Store ``tracks`` under ``key`` at ``path`` (atomically); ``False`` when the folder is
    not writable (the tracks are then simply recomputed next time)."""
    body = {"format": FORMAT, "key": key, "tracks_sha256": tracks_digest(tracks),
            "tracks": [_encode(t) for t in tracks]}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(body, separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        return False
    return True


def _observation(obs: Observation) -> dict[str, Any]:
    row = dataclasses.asdict(obs)
    row["image_path"] = None  # content-addressed by scene_id (the scene's sha256)
    return row


def _code_digest() -> str:
    """Digest of the tracking code and what it calls to register and see (a changed rule gives
    changed tracks even before the version is bumped)."""
    import sitewatch.imagery
    import sitewatch.track

    files = sorted(Path(sitewatch.track.__file__).parent.glob("*.py"))
    files.append(Path(sitewatch.imagery.__file__).parent / "registration.py")
    return canonical_digest([[f.name, sha256_file(f)] for f in files])


def _encode(value: Any) -> Any:
    """A value as JSON: dataclasses as dicts, dates as ISO text, enums as their values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return _encode(value.value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    if isinstance(value, bool | str | None):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if hasattr(value, "item"):  # a numpy scalar
        return _encode(value.item())
    raise TypeError(f"cannot store a {type(value).__name__} in the tracks cache")


@functools.cache
def _fields(cls: type) -> tuple[tuple[str, Any], ...]:
    """The init fields of a dataclass with their resolved types (resolved once per class:
    ``get_type_hints`` is slow, and a dense scene's tracks hold thousands of values)."""
    hints = typing.get_type_hints(cls)
    return tuple((f.name, hints[f.name]) for f in dataclasses.fields(cls) if f.init)


def _decode(hint: Any, value: Any) -> Any:
    """The value of type ``hint`` that :func:`_encode` wrote as ``value``."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        kinds = [a for a in options if a is not type(None)]
        return _decode(kinds[0], value)
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], v) for v in value)
        return tuple(_decode(a, v) for a, v in zip(args, value, strict=True))
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return hint(**{name: _decode(kind, value[name]) for name, kind in _fields(hint)})
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(value)
    if hint is dt.datetime:
        return dt.datetime.fromisoformat(value)
    if hint is dt.date:
        return dt.date.fromisoformat(value)
    if hint is float:
        return float(value)
    if hint in (int, str, bool):
        if not isinstance(value, hint):
            raise TypeError(f"expected {hint.__name__}, found {value!r}")
        return value
    if hint is Any:
        return value
    raise TypeError(f"cannot read a {hint!r} from the tracks cache")
