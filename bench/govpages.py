"""Government page shapes: the 政府信息公开 record (title, issuer/source, doc number, date) and list-page links.

Record pages: every form of tests/govdoc_pages.py (cell pairs, two pairs a row, inline cells, <li>/<span>,
<dl>, a header row) crossed with a <title> that is only the site name or "headline_site", with and without
an <h1>, with and without a printed 来源, over a pool of records; plus the dev set's record pages of
../shared/eval (their truth: date and the issuer as author). newsmon is scored next to trafilatura and GNE
when installed (`pip install .[compare]`) on the same pages in the same run. List pages: the templates of
tests/listpages.py; link recall and precision of newsmon's structural roles against the URL-shape rule it
replaced (the same function without roles), and whether the next page is found.

    .venv/bin/python bench/govpages.py [--quick]

Prints tables, then ONE JSON object on the last line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.extraction import DEFAULT_EVAL_DIR, extractors, norm, ymd  # noqa: E402
from crawler import discovery  # noqa: E402
from crawler.extract import extract_article  # noqa: E402
from tests.govdoc_pages import FORMS, Record, page  # noqa: E402
from tests.listpages import BASE, HOST, TEMPLATES  # noqa: E402

ISSUERS = ("青石省人民政府", "青石省人民政府办公厅", "青石市发展和改革委员会", "国务院")
URL = "http://127.0.0.1:8001/zwgk/art/2024/3/5/art_1_{i}.html"
FIELDS = ("title", "issuer", "source", "doc_number", "date")


def records(n: int) -> list[Record]:
    """A pool of records with different issuers, numbers, dates and titles."""
    out = []
    for i in range(n):
        issuer = ISSUERS[i % len(ISSUERS)]
        out.append(
            Record(
                title=f"{issuer}关于做好第{i + 1}批重点项目建设工作的通知",
                index_number=f"1122000001354435{i:02d}T/2024-{400 + i:05d}",
                doc_number=f"青政{'发办函'[i % 3]}〔{2020 + i % 5}〕{i + 3}号",
                issuer=issuer,
                written_at=f"2024-0{1 + i % 9}-1{i % 10}",
                published=f"2024-0{1 + i % 9}-2{i % 10}",
            )
        )
    return out


def record_pages(quick: bool) -> list[dict[str, Any]]:
    """(html bytes, truth) of every built record page."""
    pool = records(4 if quick else 12)
    pages = []
    i = 0
    for form, build in sorted(FORMS.items()):
        for title_kind in ("site", "headline_site"):
            for heading in (False, True):
                for printed_source in (False, True):
                    r = pool[i % len(pool)]
                    i += 1
                    tag = "青石省人民政府门户网站" if title_kind == "site" else f"{r.title}_青石省人民政府"
                    src = "<div class='ly'>来源：青石日报</div>" if printed_source else ""
                    html = page(build(r), r, title_tag=tag, heading=heading, source_line=src)
                    truth = {"title": r.title, "issuer": r.issuer, "doc_number": r.doc_number,
                             "source": "青石日报" if printed_source else r.issuer, "date": r.published}  # fmt: skip
                    pages.append({"id": f"{form}/{title_kind}/h{int(heading)}/s{int(printed_source)}",
                                  "data": html.encode(), "url": URL.format(i=i), "truth": truth})  # fmt: skip
    return pages


def dev_record_pages() -> list[dict[str, Any]]:
    """Pages of the shared dev set that print a record (truth: their date; the issuer is their author)."""
    truth_file = Path(DEFAULT_EVAL_DIR) / "truth.jsonl"
    if not truth_file.is_file():
        return []
    out = []
    for line in truth_file.read_text(encoding="utf-8").splitlines():
        t = json.loads(line)
        data = (Path(DEFAULT_EVAL_DIR) / t["file"]).read_bytes()
        art = extract_article(data, t.get("url") or "")
        if not (art.doc_number or art.index_number):
            continue
        truth = {"date": ymd(t.get("publish_date"))}
        if t.get("author"):
            truth["issuer"] = t["author"]
        out.append({"id": "dev/" + t["id"], "data": data, "url": t.get("url") or "", "truth": truth})
    return out


def score_records(pages: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Accuracy per field and extractor (issuer: newsmon's issuer field; the others have none)."""
    runs: dict[str, Any] = {"newsmon": None, **extractors({"trafilatura", "gne"})}
    out = {}
    for name, run in runs.items():
        if name != "newsmon" and run is None:
            continue
        ok: dict[str, list[bool]] = {f: [] for f in FIELDS}
        t0 = time.perf_counter()
        for p in pages:
            if name == "newsmon":
                art = extract_article(p["data"], p["url"])
                got = {"title": art.title, "issuer": art.issuer, "source": art.source,
                       "doc_number": art.doc_number,
                       "date": art.published_at.date().isoformat() if art.published_at else None}  # fmt: skip
            else:
                r = run(p["data"], p["url"])
                got = {"title": r.get("title"), "source": r.get("source"), "date": ymd(r.get("publish_date"))}
            for f, want in p["truth"].items():
                if f in got or name == "newsmon":
                    ok[f].append(norm(got.get(f) or "") == norm(want or ""))
        out[name] = {f: (sum(v) / len(v) if v else None, len(v)) for f, v in ok.items()}
        out[name]["pages_per_s"] = (len(pages) / (time.perf_counter() - t0), len(pages))
    return out


