"""Run `sitewatch watch` with 2 local workers and kill one busy worker mid-detection.

    cd WATCH_DIR && PYTHONPATH=.../src python .../tools/watch_kill_worker.py [--after 9]

Starts ``sitewatch watch watch.toml --workers 2 --threads 1`` in the current folder (a watch
list such as the one ``tools/make_many_scene_watch.py`` writes, with a fresh ``out/``), waits
until ``--after`` window results are in ``out/cache``, then kills (SIGKILL) one worker process
that is using CPU, and waits for the watch to end. Compare ``out/cache`` (and the cases'
stored windows and ``counts.csv``) with a clean run's by SHA-256. Used for docs/watch.md.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def main() -> None:
    import psutil

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--after", type=int, default=9, help="window results cached before the kill")
    args = parser.parse_args()
    if not Path("watch.toml").is_file():
        print("no watch.toml here: run this in a watch list's folder")
        sys.exit(2)
    command = [sys.executable, "-m", "sitewatch.cli.main", "watch", "watch.toml", "--workers", "2",
               "--threads", "1"]
    with open("kill_run.log", "w", encoding="utf-8") as log:
        watch = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        cache = Path("out/cache")
        while watch.poll() is None and len(list(cache.rglob("*.json"))) < args.after:
            time.sleep(0.05)
        cached = len(list(cache.rglob("*.json")))
        busy = [c for c in psutil.Process(watch.pid).children(recursive=True)
                if "multiprocessing.spawn" in " ".join(c.cmdline()) and c.cpu_percent(0.2) > 1]
        print(f"windows cached before the kill: {cached}; busy workers: {[c.pid for c in busy]}")
        if busy:
            os.kill(busy[0].pid, signal.SIGKILL)
            print(f"killed worker process {busy[0].pid}")
        print(f"watch exit code: {watch.wait()} (its output: kill_run.log)")


if __name__ == "__main__":
    main()
