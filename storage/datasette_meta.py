"""Datasette metadata for a newsmon database: descriptions (中文 / English), facets, sort orders, canned queries.

Metadata stays descriptive; server settings live in crawler/commands/serve.py and search behaviour in the
plugin (storage/datasette_plugin.py). The browsing views it describes
(``story_list``, ``article_list``) are schema: storage/views.py.
"""

from __future__ import annotations

from typing import Any

from storage.search import FTS_TABLE, QUERY_FUNCTION
from storage.watches import CANNED_QUERIES as WATCH_QUERIES


def _zh_en(zh: str, en: str) -> str:
    return f"{zh} · {en}"


ARTICLE_COLUMNS = {
    "id": _zh_en("文章编号", "article id"),
    "url": _zh_en("规范化网址", "canonical URL"),
    "site": _zh_en("站点", "site slug (sites.name)"),
    "original_url": _zh_en("原始网址", "URL as linked"),
    "title": _zh_en("标题", "title"),
    "published_at": _zh_en("发布时间", "publish time (ISO 8601, site's offset)"),
    "source": _zh_en(
        "来源",
        "source named on the page (来源/ContentSource); on an official document that names none, its issuer",
    ),
    "author": _zh_en("作者", "author"),
    "column_name": _zh_en("栏目", "news column"),
    "site_name": _zh_en("网站名称", "site name from the page"),
    "keywords": _zh_en("关键词", "keywords"),
    "description": _zh_en("摘要", "description"),
    "doc_number": _zh_en("发文字号", "document number of an official document (国发〔2019〕5号)"),
    "index_number": _zh_en("索引号", "index number in the government information catalogue"),
    "issuer": _zh_en("发文机关", "issuing body of an official document (发文机关/发布机构)"),
    "written_at": _zh_en("成文日期", "date the document was written (ISO date)"),
    "subject": _zh_en("主题分类", "subject classification or subject words"),
    "validity": _zh_en("有效性", "validity as printed (有效, 失效, 废止 …)"),
    "body_text": _zh_en("正文", "body text; NULL on exact copies (see duplicate_of)"),
    "body_html": _zh_en("正文 HTML", "body HTML"),
    "images": _zh_en("图片", "images (JSON)"),
    "attachments": _zh_en("附件", "attachments (JSON)"),
    "content_hash": _zh_en("内容指纹", "hash of the normalized body"),
    "signature": _zh_en("相似度签名", "MinHash signature"),
    "story_id": _zh_en("事件编号", "story (cluster of near-duplicates)"),
    "duplicate_of": _zh_en("完全相同于", "exact copy of this article (its body is stored there)"),
    "provenance": _zh_en("字段来源", "which extractor rule gave each field"),
    "encoding": _zh_en("编码", "page encoding"),
    "fetched_at": _zh_en("抓取时间", "fetch time (UTC)"),
    "first_seen_at": _zh_en("首次发现", "first seen (UTC)"),
    "last_seen_at": _zh_en("最近发现", "last seen (UTC)"),
    "run_id": _zh_en("抓取批次", "crawl run"),
    "next_revisit_at": _zh_en("下次复查", "next revisit due (UTC; empty: no more)"),
    "revisit_count": _zh_en("复查次数", "times checked again after the first fetch"),
    "last_checked_at": _zh_en("最近复查", "last checked (UTC)"),
    "removed_at": _zh_en("删除时间", "found removed (UTC; empty: online). See the removed_articles query"),
}
ATTACHMENT_COLUMNS = {
    "name": _zh_en("附件名称", "link text"),
    "url": _zh_en("网址", "URL first seen"),
    "type": _zh_en("类型", "type read from the bytes (pdf, docx, xlsx, xls, doc, wps, ofd)"),
    "size": _zh_en("大小", "bytes"),
    "hash": _zh_en("内容指纹", "SHA-256 of the file; NULL when it was not fetched"),
    "text": _zh_en("全文", "extracted text"),
    "pages": _zh_en("页数", "pages (sheets for spreadsheets)"),
    "error": _zh_en("问题", "why there is no text: too-large, budget, password-protected, image-only …"),
}
STORY_COLUMNS = {
    "id": _zh_en("事件编号", "story id"),
    "first_article_id": _zh_en("首发文章", "first (earliest published) article"),
    "first_site": _zh_en("首发站点", "first publisher"),
    "first_published_at": _zh_en("首发时间", "first publish time"),
    "claimed_origin": _zh_en("声称来源", "来源 named by most copies"),
    "title": _zh_en("标题", "title of the first article"),
    "size": _zh_en("转载数", "number of copies, first included"),
    "copies": _zh_en("转载数", "number of copies, first included"),
    "created_at": _zh_en("创建时间", "created (UTC)"),
    "updated_at": _zh_en("更新时间", "updated (UTC)"),
    "day": _zh_en("日期", "publish date"),
    "first_removed_at": _zh_en("首发稿删除时间", "when the first publisher's copy was found removed"),
    "first_site_title": _zh_en("首发站点名称", "first publisher's name"),
    "region": _zh_en("地区", "region"),
    "level": _zh_en("级别", "level (national, province, city, county, department)"),
    "source": _zh_en("来源", "source named by the first article"),
    "column_name": _zh_en("栏目", "news column"),
    "url": _zh_en("网址", "URL of the first article"),
}
HIDDEN = (
    "source_state",
    "dedup_bands",
    "dedup_state",
    "_sqlite_migrations",
    "article_versions",
    "robots_cache",
)

