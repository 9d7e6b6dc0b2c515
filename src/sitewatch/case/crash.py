"""Crash harness: kill -9 a real ``sitewatch`` writer at each write step, then check the case.

Each trial runs ``sitewatch ingest`` or ``sitewatch detect`` in a child process with
``SITEWATCH_CRASH_AT`` naming a step of :data:`sitewatch.catalog.journal.CRASH_STEPS` (the
child sends itself SIGKILL there), or kills it with ``os.kill(pid, SIGKILL)`` after a random
delay. Then, as a user would: ``verify`` (must be clean, with no tamper alarm), the same
command again (must finish the work), ``verify`` again; and the case is counted: every
scene exactly once in the catalog and once in the log (none lost, none duplicated), every
scene detected exactly once by the model.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sitewatch.case.fuzzing import Entry

#: Steps a trial aims at, with the command whose write they interrupt.
AIMED = (("ingest", "staged"), ("ingest", "committed"), ("ingest", "moved"),
         ("ingest", "torn-append"), ("detect", "staged"), ("detect", "committed"),
         ("detect", "torn-append"), ("detect", "detect-scene"))
SCENES = 3


@dataclass(slots=True, kw_only=True)
class CrashSummary:
    """Counts over all trials; ``failures`` describes each trial that went wrong."""

    trials: int = 0
    killed: int = 0
    lost: int = 0
    duplicated: int = 0
    false_alarms: int = 0
    tracebacks: int = 0
    failures: list[str] = field(default_factory=list)
    command_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no trial lost, duplicated, alarmed or crashed."""
        return not self.failures

    def to_json(self) -> dict[str, object]:
        """The summary as the benchmark writes it."""
        return {**asdict(self), "ok": self.ok}


#: A command runner: ``(argv, extra environment, kill after s or None) -> (exit code, output)``.
Runner = Callable[[list[str], dict[str, str], float | None], tuple[int, str]]

#: Longest a command of a trial may take before it is killed and counted as failed.
COMMAND_LIMIT_S = 300.0


