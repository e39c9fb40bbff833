"""Edits of stored articles: which extracted fields changed, a readable diff, and the kept previous version.

Only extracted fields count (title, body, publish time, 来源 and the government document fields): page
chrome (a visit counter, a sidebar, a date in the footer) never reaches them, so it is never an edit. The
previous state goes to ``article_versions``; the article keeps its id, and its story follows the new body.
"""

from __future__ import annotations

import difflib
import json
import re
import sqlite3
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from storage import stories

BASE_FIELDS = ("title", "body_text", "published_at", "source")
# government document metadata (added by the doc-metadata migration when present)
DOC_FIELDS = ("doc_number", "index_number", "issuer", "written_at", "subject", "validity")
DIFF_CONTEXT = 12  # characters of unchanged text shown around a change
_SPACE = re.compile(r"\s+")


def edit_fields(conn: sqlite3.Connection) -> tuple[str, ...]:
    """The article columns whose change is an edit (document fields only where the schema has them)."""
    have = {r[1] for r in conn.execute("PRAGMA table_info(articles)")}
    return BASE_FIELDS + tuple(f for f in DOC_FIELDS if f in have)


def _norm(field: str, value: Any) -> Any:
    if value is None:
        return None
    if field in ("published_at", "written_at"):
        try:
            dt = datetime.fromisoformat(str(value))
            return (dt.astimezone(UTC) if dt.tzinfo else dt).isoformat()  # one instant, any offset
        except ValueError:
            return str(value).strip() or None
    text = _SPACE.sub(" ", unicodedata.normalize("NFKC", str(value))).strip()
    return text or None


def changed_fields(old: Mapping[str, Any], new: Mapping[str, Any], fields: Sequence[str]) -> list[str]:
    """Fields whose value differs beyond whitespace and Unicode width (a missing new value is no edit)."""
    out = []
    for f in fields:
        if f not in new:
            continue
        after = _norm(f, new.get(f))
        if after is None and f != "body_text":
            continue  # an extractor that found less this time has not seen an edit
        if _norm(f, old.get(f)) != after:
            out.append(f)
    return out


def char_diff(old: str, new: str, context: int = DIFF_CONTEXT) -> str:
    """Character-level diff of two texts, one line per changed line: ``…context[-removed-]{+added+}context…``.

    Chinese has no spaces, so a word diff would mark whole sentences; characters show the edit itself.
    """
    old_lines, new_lines = (old or "").splitlines(), (new or "").splitlines()
    out: list[str] = []
    lines = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in lines.get_opcodes():
        if tag == "equal":
            continue
        a, b = "\n".join(old_lines[i1:i2]), "\n".join(new_lines[j1:j2])
        if tag == "delete":
            out.extend(f"[-{line}-]" for line in old_lines[i1:i2])
            continue
        if tag == "insert":
            out.extend(f"{{+{line}+}}" for line in new_lines[j1:j2])
            continue
        out.append(_inline(a, b, context))
    return "\n".join(out)


def _inline(a: str, b: str, context: int) -> str:
    parts: list[str] = []
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    for n, (tag, i1, i2, j1, j2) in enumerate(ops):
        if tag == "equal":
            seg = a[i1:i2]
            first, last = n == 0, n == len(ops) - 1
            if len(seg) > 2 * context or (first or last) and len(seg) > context:
                head = "" if first else seg[:context]
                tail = "" if last else seg[-context:]
                seg = f"{head}…{tail}"
            parts.append(seg.replace("\n", "⏎"))
            continue
        if i2 > i1:
            parts.append(f"[-{a[i1:i2]}-]".replace("\n", "⏎"))
        if j2 > j1:
            parts.append(f"{{+{b[j1:j2]}+}}".replace("\n", "⏎"))
    return "".join(parts)


def readable_diff(old: Mapping[str, Any], new: Mapping[str, Any], changed: Sequence[str]) -> str:
    """A diff of every changed field, labelled: short fields old → new, the body character by character."""
    out = []
    for f in changed:
        if f == "body_text":
            out.append(f"body_text:\n{char_diff(old.get(f) or '', new.get(f) or '')}")
        else:
            out.append(f"{f}: {old.get(f)!s} → {new.get(f)!s}")
    return "\n".join(out)


