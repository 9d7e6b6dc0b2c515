"""Progress bars for long commands, drawn by tqdm on a terminal only.

Library functions take a progress callback and know nothing of terminals; a command opens a
:class:`Bars` and hands its methods to the library. Bars go to stderr, and only when stderr is a
terminal and ``--quiet`` was not given, so piped output and logs stay clean.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any


def wanted(quiet: bool) -> bool:
    """Whether to draw bars: a terminal on stderr and no ``--quiet``."""
    return not quiet and sys.stderr.isatty()


def _style() -> dict[str, Any]:
    import shutil

    # A terminal that reports no size (a fresh pseudo-terminal) would get no bars at all (0
    # columns, 0 rows); shutil falls back on $COLUMNS/$LINES, then 80×24.
    size = shutil.get_terminal_size()
    return {"file": sys.stderr, "ncols": size.columns, "nrows": size.lines, "mininterval": 0.2}


class Bars:
    """An outer bar (scenes, files) and an inner one (tiles of the current scene), with ETA."""

    def __init__(self, *, total: int, unit: str, enabled: bool) -> None:
        self._enabled = enabled
        self._outer: Any = None
        self._inner: Any = None
        if enabled:
            from tqdm import tqdm

            self._tqdm = tqdm
            self._outer = tqdm(total=total, unit=unit, position=0, leave=True, **_style())

    def __enter__(self) -> Bars:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def step(self, label: str = "") -> None:
        """One scene or file finished."""
        if self._outer is not None:
            if self._inner is not None:
                self._inner.close()
                self._inner = None
            self._outer.set_postfix_str(label[:40], refresh=False)
            self._outer.update(1)

    def advance(self, done: int, total: int, label: str = "") -> None:
        """``done`` of ``total`` steps finished, ``label`` the last (the library's progress
        callback where the number of steps is known only once the work starts)."""
        if self._outer is None:
            return
        self._outer.total = total
        self._outer.set_postfix_str(label[:40], refresh=False)
        self._outer.update(done - self._outer.n)

    def tiles(self, done: int, total: int) -> None:
        """``done`` of ``total`` tiles of the current scene are processed."""
        if self._outer is None:
            return
        if self._inner is None or self._inner.total != total or done < self._inner.n:
            if self._inner is not None:
                self._inner.close()
            self._inner = self._tqdm(total=total, unit="tile", position=1, leave=False,
                                     **_style())
        self._inner.update(done - self._inner.n)

    def write(self, text: str) -> None:
        """Print a line to stdout without breaking the bars."""
        if self._outer is not None:
            self._tqdm.write(text, file=sys.stdout)
        else:
            print(text)

    def close(self) -> None:
        """Remove the bars."""
        for bar in (self._inner, self._outer):
            if bar is not None:
                bar.close()
        self._inner = self._outer = None
