"""Block choice on built pages: a short story among the blocks that beat it on unseen pages.

Every header kind x chrome kind x layout x story length of tests/blockpages.py (4 x 11 x 5 x 3 = 660
pages): a copyright/disclaimer block, ICP and 指导单位 footers, a service notice, comment threads in three
forms, a blog list, a related list with summaries, a profile/archive box, a tag cloud; after the story,
before it, in its box, beside it, in a table cell beside it. newsmon is scored next to trafilatura and
readability-lxml when installed (`pip install .[compare]`), same pages, same run. These pages were built
while writing the rules they test, so they show which classes are handled, not how unseen pages score.

    .venv/bin/python bench/blockpages.py [--quick]

Prints tables (pages under 0.9 body F1 per chrome kind, per layout and per header; mean F1), then ONE
JSON object on the last line.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.extraction import body_f1, extractors  # noqa: E402
from tests.blockpages import LENGTHS, built_pages  # noqa: E402

GOOD_F1 = 0.9
NAMES = ("newsmon", "trafilatura", "readability")


def score(pages: list[tuple[dict[str, str], str, str]], run: Any) -> dict[str, Any]:
    """Mean F1, seconds, and failures (F1 under GOOD_F1) by each label of the pages."""
    t0 = time.perf_counter()
    f1s = [
        body_f1((run(html.encode(), "http://www.qingshi.gov.cn/xw/1.html") or {}).get("body"), truth)
        for _, html, truth in pages
    ]
    seconds = time.perf_counter() - t0
    fails: dict[str, dict[str, int]] = {}
    for (labels, _, _), f in zip(pages, f1s, strict=True):
        for key, value in labels.items():
            row = fails.setdefault(key, {})
            row[value] = row.get(value, 0) + (f < GOOD_F1)
    return {
        "f1_mean": round(statistics.mean(f1s), 4),
        "under_0_9": sum(f < GOOD_F1 for f in f1s),
        "pages": len(pages),
        "seconds": round(seconds, 2),
        "fails": fails,
    }


def print_tables(rows: dict[str, dict[str, Any]], pages: list[tuple[dict[str, str], str, str]]) -> None:
    """Failures per label value, one column per extractor."""
    names = list(rows)
    print(f"{'':<16}" + "".join(f"{n:>14}" for n in names))
    print(f"{'F1 mean':<16}" + "".join(f"{rows[n]['f1_mean']:>14.3f}" for n in names))
    print(f"{'pages < 0.9':<16}" + "".join(f"{rows[n]['under_0_9']:>14}" for n in names))
    for key in ("chrome", "layout", "header"):
        values = list(dict.fromkeys(labels[key] for labels, _, _ in pages))
        per = len(pages) // len(values)
        print(f"\npages < 0.9 by {key} (of {per} each)")
        for v in values:
            print(f"  {v:<14}" + "".join(f"{rows[n]['fails'][key][v]:>14}" for n in names))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="stories of 2 and 5 paragraphs only")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    pages = list(built_pages(LENGTHS[:2] if args.quick else LENGTHS))
    runs = extractors(set(NAMES))
    rows = {name: score(pages, run) for name, run in runs.items()}
    print(f"built block-choice pages ({len(pages)}): body F1")
    print_tables(rows, pages)
    print(json.dumps({"pages": len(pages), "quick": args.quick, "extractors": rows}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
