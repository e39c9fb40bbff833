"""Deduplication benchmark: labelled pair precision/recall, threshold curve, per-article cost by archive size.

Run from the repository root:

    .venv/bin/python bench/dedup.py --quick     # archives of 10k and 100k articles, < 1 min
    .venv/bin/python bench/dedup.py             # 10k, 100k and 1M

The labelled set comes from bench/dedup_gen.py (and the demo sites' ground truth when demo.world exists).
The last line printed is JSON with pair_precision, pair_recall, ms_per_article and the index size.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import numpy as np  # noqa: E402

import bench.common  # noqa: E402,F401 - keeps bench/ itself off sys.path (it would shadow `incremental`)
from bench.dedup_gen import Article, Gen, labelled_corpus  # noqa: E402
from crawler import signatures as dedup  # noqa: E402
from storage import signatures as sigcodec  # noqa: E402
from storage import stories  # noqa: E402
from storage.store import Store  # noqa: E402


def item(a: Article) -> dict:
    """A pipeline item as crawler.pipelines would build it."""
    return {
        "url": a.url, "site": a.site, "title": a.title, "published_at": a.published_at, "source": a.source,
        "body_text": a.body_text, "content_hash": dedup.content_hash(a.body_text),
        "signature": dedup.signature(a.body_text),
    }  # fmt: skip


def ingest(store: Store, articles: Sequence[Article], batch: int = 50) -> None:
    """Feed articles through Store.save_articles, as the pipeline does."""
    for i in range(0, len(articles), batch):
        store.save_articles([item(a) for a in articles[i : i + batch]])


def pair_counts(labels: Sequence[tuple[str, int]]) -> tuple[int, int, int]:
    """(true positive, predicted, actual) same-cluster pair counts from (true story, predicted story)."""

    def pairs(counter: Counter) -> int:
        return sum(n * (n - 1) // 2 for n in counter.values())

    return (
        pairs(Counter(labels)),
        pairs(Counter(p for _, p in labels)),
        pairs(Counter(t for t, _ in labels)),
    )


def drop_fulltext_triggers(store: Store) -> None:
    """The full-text index (storage/search.py) is not part of dedup; the bench's private databases skip it."""
    for (name,) in store.db.conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'articles'"
    ).fetchall():
        store.db.conn.execute(f"DROP TRIGGER {name}")


def evaluate(articles: Sequence[Article], path: str) -> dict:
    """Ingest the labelled set into a fresh database; pair precision/recall, first publisher, hard negatives."""
    with Store(path) as store:
        drop_fulltext_triggers(store)
        t0 = time.perf_counter()
        ingest(store, articles)
        elapsed = time.perf_counter() - t0
        conn = store.db.conn
        pred = dict(conn.execute("SELECT url, story_id FROM articles"))
        firsts = dict(
            conn.execute(
                "SELECT a.story_id, a.url FROM stories s JOIN articles a ON a.id = s.first_article_id"
            )
        )
    labels = [(a.story, pred[a.url]) for a in articles]
    tp, predicted, actual = pair_counts(labels)
    by_story: dict[str, list[Article]] = defaultdict(list)
    for a in articles:
        by_story[a.story].append(a)
    first_ok = first_n = 0
    for members in by_story.values():
        orig = next(m for m in members if m.role == "original")
        others = [stories.time_key(m.published_at) for m in members if m is not orig]
        if len(members) > 1 and all(stories.time_key(orig.published_at) < t for t in others):
            first_n += 1
            first_ok += firsts.get(pred[orig.url]) == orig.url
    # hard negatives: different true stories of one group that ended in one predicted story
    groups: dict[str, set[str]] = defaultdict(set)
    for a in articles:
        if a.group:
            groups[a.group].add(a.story)
    story_pred = {s: {pred[m.url] for m in ms} for s, ms in by_story.items()}
    neg_pairs = neg_merged = 0
    for members in groups.values():
        for s1, s2 in itertools.combinations(sorted(members), 2):
            neg_pairs += 1
            neg_merged += bool(story_pred[s1] & story_pred[s2])
    return {
        "articles": len(articles),
        "true_stories": len(by_story),
        "pred_stories": len(set(pred.values())),
        "pair_precision": tp / predicted if predicted else 1.0,
        "pair_recall": tp / actual if actual else 1.0,
        "first_publisher_ok": f"{first_ok}/{first_n}",
        "hard_negative_story_pairs_merged": f"{neg_merged}/{neg_pairs}",
        "ingest_ms_per_article": 1000 * elapsed / len(articles),
    }


