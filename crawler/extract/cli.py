"""Command bodies for `newsmon extract` and the scorer's batch protocol."""

from __future__ import annotations

import json
import logging
import sys
import urllib.request
from pathlib import Path
from typing import Any, TextIO

from .core import extract_article
from .model import Article, ExtractionError

logger = logging.getLogger(__name__)

FETCH_TIMEOUT = 30
MAX_FETCH_BYTES = 12 * 1024 * 1024
USER_AGENT = "newsmon-extract/0.1 (+debugging a single page)"


def fetch(url: str) -> tuple[bytes, str | None, str]:
    """GET one URL given explicitly by the user: (body, declared charset, final url)."""
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(req, timeout=FETCH_TIMEOUT) as resp:  # noqa: S310 - user-given URL
        body = resp.read(MAX_FETCH_BYTES)
        return body, resp.headers.get_content_charset(), resp.geturl()


def extract_one(target: str, url: str | None) -> Article:
    """Extract a local file (page address from url) or an http(s) URL."""
    if target.startswith(("http://", "https://")):
        body, charset, final = fetch(target)
        return extract_article(body, url or final, declared_encoding=charset)
    data = Path(target).read_bytes()
    return extract_article(data, url or Path(target).resolve().as_uri())


def run_extract(paths_or_urls: list[str], url: str | None, out: TextIO) -> int:
    """Print one JSON object per page (JSON Lines); returns an exit status (1 if any page failed)."""
    status = 0
    for target in paths_or_urls:
        try:
            art = extract_one(target, url)
            record: dict[str, Any] = art.to_dict()
        except (OSError, ExtractionError, ValueError) as exc:
            logger.error("%s: %s", target, exc)
            record = {"url": url or target, "error": str(exc)}
            status = 1
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()
    return status


def score_record(art: Article) -> dict[str, Any]:
    """The fields the evaluation scorer reads."""
    return {
        "title": art.title,
        "publish_date": art.published_at.isoformat() if art.published_at else None,
        "author": art.author,
        "source": art.source,
        "body": art.body_text,
    }


def run_batch(inp: TextIO, out: TextIO) -> int:
    """Read {"path","url"} JSON lines, print one scorer result per line (flushed) in order."""
    for line in inp:
        if not line.strip():
            continue
        try:
            job = json.loads(line)
            art = extract_article(Path(job["path"]).read_bytes(), job.get("url") or "")
            record = score_record(art)
        except (OSError, ValueError, KeyError, TypeError, ExtractionError) as exc:
            record = {"error": str(exc)}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m crawler.extract [--batch] [--url URL] [--score-format] FILE_OR_URL…`."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m crawler.extract", description=main.__doc__)
    ap.add_argument("targets", nargs="*", help="html files or http(s) URLs")
    ap.add_argument("--url", help="the page's address when extracting a file")
    ap.add_argument("--batch", action="store_true", help="JSON lines {path, url} on stdin → scorer results")
    ap.add_argument("--score-format", action="store_true", help="print only the scorer's fields")
    args = ap.parse_args(argv)
    if args.batch:
        return run_batch(sys.stdin, sys.stdout)
    if not args.targets:
        ap.error("give at least one FILE_OR_URL, or --batch")
    if args.score_format:
        for target in args.targets:
            try:
                rec = score_record(extract_one(target, args.url))
            except (OSError, ExtractionError, ValueError) as exc:
                rec = {"error": str(exc)}
            sys.stdout.write(json.dumps(rec, ensure_ascii=False) + "\n")
        return 0
    return run_extract(args.targets, args.url, sys.stdout)
