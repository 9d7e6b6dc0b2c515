"""Fuzz benchmark: hostile files through ``sitewatch`` commands, as a user would run them.

:func:`corpus_file` makes hostile file number ``index`` of a corpus, a pure function of
``(seed, index)`` and the seeds: images and videos bent by :mod:`.hostile_images` (four in
five files) and analyst files bent by :mod:`.hostile_files`. :func:`run_fuzz_benchmark` runs
each through the commands an analyst would give it:

- an image or video: ``ingest`` into a scratch case, loose ``detect IMAGE --out``, and
  ``compare QUERY --gallery``;
- a STAC item: ``ingest``; zones, boundary, alerts, sightings, comparison: ``attach``.

Each command is the real CLI entry (``sitewatch.cli.main.main``, passed in) in its own process,
forked from this one after the heavy modules are imported (so the 2-3 s of imports is paid
once, not 30,000 times); the child runs in its own session, its output goes to files, an
uncaught exception prints its traceback as Python would. Per command the record holds the
exit code, whether a traceback reached the user, the wall time, the processor time and the
machine's load (so that a command slow only because the machine was busy can be told from a
hang), the child's peak resident memory (``wait4``'s ``ru_maxrss``, which includes the pages
it shares with this process), and, for a refusal, whether the case folder or the ``--out``
file changed. A command that runs past :data:`HANG_S` is a hang (counted so even when the
machine's load is to blame); past :data:`KILL_AFTER_S` it is killed (with everything it started).
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import resource
import signal
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import NamedTuple

from sitewatch.budget import address_space
from sitewatch.case.fuzz_seeds import Seed, generated_seeds, real_seeds
from sitewatch.case.hostile_files import KINDS, hostile_file
from sitewatch.case.hostile_images import hostile_image

#: Targets of issue 24: a command is a hang past HANG_S, a blow-up past PEAK_LIMIT_MB.
HANG_S = 30.0
PEAK_LIMIT_MB = 2048.0
#: A command still running after this long is killed (and counted as a hang).
KILL_AFTER_S = 40.0
#: Address space a command may add to what it inherits, so that a blow-up fails that command
#: instead of the machine.
GUARD_BYTES = 6 * 1024**3
#: Share of the corpus that is analyst files (the rest: images and videos).
ANALYST_SHARE = 0.2
#: Files between two checkpoints of a run.
CHECKPOINT_FILES = 10
#: A new scratch case is started every this many files (the case snapshot grows with it).
FILES_PER_CASE = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class FuzzFile:
    """One hostile file written to disk."""

    index: int
    path: Path
    kind: str  # "image" or one of hostile_files.KINDS
    seed: str
    mutation: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandRecord:
    """What one command did with one hostile file."""

    index: int
    kind: str
    mutation: str
    command: str
    exit_code: int
    traceback: bool
    wall_s: float
    cpu_s: float
    load_1m: float
    peak_mb: float
    killed: bool
    case_changed: bool
    output_left: bool
    last_line: str


@dataclass(slots=True, kw_only=True)
class FuzzSummary:
    """Counts over every command of every file; ``failures`` names each broken target."""

    files: int = 0
    commands: int = 0
    accepted: int = 0
    refused: int = 0
    other_exit: int = 0
    tracebacks: int = 0
    hangs: int = 0
    over_memory: int = 0
    case_changed: int = 0
    output_left: int = 0
    max_wall_s: float = 0.0
    max_cpu_s: float = 0.0
    max_peak_mb: float = 0.0
    seeds: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    records: list[CommandRecord] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every target holds: no traceback, hang, blow-up or changed case."""
        return not self.failures

    def add(self, record: CommandRecord) -> None:
        """Count one command's record."""
        self.records.append(record)
        self.commands += 1
        self.accepted += record.exit_code == 0
        self.refused += record.exit_code == 2
        self.other_exit += record.exit_code not in (0, 2)
        self.max_wall_s = max(self.max_wall_s, record.wall_s)
        self.max_cpu_s = max(self.max_cpu_s, record.cpu_s)
        self.max_peak_mb = max(self.max_peak_mb, record.peak_mb)
        problems = [text for broken, text in (
            (record.traceback, "traceback"),
            (record.killed or record.wall_s > HANG_S,
             f"ran {record.wall_s:.0f} s ({record.cpu_s:.0f} s of CPU, load {record.load_1m:.1f})"),
            (record.peak_mb > PEAK_LIMIT_MB, f"peak {record.peak_mb:.0f} MB"),
            (record.case_changed, "refused but changed the case"),
            (record.output_left, "refused but left its --out file"),
            (record.exit_code not in (0, 2) and not record.killed, f"exit {record.exit_code}"),
        ) if broken]
        self.tracebacks += record.traceback
        self.hangs += record.killed or record.wall_s > HANG_S
        self.over_memory += record.peak_mb > PEAK_LIMIT_MB
        self.case_changed += record.case_changed
        self.output_left += record.output_left
        if problems:
            self.failures.append(f"file {record.index} ({record.mutation}) {record.command}: "
                                 f"{', '.join(problems)}: {record.last_line}")

    def to_json(self, *, records: bool = True) -> dict[str, object]:
        """The summary as the benchmark writes it (``records``: one per command)."""
        data = asdict(self)
        if not records:
            del data["records"]
        return {**data, "ok": self.ok, "targets": {
            "hang_s": HANG_S, "peak_mb": PEAK_LIMIT_MB, "killed_after_s": KILL_AFTER_S}}


