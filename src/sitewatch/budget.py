"""Decoding untrusted files under a time and memory budget.

A header can be checked before any pixel is read (:mod:`sitewatch.imagery.limits`), but a
decoder can still be made to spin or allocate by bytes the header check cannot see (a damaged
video index, a JPEG whose Huffman tables loop, a GDAL driver bug). So the decoding of a file
from outside runs in a forked child process whose address space is capped (``RLIMIT_AS``), which
the kernel stops past its processor time (``RLIMIT_CPU``) and the parent kills past a multiple
of it in wall time; the parent gets the result back (pickled through a pipe) or one clear error
naming the file. The child inherits everything already imported, so the cost is
one ``fork`` (a few milliseconds), not a new interpreter.

The child runs only the decoding function and writes to its pipe with ``os.write``, so threads
of the parent (a progress bar's monitor, a Dask client's event loop) are not needed there; if
one of them held a lock the decoder needs at the moment of the fork, the child would wait on
it and be killed at its time limit, a refusal rather than a hang.

Where ``fork`` does not exist (Windows) the function runs in a *spawned* child instead: a new
interpreter that imports the function's module (a second or two more per call), under the same
processor-time and address-space caps where the platform has ``resource`` (on Windows it does
not: only the wall-clock limit, :data:`SPAWN_START_S` longer for the start, and the header
bounds of :mod:`sitewatch.imagery.limits` hold there). It never runs unbounded in this process.

Like :mod:`sitewatch.errors`, this module depends on nothing else in sitewatch.
"""

from __future__ import annotations

import contextlib
import faulthandler
import math
import os
import pickle
import select
import signal
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any, TypeVar

from sitewatch.errors import SitewatchError

resource: ModuleType | None
try:
    import resource
except ImportError:  # Windows
    resource = None

T = TypeVar("T")

#: Address space a decode may add to what the process already maps (a 1 GiB one-piece decode
#: fits, with the decoder's own buffers).
DECODE_MEMORY_BYTES = 3 * 1024**3 // 2
#: Processor time a header check may take, and a full decode before its size is counted.
DECODE_BASE_S = 15.0
#: Wall-clock time allowed, as a multiple of the processor time (a decode waiting for a core on
#: a busy machine, or a decoder stuck on a lock).
WALL_FACTOR = 4.0
#: Decoding speed assumed when a time budget is scaled by the bytes a file decodes to (a shared,
#: busy machine decodes deflate or JPEG at 50-300 MB/s).
DECODE_BYTES_PER_S = 25 * 1024**2
#: Wall-clock time a spawned child (no ``fork``) is given to start an interpreter and import
#: the function's module, on top of its decode time.
SPAWN_START_S = 60.0
#: Whether children are forked (every POSIX system) or spawned (:func:`run_bounded`).
FORK = hasattr(os, "fork")


def decode_seconds(decoded_bytes: int) -> float:
    """Processor-time budget to decode ``decoded_bytes``: the base plus the bytes at a slow
    speed.

    >>> decode_seconds(0), decode_seconds(1024**3)
    (15.0, 56.0)
    """
    return DECODE_BASE_S + decoded_bytes / DECODE_BYTES_PER_S


def run_bounded(
    func: Callable[..., T],
    *args: object,
    what: str,
    error: Callable[[str], SitewatchError],
    seconds: float = DECODE_BASE_S,
    memory_bytes: int = DECODE_MEMORY_BYTES,
    wall_s: float | None = None,
) -> T:
    """``func(*args)`` in a child process with at most ``memory_bytes`` more address space,
    ``seconds`` of processor time and ``wall_s`` of wall time (default :data:`WALL_FACTOR` times
    ``seconds``: a decoder that waits rather than works); returns its result.

    Processor time is what a decode costs: on a busy, shared machine a legitimate decode can
    wait for a core far longer than it runs, and must not be refused for that.

    ``what`` names the file in messages (e.g. ``"'site/a.jpg'"``); ``error`` builds the error
    raised when the budget is broken or the decoder dies.

    Raises:
        SitewatchError: the one ``func`` raised, unchanged; or ``error(message)`` when it ran
            out of memory or time, died of a signal, or raised anything else (whose type and
            first line the message keeps).
    """
    wall_s = seconds * WALL_FACTOR if wall_s is None else wall_s
    if not FORK:
        answer, code, late = _spawned(func, args, memory_bytes, seconds, wall_s)
        return _answer(answer, code, late, what=what, error=error, seconds=seconds,
                       memory_bytes=memory_bytes, wall_s=wall_s)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child(write_end, func, args, memory_bytes, math.ceil(seconds))
    os.close(write_end)
    payload: bytes | None = None
    timed_out = False
    try:
        payload, timed_out = _collect(read_end, wall_s)
    finally:
        os.close(read_end)
        if payload is None:
            _kill(pid)
        _, status = os.waitpid(pid, 0)
    return _answer(payload, os.waitstatus_to_exitcode(status), timed_out, what=what, error=error,
                   seconds=seconds, memory_bytes=memory_bytes, wall_s=wall_s)


