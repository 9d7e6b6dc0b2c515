"""Real servers the watch tests run on 127.0.0.1: a static file server with HTTP range support
that counts the bytes it sends, and a STAC API (``rustac serve``, in-memory backend)."""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class RangeServer:
    """Serves ``root`` with Range and ETag support; ``sent[name]`` counts body bytes sent."""

    root: Path
    url: str = ""
    sent: Counter[str] = field(default_factory=Counter)
    requests: list[str] = field(default_factory=list)


def _handler(state: RangeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet
            pass

        def _target(self) -> Path | None:
            path = (state.root / self.path.split("?")[0].lstrip("/")).resolve()
            return path if path.is_file() and path.is_relative_to(state.root.resolve()) else None

        def _headers(self, path: Path, status: int, length: int, extra: dict[str, str]) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(length))
            self.send_header("Accept-Ranges", "bytes")
            data = path.read_bytes()
            self.send_header("ETag", '"' + hashlib.sha256(data).hexdigest()[:32] + '"')
            ctype = "application/json" if path.suffix == ".json" else "image/tiff"
            self.send_header("Content-Type", ctype)
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()

        def do_HEAD(self) -> None:
            path = self._target()
            if path is None:
                self.send_error(404)
                return
            self._headers(path, 200, path.stat().st_size, {})

        def do_GET(self) -> None:
            path = self._target()
            if path is None:
                self.send_error(404)
                return
            data = path.read_bytes()
            spec = self.headers.get("Range")
            state.requests.append(f"{self.path} {spec}")
            if spec and spec.startswith("bytes=") and "," not in spec:
                first, _, last = spec[6:].partition("-")
                start = int(first)
                end = min(int(last) if last else len(data) - 1, len(data) - 1)
                if start >= len(data):
                    self.send_error(416)
                    return
                body = data[start:end + 1]
                self._headers(path, 206, len(body),
                              {"Content-Range": f"bytes {start}-{end}/{len(data)}"})
            else:
                body = data
                self._headers(path, 200, len(body), {})
            state.sent[path.name] += len(body)
            self.wfile.write(body)

    return Handler


@contextlib.contextmanager
def range_server(root: Path) -> Iterator[RangeServer]:
    """A threaded HTTP server of ``root`` on a free port of 127.0.0.1."""
    state = RangeServer(root=root)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rustac_binary() -> str | None:
    """The ``rustac`` command (from ``pip install rustac``), if installed."""
    import sys

    beside = Path(sys.executable).with_name("rustac")
    return str(beside) if beside.exists() else shutil.which("rustac")


@contextlib.contextmanager
def stac_api(items_file: Path) -> Iterator[str]:
    """``rustac serve`` of the items in ``items_file`` (an ItemCollection) on a free port."""
    binary = rustac_binary()
    assert binary is not None
    port = free_port()
    process = subprocess.Popen(
        [binary, "serve", str(items_file), "--addr", f"127.0.0.1:{port}", "--create-collections"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/collections", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    err = process.stderr.read().decode() if process.stderr else ""
                    raise RuntimeError(f"rustac serve did not start: {err[:500]}") from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr:
            process.stderr.close()
