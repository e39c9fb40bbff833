"""Which date on a page is its publication: the candidates in order of trust, and the day's time."""

from __future__ import annotations

import re
from datetime import datetime

from . import selectors as S
from .dates import page_evidence, parse_date, plausible, url_date
from .labels import ANY_DATE, LABELLED, WRITTEN, Region, line_dates
from .meta import PageMeta, first_tag, meta_provenance
from .model import Article
from .tree import Line

HEADLINE_DATE_LINES = 3  # lines under the headline searched for a bare date
INFO_LINE_LABEL_RE = re.compile(
    r"^(?:.{0,30}?)(?:发布时间|发布日期|发表时间|来源|信息来源|文章来源|作者|责任编辑|编辑|浏览次数|点击数|阅读次数|"
    r"字号|【字体|打印)\s*[:：]"
)


def is_info_line(text: str) -> bool:
    """True for a short label line (发布时间/来源 …), a bare web address or a date line with little else."""
    if len(text) > 120:
        return False
    if INFO_LINE_LABEL_RE.search(text):
        return True
    # A bare web address, or a date(-time) line with little else ("2023-11-28 09:30  新华网").
    text = S.WEB_ADDRESS_RE.sub("", text).strip()
    if not text:
        return True
    m = S.DATE_TEXT_RE.search(text) or S.DATE_SLASH_RE.search(text)
    return bool(m and len(text) - (m.end() - m.start()) <= 16 and m.start() <= 12)


def fill_date(
    art: Article,
    pm: PageMeta,
    region: Region,
    forced: str | None,
    now: datetime,
    headline_order: int | None = None,
) -> None:
    """published_at and its provenance: an override, then labelled lines, meta, JSON-LD, unlabelled lines
    above the body or next to the headline, the URL, and last the date written (成文日期). A day-only
    value takes its time from any date-time of the same day on the page (a 发布时间 with its clock beats a
    时间：2023.12.27 line)."""
    if forced:
        dt = parse_date(forced)
        if dt is not None:
            art.published_at, art.provenance["published_at"] = dt, "override"
            return
        art.warnings.append(f"override date found no date in {forced[:60]!r}")
    ev = page_evidence([ln.text for ln in region.header + region.other[: S.EVIDENCE_LINES]])

    def dates(lines: list[Line], kinds: frozenset[str]) -> list[datetime]:
        return line_dates(lines, now, kinds=kinds, evidence=ev)

    candidates: list[tuple[str, datetime | None]] = []
    header_labelled = dates(region.header, LABELLED)
    candidates.append(("visible-line", header_labelled[0] if header_labelled else None))
    hit = first_tag(pm, S.META_DATE)
    meta_dt = parse_date(hit[1]) if hit else None
    candidates.append((meta_provenance(hit[0]) if hit else "meta", meta_dt))
    if pm.jsonld:
        candidates.append(("jsonld", parse_date(str(pm.jsonld.get("datePublished") or ""))))
    # Unlabelled dates: the one closest above the body, else a short date line opening the body.
    before_any = dates(region.before[-8:], ANY_DATE)
    candidates.append(("visible-line", before_any[-1] if before_any else None))
    opening = [ln for ln in region.header[len(region.before) :] if is_info_line(ln.text)]
    opening_any = dates(opening, ANY_DATE)
    candidates.append(("visible-line", opening_any[0] if opening_any else None))
    # An unlabelled date in the lines right under the headline (older pages print it there, bare).
    if headline_order is not None:
        under = [ln for ln in region.other if ln.order >= headline_order][:HEADLINE_DATE_LINES]
        under_any = dates([ln for ln in under if is_info_line(ln.text)], ANY_DATE)
        candidates.append(("visible-line:headline", under_any[0] if under_any else None))
    # A labelled date in the body's own lines (a forum post signs off with it) before the lines after the
    # body (the next post, a related story).
    own = region.inside
    inside = dates(own if len(own) <= S.EVIDENCE_LINES else own[: S.EVIDENCE_LINES] + own[-3:], LABELLED)
    candidates.append(("visible-line", inside[0] if inside else None))
    after = dates(region.after, LABELLED)
    candidates.append(("visible-line", after[0] if after else None))
    anywhere = dates(region.other, LABELLED)
    candidates.append(("visible-line", anywhere[0] if anywhere else None))
    candidates.append(("url", url_date(art.url)))
    # Last resort: the date the document was written (成文日期) — it precedes publication, never follows it.
    written = dates(region.header, WRITTEN)
    candidates.append(("visible-line:written", written[0] if written else None))
    # every publish-labelled date-time of the page, for the clock of a day-only value
    timed_pool = [("visible-line", d) for d in header_labelled + after + anywhere] + candidates
    for how, dt in candidates:
        if dt is not None and plausible(dt, now):
            if (dt.hour, dt.minute, dt.second) == (0, 0, 0):
                timed = [
                    (h, d)
                    for h, d in timed_pool
                    if d is not None and d.date() == dt.date() and (d.hour, d.minute, d.second) != (0, 0, 0)
                ]
                if timed:
                    how, dt = timed[0]
            art.published_at, art.provenance["published_at"] = dt, how
            if how.startswith("visible-line") and meta_dt is not None and meta_dt.date() != dt.date():
                art.warnings.append(f"meta date {meta_dt.date().isoformat()} disagrees with the page")
            return
