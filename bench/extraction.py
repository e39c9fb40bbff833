"""Side-by-side article-extraction benchmark: newsmon vs trafilatura, GNE, readability-lxml and "all text".

Runs every extractor that is installed, in this process, on the real pages of ../shared/eval/zh-news
(read in place, never copied) and, when the demo package is available, on the demo site's articles.
Prints a table, then ONE JSON object on the last line.

    .venv/bin/python bench/extraction.py [--quick] [--eval-dir DIR] [--no-demo] [--only newsmon,gne]

Metrics mirror ../shared/eval/score.py: body character-bigram F1 after NFKC and whitespace removal
(mean, median), publish-date accuracy on the day, title exact match, pages per second; then the peak
memory of one extraction of 1-20 MB pages against a bare lxml parse of the same bytes.
"""

from __future__ import annotations

import argparse
import collections
import gc
import json
import logging
import re
import statistics
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from crawler.extract import decode_html, extract_article  # noqa: E402
from crawler.extract.cli import score_record  # noqa: E402

logger = logging.getLogger(__name__)

DEFAULT_EVAL_DIR = Path(__file__).resolve().parents[2] / "shared" / "eval" / "zh-news"
DATE_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)")
SEPARATORS = re.compile(r"[、,，;；/|·]")
QUICK_EVERY = 3  # --quick scores every third page
Result = dict[str, Any]  # title, publish_date, author, source, body
Extractor = Callable[[bytes, str], Result]


# --- metrics (same definitions as shared/eval/score.py) -------------------------------------------
def norm(s: str | None) -> str:
    """NFKC and no whitespace at all."""
    return "".join(unicodedata.normalize("NFKC", s or "").split())


def ymd(s: Any) -> str | None:
    """First Y-M-D of a date string, or None."""
    if not isinstance(s, str):
        return None
    m = DATE_RE.search(s) or re.match(r"\s*(\d{4})(\d{2})(\d{2})(?!\d)", s)
    if not m:
        return None
    y, mo, d = map(int, m.groups())
    return f"{y:04d}-{mo:02d}-{d:02d}" if 1 <= mo <= 12 and 1 <= d <= 31 else None


def _bigrams(s: str) -> collections.Counter[str]:
    return (
        collections.Counter(s[i : i + 2] for i in range(len(s) - 1)) if len(s) > 1 else collections.Counter(s)
    )


def body_f1(pred: str | None, truth: str) -> float:
    """Character-bigram multiset F1."""
    p, t = _bigrams(norm(pred)), _bigrams(norm(truth))
    hit = sum((p & t).values())
    if not hit:
        return 0.0
    prec, rec = hit / sum(p.values()), hit / sum(t.values())
    return 2 * prec * rec / (prec + rec)


# --- extractors -----------------------------------------------------------------------------------
def run_newsmon(data: bytes, url: str) -> Result:
    """newsmon's own extractor."""
    return score_record(extract_article(data, url))