# watch definitions and delivery rows hold notification URLs, which may carry tokens: not served at all
PRIVATE = ("watches", "watch_state", "watch_deliveries")

_RECENT = "strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', '-1 day')"
QUERIES: dict[str, dict[str, Any]] = {
    "latest_stories": {
        "title": _zh_en("最新事件", "Latest stories"),
        "description": "每个事件一行，按首发时间倒序 · One row per story, newest first publication first.",
        "sql": "SELECT id, title, first_published_at, first_site_title, region, copies, claimed_origin, url "
        "FROM story_list ORDER BY first_published_at DESC, id DESC LIMIT 200",
    },
    "todays_stories": {
        "title": _zh_en("今日新事件", "Today's new stories"),
        "description": "首发于某日（北京时间，默认今天）的事件 · Stories first published on a day "
        "(Beijing time; empty = today).",
        "sql": "SELECT id, title, first_published_at, first_site_title, region, copies, url FROM story_list "
        "WHERE day = coalesce(nullif(:day, ''), date('now', '+8 hours')) ORDER BY first_published_at DESC",
    },
    "stories_by_reposts": {
        "title": _zh_en("转载最多的事件", "Stories by number of reposts"),
        "description": "按转载数排序 · Stories copied by the most sites first.",
        "sql": "SELECT id, title, copies, first_site_title, first_published_at, claimed_origin FROM story_list "
        "WHERE copies > 1 ORDER BY copies DESC, first_published_at DESC LIMIT 200",
    },
    "story_copies": {
        "title": _zh_en("首发与转载", "Who first published a story and who copied it"),
        "description": "输入事件编号 · Enter a story id: its first publisher, then every copy in order.",
        "sql": "SELECT CASE WHEN st.first_article_id = a.id THEN '首发 first' ELSE '转载 copy' END AS role, "
        "a.site, si.title AS site_title, a.published_at, "
        "round((julianday(a.published_at) - julianday(st.first_published_at)) * 24, 1) AS hours_after_first, "
        "a.source, a.title, a.url FROM articles a JOIN stories st ON st.id = a.story_id "
        "LEFT JOIN sites si ON si.name = a.site WHERE a.story_id = :story "
        "ORDER BY st.first_article_id != a.id, a.published_at, a.id",
    },
    "failures_last_day": {
        "title": _zh_en("最近一天的失败", "Failures of the last day"),
        "description": "最近 24 小时的抓取失败 · Failed fetches and extractions in the last 24 hours.",
        "sql": f"SELECT created_at, site, kind, http_status, url, detail, run_id FROM failures "
        f"WHERE created_at >= {_RECENT} ORDER BY created_at DESC LIMIT 1000",
    },
    "unhealthy_sites": {
        "title": _zh_en("异常站点", "Unhealthy sites"),
        "description": "最近一次抓取未成功、一天内有失败或一天内无成功抓取的站点 · Sites whose last run did "
        "not succeed, with failures in the last day, or without a successful run in a day.",
        "sql": f"""WITH last AS (
  SELECT site, status, reason, started_at FROM runs r
  WHERE id = (SELECT max(id) FROM runs WHERE site = r.site AND status != 'skipped')
), ok AS (SELECT site, max(finished_at) AS last_ok FROM runs WHERE status = 'ok' GROUP BY site),
fails AS (SELECT site, count(*) AS n FROM failures WHERE created_at >= {_RECENT} GROUP BY site)
SELECT s.name AS site, s.title, s.region, last.status AS last_status, last.reason AS last_reason,
       last.started_at AS last_run, ok.last_ok, coalesce(fails.n, 0) AS failures_last_day
FROM sites s LEFT JOIN last ON last.site = s.name LEFT JOIN ok ON ok.site = s.name
LEFT JOIN fails ON fails.site = s.name
WHERE last.status IS NULL OR last.status != 'ok' OR coalesce(fails.n, 0) > 0
   OR ok.last_ok IS NULL OR ok.last_ok < {_RECENT}
ORDER BY failures_last_day DESC, s.name""",
    },
    "documents": {
        "title": _zh_en("政府文件", "Official documents"),
        "description": "有发文字号或索引号的文章，可按发文机关筛选 · Articles carrying a document number or "
        "index number; filter by issuing body (empty = all).",
        "sql": "SELECT a.id, a.doc_number, a.title, a.issuer, a.written_at, a.published_at, a.index_number, "
        "a.subject, a.validity, a.site, a.url FROM articles a "
        "WHERE (a.doc_number IS NOT NULL OR a.index_number IS NOT NULL) "
        "AND (coalesce(:issuer, '') = '' OR a.issuer = :issuer) "
        "ORDER BY coalesce(a.written_at, a.published_at) DESC, a.id DESC LIMIT 500",
    },
    "recently_edited": {
        "title": _zh_en("最近修改的文章", "Recently edited articles"),
        "description": "复查发现的修改（标题、正文、发布时间、来源、文件信息；不含页面装饰） · Edits found by "
        "revisits (title, body, publish time, 来源, document fields; never page chrome), newest first.",
        "sql": "SELECT v.id AS version, v.seen_at, a.site, a.title, v.changed, a.story_id, "
        "CASE WHEN st.first_article_id = a.id THEN '首发 first' ELSE '转载 copy' END AS role, "
        "substr(v.diff, 1, 300) AS diff_start, a.url FROM article_versions v JOIN articles a ON a.id = v.article_id "
        "LEFT JOIN stories st ON st.id = a.story_id ORDER BY v.seen_at DESC, v.id DESC LIMIT 500",
    },
    "removed_articles": {
        "title": _zh_en("已删除的文章", "Removed articles"),
        "description": "复查发现被删除的文章及证据（404/410、跳转首页或列表、软 404、从列表消失）；恢复的也在 · "
        "Articles found removed, with the evidence; restored ones show when they came back.",
        "sql": "SELECT r.removed_at, r.restored_at, a.site, a.title, r.evidence, r.detail, a.story_id, "
        "CASE WHEN st.first_article_id = a.id THEN '首发 first' ELSE '转载 copy' END AS role, a.url, a.id AS article "
        "FROM removals r JOIN articles a ON a.id = r.article_id LEFT JOIN stories st ON st.id = a.story_id "
        "ORDER BY r.removed_at DESC, r.id DESC LIMIT 500",
    },
    "version_diff": {
        "title": _zh_en("修改对比", "A version's diff"),
        "description": "输入版本编号（见 最近修改的文章）：逐字对比，[-删去-]{+新增+} · Enter a version id: the "
        "character-level diff, [-removed-]{+added+}, and the text before and now.",
        "sql": "SELECT v.id AS version, v.seen_at, v.changed, v.diff, v.title AS title_before, a.title AS title_now, "
        "v.published_at AS published_before, a.published_at AS published_now, v.source AS source_before, "
        "a.source AS source_now, v.body_text AS body_before, a.body_text AS body_now, a.url "
        "FROM article_versions v JOIN articles a ON a.id = v.article_id WHERE v.id = :version",
    },
    "search": {
        "title": _zh_en("全文检索", "Full-text search"),
        "description": "标题与正文检索，两个字的词也可（如 长春、振兴）；空格分隔的词须全部出现 · Title and body "
        "search, two-character words included; words separated by spaces must all occur.",
        "sql": f"SELECT a.id, a.title, a.published_at, a.site, a.source, a.story_id, a.url "
        f"FROM articles a WHERE a.id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH "
        f"{QUERY_FUNCTION}(:q)) OR a.id IN (SELECT aa.article_id FROM attachments_fts JOIN article_attachments "
        f"aa ON aa.attachment_id = attachments_fts.rowid WHERE attachments_fts MATCH {QUERY_FUNCTION}(:q)) "
        f"ORDER BY a.published_at DESC LIMIT 200",
    },
    "article_files": {
        "title": _zh_en("文章的附件", "An article's attached documents"),
        "description": "输入文章编号 · Enter an article id: its files with type, pages, text or problem.",
        "sql": "SELECT aa.name, t.type, t.size, t.pages, t.error, t.text, aa.url FROM article_attachments aa "
        "JOIN attachments t ON t.id = aa.attachment_id WHERE aa.article_id = :article ORDER BY aa.name",
    },
}


