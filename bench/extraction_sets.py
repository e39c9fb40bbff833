"""Page sets for bench/extraction.py: every folder of ../shared/eval, the demo world, and a cross-site split.

The cross-site split groups pages by site (the registered domain of the page's address; for a saved page
without an address, the page's own canonical/og:url/<base>, else the host most of its absolute links point
to) and puts each site in the tune half or the score half by a hash of its name. A rule tuned on the tune
half that does not also raise the score half was fitted to pages, not learned from structure.
"""

from __future__ import annotations

import collections
import hashlib
import json
import logging
import re
import urllib.parse
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

QUICK_EVERY = 3  # --quick scores every third page
# Second-level labels under which a registrable name takes three labels (news.sina.com.cn -> sina.com.cn).
_SECOND_LEVEL = frozenset({"com", "net", "org", "gov", "edu", "ac", "co"})
_SELF_URL_RE = re.compile(
    rb"""<(?:link[^>]+rel=["']?canonical["']?[^>]*href|meta[^>]+(?:property|name)=["']?og:url["']?[^>]*content|"""
    rb"""base[^>]+href)\s*=\s*["']?(https?://[^"'\s>]+)""",
    re.I,
)
_HREF_RE = re.compile(rb"""href\s*=\s*["']?(https?://[^"'\s>/]+)""", re.I)


def eval_sets(shared_eval: Path) -> list[Path]:
    """Every page set (a folder with truth.jsonl) under the shared eval folder, by name."""
    if not shared_eval.is_dir():
        return []
    return sorted(p for p in shared_eval.iterdir() if (p / "truth.jsonl").is_file())


def load_eval(eval_dir: Path, quick: bool) -> list[dict[str, Any]]:
    """Pages and truth of an eval folder (truth.jsonl + pages/), read in place."""
    truth = [
        json.loads(line)
        for line in (eval_dir / "truth.jsonl").read_text(encoding="utf-8").splitlines()
        if line
    ]
    if quick:
        truth = truth[::QUICK_EVERY]
    for t in truth:
        t["data"] = (eval_dir / t["file"]).read_bytes()
        t["site"] = site_of(t.get("url"), t["data"]) or f"page:{eval_dir.name}/{t['id']}"
    return truth


def registered_domain(host: str) -> str:
    """The site part of a host name: news.sina.com.cn -> sina.com.cn, www.gov.cn -> gov.cn."""
    labels = host.lower().strip(".").split(".")
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def site_of(url: str | None, data: bytes) -> str | None:
    """The site a page belongs to: its address, else its self-reference, else its most linked host."""
    host = urllib.parse.urlsplit(url or "").hostname
    if not host:
        m = _SELF_URL_RE.search(data[:200_000])
        host = urllib.parse.urlsplit(m.group(1).decode("ascii", "replace")).hostname if m else None
    if not host:
        hosts = collections.Counter(
            urllib.parse.urlsplit(h.decode("ascii", "replace")).hostname for h in _HREF_RE.findall(data)
        )
        hosts.pop(None, None)
        host = hosts.most_common(1)[0][0] if hosts else None
    return registered_domain(host) if host else None


def half_of(site: str) -> str:
    """'tune' or 'score', fixed by the last hex digit of sha1(site): even tunes, odd scores."""
    return "tune" if int(hashlib.sha1(site.encode()).hexdigest()[-1], 16) % 2 == 0 else "score"  # noqa: S324


def split_by_site(pages: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The pages of the tune half and of the score half (whole sites on one side)."""
    out: dict[str, list[dict[str, Any]]] = {"tune": [], "score": []}
    for p in pages:
        out[half_of(p["site"])].append(p)
    return out


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
                    "site": rec.get("site") or urllib.parse.urlsplit(url).netloc,
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
