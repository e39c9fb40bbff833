"""Keyword watch benchmark: matching cost per new story with 100 and 1,000 watches.

Run from the repository root:

    .venv/bin/python bench/watch.py --quick    # 400 demo articles, 100 and 1,000 watches, < 1 min
    .venv/bin/python bench/watch.py            # 2,000 demo articles, 100, 1,000 and 5,000 watches

Articles are the offline demo sites' articles (demo.world: simulated government news with reposts), stored
through Store.save_articles (exact copies, near-duplicate stories and the full-text index included), in
batches of 25 as the crawl pipeline does. Watches are synthetic: 1-2 required words, up to 3 any-words,
sometimes an excluded word, a region filter or a regex, all drawn from the corpus's own titles and bodies
(so some watches match), from 2- to 4-character Chinese words.

Measured per article, all in this run:
- store: Store.save_articles per article (dedup + stories + full-text index), the cost watches add to
- evaluate: storage.watches.evaluate() over every stored article (DB reads, matching, hit inserts)
- matcher: Matcher.match alone (tokenizing + token-index candidates + phrase checks)
- one_by_one: the same checks for every watch, without the token index (baseline)
- naive: `word in text` for every word of every watch (the simplest implementation; baseline)
Times are CPU seconds of this process (time.process_time), so other work on a shared machine does not
inflate them; everything here runs in this one process, SQLite included. The last line printed is one
JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from crawler import signatures as dedup  # noqa: E402
from demo.world import build_world, sample_articles  # noqa: E402
from storage import watch_match as M  # noqa: E402
from storage import watches as W  # noqa: E402
from storage.search import is_cjk  # noqa: E402
from storage.store import Store  # noqa: E402

BATCH = 25
REGIONS = ["吉林省", "吉林省/长春市", "全国"]


def demo_items(n: int) -> tuple[list[dict], list[dict]]:
    """n article items (originals and reposts, publish order) and the demo sites, deterministic."""
    items = [
        {
            **a,
            "content_hash": dedup.content_hash(a["body_text"]),
            "signature": dedup.signature(a["body_text"]),
        }
        for a in sample_articles(n)
    ]
    world = build_world(seed=7, scale=1)
    sites = [{"name": name, "region": st.spec.region} for name, st in world.sites.items()]
    return items, sites


def vocabulary(items: list[dict], rng: random.Random) -> list[str]:
    """Chinese words of 2-4 characters cut from titles and bodies, found in at most 2% of the articles.

    Real watches name a topic (a policy, a place, a company) and match few stories; words as common as
    工作 or 发展 would make every watch match most articles and measure hit inserts, not matching.
    """
    words: set[str] = set()
    for it in items:
        for text, k in ((it["title"], 6), (it["body_text"], 4)):
            for _ in range(k):
                n = rng.choice((2, 2, 3, 4))
                if len(text) > n:
                    i = rng.randrange(len(text) - n)
                    w = text[i : i + n]
                    if all(map(is_cjk, w)):
                        words.add(w)
    texts = [f"{it['title']}\n{it['body_text']}" for it in items]
    limit = max(1, len(texts) // 50)
    return sorted(w for w in words if sum(w in t for t in texts) <= limit)


def synthetic_watches(n: int, vocab: list[str], rng: random.Random) -> list[W.Watch]:
    """n watches mixing required, any, excluded words, regions and regexes."""
    out = []
    for i in range(n):
        kind = rng.random()
        all_of = tuple(rng.sample(vocab, rng.choice((1, 1, 2)))) if kind < 0.8 else ()
        any_of = tuple(rng.sample(vocab, rng.randint(2, 3))) if kind >= 0.5 else ()
        none_of = (rng.choice(vocab),) if rng.random() < 0.3 else ()
        regex = f"{rng.choice(vocab)}.{{0,20}}{rng.choice(vocab)}" if rng.random() < 0.1 else None
        regions = (rng.choice(REGIONS),) if rng.random() < 0.2 else ()
        out.append(
            W.Watch(f"w{i}", all_of=all_of, any_of=any_of, none_of=none_of, regex=regex, regions=regions)
        )
    return out


def naive(watches: list[W.Watch], docs: list[tuple]) -> int:
    """`word in text` for every word of every watch; returns matches."""
    n = 0
    for title, body, _site, _region in docs:
        text = f"{title}\n{body}"
        for w in watches:
            if all(x in text for x in w.all_of) and (not w.any_of or any(x in text for x in w.any_of)):
                n += not any(x in text for x in w.none_of)
    return n


def one_by_one(matcher: W.Matcher, docs: list[tuple]) -> int:
    """The matcher's checks for every watch of every article, without its token index."""
    n = 0
    for title, body, site, region in docs:
        doc = M._Doc(title, body)
        n += sum(matcher._check(c, doc, site, region) is not None for c in matcher.compiled)
    return n


