"""``sitewatch bench``: throughput of sitewatch against SAHI + Ultralytics on a real scene."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sitewatch.cli.options import add_device, add_quiet, batch_size
from sitewatch.cli.progress import Bars, wanted
from sitewatch.errors import ConfigError
from sitewatch.shared_data import DATA_ENV, shared_data_root
from sitewatch.train import BenchConfig, benchmark_models

HELP = "throughput and recall of sitewatch vs SAHI+Ultralytics on the depot scene"

#: Defaults inside the shared data folder (:func:`sitewatch.shared_data.shared_data_root`).
SCENE = Path("overhead/scenes/AUAU040001_depot.tif")
MVRSD = Path("overhead/mvrsd")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``sitewatch bench``."""
    parser.add_argument("--scene", type=Path, help=f"default <data>/{SCENE}, where <data> is "
                        f"${DATA_ENV}, else ../shared/data beside the working directory or the clone")
    parser.add_argument("--mvrsd", type=Path, help=f"labelled tiles, default <data>/{MVRSD}")
    parser.add_argument("--no-labelled", action="store_true", help="skip the labelled tiles")
    parser.add_argument("--extra-labels", type=Path, metavar="DIR",
                        help="VOC files completing the labelled tiles' labels (docs/mvrsd-audit)")
    parser.add_argument("--labelled-gsd", type=float, default=0.12,
                        help="GSD of the labelled tiles (0.12 m: MVRSD, estimated from vehicle "
                        "lengths)")
    parser.add_argument("--gsd", type=float, default=0.3, help="scene GSD to assume (0.3 m)")
    parser.add_argument(
        "--work-gsd", type=float, help="resample the scene to this GSD first (default: --gsd)"
    )
    parser.add_argument("--repeats", type=int, default=2, help="timed runs of each (2)")
    parser.add_argument("--side", type=int, default=4800, help="mirror-tile to this size (px)")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (default: all)")
    parser.add_argument("--batch", type=int, default=None,
                        help="tiles per forward pass (default 4 on CPU, 32 on a GPU)")
    parser.add_argument("--score", type=float, default=None,
                        help="score threshold of both pipelines (default: the first model "
                        "card's score_threshold)")
    parser.add_argument(
        "--model", action="append", help="model name or card; repeat to time several (default: "
        "the package default)",
    )  # fmt: skip
    parser.add_argument("--weights", type=Path, help="Ultralytics .pt for the SAHI baseline")
    parser.add_argument("--no-baseline", action="store_true", help="time sitewatch only")
    parser.add_argument("--out", type=Path, help="write the result as JSON here")
    parser.add_argument("--scale", type=int, metavar="SCENES", default=0,
                        help="instead: detect SCENES windows of the scene in one process and on "
                        "Dask with 1 and 2 workers, interleaved (sitewatch.watch.scale; "
                        "docs/watch.md)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="--scale: rounds, each timing every configuration once (5)")
    parser.add_argument("--crash", type=int, metavar="N", default=None,
                        help="instead: N kill -9 trials of ingest and detect (half aimed at "
                        "each write step), then verify and rerun; summary to --out")
    parser.add_argument("--crash-start", type=int, default=0, metavar="I",
                        help="first trial number of --crash (0), to continue a run")
    parser.add_argument("--fuzz", type=int, metavar="N", default=None,
                        help="instead: N generated hostile files through ingest, loose detect and "
                        "compare (analyst files through attach); summary to --out")
    parser.add_argument("--fuzz-seed", type=int, default=0, help="corpus seed of --fuzz (0)")
    parser.add_argument("--fuzz-start", type=int, default=0, metavar="I",
                        help="first file number of --fuzz (0), to continue a corpus")
    parser.add_argument("--fuzz-keep", type=Path, metavar="DIR",
                        help="copy each file that breaks a target here")
    parser.add_argument("--tamper", action="store_true",
                        help="instead: build a case, tamper with copies of it every way an adversary "
                        "can (catalog rows and bytes, report, exports, manifest, audit log, "
                        "originals), run verify and replay on each, and look for local paths in "
                        "what is published; summary to --out")
    parser.add_argument("--tamper-flips", type=int, default=200, metavar="N",
                        help="--tamper: single-byte flips of the catalog file (200)")
    parser.add_argument("--tamper-seed", type=int, default=0,
                        help="--tamper: seed of the flip offsets (0)")
    parser.add_argument("--tamper-only", action="append", metavar="TEXT",
                        help="--tamper: only the tamperings whose name holds TEXT (repeat for more)")
    parser.add_argument("--generated-seeds", action="store_true",
                        help="--fuzz from generated seeds only, even when the shared data is there")
    add_device(parser)
    add_quiet(parser)


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    """Run the benchmark and print its JSON."""
    if args.crash is not None:
        return _crash(args)
    if args.fuzz is not None:
        return _fuzz(args)
    if args.tamper:
        return _tamper(args)
    # the shared data folder only where a default reads it
    data = shared_data_root() if args.scene is None or not (args.no_labelled or args.mvrsd) else None
    scene = args.scene or (data / SCENE if data else None)
    if scene is None or not scene.is_file():
        raise ConfigError(
            f"benchmark scene not found ({scene or '../shared/data is absent'}); pass --scene "
            f"PATH or set {DATA_ENV} to the shared data folder"
        )
    if args.scale:
        from sitewatch.watch import measure_scale

        report = measure_scale(scene, gsd_m=args.gsd, scenes=args.scale, model=(args.model or [""])[0],
                               cores=args.threads or None, rounds=args.rounds,
                               note=None if args.quiet else _to_stderr)
        print(json.dumps(report, indent=2))
        if args.out is not None:
            args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        return 0
    mvrsd = None if args.no_labelled else (args.mvrsd or (data / MVRSD if data else None))
    settings = BenchConfig(
        gsd_m=args.gsd, work_gsd_m=args.work_gsd, side_px=args.side, threads=args.threads,
        batch_size=args.batch or batch_size(args.device), repeats=args.repeats,
        labelled_gsd_m=args.labelled_gsd, device=args.device,
    )  # fmt: skip
    models = args.model or [None]
    with Bars(total=args.repeats * (len(models) + (not args.no_baseline)), unit="run",
              enabled=wanted(args.quiet)) as bars:
        report = benchmark_models(scene, models, settings=settings, score_threshold=args.score,
                                  weights=args.weights, baseline=not args.no_baseline, mvrsd=mvrsd,
                                  labels_supplement=args.extra_labels, note=print,
                                  progress=bars.advance)
    text = json.dumps(report, indent=2)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


def _crash(args: argparse.Namespace) -> int:
    """``--crash N``: the kill -9 harness of :mod:`sitewatch.case.crash`; exit 1 on any failure."""
    import tempfile

    from sitewatch.case import CrashSummary, run_crash_benchmark
    from sitewatch.cli.main import main

    if args.crash < 1:
        raise ConfigError(f"--crash {args.crash}: give a number of trials, 1 or more")

    def save(summary: CrashSummary) -> None:
        if args.out:  # whole or not at all, after every trial: a stopped run keeps its counts
            partial = args.out.with_name(args.out.name + ".partial")
            partial.write_text(json.dumps(summary.to_json(), indent=1), encoding="utf-8")
            partial.replace(args.out)
        if wanted(args.quiet):
            _to_stderr(f"crash trial {args.crash_start + summary.trials - 1}: "
                       f"{len(summary.failures)} failure(s) so far")

    with tempfile.TemporaryDirectory(prefix="sitewatch-crash-") as work:
        summary = run_crash_benchmark(args.crash, Path(work), start=args.crash_start,
                                      entry=main, checkpoint=save)
    save(summary)
    print(json.dumps(summary.to_json(), indent=1))
    return 0 if summary.ok else 1


def _fuzz(args: argparse.Namespace) -> int:
    """``--fuzz N``: hostile files through the commands (:mod:`sitewatch.case.fuzzing`); exit 1
    when any target is broken."""
    import tempfile

    from sitewatch.case import FuzzSummary, run_fuzz_benchmark
    from sitewatch.cli.main import main

    if args.fuzz < 1:
        raise ConfigError(f"--fuzz {args.fuzz}: give a number of files, 1 or more")
    data = None if args.generated_seeds else shared_data_root()

    def save(summary: FuzzSummary) -> None:
        if args.out:  # whole or not at all: the file is read while the run goes on
            partial = args.out.with_name(args.out.name + ".partial")
            partial.write_text(json.dumps(summary.to_json(), indent=1) + "\n", encoding="utf-8")
            partial.replace(args.out)

    with tempfile.TemporaryDirectory(prefix="sitewatch-fuzz-") as work, \
            Bars(total=args.fuzz, unit="file", enabled=wanted(args.quiet)) as bars:
        summary = run_fuzz_benchmark(args.fuzz, Path(work), main, seed=args.fuzz_seed, data=data,
                                     start=args.fuzz_start, keep=args.fuzz_keep,
                                     progress=bars.step, checkpoint=save)
    save(summary)
    brief = summary.to_json(records=False)
    brief["failures"] = summary.failures[:50]
    print(json.dumps(brief, indent=1))
    return 0 if summary.ok else 1


def _tamper(args: argparse.Namespace) -> int:
    """``--tamper``: the tamper benchmark (:mod:`sitewatch.case.tamper_bench`); exit 1 when a
    tampering is missed, a command crashes or a published file names the machine."""
    import tempfile

    from sitewatch.case import TamperSummary, run_tamper_benchmark
    from sitewatch.cli.main import main

    if args.tamper_flips < 0:
        raise ConfigError(f"--tamper-flips {args.tamper_flips}: give 0 or more")

    def save(summary: TamperSummary) -> None:
        if args.out:  # whole or not at all, after every case: a stopped run keeps its counts
            partial = args.out.with_name(args.out.name + ".partial")
            partial.write_text(json.dumps(summary.to_json(), indent=1) + "\n", encoding="utf-8")
            partial.replace(args.out)

    def say(line: str) -> None:
        if wanted(args.quiet):
            _to_stderr(line)

    with tempfile.TemporaryDirectory(prefix="sitewatch-tamper-") as work:
        summary = run_tamper_benchmark(
            Path(work), main, flips=args.tamper_flips, seed=args.tamper_seed, progress=say,
            checkpoint=save,
            only=(lambda t: any(text in t.name for text in args.tamper_only)) if args.tamper_only else None)
    save(summary)
    print(json.dumps(summary.to_json(records=False), indent=1))
    return 0 if summary.ok else 1