# -- threshold curve -------------------------------------------------------------------------------


def labelled_pairs(articles: Sequence[Article], rng: random.Random) -> tuple[list, list]:
    """Positive pairs (same story) and negative pairs (hard-negative groups + random) of signatures."""
    sigs = {a.url: dedup.signature(a.body_text) for a in articles}
    by_story: dict[str, list[Article]] = defaultdict(list)
    by_group: dict[str, list[Article]] = defaultdict(list)
    for a in articles:
        by_story[a.story].append(a)
        if a.group:
            by_group[a.group].append(a)
    pos = [(x, y) for ms in by_story.values() for x, y in itertools.combinations(ms, 2)]
    neg = [(x, y) for ms in by_group.values() for x, y in itertools.combinations(ms, 2) if x.story != y.story]
    neg += [(x, y) for x, y in (rng.sample(articles, 2) for _ in range(5000)) if x.story != y.story]

    def sig_pairs(pairs: list) -> list:
        out = []
        for x, y in pairs:
            sx, sy = sigs[x.url], sigs[y.url]
            if (
                sx is not None
                and sy is not None
                and dedup.content_hash(x.body_text) != dedup.content_hash(y.body_text)
            ):
                out.append((stories.parse_signature(sx), stories.parse_signature(sy), x.kind))
        return out

    return sig_pairs(pos), sig_pairs(neg)


def curve(pos: list, neg: list) -> list[dict]:
    """Pairwise precision/recall of the verification rule as JACCARD_MIN varies (other rules fixed)."""
    saved = stories.JACCARD_MIN
    rows = []
    try:
        for t in (0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.8, 0.9):
            stories.JACCARD_MIN = t
            tp = sum(stories.similarity(a, b) > 0 for a, b, _ in pos)
            fp = sum(stories.similarity(a, b) > 0 for a, b, _ in neg)
            rows.append(
                {"jaccard_min": t, "precision": tp / max(tp + fp, 1), "recall": tp / len(pos), "fp": fp}
            )
    finally:
        stories.JACCARD_MIN = saved
    return rows


def lsh_curve(pos: list) -> list[tuple[str, int, float, float]]:
    """Share of positive pairs that become LSH candidates (>= 1 shared band key), by estimated Jaccard."""
    bins: dict[str, list[bool]] = defaultdict(list)
    for a, b, _ in pos:
        j = float(np.count_nonzero(a.values == b.values)) / len(a.values)
        shared = bool(set(stories.band_keys(a)) & set(stories.band_keys(b)))
        lo = min(int(j * 10), 9) / 10
        bins[f"{lo:.1f}-{lo + 0.1:.1f}"].append(shared)
    out = []
    for name in sorted(bins):
        lo = float(name[:3]) + 0.05
        theory = 1 - (1 - lo**stories.ROWS) ** stories.BANDS
        out.append((name, len(bins[name]), sum(bins[name]) / len(bins[name]), theory))
    return out