def process_runner() -> Runner:
    """Each command a fresh ``python -m sitewatch.cli.main`` (what a user runs)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    for name in ("SITEWATCH_CRASH_AT", "SITEWATCH_CRASH_SKIP"):
        env.pop(name, None)

    def run(args: list[str], extra: dict[str, str], kill_after_s: float | None) -> tuple[int, str]:
        child = subprocess.Popen([sys.executable, "-m", "sitewatch.cli.main", *args],
                                 env={**env, **extra}, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        if kill_after_s is not None:
            time.sleep(kill_after_s)
            if child.poll() is None:
                os.kill(child.pid, signal.SIGKILL)
        out, err = child.communicate(timeout=COMMAND_LIMIT_S)
        return child.returncode, out + err

    return run


def forked_runner(entry: Entry, work: Path) -> Runner:
    """Each command ``entry(argv)`` in a child forked from this process, whose imports are done
    (the 2–3 s a fresh interpreter spends on them is saved; the kill, the write steps and the
    case on disk are the same)."""
    import sitewatch.detect  # noqa: F401  (imported once here, not in every child)
    from sitewatch.case.fuzzing import run_command

    log = work / "command.log"

    def run(args: list[str], extra: dict[str, str], kill_after_s: float | None) -> tuple[int, str]:
        ran = run_command(entry, args, log, env=extra,
                          kill_after_s=COMMAND_LIMIT_S if kill_after_s is None else kill_after_s)
        return ran.code, log.read_text(encoding="utf-8", errors="replace")

    return run


def make_images(folder: Path, seed: int, count: int = SCENES) -> list[Path]:
    """``count`` small PNGs of bright rectangles on a textured ground, from ``seed``."""
    import cv2
    import numpy as np

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for index in range(count):
        pixels = rng.integers(40, 90, size=(256, 256, 3), dtype=np.uint8)
        for _ in range(6):
            x, y = (int(v) for v in rng.integers(20, 220, size=2))
            pixels[y:y + 12, x:x + 26] = 230
        path = folder / f"scene-{seed}-{index}.png"
        cv2.imwrite(str(path), pixels)
        paths.append(path)
    return paths


def trial_commands(case: Path, images: list[Path], model: str) -> dict[str, list[str]]:
    """The commands of a trial, in the order they run: ``init``, ``ingest``, ``detect``."""
    return {"init": ["case", "init", str(case)],
            "ingest": ["ingest", str(case), *map(str, images), "--site", "a", "--date",
                       "2024-05-01", "--gsd", "0.3"],
            "detect": ["detect", str(case), "--model", model]}


def run_trial(work: Path, *, command: str, step: str | None, delay_s: float | None,
              seed: int, model: str, runner: Runner | None = None) -> list[str]:
    """One trial in the empty folder ``work``; returns what went wrong (empty when fine), and
    ``"(killed)"`` when the command died of SIGKILL (a late random kill may find it done).
    ``runner`` runs each command (default: :func:`process_runner`)."""
    run = runner or process_runner()
    case = work / "case"
    images = make_images(work / "images", seed)
    commands = trial_commands(case, images, model)
    ingest, detect = commands["ingest"], commands["detect"]
    problems: list[str] = []
    code, text = run(commands["init"], {}, None)
    if command == "detect" and code == 0:
        code, text = run(ingest, {}, None)
    if code != 0:
        return [f"setup failed: {text.strip()[-200:]}"]
    args = ingest if command == "ingest" else detect
    crash_env: dict[str, str] = {}
    if step is not None:
        skip = random.Random(seed).randrange(SCENES) if command == "detect" else 0
        crash_env = {"SITEWATCH_CRASH_AT": step, "SITEWATCH_CRASH_SKIP": str(skip)}
    code, text = run(args, crash_env, delay_s)
    if code == -signal.SIGKILL:
        problems.append("(killed)")
    elif step is not None:
        problems.append(f"the {command} was not killed at step {step!r} (exit {code})")
    if "Traceback" in text:
        problems.append(f"traceback in the killed {command}: {text.strip()[-200:]}")
    for label, argv in (("verify after the kill", ["verify", str(case)]),
                        (f"{command} again", args), ("verify at the end", ["verify", str(case)])):
        code, text = run(argv, {}, None)
        if "Traceback" in text:
            problems.append(f"traceback in {label}: {text.strip()[-200:]}")
        elif code != 0:
            problems.append(f"{label} failed: {text.strip()[-300:]}")
    problems += count_problems(case, detected=command == "detect")
    return problems


def count_problems(case: Path, *, detected: bool) -> list[str]:
    """Lost or duplicated scenes and detections of a finished case of :data:`SCENES` scenes."""
    from sitewatch.catalog import CaseStore, read_entries

    store = CaseStore.open(case)
    scenes = store.scenes()
    entries = read_entries(store.audit_path)
    logged = Counter(s["sha256"] for e in entries if e.action == "ingest"
                     for s in e.details["scenes"])
    problems = []
    if len(scenes) != SCENES:
        problems.append(f"lost: {len(scenes)} of {SCENES} scenes in the catalog")
    if any(n != 1 for n in logged.values()) or len(logged) != SCENES:
        problems.append(f"duplicated or lost: ingest entries per scene {sorted(logged.values())}")
    if detected:
        per_scene = Counter(sha for e in entries if e.action == "detect" for sha in e.details["scenes"])
        runs = Counter(sha for _, sha in store.scene_runs())
        if sorted(per_scene.values()) != [1] * SCENES or per_scene != runs:
            problems.append(f"detect entries per scene {sorted(per_scene.values())}, runs per "
                            f"scene {sorted(runs.values())}: lost or duplicated")
    return problems


def command_seconds(runner: Runner, work: Path, *, model: str) -> dict[str, float]:
    """How long an uninterrupted ingest and detect of a trial's scenes take with ``runner``
    (random kills of forked commands are drawn within that time, so that they land)."""
    case = work / "case"
    images = make_images(work / "images", seed=0)
    timed: dict[str, float] = {}
    for name, argv in trial_commands(case, images, model).items():
        started = time.monotonic()
        code, text = runner(argv, {}, None)
        if code != 0:
            raise RuntimeError(f"the crash harness's timing run of {name} failed: {text[-300:]}")
        timed[name] = round(time.monotonic() - started, 3)
    return {k: v for k, v in timed.items() if k != "init"}


def run_crash_benchmark(trials: int, work: Path, *, seed: int = 0, start: int = 0,
                        model: str = "dota-yolov8n-obb", entry: Entry | None = None,
                        checkpoint: Callable[[CrashSummary], object] | None = None) -> CrashSummary:
    """``trials`` kill -9 trials under ``work``, numbered from ``start``: the even ones aimed at
    each write step in turn, the odd ones at a random moment of the command (each trial's
    choice depends on its number only, so a run continued with ``start`` repeats no trial).
    ``checkpoint`` is called with the summary after every trial, so a long run that is stopped
    still leaves its counts. With ``entry`` (the CLI's ``main``), commands run in children
    forked from this process (:func:`forked_runner`), else as fresh interpreters. A forked
    command starts with its imports done and often ends within a second, so its random kill
    comes after 5–90 % of the time an uninterrupted run took (:func:`command_seconds`,
    measured first and kept in the summary); a fresh interpreter's comes after 0.5–6 s."""
    summary = CrashSummary()
    if entry is not None:
        summary.command_seconds = command_seconds(forked_runner(entry, work), work / "timing",
                                                  model=model)
    for number in range(start, start + trials):
        if number % 2 == 0:
            command, step = AIMED[(number // 2) % len(AIMED)]
            delay = None
        else:
            rng = random.Random(seed * 1_000_003 + number)
            command, step = rng.choice(("ingest", "detect")), None
            delay = (rng.uniform(0.05, 0.9) * summary.command_seconds[command]
                     if entry is not None else rng.uniform(0.5, 6.0))
        folder = work / f"trial-{number:05d}"
        folder.mkdir(parents=True, exist_ok=True)
        runner = forked_runner(entry, folder) if entry is not None else None
        problems = run_trial(folder, command=command, step=step, delay_s=delay,
                             seed=seed * 100_003 + number, model=model, runner=runner)
        summary.killed += "(killed)" in problems
        problems = [p for p in problems if p != "(killed)"]
        summary.trials += 1
        text = " ".join(problems)
        summary.lost += "lost" in text
        summary.duplicated += "duplicated" in text
        summary.false_alarms += "verify" in text and "failed" in text
        summary.tracebacks += "traceback" in text
        summary.failures += [f"trial {number} ({command} at {step or f'{delay:.2f} s'}): {p}"
                             for p in problems]
        if checkpoint is not None:
            checkpoint(summary)
    return summary


def main() -> None:
    """``python -m sitewatch.case.crash N WORK [OUT.json]``."""
    trials, work = int(sys.argv[1]), Path(sys.argv[2])
    summary = run_crash_benchmark(trials, work)
    text = json.dumps(summary.to_json(), indent=1)
    if len(sys.argv) > 3:
        Path(sys.argv[3]).write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