def _answer(payload: bytes | None, code: int, timed_out: bool, *, what: str,
            error: Callable[[str], SitewatchError], seconds: float, memory_bytes: int,
            wall_s: float) -> Any:
    """The child's result, or the one error its outcome (answer, exit code, time-out) calls for."""
    xcpu = getattr(signal, "SIGXCPU", None)  # none on Windows
    if timed_out or (xcpu is not None and code == -xcpu):
        spent = f"{wall_s:.0f} s" if timed_out else f"{math.ceil(seconds)} s of processor time"
        raise error(f"refusing {what}: decoding it took more than {spent} (a damaged or hostile "
                    "file?); re-export it, or crop it into smaller pieces")
    if not payload:
        cause = f"signal {-code}" if code < 0 else f"exit {code}"
        raise error(f"refusing {what}: the decoder died on it ({cause}; a damaged or hostile "
                    "file?); re-export it from the original")
    try:
        kind, value = pickle.loads(payload)
    except Exception as exc:  # the child's answer is data from a hostile decode: never trust it
        raise error(f"refusing {what}: the decoder's answer could not be read "
                    f"({type(exc).__name__}); re-export it from the original") from None
    if kind == "ok":
        return value
    if kind == "raised":
        raise value
    if kind == "memory":
        raise error(f"refusing {what}: decoding it needed more than "
                    f"{memory_bytes / 1024**3:.1f} GiB of memory (a decompression bomb or a lying "
                    "header?); crop it or convert it to a tiled GeoTIFF")
    raise error(f"refusing {what}: the decoder failed on it ({value}); re-export it from the "
                "original")


def _child(write_end: int, func: Callable[..., object], args: tuple[object, ...],
           memory_bytes: int, cpu_s: int) -> None:
    """Run ``func`` under the address-space and processor-time caps and send the outcome;
    exits the process (SIGXCPU ends it past ``cpu_s``)."""
    code = 0
    try:
        faulthandler.disable()  # a decoder's crash is reported by the parent, in one line
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        view = memoryview(_outcome(func, args, memory_bytes, cpu_s))
        while view:
            view = view[os.write(write_end, view):]
    except BaseException:
        code = 70
    finally:
        os._exit(code)


def _outcome(func: Callable[..., object], args: tuple[object, ...], memory_bytes: int,
             cpu_s: int) -> bytes:
    """In a child: set the caps (where the platform has them), run ``func``, and pickle what
    happened as ``(kind, value)``."""
    if resource is not None:
        limit = address_space() + memory_bytes
        with contextlib.suppress(ValueError, OSError):  # macOS refuses RLIMIT_AS: CPU still holds
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
    try:
        outcome: tuple[str, object] = ("ok", func(*args))
    except MemoryError:
        outcome = ("memory", None)
    except SitewatchError as exc:
        # only the error itself crosses the pipe: a library exception in its chain may not
        # unpickle (with tblib's pickling installed, as distributed does, it is pickled too)
        exc.__cause__ = exc.__context__ = exc.__traceback__ = None
        outcome = ("raised", exc)
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        outcome = ("failed", f"{type(exc).__name__}: {first}")
    try:
        return pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        return pickle.dumps(("memory", None))


def _spawned(func: Callable[..., object], args: tuple[object, ...], memory_bytes: int,
             seconds: float, wall_s: float) -> tuple[bytes | None, int, bool]:
    """``(answer, exit code, timed out)`` of ``func(*args)`` in a spawned child (no ``fork``);
    the child is killed past ``wall_s`` plus :data:`SPAWN_START_S`."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_spawned_child, daemon=True,
                            args=(send, func, args, memory_bytes, math.ceil(seconds)))
    child.start()
    send.close()
    payload: bytes | None = None
    late = True
    try:
        if receive.poll(wall_s + SPAWN_START_S):
            late = False
            with contextlib.suppress(EOFError, OSError):  # it died without answering
                payload = receive.recv_bytes()
    finally:
        receive.close()
        child.join(0 if late else SPAWN_START_S)
        if child.is_alive():
            child.kill()
            child.join()
    return payload, child.exitcode or 0, late


def _spawned_child(send: Any, func: Callable[..., object], args: tuple[object, ...],
                   memory_bytes: int, cpu_s: int) -> None:
    """A spawned child's body: :func:`_outcome` sent down ``send``."""
    faulthandler.disable()
    send.send_bytes(_outcome(func, args, memory_bytes, cpu_s))
    send.close()


def _collect(read_end: int, seconds: float) -> tuple[bytes | None, bool]:
    """Everything the child writes until it closes the pipe; ``(None, True)`` past ``seconds``."""
    deadline = time.monotonic() + seconds
    chunks: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None, True
        ready, _, _ = select.select([read_end], [], [], left)
        if ready:
            chunk = os.read(read_end, 1 << 20)
            if not chunk:
                return b"".join(chunks), False
            chunks.append(chunk)


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def address_space() -> int:
    """This process's mapped address space in bytes (Linux), or 0 when unknown."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0