def per_article_ms(fn, n: int, repeat: int = 3) -> float:
    """Best of `repeat` runs of fn(), in milliseconds per article."""
    best = math.inf
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best * 1000 / n


def evaluate_ms(store: Store, watches: list[W.Watch], n: int) -> tuple[float, int]:
    """evaluate() over all stored articles with these watches: ms per article, hits recorded."""
    conn = store.db.conn
    best, hits = math.inf, 0
    for _ in range(2):
        conn.execute("DELETE FROM watch_deliveries")
        conn.execute("DELETE FROM watch_hits")
        conn.execute("DELETE FROM watches")
        conn.execute("UPDATE watch_state SET value = '0' WHERE name = 'cursor'")
        for w in watches:
            W.save_watch(store.db, w)
        t0 = time.process_time()
        hits = len(W.evaluate(store.db))
        best = min(best, time.process_time() - t0)
    return best * 1000 / n, hits


def main() -> int:
    """Run the benchmark; print a table, then one JSON object."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="400 articles, 100 and 1,000 watches (< 1 min)")
    ap.add_argument("--articles", type=int)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    n_articles = args.articles or (400 if args.quick else 2000)
    sizes = (100, 1000) if args.quick else (100, 1000, 5000)
    rng = random.Random(args.seed)
    items, sites = demo_items(n_articles)
    n = len(items)
    vocab = vocabulary(items, rng)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")
        store.upsert_sites(sites)
        t0 = time.process_time()
        for i in range(0, n, BATCH):
            store.save_articles(items[i : i + BATCH])
        store_ms = (time.process_time() - t0) * 1000 / n
        stories = store.db.conn.execute("SELECT count(*) FROM stories").fetchone()[0]
        region = dict(store.db.conn.execute("SELECT name, region FROM sites").fetchall())
        docs = [(it["title"], it["body_text"], it["site"], region.get(it["site"])) for it in items]
        base_ms, _ = evaluate_ms(store, [], n)
        rows = []
        for k in sizes:
            watches = synthetic_watches(k, vocab, rng)
            matcher = W.Matcher(watches)
            found = sum(len(matcher.match(*d)) for d in docs)
            assert found == one_by_one(matcher, docs), "token index lost matches"
            eval_ms, eval_hits = evaluate_ms(store, watches, n)
            row = {
                "watches": k,
                "evaluate_ms": eval_ms,
                "evaluate_hits": eval_hits,
                "matcher_ms": per_article_ms(lambda m=matcher: [m.match(*d) for d in docs], n),
                "one_by_one_ms": per_article_ms(lambda m=matcher: one_by_one(m, docs), n, 1),
                "naive_ms": per_article_ms(lambda w=watches: naive(w, docs), n, 1),
                "matches_per_article": found / n,
            }
            rows.append(row)
        store.close()
    print(f"{n} demo articles, {stories} stories, {len(vocab)} words; store {store_ms:.2f} ms/article; "
          f"evaluate with no watches {base_ms:.3f} ms/article")  # fmt: skip
    print(f"{'watches':>8} {'evaluate':>9} {'matcher':>8} {'one-by-one':>11} {'naive':>8} {'index gain':>10} "
          f"{'vs store':>9} {'matches/art':>11} {'hits':>6}   (CPU ms per article)")  # fmt: skip
    for r in rows:
        print(f"{r['watches']:>8} {r['evaluate_ms']:>9.3f} {r['matcher_ms']:>8.3f} {r['one_by_one_ms']:>11.3f} "
              f"{r['naive_ms']:>8.3f} {r['one_by_one_ms'] / r['matcher_ms']:>9.1f}x "
              f"{r['evaluate_ms'] / store_ms:>8.1%} {r['matches_per_article']:>11.2f} {r['evaluate_hits']:>6}")  # fmt: skip
    summary = {
        "articles": n,
        "stories": stories,
        "store_ms_per_article": round(store_ms, 3),
        "evaluate_no_watches_ms": round(base_ms, 4),
        **{f"evaluate_ms_{r['watches']}": round(r["evaluate_ms"], 3) for r in rows},
        **{f"matcher_ms_{r['watches']}": round(r["matcher_ms"], 3) for r in rows},
        **{f"one_by_one_ms_{r['watches']}": round(r["one_by_one_ms"], 3) for r in rows},
        **{f"naive_ms_{r['watches']}": round(r["naive_ms"], 3) for r in rows},
        **{f"hits_{r['watches']}": r["evaluate_hits"] for r in rows},
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
