"""The shared data folder for tests that read real data, and the mark that skips them without it.

Found by :func:`sitewatch.shared_data.shared_data_root` (``$SITEWATCH_DATA``, else
``../shared/data`` beside the working directory or the clone). CI has no such folder: every
test that reads it skips, with the reason :func:`absent_reason` gives. A ``$SITEWATCH_DATA``
that is not a folder stops the run instead (``tests/conftest.py``), as a typo should.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sitewatch.shared_data import DATA_ENV, shared_data_root


def absent_reason(relative: str | None = None) -> str:
    """The one skip reason of the tests that read the shared data folder."""
    what = f"{relative} in the shared data folder" if relative else "the shared data folder"
    return f"needs {what} (../shared/data beside the clone, or ${DATA_ENV}): absent"


def shared_path(relative: str) -> Path | None:
    """``relative`` inside the shared data folder, or ``None`` when the folder or it is absent."""
    root = shared_data_root(needs=relative)
    return None if root is None else root / relative


def needs_shared_data(relative: str | None = None) -> pytest.MarkDecorator:
    """Skip the test unless the shared data folder (holding ``relative``, when given) is there."""
    return pytest.mark.skipif(shared_data_root(needs=relative) is None, reason=absent_reason(relative))


def shared_path_or_skip(relative: str) -> Path:
    """``relative`` inside the shared data folder; skips the calling test or fixture when absent."""
    path = shared_path(relative)
    if path is None:
        pytest.skip(absent_reason(relative))
    return path
