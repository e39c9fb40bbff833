"""Peak memory of one extraction of a 1-20 MB page, each in a fresh process, against a bare lxml parse."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

_MEMORY_CHILD = r"""
import json, os, resource, sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from crawler.extract import extract_article
import lxml.html
data = Path(sys.argv[2]).read_bytes()
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
base = rss()
try:  # reset the peak (VmHWM) so that imports and reading the page do not count
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
except OSError:
    pass
if sys.argv[1] == "newsmon":
    art = extract_article(data, "http://127.0.0.1/big.html")
    assert art.is_article, art.reason
else:
    lxml.html.document_fromstring(data)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
with open("/proc/self/status") as f:
    for line in f:
        if line.startswith("VmHWM:"):
            peak = int(line.split()[1]) * 1024
print(json.dumps({"base": base, "peak": peak}))
"""


def _big_page(path: Path, megabytes: float) -> None:
    """A long one-block article of about the given size (UTF-8)."""
    para = ("<p>" + "这是一段用于测量内存占用的正文内容，句子足够长，标点齐全。" * 20 + "</p>\n").encode()
    with path.open("wb") as f:
        f.write(
            "<html><head><title>长页面_青石市人民政府</title></head><body><h1>长页面</h1><div id='zoom'>".encode()
        )
        for _ in range(int(megabytes * 1e6 // len(para))):
            f.write(para)
        f.write(b"</div></body></html>")


def memory_profile(sizes: list[float]) -> list[dict[str, Any]]:
    """Peak RSS growth (MB) of one extraction, each in a fresh process, against a bare lxml parse of the page."""
    import subprocess
    import tempfile

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for mb in sizes:
            page = Path(tmp) / f"{mb}.html"
            _big_page(page, mb)
            row: dict[str, Any] = {"page_mb": round(page.stat().st_size / 1e6, 1)}
            for mode in ("newsmon", "lxml-parse"):
                out = subprocess.run(
                    [sys.executable, "-c", _MEMORY_CHILD, mode, str(page), str(ROOT)],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                m = json.loads(out.stdout.strip().splitlines()[-1])
                row[mode + "_mb"] = round((m["peak"] - m["base"]) / 1e6, 1)
            row["ratio"] = (
                round(row["newsmon_mb"] / row["lxml-parse_mb"], 2) if row["lxml-parse_mb"] else None
            )
            rows.append(row)
    return rows


def print_memory(rows: list[dict[str, Any]]) -> None:
    """Readable table of the memory profile."""
    print("\npeak memory of one extraction (RSS growth over the loaded page, fresh process each)")
    print(f"{'page MB':>8}{'newsmon MB':>12}{'lxml parse MB':>15}{'ratio':>8}")
    for r in rows:
        print(f"{r['page_mb']:>8}{r['newsmon_mb']:>12}{r['lxml-parse_mb']:>15}{r['ratio']:>8}")
