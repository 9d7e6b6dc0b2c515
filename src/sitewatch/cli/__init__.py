"""sitewatch.cli stage: the ``sitewatch`` command, one module per command.

:func:`run_command` runs it with a list of arguments, as the console script does
(:func:`sitewatch.cli.main.main`), for scripts that drive it.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["run_command"]


def run_command(argv: Sequence[str]) -> int:
    """Run ``sitewatch ARGV...`` in this process; returns its exit code."""
    from sitewatch.cli.main import main  # every command module comes with it

    return main(argv)
