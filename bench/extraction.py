"""Side-by-side article-extraction benchmark: newsmon vs trafilatura, GNE, readability-lxml and "all text".

Runs every extractor that is installed (`pip install .[compare]`), in this process, on every page set of
../shared/eval (read in place, never copied) and, when the demo package is available, on the demo sites'
articles. For each set it also prints the cross-site split (bench/extraction_sets.py): whole sites in a
tune half and a score half by a hash of the site, both halves side by side. The score half is the honest
check: a change that raises the tune half and not the score half was fitted to pages. A set whose truth
names the dataset each page came from (`set`) is also scored per source dataset: tune looking at one
source's pages, read the others.
Prints tables, then ONE JSON object on the last line.

    .venv/bin/python bench/extraction.py [--quick] [--shared-eval DIR] [--no-demo] [--only newsmon,gne]

Metrics mirror ../shared/eval/score.py: body character-bigram F1 after NFKC and whitespace removal
(mean, median), publish-date accuracy on the day, title exact match, pages per second and newsmon's speed
as a multiple of trafilatura's in the same run; then the peak memory of one extraction of 1-20 MB pages
against a bare lxml parse of the same bytes.
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.extraction_memory import memory_profile, print_memory  # noqa: E402
from bench.extraction_runners import Extractor, Result, extractors  # noqa: E402
from bench.extraction_sets import eval_sets, load_demo, load_eval, split_by_site  # noqa: E402

logger = logging.getLogger(__name__)

SHARED_EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"
DEFAULT_EVAL_DIR = SHARED_EVAL / "zh-news"
DATE_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)")
SEPARATORS = re.compile(r"[、,，;；/|·]")


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


# --- scoring --------------------------------------------------------------------------------------
def run_pages(pages: list[dict[str, Any]], run: Extractor) -> tuple[list[Result], float, int]:
    """Results of one extractor on every page, the seconds it took, and how many pages raised."""
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
    return results, time.perf_counter() - t0, errors


def _acc(oks: list[bool]) -> float | None:
    return round(sum(oks) / len(oks), 4) if oks else None


def metrics(pages: list[dict[str, Any]], results: list[Result]) -> dict[str, Any]:
    """Body F1 mean/median, date, title, author and source accuracy of results against the pages' truth."""
    f1s, dates, titles = [], [], []
    people: dict[str, list[bool]] = {"author": [], "source": []}
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
        "date_acc": _acc(dates) if any(r.get("publish_date") for r in results) else None,
        "date_n": len(dates),
        "title_acc": _acc(titles),
        "title_n": len(titles),
        "author_acc": _acc(people["author"]),
        "source_acc": _acc(people["source"]),
        "pages": len(pages),
    }


def score(pages: list[dict[str, Any]], run: Extractor) -> dict[str, Any]:
    """Metrics and speed of one extractor over one page set."""
    results, seconds, errors = run_pages(pages, run)
    return {
        **metrics(pages, results),
        "pages_per_s": round(len(pages) / seconds, 1) if seconds else None,
        "errors": errors,
    }


def score_set(pages: list[dict[str, Any]], runs: dict[str, Extractor]) -> dict[str, Any]:
    """Every extractor on one set: all pages, then the tune and score halves of the cross-site split."""
    halves = split_by_site(pages)
    out: dict[str, Any] = {"all": {}, "tune": {}, "score": {}, "sites": {}}
    for k, v in halves.items():
        out["sites"][k] = len({p["site"] for p in v})
    for name, run in runs.items():
        results, seconds, errors = run_pages(pages, run)
        by_id = {id(p): r for p, r in zip(pages, results, strict=True)}
        out["all"][name] = {
            **metrics(pages, results),
            "pages_per_s": round(len(pages) / seconds, 1) if seconds else None,
            "errors": errors,
        }
        for half, hp in halves.items():
            out[half][name] = metrics(hp, [by_id[id(p)] for p in hp])
        for src, sp in by_source(pages).items():
            out.setdefault("sources", {}).setdefault(src, {})[name] = metrics(sp, [by_id[id(p)] for p in sp])
        if name == "newsmon":
            out["newsmon_pages"] = [
                (p, body_f1(r.get("body"), p["body"]) if p.get("body") else None)
                for p, r in zip(pages, results, strict=True)
            ]
    return out


