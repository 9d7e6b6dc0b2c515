"""Measure how ``sitewatch compare`` ranks galleries on the real ground photos and videos.

    python tools/eval_compare.py [--data DIR] [--out eval_compare.json]

Leave-one-out over every labelled file of ``ground/photos`` and ``ground/video`` (see
``sitewatch.compare.evaluation``): prints top-1, top-3 and the margin between the true
gallery's similarity and the best other one's, per vehicle type and overall, then every
query's first three galleries; writes every ranking to the JSON. Needs the shared data folder
(not shipped; ``--data``, else ``$SITEWATCH_DATA``, else ``../shared/data``); says so and exits 2
when it is absent.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, cast

from sitewatch.compare import evaluate
from sitewatch.errors import SitewatchError
from sitewatch.shared_data import shared_data_root


def main() -> int:
    """Run the evaluation and print Markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=None,
                        help="the shared data folder (default: $SITEWATCH_DATA, else ../shared/data)")
    parser.add_argument("--out", type=Path, default=Path("eval_compare.json"))
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    try:
        data = args.data or shared_data_root(needs="ground")
        if data is None:
            print("eval_compare: ground/ not found under $SITEWATCH_DATA or ../shared/data; "
                  "pass --data DIR", file=sys.stderr)
            return 2
        report = evaluate(data, threads=args.threads)
    except SitewatchError as exc:
        print(f"eval_compare: {exc}", file=sys.stderr)
        return 2
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print("| true type | queries | top-1 | top-3 | mean margin | lowest margin |")
    print("|---|---|---|---|---|---|")
    summary = cast(dict[str, dict[str, float]], report["summary"])
    for kind, row in summary.items():
        print(f"| {kind} | {row['queries']:.0f} | {row['top1']:.2f} | {row['top3']:.2f} | "
              f"{row['mean_margin']:+.3f} | {row['min_margin']:+.3f} |")
    distractors = ", ".join(cast(list[str], report["distractor_only"]))
    print(f"distractor galleries only (one file each): {distractors}")
    for entry in cast(list[dict[str, Any]], report["rows"]):
        ranking = ", ".join(f"{n} {s:+.3f}" for n, s in entry["ranking"][:3])
        mark = "ok " if entry["top1"] else "MISS"
        print(f"  {mark} {entry['query'][:36]:36s} {entry['truth']:22s} margin {entry['margin']:+.3f}"
              f" -> {ranking}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