def _html_text(html: str) -> str:
    import lxml.html

    if not html.strip():
        return ""
    root = lxml.html.fromstring(html)
    for el in root.iter("br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "td"):
        el.tail = "\n" + (el.tail or "")
    return root.text_content()


def make_trafilatura() -> Extractor | None:
    """trafilatura with metadata (it decodes the bytes itself)."""
    try:
        import trafilatura
    except ImportError:
        return None

    def run(data: bytes, url: str) -> Result:
        doc = trafilatura.bare_extraction(data, url=url or None, with_metadata=True)
        if doc is None:
            return {}
        get = doc.get if isinstance(doc, dict) else lambda k: getattr(doc, k, None)
        return {
            "title": get("title"),
            "publish_date": get("date"),
            "author": get("author"),
            "body": get("text"),
        }

    return run


def make_gne() -> Extractor | None:
    """GNE on the text decoded by newsmon's decoder."""
    try:
        from gne import GeneralNewsExtractor
    except ImportError:
        return None
    extractor = GeneralNewsExtractor()

    def run(data: bytes, url: str) -> Result:
        text, _ = decode_html(data)
        r = extractor.extract(text, host=url or None)
        return {
            "title": r.get("title"),
            "publish_date": r.get("publish_time"),
            "author": r.get("author"),
            "body": r.get("content"),
        }

    return run


def make_readability() -> Extractor | None:
    """readability-lxml on the text decoded by newsmon's decoder (no dates)."""
    try:
        from readability import Document
    except ImportError:
        return None

    def run(data: bytes, url: str) -> Result:
        text, _ = decode_html(data)
        doc = Document(text, url=url or None)
        return {"title": doc.short_title(), "body": _html_text(doc.summary(html_partial=True))}

    return run


def run_all_text(data: bytes, url: str) -> Result:
    """Every visible text node of the page (no extraction): the floor."""
    import lxml.html

    text, _ = decode_html(data)
    if not text.strip():
        return {"body": ""}
    root = lxml.html.document_fromstring(text.encode("utf-8"), parser=lxml.html.HTMLParser(encoding="utf-8"))
    for el in list(root.iter("script", "style", "noscript", "head")):
        el.drop_tree()
    return {"body": root.text_content()}


def extractors(only: set[str] | None) -> dict[str, Extractor]:
    """Installed extractors by name, newsmon first."""
    table: dict[str, Extractor | None] = {
        "newsmon": run_newsmon,
        "trafilatura": make_trafilatura(),
        "gne": make_gne(),
        "readability": make_readability(),
        "all-text": run_all_text,
    }
    return {k: v for k, v in table.items() if v is not None and (not only or k in only)}


# --- page sets ------------------------------------------------------------------------------------
def load_eval(eval_dir: Path, quick: bool) -> list[dict[str, Any]]:
    """Pages and truth of an eval folder (truth.jsonl + pages/)."""
    truth = [
        json.loads(line)
        for line in (eval_dir / "truth.jsonl").read_text(encoding="utf-8").splitlines()
        if line
    ]
    if quick:
        truth = truth[::QUICK_EVERY]
    for t in truth:
        t["data"] = (eval_dir / t["file"]).read_bytes()
    return truth


def load_demo(quick: bool) -> list[dict[str, Any]] | None:
    """Articles of the bundled demo world served on 127.0.0.1, or None when the demo is not available."""
    try:
        from demo.server import DemoServer
        from demo.world import build_world
    except ImportError:
        return None
    import urllib.error
    import urllib.request

    srv = DemoServer(build_world(seed=7, scale=1))
    srv.start()
    pages = []
    try:
        truth = srv.truth()
        skip = {
            f["url"] for f in truth.get("faults", []) if f.get("must_not_request") or f.get("status") != 200
        }
        records = [r for r in truth.get("articles", []) if r.get("url") not in skip and not r.get("delay")]
        if quick:
            records = records[::QUICK_EVERY]
        for rec in records:
            url = rec["url"]
            if not url.startswith("http://127.0.0.1"):
                continue
            try:
                with urllib.request.urlopen(url, timeout=10) as resp:  # noqa: S310 - local demo server only
                    data = resp.read()
            except (urllib.error.URLError, OSError) as exc:
                logger.warning("demo page %s not fetched: %s", url, exc)
                continue
            pages.append(
                {
                    "id": url,
                    "url": url,
                    "data": data,
                    "title": rec.get("title"),
                    "publish_date": rec.get("published_at"),
                    "author": rec.get("author"),
                    "source": rec.get("source"),
                    "body": rec.get("body_text"),
                }
            )
    finally:
        srv.stop()
    return pages


# --- scoring --------------------------------------------------------------------------------------
def score(pages: list[dict[str, Any]], run: Extractor) -> dict[str, Any]:
    """Metrics of one extractor over one page set."""
    f1s, dates, titles = [], [], []
    people: dict[str, list[bool]] = {"author": [], "source": []}
    errors = 0
    gc.collect()
    t0 = time.perf_counter()
    results = []
    for page in pages:
        try:
            results.append(run(page["data"], page.get("url") or "") or {})
        except Exception as exc:  # noqa: BLE001 - a crashing competitor page scores 0, as in score.py
            logger.debug("%s failed: %s", page.get("id"), exc)
            errors += 1
            results.append({})
    seconds = time.perf_counter() - t0
    for page, r in zip(pages, results, strict=True):
        if page.get("body"):
            body = r.get("body") if isinstance(r.get("body"), str) else ""
            f1s.append(body_f1(body, page["body"]))
        if ymd(page.get("publish_date")):
            dates.append(ymd(page["publish_date"]) == ymd(r.get("publish_date")))
        for f, ok in people.items():
            if page.get(f):
                val = r.get(f) if isinstance(r.get(f), str) else ""
                ok.append(SEPARATORS.sub("", norm(val)) == SEPARATORS.sub("", norm(page[f])))
        if page.get("title"):
            titles.append(
                norm(page["title"]) == norm(r.get("title") if isinstance(r.get("title"), str) else "")
            )
    return {
        "body_f1_mean": round(statistics.mean(f1s), 4) if f1s else None,
        "body_f1_median": round(statistics.median(f1s), 4) if f1s else None,
        "date_acc": round(sum(dates) / len(dates), 4)
        if dates and any(r.get("publish_date") for r in results)
        else None,
        "date_n": len(dates),
        "title_acc": round(sum(titles) / len(titles), 4) if titles else None,
        "title_n": len(titles),
        "author_acc": round(sum(people["author"]) / len(people["author"]), 4) if people["author"] else None,
        "source_acc": round(sum(people["source"]) / len(people["source"]), 4) if people["source"] else None,
        "pages": len(pages),
        "pages_per_s": round(len(pages) / seconds, 1) if seconds else None,
        "errors": errors,
    }


def print_table(name: str, rows: dict[str, dict[str, Any]]) -> None:
    """Readable table of one page set."""

    def fmt(x: Any) -> str:
        return "-" if x is None else (f"{x:.3f}" if isinstance(x, float) else str(x))

    cols = (
        "body_f1_mean",
        "body_f1_median",
        "date_acc",
        "title_acc",
        "author_acc",
        "source_acc",
        "pages_per_s",
    )
    heads = ("F1 mean", "F1 med", "date", "title", "author", "source", "pages/s")
    print(f"\n{name}")
    print(f"{'extractor':<12}" + "".join(f"{h:>9}" for h in heads) + f"{'errors':>8}")
    for ext, s in rows.items():
        print(f"{ext:<12}" + "".join(f"{fmt(s[c]):>9}" for c in cols) + f"{s['errors']:>8}")


# --- memory -----------------------------------------------------------------------------------------
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


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns 0 (also when the eval folder is absent)."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    ap.add_argument("--quick", action="store_true", help="every third page, for a run under a minute")
    ap.add_argument("--no-demo", action="store_true", help="skip the demo site pages")
    ap.add_argument("--only", help="comma-separated extractor names")
    ap.add_argument("--no-memory", action="store_true", help="skip the large-page memory profile")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    only = set(args.only.split(",")) if args.only else None
    runs = extractors(only)
    summary: dict[str, Any] = {"eval_dir": str(args.eval_dir), "quick": args.quick, "sets": {}}

    if (args.eval_dir / "truth.jsonl").is_file():
        pages = load_eval(args.eval_dir, args.quick)
        rows = {name: score(pages, run) for name, run in runs.items()}
        print_table(f"{args.eval_dir} ({len(pages)} pages)", rows)
        summary["sets"]["zh-news"] = rows
        summary.update(rows)  # top-level per-extractor keys are the shared set's scores
    else:
        print(f"eval folder {args.eval_dir} not found: shared set skipped")

    demo = None if args.no_demo else load_demo(args.quick)
    if demo is None:
        print("demo pages skipped" + ("" if args.no_demo else " (demo.server/demo.world not available)"))
    elif demo:
        rows = {name: score(demo, run) for name, run in runs.items()}
        print_table(f"demo world seed=7 ({len(demo)} pages)", rows)
        summary["sets"]["demo"] = rows
    if not args.no_memory:
        # Inputs above 12 MB are cut to 12 MB, so the last size shows the bound.
        mem = memory_profile([1, 10] if args.quick else [1, 4, 10, 20])
        print_memory(mem)
        summary["memory"] = mem
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
