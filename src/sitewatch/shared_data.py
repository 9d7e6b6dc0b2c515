"""Where the shared evaluation data folder is: the one finder used by the CLI, tools and tests.

The real imagery that benchmarks, evaluations and the real-data tests read (MVRSD tiles, the
depot scene, GeoTIFFs, ground photos and videos) is never shipped with sitewatch. It lives in a
folder named ``shared/data`` beside the clone, or wherever ``$SITEWATCH_DATA`` points.
Library stages never look for it: they take the folder as an argument.
"""

from __future__ import annotations

import os
from pathlib import Path

from sitewatch.errors import ConfigError

#: The environment variable that names the shared data folder; it wins over every guess.
DATA_ENV = "SITEWATCH_DATA"


def shared_data_root(*, needs: str | Path | None = None) -> Path | None:
    """The shared data folder, or ``None`` when it is not found.

    Looked for in this order, first hit wins:

    1. ``$SITEWATCH_DATA``, when set and not empty (no other place is tried then);
    2. ``../shared/data`` beside the working directory;
    3. ``shared/data`` beside the clone this package runs from (an editable install or
       ``PYTHONPATH=src``; an installed wheel has no clone).

    Args:
        needs: a path relative to the folder that must exist in it (a file or a folder), e.g.
            ``"overhead/mvrsd"``; a guessed folder without it is passed over.

    Returns:
        The folder, resolved, or ``None`` when no candidate exists (or holds ``needs``).

    Raises:
        ConfigError: ``$SITEWATCH_DATA`` is set to something that is not a folder (a typo is
            reported, never silently replaced by a guess), or ``needs`` is not relative.
    """
    if needs is not None and (Path(needs).is_absolute() or ".." in Path(needs).parts):
        raise ConfigError(f"needs={str(needs)!r}: give a path inside the shared data folder, "
                          "e.g. 'overhead/mvrsd'", needs=str(needs))
    env = os.environ.get(DATA_ENV)
    if env:
        root = Path(env).expanduser()
        if not root.is_dir():
            raise ConfigError(f"{DATA_ENV}={env!r} is not a folder; point it at the shared data "
                              f"folder or unset it", path=env)
        candidates = [root]
    else:
        candidates = [Path.cwd().parent / "shared" / "data", *_beside_clone()]
    for root in candidates:
        if root.is_dir() and (needs is None or (root / needs).exists()):
            return root.resolve()
    return None


def shared_data_path(needs: str, *, what: str) -> Path:
    """``needs`` inside the shared data folder (see :func:`shared_data_root`), for a tool that
    cannot go on without it.

    Args:
        needs: the relative path, e.g. ``"overhead/mvrsd"``.
        what: what it holds, for the message, e.g. ``"the MVRSD tiles"``.

    Raises:
        ConfigError: ``$SITEWATCH_DATA`` is not a folder, or no folder holding ``needs`` is found
            (one line saying where it was looked for and what to do).
    """
    root = shared_data_root(needs=needs)
    if root is None:
        raise ConfigError(f"{what} ({needs}): not under ${DATA_ENV} or ../shared/data; set "
                          f"{DATA_ENV} to the shared data folder", path=needs)
    return root / needs


def given_or_shared_file(given: Path | None, needs: str, *, what: str) -> Path:
    """The file a tool was given, or else ``needs`` in the shared data folder.

    Raises:
        ConfigError: the file (given, or found in the shared data folder) does not exist, or
            no shared data folder holds ``needs`` (see :func:`shared_data_path`).
    """
    path = given or shared_data_path(needs, what=what)
    if not path.is_file():
        raise ConfigError(f"{what} {path} not found", path=str(path))
    return path


def _beside_clone() -> list[Path]:
    """``shared/data`` beside the clone when this file sits in one (``<clone>/src/sitewatch``)."""
    package = Path(__file__).resolve().parent
    clone = package.parent.parent
    if package.parent.name == "src" and (clone / "pyproject.toml").is_file():
        return [clone.parent / "shared" / "data"]
    return []