def by_source(pages: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Pages by the dataset they were taken from (truth's `set` field), when a set mixes two or more."""
    out: dict[str, list[dict[str, Any]]] = {}
    for p in pages:
        if p.get("set"):
            out.setdefault(p["set"], []).append(p)
    return out if len(out) > 1 else {}


def print_sources(res: dict[str, Any]) -> None:
    """Body F1 mean per source dataset: a rule tuned looking at one source shows here whether it holds on
    the others (each source has its own sites and its own labelling conventions)."""
    sources = res.get("sources") or {}
    if not sources:
        return
    names = list(sources)
    print("by source dataset (body F1 mean; pages)")
    print(f"{'extractor':<12}" + "".join(f"{f'{n} ({res_pages(sources[n])})':>18}" for n in names))
    for ext in next(iter(sources.values())):
        print(f"{ext:<12}" + "".join(f"{_fmt(sources[n][ext]['body_f1_mean']):>18}" for n in names))


def res_pages(rows: dict[str, dict[str, Any]]) -> int:
    """Page count of one source's rows."""
    return next(iter(rows.values()), {}).get("pages", 0)


def _fmt(x: Any) -> str:
    return "-" if x is None else (f"{x:.3f}" if isinstance(x, float) else str(x))


def print_table(name: str, rows: dict[str, dict[str, Any]]) -> None:
    """Readable table of one page set."""
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
        print(f"{ext:<12}" + "".join(f"{_fmt(s.get(c)):>9}" for c in cols) + f"{s.get('errors', 0):>8}")


def print_split(res: dict[str, Any]) -> None:
    """The cross-site split: tune half and score half side by side."""
    tune, sc = res["tune"], res["score"]
    first = next(iter(tune.values()), {})
    second = next(iter(sc.values()), {})
    print(
        f"cross-site split: tune {res['sites']['tune']} sites / {first.get('pages', 0)} pages, "
        f"score {res['sites']['score']} sites / {second.get('pages', 0)} pages (sha1 of the site)"
    )
    heads = ("tune F1", "SCORE F1", "tune med", "SCORE med", "tune date", "SCORE date")
    print(f"{'extractor':<12}" + "".join(f"{h:>11}" for h in heads))
    for ext in tune:
        t, s = tune[ext], sc[ext]
        vals = (
            t["body_f1_mean"],
            s["body_f1_mean"],
            t["body_f1_median"],
            s["body_f1_median"],
            t["date_acc"],
            s["date_acc"],
        )
        print(f"{ext:<12}" + "".join(f"{_fmt(v):>11}" for v in vals))


def print_worst(res: dict[str, Any], n: int) -> None:
    """newsmon's worst pages of the TUNE half only (looking at the score half's pages would tune on it)."""
    rows = sorted(
        (f1, p["id"], p["site"])
        for p, f1 in res.get("newsmon_pages", [])
        if f1 is not None and split_by_site([p])["tune"]
    )
    print("newsmon's worst tune-half pages: " + ", ".join(f"{i} {s} {f1:.3f}" for f1, i, s in rows[:n]))


def speed_ratio(rows: dict[str, dict[str, Any]]) -> float | None:
    """newsmon pages/s as a multiple of trafilatura's, same pages, same run."""
    a, b = rows.get("newsmon", {}).get("pages_per_s"), rows.get("trafilatura", {}).get("pages_per_s")
    return round(a / b, 2) if a and b else None


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns 0 (also when the eval folder is absent)."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared-eval", type=Path, default=SHARED_EVAL, help="folder of page sets")
    ap.add_argument("--eval-dir", type=Path, action="append", help="score only this set (repeatable)")
    ap.add_argument("--quick", action="store_true", help="every third page, for a run under a minute")
    ap.add_argument("--no-demo", action="store_true", help="skip the demo site pages")
    ap.add_argument("--only", help="comma-separated extractor names")
    ap.add_argument("--no-memory", action="store_true", help="skip the large-page memory profile")
    ap.add_argument("--worst", type=int, default=0, help="list newsmon's N worst tune-half pages")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    only = set(args.only.split(",")) if args.only else None
    runs = extractors(only)
    summary: dict[str, Any] = {"shared_eval": str(args.shared_eval), "quick": args.quick, "sets": {}}

    sets = args.eval_dir or eval_sets(args.shared_eval)
    if not sets:
        print(f"no page sets under {args.shared_eval}: shared sets skipped")
    for eval_dir in sets:
        pages = load_eval(eval_dir, args.quick)
        res = score_set(pages, runs)
        print_table(f"{eval_dir} ({len(pages)} pages)", res["all"])
        print_split(res)
        print_sources(res)
        ratio = speed_ratio(res["all"])
        if ratio:
            print(f"speed: newsmon {ratio}x trafilatura (pages/s, same pages, same run)")
        if args.worst:
            print_worst(res, args.worst)
        entry = {
            "all": res["all"],
            "tune": res["tune"],
            "score": res["score"],
            "sites": res["sites"],
            "sources": res.get("sources", {}),
            "speed_vs_trafilatura": ratio,
        }
        summary["sets"][eval_dir.name] = entry
        if eval_dir.name == "zh-news":
            summary.update(res["all"])  # top-level per-extractor keys are the shared dev set's scores

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