def exact_jaccard_by_k(pos: list, neg: list, articles: Sequence[Article]) -> list[dict]:
    """Exact shingle Jaccard separation of long positive and hard-negative pairs for k = 3, 4, 5."""
    del pos, neg
    rng = random.Random(3)
    by_story: dict[str, list[Article]] = defaultdict(list)
    by_group: dict[str, list[Article]] = defaultdict(list)
    for a in articles:
        by_story[a.story].append(a)
        if a.group and a.kind != "notice":
            by_group[a.group].append(a)
    p = [(x, y) for ms in by_story.values() for x, y in itertools.combinations(ms, 2) if x.kind != "notice"]
    n = [(x, y) for ms in by_group.values() for x, y in itertools.combinations(ms, 2) if x.story != y.story]
    p = rng.sample(p, min(len(p), 1500))
    rows = []
    for k in (3, 4, 5):
        cache: dict[str, set] = {}

        def sh(a: Article, k: int = k, cache: dict = cache) -> set:
            if a.url not in cache:
                cache[a.url] = set(dedup._shingle_hashes(dedup.normalize_text(a.body_text), k).tolist())
            return cache[a.url]

        def jac(x: Article, y: Article, sh=sh) -> float:
            a, b = sh(x), sh(y)
            return len(a & b) / max(len(a | b), 1)

        pj = sorted(jac(x, y) for x, y in p)
        nj = sorted(jac(x, y) for x, y in n)
        rows.append({
            "k": k, "pos_p01": pj[len(pj) // 100], "pos_p05": pj[len(pj) // 20], "pos_median": pj[len(pj) // 2],
            "neg_max": nj[-1], "neg_p99": nj[len(nj) * 99 // 100], "neg_median": nj[len(nj) // 2],
        })  # fmt: skip
    return rows


# -- scale -----------------------------------------------------------------------------------------


class Background:
    """Archive articles made of 3–6 paragraphs drawn from a pool of generated paragraphs.

    A signature is the element-wise minimum of its paragraphs' MinHash values (MinHash of the union),
    so a million archive articles cost a minute. Each growth step gets a fresh pool of n/4 paragraphs, so
    every paragraph recurs in ~18 archive articles at every archive size (boilerplate that gives the index
    hot band keys); the sentence templates are shared with the timed articles at every size.
    """

    def __init__(self, seed: int, pool: int) -> None:
        g = Gen(seed)
        paras = [g.paragraph(g.slots()) for _ in range(pool)]
        self.values = np.stack(
            [dedup._minhash(dedup._shingle_hashes(dedup.normalize_text(p))) for p in paras]
        )
        self.sizes = np.array([len(dedup._shingle_hashes(dedup.normalize_text(p))) for p in paras])
        self.rng = np.random.default_rng(seed)

    def signatures(self, n: int) -> tuple[list[bytes], np.ndarray]:
        """n archive signatures and their MinHash values."""
        idx = self.rng.integers(0, len(self.values), size=(n, 6))
        counts = self.rng.integers(3, 7, size=n)
        mask = np.arange(6)[None, :] < counts[:, None]
        idx = np.where(mask, idx, idx[:, :1])  # unused slots repeat the first paragraph
        vals = self.values[idx].min(axis=1).astype("<u4")
        sizes = self.sizes[idx].sum(axis=1)
        sigs = [sigcodec.encode(dedup.SHINGLE, int(sz), v) for v, sz in zip(vals, sizes, strict=True)]
        return sigs, vals


def grow_archive(store: Store, bg: Background, n: int, start_id: int) -> int:
    """Bulk-load n archive articles, one story each, with their band keys; return the next id."""
    conn = store.db.conn
    next_id = start_id
    for done in range(0, n, 20_000):
        sigs, vals = bg.signatures(min(20_000, n - done))
        ids = range(next_id, next_id + len(sigs))
        next_id += len(sigs)
        pub = "2023-06-01T08:00:00+08:00"
        arts = [
            (i, f"http://bg.example/{i}.html", "bg", f"背景{i}", pub, sig, i)
            for i, sig in zip(ids, sigs, strict=True)
        ]
        sts = [(i, i, "bg", pub, f"背景{i}", 1) for i in ids]
        keys = stories.band_key_matrix(vals)
        order = np.argsort(keys, axis=None, kind="stable")
        bands = zip(
            keys.ravel()[order].tolist(), np.repeat(np.array(ids), stories.BANDS)[order].tolist(), strict=True
        )
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO articles (id, url, site, title, published_at, signature, story_id) VALUES (?,?,?,?,?,?,?)",
            arts,
        )
        conn.executemany(
            "INSERT INTO stories (id, first_article_id, first_site, first_published_at, title, size) "
            "VALUES (?,?,?,?,?,?)",
            sts,
        )
        conn.executemany("INSERT OR IGNORE INTO dedup_bands (key, article_id) VALUES (?, ?)", bands)
        conn.execute("COMMIT")
    return next_id


def probes(seed: int, n: int, archive_ids: int) -> list[dict]:
    """New articles to time: half reposts of stored-looking stories, half new stories."""
    g = Gen(seed)
    out = []
    for i in range(n):
        title, paras = g.news()
        if i % 2:
            rtitle, rparas, _, _ = g.repost(title, paras, "吉林省人民政府")
            body = "\n".join(rparas)
            out.append({"url": f"http://probe.example/{seed}/{i}o.html", "site": "probe", "title": title,
                        "body_text": "\n".join(paras), "published_at": "2024-05-01T09:00:00+08:00"})  # fmt: skip
            out.append({"url": f"http://probe.example/{seed}/{i}r.html", "site": "probe2", "title": rtitle,
                        "body_text": body, "published_at": "2024-05-01T10:00:00+08:00"})  # fmt: skip
        else:
            out.append({"url": f"http://probe.example/{seed}/{i}.html", "site": "probe", "title": title,
                        "body_text": "\n".join(paras), "published_at": "2024-05-01T09:00:00+08:00"})  # fmt: skip
    del archive_ids
    return out


def time_probes(store: Store, items: list[dict]) -> dict:
    """Per-article dedup cost (content hash + signature + story assignment), CPU and wall time.

    Story assignment is timed inside Store.save_articles (batches of 25, as the pipeline commits), so it
    includes the candidate lookup, verification, index insert and story update, but not the unrelated
    work of the article insert. CPU time (process_time, which counts SQLite's page reads from the OS
    cache as system time) is the headline figure because other processes share this machine; wall time
    is printed beside it.
    """
    cpu = [0.0, 0.0]
    wall = [0.0, 0.0]
    for it in items:
        c, w = time.process_time(), time.perf_counter()
        it["content_hash"] = dedup.content_hash(it["body_text"])
        it["signature"] = dedup.signature(it["body_text"])
        cpu[0] += time.process_time() - c
        wall[0] += time.perf_counter() - w
    real_assign = stories.assign

    def timed_assign(conn, art_id, **kw):  # noqa: ANN001, ANN202
        c, w = time.process_time(), time.perf_counter()
        try:
            return real_assign(conn, art_id, **kw)
        finally:
            cpu[1] += time.process_time() - c
            wall[1] += time.perf_counter() - w

    stories.assign = timed_assign  # type: ignore[assignment]
    try:
        t0 = time.perf_counter()
        for i in range(0, len(items), 25):
            store.save_articles(items[i : i + 25])
        t_store = time.perf_counter() - t0
    finally:
        stories.assign = real_assign  # type: ignore[assignment]
    n = len(items) / 1000
    return {
        "signature_ms": cpu[0] / n,
        "assign_ms": cpu[1] / n,
        "total_ms": (cpu[0] + cpu[1]) / n,
        "total_wall_ms": (wall[0] + wall[1]) / n,
        "store_wall_ms": t_store / n,
    }


def best_of(store: Store, seed: int, rounds: int = 3, per_round: int = 100) -> dict:
    """The fastest of a few rounds of fresh probe articles (a round disturbed by other work is dropped)."""
    runs = [time_probes(store, probes(seed + r, per_round, 0)) for r in range(rounds)]
    return min(runs, key=lambda r: r["total_ms"])


def index_bytes(store: Store) -> int:
    """Bytes used by the dedup_bands table."""
    row = store.db.conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name = 'dedup_bands'").fetchone()
    return int(row[0] or 0)


def scale(sizes: Sequence[int], workdir: str) -> dict:
    """Grow one archive through the sizes; time probe articles at each size."""
    results = {}
    path = os.path.join(workdir, "scale.db")
    with Store(path) as store:
        store.db.conn.execute("PRAGMA cache_size = -262144")
        drop_fulltext_triggers(store)
        have = 0
        for size in sizes:
            t0 = time.perf_counter()
            next_id = store.db.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM articles").fetchone()[0]
            bg = Background(11 + size, max(1000, (size - have) // 4))
            next_id = grow_archive(store, bg, size - have, next_id)
            have = size
            load = time.perf_counter() - t0
            time_probes(store, probes(size + 1, 50, next_id))  # warm up
            r = best_of(store, size * 7 + 2)
            r["index_bytes_per_article"] = index_bytes(store) / size
            r["load_s"] = load
            results[size] = r
            print(f"  archive {size:>9,}: dedup {r['total_ms']:.3f} ms/article CPU (hash+signature "
                  f"{r['signature_ms']:.3f}, story assignment {r['assign_ms']:.3f}); wall {r['total_wall_ms']:.3f}; "
                  f"Store.save_articles without full-text {r['store_wall_ms']:.3f} ms wall; "
                  f"index {r['index_bytes_per_article']:.0f} B/article; bulk load {load:.1f} s", flush=True)  # fmt: skip
    return results


def demo_truth() -> list[Article] | None:
    """Articles of the demo sites' ground truth, when the demo package provides it."""
    try:
        from demo.world import build_world  # type: ignore[import-not-found]
    except Exception:  # noqa: BLE001 - the demo is optional for this benchmark
        return None
    try:
        truth = build_world(seed=7, scale=3).truth()  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001
        return None
    out = []
    for a in truth.get("articles", []):
        out.append(Article(a["url"], a["site"], a.get("title", ""), a["body_text"], str(a["story"]),
                           a.get("published_at"), a.get("source"), "original", "demo"))  # fmt: skip
    return out or None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the report; the last line is JSON."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="stop the scale test at 100k articles (< 1 min)")
    ap.add_argument("--news", type=int, default=1500, help="labelled original news stories (default 1500)")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    sizes = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000]
    started = time.perf_counter()
    articles = labelled_corpus(args.seed, args.news)
    kinds = Counter(a.kind for a in articles)
    print(
        f"labelled set: {len(articles)} articles, {len({a.story for a in articles})} stories; {dict(kinds)}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        ev = evaluate(articles, os.path.join(tmp, "eval.db"))
        print("clustering (Store.save_articles, incremental):")
        for k, v in ev.items():
            print(f"  {k}: {v:.4f}" if isinstance(v, float) else f"  {k}: {v}")
        demo = demo_truth()
        demo_ev = None
        if demo:
            demo_ev = evaluate(demo, os.path.join(tmp, "demo.db"))
            print(
                f"demo ground truth: precision {demo_ev['pair_precision']:.4f} recall {demo_ev['pair_recall']:.4f}"
            )
        pos, neg = labelled_pairs(articles, random.Random(args.seed))
        print(
            f"threshold curve ({len(pos)} positive, {len(neg)} negative pairs; containment and short rules fixed):"
        )
        print("  jaccard_min  precision  recall  false+")
        rows = curve(pos, neg)
        for row in rows:
            mark = "  <- chosen" if row["jaccard_min"] == stories.JACCARD_MIN else ""
            print(
                f"  {row['jaccard_min']:>10.2f}  {row['precision']:>9.4f}  {row['recall']:.4f}  {row['fp']:>6}{mark}"
            )
        print(
            f"LSH candidate rate of positive pairs ({stories.BANDS} bands x {stories.ROWS} rows), by Jaccard:"
        )
        for name, n, got, theory in lsh_curve(pos):
            print(f"  J {name}: {n:>6} pairs  candidate {got:.3f}  (theory {theory:.3f})")
        print("exact shingle Jaccard, long bodies: repost pairs vs hard negatives, by shingle length k:")
        for row in exact_jaccard_by_k(pos, neg, articles):
            print(
                "  "
                + "  ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items())
            )
        print("per-article cost by archive size:")
        sc = scale(sizes, tmp)
    ms = {str(k): round(v["total_ms"], 4) for k, v in sc.items()}
    ratio = sc[sizes[-1]]["total_ms"] / sc[sizes[0]]["total_ms"]
    print(
        f"cost ratio {sizes[-1]:,} / {sizes[0]:,}: {ratio:.2f}; elapsed {time.perf_counter() - started:.1f} s"
    )
    summary = {
        "pair_precision": round(ev["pair_precision"], 5),
        "pair_recall": round(ev["pair_recall"], 5),
        "ms_per_article": ms,
        "ms_per_article_wall": {str(k): round(v["total_wall_ms"], 4) for k, v in sc.items()},
        "ms_ratio_largest_vs_10k": round(ratio, 3),
        "index_bytes_per_article": {str(k): round(v["index_bytes_per_article"]) for k, v in sc.items()},
        "first_publisher_ok": ev["first_publisher_ok"],
        "hard_negative_story_pairs_merged": ev["hard_negative_story_pairs_merged"],
        "demo": None if demo_ev is None else {k: demo_ev[k] for k in ("pair_precision", "pair_recall")},
        "thresholds": stories.PARAMS,
        "curve": rows,
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        raise SystemExit(main())
