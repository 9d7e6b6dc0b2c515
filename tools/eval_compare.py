"""Measure ``sitewatch compare`` on the real ground photos and videos.

    python tools/eval_compare.py [--data ../shared/data] [--out eval_compare.json]

Prints top-1 / top-3 accuracy by query type, how often the T-72 gallery ranks above the Leclerc
gallery, and seconds per photo; writes every ranking to the JSON. Needs ``../shared/data``
(not shipped); says so and exits 2 when it is absent.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, cast

from sitewatch.compare.evaluation import evaluate
from sitewatch.errors import SitewatchError


def main() -> int:
    """Run the evaluation and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=Path("eval_compare.json"))
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    try:
        report = evaluate(args.data, threads=args.threads)
    except SitewatchError as exc:
        print(f"eval_compare: {exc}", file=sys.stderr)
        return 2
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print("| query type | n | top-1 | top-3 | true one of T-72/Leclerc first | s/photo |")
    print("|---|---|---|---|---|---|")
    summary = cast(dict[str, dict[str, float]], report["summary"])
    for kind, row in summary.items():
        print(f"| {kind} | {row['queries']} | {row['top1']:.2f} | {row['top3']:.2f} | "
              f"{row['pair_correct']:.2f} | {row['seconds_per_photo']:.2f} |")
    print(f"gallery build: {report['gallery_build_seconds']:.1f} s; threads {args.threads}")
    for entry in cast(list[dict[str, Any]], report["rows"]):
        ranking = ", ".join(f"{n} {s:+.2f}" for n, s in entry["ranking"][:3])
        print(f"  {entry['query'][:40]:40s} truth {entry['truth']:8s} -> {ranking}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