def update_existing(
    conn: sqlite3.Connection,
    art_id: int,
    row: Mapping[str, Any],
    run_id: int | None,
    now: str,
    fresh: Mapping[str, Any],
) -> str:
    """Apply a re-fetched article to its stored row: 'updated' (previous state kept) or 'unchanged'.

    `row` is the new article (store columns), `fresh` the columns to set in either case (last seen,
    validators, next revisit).
    """
    fields = edit_fields(conn)
    cur = conn.execute(
        f"SELECT {', '.join(fields)}, content_hash, duplicate_of, story_id FROM articles WHERE id = ?",
        (art_id,),
    )
    values = cur.fetchone()
    old = dict(zip([*fields, "content_hash", "duplicate_of", "story_id"], values, strict=True))
    dup_of = old["duplicate_of"]
    if dup_of is not None and old["body_text"] is None:  # an exact copy reads its body from its twin
        twin = conn.execute("SELECT body_text FROM articles WHERE id = ?", (dup_of,)).fetchone()
        old["body_text"] = twin[0] if twin else None
    changed = changed_fields(old, row, fields)
    if old["content_hash"] != row.get("content_hash") and "body_text" not in changed:
        changed.append("body_text")  # the normalized body changed in a way the hash sees (punctuation)
    if not changed:
        cols = ", ".join(f"{k} = ?" for k in fresh)
        conn.execute(f"UPDATE articles SET {cols} WHERE id = ?", (*fresh.values(), art_id))
        return "unchanged"
    old_story = old["story_id"]
    vid = conn.execute(
        "INSERT INTO article_versions (article_id, content_hash, title, body_text, published_at, source, fields, "
        "changed, diff, old_story_id, run_id, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            art_id,
            old["content_hash"],
            old["title"],
            old["body_text"],
            old["published_at"],
            old["source"],
            json.dumps({f: old[f] for f in fields if f != "body_text"}, ensure_ascii=False),
            ",".join(changed),
            readable_diff(old, row, changed),
            old_story,
            run_id,
            now,
        ),
    ).lastrowid
    body_changed = old["content_hash"] != row.get("content_hash")
    if dup_of is None and body_changed:
        _hand_body_to_copies(conn, art_id)
    # a field the extractor did not find this time keeps its stored value
    update = {
        k: v
        for k, v in row.items()
        if k not in ("url", "site") and not (v is None and k in fields and k != "body_text")
    }
    update.update(fresh)
    update.update(run_id=run_id)
    if body_changed:
        update["duplicate_of"] = None
    elif dup_of is not None:  # same body: the copy keeps pointing at its twin's text
        for k in ("body_text", "body_html", "signature"):
            update.pop(k, None)
    cols = ", ".join(f"{k} = ?" for k in update)
    conn.execute(f"UPDATE articles SET {cols} WHERE id = ?", (*update.values(), art_id))
    new_story = stories.reassign(conn, art_id) if body_changed else old_story
    if not body_changed and old_story is not None:
        stories.refresh_story(conn, old_story)  # the title or publish time may make another copy first
    conn.execute("UPDATE article_versions SET new_story_id = ? WHERE id = ?", (new_story or None, vid))
    return "updated"


def _hand_body_to_copies(conn: sqlite3.Connection, art_id: int) -> None:
    """Before an article's body changes, give its old body to the first exact copy pointing at it."""
    heir = conn.execute(
        "SELECT id FROM articles WHERE duplicate_of = ? ORDER BY id LIMIT 1", (art_id,)
    ).fetchone()
    if heir is None:
        return
    conn.execute(
        "UPDATE articles SET (body_text, body_html, signature, duplicate_of) = "
        "(SELECT body_text, body_html, signature, NULL FROM articles WHERE id = ?) WHERE id = ?",
        (art_id, heir[0]),
    )
    conn.execute(
        "UPDATE articles SET duplicate_of = ? WHERE duplicate_of = ? AND id != ?", (heir[0], art_id, heir[0])
    )
    # the heir carries the old body now: near-duplicate candidate lookups must find it
    blob = conn.execute("SELECT signature FROM articles WHERE id = ?", (heir[0],)).fetchone()[0]
    if blob is not None:
        stories.index_article(conn, heir[0], stories.parse_signature(blob))