def seeds_for(data: Path | None) -> tuple[Seed, ...]:
    """Generated seeds, and the shared data folder's real ones when ``data`` is given."""
    return generated_seeds() + (real_seeds(data) if data is not None else ())


def corpus_file(index: int, folder: Path, seeds: Sequence[Seed], *, seed: int = 0,
                large: bool = True) -> FuzzFile:
    """Write hostile file number ``index`` of corpus ``seed`` into the empty ``folder``
    (``large``: see :func:`.hostile_images.hostile_image`)."""
    rng = random.Random(f"sitewatch-fuzz:{seed}:{index}")
    folder.mkdir(parents=True, exist_ok=True)
    if rng.random() < ANALYST_SHARE:
        kind = rng.choice(sorted(KINDS))
        made = hostile_file(kind, rng)
        path = folder / f"fuzz-{index:05d}{KINDS[kind]}"
        path.write_bytes(made.data)
        png = next(s.data for s in seeds if s.kind == "png")
        if kind == "stac":
            (folder / "image.png").write_bytes(png)
        if kind == "comparison":
            (folder / "panel.png").write_bytes(png)
        return FuzzFile(index=index, path=path, kind=kind, seed="template", mutation=made.mutation)
    source = rng.choice(list(seeds))
    hostile = hostile_image(source, rng, large=large)
    path = folder / f"fuzz-{index:05d}{hostile.suffix}"
    path.write_bytes(hostile.data)
    for suffix, data in hostile.sidecars:
        path.with_suffix(suffix).write_bytes(data)
    return FuzzFile(index=index, path=path, kind="image", seed=source.name, mutation=hostile.mutation)


def write_corpus(count: int, folder: Path, *, seed: int = 0, data: Path | None = None,
                 start: int = 0, large: bool = True) -> list[FuzzFile]:
    """Files ``start`` to ``start + count - 1`` of corpus ``seed``, each in its own subfolder
    of ``folder`` (sidecars, STAC assets and panels sit beside their file)."""
    seeds = seeds_for(data)
    return [corpus_file(i, folder / f"{i:05d}", seeds, seed=seed, large=large)
            for i in range(start, start + count)]


def commands_for(item: FuzzFile, case: Path, work: Path, gallery: Path
                 ) -> list[tuple[list[str], Path | None]]:
    """The commands a user would give this file: ``(argv, --out file or None)``."""
    name = str(item.path)
    if item.kind == "stac":
        return [(["ingest", str(case), name, "--site", "fuzz", "-q"], None)]
    if item.kind != "image":
        return [(["attach", str(case), f"--{item.kind}", name], None)]
    georef = "georef" in item.mutation or "world file" in item.mutation
    ingest = ["ingest", str(case), name, "--site", "fuzz", "--date", "2024-05-01", "-q"]
    detections, compared = work / "detections.csv", work / "compare.json"
    return [(ingest if georef else [*ingest, "--gsd", "0.3"], None),
            (["detect", name, "--out", str(detections), "--gsd", "0.3", "-q"], detections),
            (["compare", name, "--gallery", f"ref={gallery}", "--out", str(compared), "-q"], compared)]


