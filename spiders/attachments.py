"""Spider part for attached documents: fetch an article's files within limits, read their text, then yield.

Files are requested through Scrapy like any page (scheduler, robots.txt, per-host slot and delay), one
after another per article, each with its own size cap (`download_maxsize`); a per-run budget of files and
bytes bounds the whole run. The article item waits for its files and carries them in `attachment_files`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.attachment_text import TYPES, extract_text
from crawler.ledger import RunLedger
from storage.store_time import iso_utc

ONLY_SEE_ATTACHMENT = re.compile(
    r"^[\s　]*(具体内容|全文|正文|详细内容|内容)?\s*(详见|见|请见|请查看|点击查看|下载)\s*附件[\s\S]{0,40}$"
)
DEFAULTS = {"max_mb": 20.0, "budget_mb": 200.0, "budget_files": 300, "per_article": 10}


def has_documents(links: list[dict[str, str]]) -> bool:
    """Whether an article links a document whose text newsmon reads (its body may then come from it)."""
    return any((a.get("ext") or "").lower() in TYPES for a in links)


def page_documents(html: bytes, url: str) -> list[dict[str, str]]:
    """Document links anywhere on a page: for a page whose body block held no text (only "详见附件")."""
    from crawler.discovery import parse_html
    from crawler.extract.media import attachments

    doc = parse_html(html, url)
    return (
        [a for a in attachments(doc, url) if (a.get("ext") or "").lower() in TYPES] if doc is not None else []
    )


class AttachmentMixin:
    """Adds `attachment_files` to article items before they are yielded."""

    crawler: Any
    state: RunLedger  # crawler/ledger.py: RunState locally, RunView in a cluster worker
    classify: Any  # provided by the spider: (kind, status, detail) of a failed request

    def _attachment_budget(self) -> tuple[dict[str, float], dict[str, int]]:
        """(limits, files and bytes used so far): made together on first use, for the spider's run (a
        cluster worker drops both between callbacks, so its budget is per callback)."""
        if not hasattr(self, "_att_limits"):
            s = self.crawler.settings
            self._att_limits = {
                "enabled": s.getbool("NEWSMON_ATTACHMENTS", True),
                "max_bytes": s.getfloat("NEWSMON_ATTACHMENT_MAX_MB", DEFAULTS["max_mb"]) * 1024 * 1024,
                "budget_bytes": s.getfloat("NEWSMON_ATTACHMENT_BUDGET_MB", DEFAULTS["budget_mb"])
                * 1024
                * 1024,
                "budget_files": s.getint("NEWSMON_ATTACHMENT_BUDGET_FILES", DEFAULTS["budget_files"]),
                "per_article": s.getint("NEWSMON_ATTACHMENTS_PER_ARTICLE", DEFAULTS["per_article"]),
            }
            self._att_used = {"files": 0, "bytes": 0}
        return self._att_limits, self._att_used

    def with_attachments(self, item: dict[str, Any]) -> Iterable[Any]:
        """The item itself, or the first request of the chain that fetches its files and then yields it."""
        limits, _ = self._attachment_budget()
        links = [a for a in item.get("attachments") or [] if (a.get("ext") or "").lower() in TYPES]
        if not limits["enabled"] or not links:
            yield self._finish(item, [])
            return
        links = links[: int(limits["per_article"])]
        store = self.state.store
        known = store.known_attachments([a["url"] for a in links]) if store is not None else {}
        files: list[dict[str, Any]] = []
        pending = []
        for a in links:
            name = a.get("text") or a["url"].rsplit("/", 1)[-1]
            if a["url"] in known:
                self.crawler.stats.inc_value("newsmon/attachments_known")
                files.append({"id": known[a["url"]], "url": a["url"], "name": name})
            else:
                pending.append({"url": a["url"], "name": name, "ext": a.get("ext")})
        yield from self._next_file(item, files, pending)

    def _next_file(
        self, item: dict[str, Any], files: list[dict[str, Any]], pending: list[dict[str, Any]]
    ) -> Iterable[Any]:
        limits, used = self._attachment_budget()
        while pending:
            f = pending.pop(0)
            if used["files"] >= limits["budget_files"] or used["bytes"] >= limits["budget_bytes"]:
                self.crawler.stats.inc_value("newsmon/attachments_over_budget")
                files.append({**f, "error": "budget: the run's attachment budget was spent before this file"})
                continue
            used["files"] += 1
            cap = int(limits["max_bytes"])
            yield scrapy.Request(
                f["url"],
                callback=self.parse_attachment,
                errback=self.attachment_failed,
                dont_filter=True,
                priority=10,  # finish an article's files before starting new articles
                meta={
                    "att": (item, files, pending, f),
                    "download_maxsize": cap,
                    "download_warnsize": cap,
                    "dont_retry": False,
                    "newsmon_attachment": True,
                },  # fmt: skip
            )
            return
        yield self._finish(item, files)

    def parse_attachment(self, response: Response) -> Iterable[Any]:
        """One downloaded file: read its text, then fetch the next or yield the article."""
        item, files, pending, f = response.meta["att"]
        data = response.body
        # the budget, not self._att_used: the process handling a file need not be the one that asked for
        # it (any cluster worker may pop it), so the budget may not exist yet here
        self._attachment_budget()[1]["bytes"] += len(data)
        stats = self.crawler.stats
        stats.inc_value("newsmon/attachments_fetched")
        stats.inc_value("newsmon/attachment_bytes", len(data))
        got = extract_text(data, f.get("ext"))
        if got.error:
            stats.inc_value("newsmon/attachment_errors")
        files.append({
            "url": f["url"], "name": f["name"], "type": got.type, "size": len(data),
            "hash": hashlib.sha256(data).hexdigest(), "text": got.text or None, "pages": got.pages,
            "error": got.error, "fetched_at": iso_utc(),
        })  # fmt: skip
        yield from self._next_file(item, files, pending)

    def attachment_failed(self, failure: Failure) -> Iterable[Any]:
        """A file that could not be fetched (too large, 404, timeout …): recorded, and the article goes on."""
        item, files, pending, f = failure.request.meta["att"]  # type: ignore[attr-defined]
        kind, status, detail = self.classify(failure)  # the spider's classify_failure
        self.crawler.stats.inc_value(f"newsmon/attachment_failures/{kind}")
        files.append({"url": f["url"], "name": f["name"], "type": f.get("ext"), "error": f"{kind}: {detail}"})
        yield from self._next_file(item, files, pending)

    def _finish(self, item: dict[str, Any], files: list[dict[str, Any]]) -> dict[str, Any]:
        """An article whose body only points at its attachment gets the attachment's text as its body."""
        texts = [f["text"] for f in files if f.get("text")]
        body = (item.get("body_text") or "").strip()
        if texts and (not body or (len(body) <= 60 and ONLY_SEE_ATTACHMENT.match(body))):
            item["body_text"] = "\n".join(texts)
            prov = dict(item.get("provenance") or {})
            prov["body"] = "attachment"
            item["provenance"] = prov
            self.crawler.stats.inc_value("newsmon/bodies_from_attachments")
        item["attachment_files"] = files
        return item