def score_lists() -> dict[str, dict[str, Any]]:
    """Link recall and precision per template: structural roles vs the URL-shape rule, and next pages."""
    out: dict[str, dict[str, Any]] = {"newsmon": {}, "url-shape": {}}
    totals = {k: [0, 0, 0] for k in out}  # hits, found, wanted
    nxt = 0
    for name, build in TEMPLATES.items():
        html, want = build()
        links = discovery.page_links(html, BASE)
        bare = [discovery.Link(link.url, link.text) for link in links]  # the same links, no roles
        for key, got_links in (
            ("newsmon", discovery.article_links(html, BASE, {HOST}, links)),
            ("url-shape", discovery.article_links(html, BASE, {HOST}, bare)),
        ):
            got = {link.url for link in got_links}
            hits = len(got & set(want))
            totals[key][0] += hits
            totals[key][1] += len(got)
            totals[key][2] += len(want)
            out[key][name] = (hits, len(got), len(want))
        nxt += bool(discovery.next_pages(html, BASE, {HOST}, links))
    for key, (hits, found, wanted) in totals.items():
        out[key]["recall"] = hits / wanted if wanted else None
        out[key]["precision"] = hits / found if found else None
    out["newsmon"]["next_found"] = f"{nxt}/{len(TEMPLATES)}"
    return out


def _fmt(x: Any) -> str:
    return "-" if x is None else f"{x:.3f}" if isinstance(x, float) else str(x)


def main(argv: list[str] | None = None) -> int:
    """Run both parts, print the tables and the JSON line."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a smaller record pool (same forms)")
    a = ap.parse_args(argv)
    built = record_pages(a.quick)
    dev = dev_record_pages()
    result: dict[str, Any] = {"built_pages": len(built), "dev_pages": len(dev)}
    for label, pages in (("built record pages", built), ("dev record pages", dev)):
        if not pages:
            continue
        res = score_records(pages)
        print(f"\n{label} ({len(pages)} pages)")
        print(f"{'extractor':<12}" + "".join(f"{f:>14}" for f in (*FIELDS, "pages_per_s")))
        for name, row in res.items():
            print(f"{name:<12}" + "".join(f"{_fmt(row[f][0]):>14}" for f in (*FIELDS, "pages_per_s")))
        result[label.replace(" ", "_")] = {n: {f: v[0] for f, v in row.items()} for n, row in res.items()}
    lists = score_lists()
    print(f"\nlist pages ({len(TEMPLATES)} templates): hits / found / wanted")
    for key, row in lists.items():
        per = "  ".join(f"{k}={v[0]}/{v[1]}/{v[2]}" for k, v in row.items() if isinstance(v, tuple))
        print(f"{key:<10} recall {_fmt(row['recall'])} precision {_fmt(row['precision'])}  {per}")
    print(f"next page found: {lists['newsmon']['next_found']}")
    base = lists["url-shape"]["precision"]
    result["list_pages"] = {k: {m: row[m] for m in ("recall", "precision")} for k, row in lists.items()} | {
        "next_found": lists["newsmon"]["next_found"]
    }
    if base:
        result["list_pages"]["precision_ratio_vs_url_shape"] = lists["newsmon"]["precision"] / base
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