def snapshot(folder: Path) -> str:
    """One hash over every file under ``folder``: relative path, size and content."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(f"{path.relative_to(folder)}\0{path.stat().st_size}\0".encode())
            with path.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()


#: The ``sitewatch`` command's entry: argv (without the program name) to exit code.
Entry = Callable[[list[str]], int]


class CommandRun(NamedTuple):
    """How one forked command ended: its exit code, wall and processor seconds (user + system,
    its children included: under load the wall time grows and the processor time does not), peak
    resident memory and whether it was killed."""

    code: int
    wall_s: float
    cpu_s: float
    peak_mb: float
    killed: bool


def run_command(entry: Entry, argv: list[str], log: Path, *, kill_after_s: float = KILL_AFTER_S,
                env: Mapping[str, str] | None = None) -> CommandRun:
    """Run ``entry(argv)`` in a forked child (see :class:`CommandRun`).

    The child's stdout and stderr both go to ``log``; exit code 1 and a printed traceback
    when an exception escapes ``entry``, -N when signal N ended it. ``env`` is added to the
    child's environment; past ``kill_after_s`` the child and all it started get SIGKILL.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 1
        try:
            os.setsid()
            os.environ.update(env or {})
            warnings.resetwarnings()  # as a fresh interpreter: a test run's "error" filter is not the CLI's
            fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", closefd=False), write_through=True)
            sys.stderr = io.TextIOWrapper(os.fdopen(2, "wb", closefd=False), write_through=True)
            guard = address_space() + GUARD_BYTES
            resource.setrlimit(resource.RLIMIT_AS, (guard, guard))
            code = entry(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            traceback.print_exc()
            code = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    killed = False
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() - started > kill_after_s:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:  # killed before its setsid(): no group yet
                os.kill(pid, signal.SIGKILL)
            killed = True
            done, status, usage = os.wait4(pid, 0)
            break
        time.sleep(0.02)
    wall = time.monotonic() - started
    return CommandRun(code=os.waitstatus_to_exitcode(status), wall_s=wall,
                      cpu_s=usage.ru_utime + usage.ru_stime, peak_mb=usage.ru_maxrss / 1024,
                      killed=killed)


def _warm_up() -> None:
    """Import what the commands import, once, before the first fork."""
    import sitewatch.compare
    import sitewatch.detect
    import sitewatch.report  # noqa: F401


def run_fuzz_benchmark(count: int, work: Path, entry: Entry, *, seed: int = 0,
                       data: Path | None = None,
                       start: int = 0, keep: Path | None = None, large: bool = True,
                       progress: Callable[[str], object] | None = None,
                       checkpoint: Callable[[FuzzSummary], object] | None = None) -> FuzzSummary:
    """Run hostile files ``start`` … ``start + count - 1`` of corpus ``seed`` (real seeds from
    ``data`` when given) through the commands of :func:`commands_for`, under ``work``.

    A file that breaks a target is copied into ``keep`` (when given) for a regression test.
    ``large=False`` leaves out valid huge images (see :func:`.hostile_images.hostile_image`).
    ``checkpoint`` hears the summary so far after every :data:`CHECKPOINT_FILES` files (a long
    run stopped early keeps its numbers).
    """
    from sitewatch.case.crash import make_images

    _warm_up()
    seeds = seeds_for(data)
    summary = FuzzSummary(seeds=sorted({s.name for s in seeds}))
    gallery = work / "gallery"
    make_images(gallery, seed=seed, count=1)
    case = work / "case"
    for index in range(start, start + count):
        if (index - start) % FILES_PER_CASE == 0:
            case = work / f"case-{index:05d}"
            if run_command(entry, ["case", "init", str(case)], work / "init.log").code != 0:
                raise RuntimeError(f"could not create the scratch case {case}")
        folder = work / "file"
        _empty(folder)
        item = corpus_file(index, folder, seeds, seed=seed, large=large)
        summary.files += 1
        before = len(summary.failures)
        for argv, out in commands_for(item, case, work, gallery):
            if out is not None:
                out.unlink(missing_ok=True)
            state = snapshot(case) if argv[0] in ("ingest", "attach") else ""
            log = work / "command.log"
            ran = run_command(entry, argv, log)
            text = log.read_text(encoding="utf-8", errors="replace")
            refused = ran.code != 0
            summary.add(CommandRecord(
                index=index, kind=item.kind, mutation=item.mutation, command=argv[0],
                exit_code=ran.code, traceback="Traceback (most recent call last)" in text,
                wall_s=round(ran.wall_s, 3), cpu_s=round(ran.cpu_s, 3),
                load_1m=round(os.getloadavg()[0], 2), peak_mb=round(ran.peak_mb, 1),
                killed=ran.killed,
                case_changed=refused and bool(state) and snapshot(case) != state,
                output_left=refused and out is not None and out.exists(),
                last_line=(text.strip().splitlines() or [""])[-1][-300:],
            ))
        if keep is not None and len(summary.failures) > before:
            _keep(folder, keep / f"{seed}-{index:05d}")
        if progress is not None:
            progress(item.path.name)
        if checkpoint is not None and summary.files % CHECKPOINT_FILES == 0:
            checkpoint(summary)
    return summary


def _empty(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)


def _keep(folder: Path, target: Path) -> None:
    import shutil

    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(folder, target)