# the columns of the article_list view and of the stories table (storage/views.py, storage/schema.py): a
# description is only given for a column that exists (tests/test_desk.py compares them with a real database)
ARTICLE_LIST_KEYS = (
    "id", "title", "published_at", "day", "site", "site_title", "region", "level", "source", "column_name",
    "author", "story_id", "role", "duplicate_of", "url", "fetched_at", "removed_at",
)  # fmt: skip
STORY_TABLE_KEYS = (
    "id", "first_article_id", "first_site", "first_published_at", "claimed_origin", "title", "size",
    "created_at", "updated_at",
)  # fmt: skip


def only_real_columns(metadata: dict[str, Any], real: dict[str, set[str]]) -> dict[str, Any]:
    """Drop descriptions of columns a table of this database does not have (an older or newer schema)."""
    for db in metadata.get("databases", {}).values():
        for name, table in db.get("tables", {}).items():
            if "columns" in table and name in real:
                table["columns"] = {k: v for k, v in table["columns"].items() if k in real[name]}
    return metadata


def build_metadata(database: str = "news") -> dict[str, Any]:
    """The metadata dict for `datasette --metadata` (database name = file stem)."""
    facets_articles = ["site", "source", "issuer", "column_name", {"date": "published_at"}]
    tables: dict[str, Any] = {
        "story_list": {
            "title": _zh_en("事件（每个事件一行）", "Stories, one row each"),
            "description": "每组近似重复文章为一个事件，显示首发站点与转载数 · Each cluster of near-duplicate "
            "articles, with its first publisher and number of copies. Search box: title and body.",
            "columns": {k: v for k, v in STORY_COLUMNS.items() if k not in ("size", "created_at")},
            "facets": ["first_site", "region", "level", "source", "column_name", "day"],
            "size": 50,
        },
        "article_list": {
            "title": _zh_en("文章（含转载）", "Articles, every copy"),
            "description": "所有抓取到的文章（含转载），附站点地区与级别 · Every stored article with its site's "
            "region and level.",
            "columns": {
                k: v
                for k, v in {
                    **ARTICLE_COLUMNS,
                    **{k: STORY_COLUMNS[k] for k in ("day", "region", "level")},
                    "site_title": _zh_en("站点名称", "site name"),
                    "role": _zh_en("角色", "first publisher or copy"),
                }.items()
                if k in ARTICLE_LIST_KEYS
            },
            "facets": ["site", "region", "level", "source", "column_name", "day"],
            "size": 50,
        },
        "articles": {
            "title": _zh_en("文章", "Articles"),
            "description": "每个抓取的网址一行；完全相同的转载不重复存储正文 · One row per fetched URL; exact "
            "copies point at the first copy (duplicate_of) instead of storing the body again.",
            "columns": ARTICLE_COLUMNS,
            "sort_desc": "published_at",
            "facets": facets_articles,
            "label_column": "title",
        },
        "stories": {
            "title": _zh_en("事件", "Stories"),
            "description": "近似重复文章的聚类 · Clusters of near-duplicate articles.",
            "columns": {k: v for k, v in STORY_COLUMNS.items() if k in STORY_TABLE_KEYS},
            "sort_desc": "first_published_at",
            "facets": ["first_site", "claimed_origin"],
            "label_column": "title",
        },
        "sites": {
            "title": _zh_en("站点", "Sites"),
            "description": "配置的监测站点 · Configured sites.",
            "columns": {
                "name": _zh_en("标识", "slug"),
                "title": _zh_en("名称", "name"),
                "region": _zh_en("地区", "region"),
                "level": _zh_en("级别", "level"),
                "config_hash": _zh_en("配置指纹", "hash of the site's configuration"),
                "config": _zh_en("配置", "configuration (JSON)"),
                "updated_at": _zh_en("更新时间", "updated (UTC)"),
            },
            "facets": ["region", "level"],
            "label_column": "title",
        },
        "runs": {
            "title": _zh_en("抓取批次", "Crawl runs"),
            "description": "每次抓取一行，状态来自统计而非退出码 · One row per crawl; status from its stats.",
            "sort_desc": "started_at",
            "facets": ["site", "status"],
        },
        "failures": {
            "title": _zh_en("失败记录", "Failures"),
            "description": "抓取或抽取失败 · Failed fetches or extractions.",
            "sort_desc": "created_at",
            "facets": ["kind", "site", "http_status"],
        },
        FTS_TABLE: {"hidden": True},
        "attachments": {
            "title": _zh_en("附件", "Attached documents"),
            "description": "文章所附文件（PDF、DOC/DOCX、WPS、XLS/XLSX、OFD），每个内容只存一次，含全文 · Files "
            "linked by articles, stored once per content hash, with their text (or why it could not be read).",
            "columns": ATTACHMENT_COLUMNS,
            "facets": ["type", "error"],
            "label_column": "name",
        },
        "article_attachments": {
            "title": _zh_en("文章与附件", "Articles and their attachments"),
            "description": "哪篇文章链接了哪个附件 · Which article links which file (the article page lists "
            "its files here).",
        },
        "attachments_fts": {"hidden": True},
    }
    for name in HIDDEN:
        tables[name] = {"hidden": True}
    for name in PRIVATE:
        tables[name] = {"hidden": True, "allow": False}
    return {
        "title": "newsmon · 政务新闻监测",
        "description": "中国政府网站新闻监测：事件、首发与转载、抓取健康 · Chinese government news: stories, "
        "first publishers and copies, crawl health. Search understands two-character words (长春, 振兴).",
        "databases": {database: {"tables": tables, "queries": {**QUERIES, **WATCH_QUERIES}}},
    }
