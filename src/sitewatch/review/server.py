"""Running the review app on this machine only (127.0.0.1), as ``sitewatch review`` does."""

from __future__ import annotations

import socket
from collections.abc import Callable

from sitewatch.catalog import CaseStore
from sitewatch.errors import ReviewError
from sitewatch.review.app import create_app, new_token

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def review_url(port: int, token: str) -> str:
    """The address to open, token included (as Jupyter prints it)."""
    return f"http://{HOST}:{port}/?token={token}"


def serve(
    store: CaseStore,
    *,
    reviewer: str,
    port: int = 8765,
    token: str | None = None,
    announce: Callable[[str], object] = print,
) -> None:
    """Serve the review app for ``store`` until interrupted; bound to 127.0.0.1 only.

    ``port`` 0 picks a free port. The URL with the token is passed to ``announce``.

    Raises:
        ReviewError: the port is taken, or the reviewer name is empty.
    """
    import uvicorn

    token = token or new_token()
    app = create_app(store, reviewer=reviewer, token=token, warm_overviews=True)
    port = port or free_port()
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            probe.bind((HOST, port))
    except OSError:
        raise ReviewError(f"port {port} on {HOST} is in use; pick another with --port N "
                          "(or --port 0 for any free port)") from None
    announce(f"sitewatch review of case '{store.root}' as {reviewer!r}; open:\n"
             f"    {review_url(port, token)}\n(press Ctrl+C to stop)")
    uvicorn.run(app, host=HOST, port=port, log_level="warning")
