"""The #16 demo sites against their truth: API articles, rendered articles, attachment text (bigram F1)."""

from __future__ import annotations

import sqlite3
from collections import Counter
from typing import Any

MIN_F1 = 0.95


def bigram_f1(got: str | None, want: str) -> float:
    """Character-bigram F1 of two texts, whitespace ignored (1.0 for two empty texts)."""
    a, b = ("".join((t or "").split()) for t in (got, want))
    ga, gb = (
        Counter(a[i : i + 2] for i in range(len(a) - 1)),
        Counter(b[i : i + 2] for i in range(len(b) - 1)),
    )
    if not ga and not gb:
        return 1.0
    common = sum((ga & gb).values())
    if not common:
        return 0.0
    p, r = common / sum(ga.values()), common / sum(gb.values())
    return 2 * p * r / (p + r)


def compare_sources(db_path: str, truth: dict[str, Any], rendering: bool) -> dict[str, Any]:
    """Figures for `newsmon demo --json`: what of the new sites was stored, and how well files were read."""
    conn = sqlite3.connect(db_path)
    try:
        stored = {r[0] for r in conn.execute("SELECT url FROM articles")}
        texts = dict(conn.execute("SELECT url, text FROM attachments WHERE hash IS NOT NULL").fetchall())
    finally:
        conn.close()
    arts = truth["articles"]
    api = [a for a in arts if a["kind"] == "api"]
    rendered = [a for a in arts if a["kind"] == "rendered"]
    scores = [bigram_f1(texts.get(f["url"]), f["text"]) for f in truth["attachments"]]
    return {
        "api_articles_expected": len(api),
        "api_articles_stored": sum(1 for a in api if a["url"] in stored),
        "rendered_articles_expected": len(rendered) if rendering else 0,
        "rendered_articles_stored": sum(1 for a in rendered if a["url"] in stored),
        "renderer": "chromium" if rendering else "unavailable",
        "attachments_expected": len(scores),
        "attachments_text_ok": sum(1 for s in scores if s >= MIN_F1),
        "attachments_text_f1_min": round(min(scores), 4) if scores else None,
    }
