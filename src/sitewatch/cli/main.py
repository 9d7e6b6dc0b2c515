"""The ``sitewatch`` command: a thin shell over the library.

Each command lives in its own module of this package, named in :data:`COMMANDS`, and defines
``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``. Library errors are
mapped to a one-line message and exit code 2 here, at the edge, and nowhere else.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from types import TracebackType

from sitewatch import __version__
from sitewatch.errors import SitewatchError
from sitewatch.untrusted import printable

#: command name -> module under sitewatch.cli (imported only when that command runs or --help).
COMMANDS: dict[str, str] = {
    "case": "case",
    "ingest": "ingest",
    "scene": "scene",
    "detect": "detect",
    "attach": "attach",
    "track": "track",
    "events": "events",
    "link": "link",
    "compare": "compare",
    "media": "media", "shadow": "shadow",
    "assess": "assess",
    "report": "report",
    "export": "export",
    "replay": "replay",
    "verify": "verify",
    "demo": "demo",
    "models": "models",
    "eval": "eval",
    "bench": "bench",
    "train": "train",
    "review": "review",
    "watch": "watch",
}

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every command's options."""
    parser = argparse.ArgumentParser(
        prog="sitewatch",
        description="Overhead imagery of a site on several dates, turned into evidence.",
    )
    parser.add_argument("--version", action="version", version=f"sitewatch {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(f"sitewatch.cli.{module_name}")
        command_parser = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command_parser)
        command_parser.set_defaults(_run=module.run)
    return parser


@contextlib.contextmanager
def _quiet_undecodable_gdal_messages() -> Iterator[None]:
    """While a command runs, drop what Python would print for a GDAL message rasterio cannot
    decode, and pass everything else to the hooks in place before.

    A corrupt file's bytes quoted in a GDAL message (a broken XMP packet, say) make rasterio's
    error callback raise UnicodeDecodeError inside C code; Cython reports it through
    ``sys.excepthook`` with no Python frame and through ``sys.unraisablehook``, so the user saw
    two tracebacks for a file that is then read, or refused, as usual. Only that message is lost.
    """
    excepthook, unraisablehook = sys.excepthook, sys.unraisablehook

    def quiet_excepthook(kind: type[BaseException], value: BaseException,
                         tb: TracebackType | None) -> None:
        if not (isinstance(value, UnicodeDecodeError) and tb is None):
            excepthook(kind, value, tb)

    def quiet_unraisablehook(unraisable: sys.UnraisableHookArgs) -> None:
        if not (isinstance(unraisable.exc_value, UnicodeDecodeError)
                and "rasterio" in repr(unraisable.object)):
            unraisablehook(unraisable)

    sys.excepthook, sys.unraisablehook = quiet_excepthook, quiet_unraisablehook
    try:
        yield
    finally:
        sys.excepthook, sys.unraisablehook = excepthook, unraisablehook


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sitewatch`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        with _quiet_undecodable_gdal_messages():
            code: int = args._run(args)
    except SitewatchError as exc:
        print(printable(f"sitewatch: error: {exc}"), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("sitewatch: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - so the exit flush cannot fail again
        return 141
    return code


if __name__ == "__main__":
    sys.exit(main())
