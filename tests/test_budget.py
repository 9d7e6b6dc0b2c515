"""Issue 24: decoding untrusted files runs in a child under a time and memory budget, and every
way a decoder can go wrong there comes back as one error naming the file."""

from __future__ import annotations

import os
import signal
import time

import pytest

from sitewatch.budget import WALL_FACTOR, decode_seconds, run_bounded
from sitewatch.errors import InputFileError, RasterReadError


def _sleep(seconds: float) -> str:
    time.sleep(seconds)
    return "done"


def _allocate(gib: int) -> int:
    return len(bytearray(gib * 1024**3))


def _segfault() -> None:
    os.kill(os.getpid(), signal.SIGSEGV)


def _raise(error: Exception) -> None:
    raise error


def test_the_result_comes_back_from_the_child() -> None:
    assert run_bounded(_sleep, 0.0, what="'a.tif'", error=InputFileError) == "done"
    assert run_bounded(sorted, [3, 1, 2], what="'a.tif'", error=InputFileError) == [1, 2, 3]


def _spin() -> None:
    while True:
        pass


def test_past_its_processor_time_the_kernel_stops_the_child() -> None:
    started = time.monotonic()
    with pytest.raises(InputFileError, match=r"'spin\.tif': decoding it took more than 1 s of "
                       "processor time"):
        run_bounded(_spin, what="'spin.tif'", error=InputFileError, seconds=1.0, wall_s=120)
    assert time.monotonic() - started < 100


def test_a_child_that_waits_is_killed_at_its_wall_time() -> None:
    started = time.monotonic()
    with pytest.raises(InputFileError, match=r"refusing 'slow\.tif': decoding it took more than 2 s"):
        run_bounded(_sleep, 30.0, what="'slow.tif'", error=InputFileError, seconds=0.5)
    assert time.monotonic() - started < 10


def test_past_its_memory_the_child_fails_and_the_parent_does_not() -> None:
    with pytest.raises(InputFileError, match=r"'bomb\.png': decoding it needed more than 0\.5 GiB"):
        run_bounded(_allocate, 4, what="'bomb.png'", error=InputFileError, memory_bytes=1024**3 // 2)


def test_a_decoder_that_dies_of_a_signal_is_one_error() -> None:
    with pytest.raises(RasterReadError, match=r"the decoder died on it \(signal 11"):
        run_bounded(_segfault, what="'x.jpg'", error=RasterReadError)


def test_sitewatch_errors_pass_unchanged_and_others_become_one_line() -> None:
    with pytest.raises(InputFileError, match=r"^its own message$"):
        run_bounded(_raise, InputFileError("its own message"), what="'x'", error=RasterReadError)
    with pytest.raises(RasterReadError, match=r"failed on it \(KeyError: 'tag'\)") as caught:
        run_bounded(_raise, KeyError("tag"), what="'x'", error=RasterReadError)
    assert "\n" not in str(caught.value)


def test_the_time_budget_grows_with_the_declared_size() -> None:
    assert decode_seconds(0) < decode_seconds(1024**3) < decode_seconds(8 * 1024**3)
    assert WALL_FACTOR >= 2  # a busy machine must not refuse a legitimate decode


@pytest.fixture
def spawned(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the children as on a system without ``fork`` (Windows): spawned interpreters. Issue
    24: there the function ran in the calling process with no budget at all."""
    import sitewatch.budget

    monkeypatch.setattr(sitewatch.budget, "FORK", False)
    monkeypatch.setattr(sitewatch.budget, "SPAWN_START_S", 20.0)


@pytest.mark.usefixtures("spawned")
def test_without_fork_the_child_is_spawned_and_still_bounded() -> None:
    assert run_bounded(_pid, what="'a.tif'", error=InputFileError) != os.getpid()
    assert run_bounded(sorted, [3, 1, 2], what="'a.tif'", error=InputFileError) == [1, 2, 3]
    with pytest.raises(InputFileError, match=r"^its own message$"):
        run_bounded(_raise, InputFileError("its own message"), what="'x'", error=RasterReadError)
    with pytest.raises(RasterReadError, match=r"failed on it \(KeyError: 'tag'\)"):
        run_bounded(_raise, KeyError("tag"), what="'x'", error=RasterReadError)
    with pytest.raises(RasterReadError, match=r"the decoder died on it \(signal 11"):
        run_bounded(_segfault, what="'x.jpg'", error=RasterReadError)
    with pytest.raises(InputFileError, match=r"'bomb\.png': decoding it needed more than 0\.5 GiB"):
        run_bounded(_allocate, 4, what="'bomb.png'", error=InputFileError, memory_bytes=1024**3 // 2)


@pytest.mark.usefixtures("spawned")
def test_without_fork_a_child_that_waits_is_killed_at_its_wall_time() -> None:
    started = time.monotonic()
    with pytest.raises(InputFileError, match=r"refusing 'slow\.tif': decoding it took more than 2 s"):
        run_bounded(_sleep, 120.0, what="'slow.tif'", error=InputFileError, seconds=0.5)
    assert time.monotonic() - started < 60


def _pid() -> int:
    return os.getpid()
