"""Story clustering: near-duplicate candidate index (LSH bands in SQLite) and story membership.

An article joins the story of its most similar verified candidate, or starts a new one. Candidates come
from LSH band keys of its MinHash signature (layout: storage/signatures.py), looked up by primary
key, so the cost per article does not grow with the archive. A story's representative (first article) is
the member with the earliest publish time, ties and missing times broken by article id; it changes only
when a strictly earlier member joins, so re-seeing articles never flips it.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

import numpy as np

from storage import signatures
from storage.signatures import BYLINE_MARK, COMPARABLE, HEADER_SIZE, Signature
from storage.store_time import iso_utc

logger = logging.getLogger(__name__)

# LSH: 32 bands of 4 MinHash rows; P(candidate) = 1 - (1 - J^4)^32: 0.87 at J=0.5, 0.99 at J=0.6.
BANDS = 32
ROWS = 4
KEY_BITS = 47  # SQLite stores a non-negative key below 2^47 in 6 bytes instead of 8
KEY_POSTINGS_MAX = 8  # newest articles read per band key (bounds the lookup as the archive grows)
MAX_CANDIDATES = 16  # most band hits first; bounds the verification work per article
# Verification thresholds, chosen from the curve printed by bench/dedup.py.
JACCARD_MIN = 0.5  # estimated shingle Jaccard for a near-duplicate
CONTAINMENT_MIN = 0.85  # ... or the smaller body is contained in the larger (a cut paragraph)
CONTAINMENT_RATIO_MIN = 0.5  # ... when the smaller is at least this fraction of the larger
PREFILTER_JACCARD = 0.3  # long bodies below this cannot pass either rule (containment needs J >= 0.39)
SHORT_CHARS = 400  # a pair where one body is shorter than this (normalized characters) uses the line rule
SHORT_MISSING_MAX = 0.2  # short rule: share of one body's lines (by characters) missing from the other
SHORT_EXTRA_MAX = 0.4  # ... and of the other body's lines missing from the first (an added paragraph)
PARAMS = {
    "bands": BANDS,
    "rows": ROWS,
    "key_postings_max": KEY_POSTINGS_MAX,
    "max_candidates": MAX_CANDIDATES,
    "jaccard_min": JACCARD_MIN,
    "containment_min": CONTAINMENT_MIN,
    "containment_ratio_min": CONTAINMENT_RATIO_MIN,
    "short_chars": SHORT_CHARS,
    "short_missing_max": SHORT_MISSING_MAX,
    "short_extra_max": SHORT_EXTRA_MAX,
}
REBUILD_STATE = "rebuild"  # dedup_state row holding rebuild progress as JSON
PARAMS_STATE = "params"  # dedup_state row: PARAMS the current clustering was built with

_MIX = np.uint64(0x9E3779B97F4A7C15)
_BAND_SALT = (np.arange(1, BANDS + 1, dtype=np.uint64) * np.uint64(0xD6E8FEB86659FD93)).reshape(BANDS, 1)
_CHINA = timezone(timedelta(hours=8))


def parse_signature(blob: bytes) -> Signature:
    """Split signature bytes into their parts (storage/signatures.py holds the layout)."""
    return signatures.parse(blob)


def band_key_matrix(values: np.ndarray) -> np.ndarray:
    """LSH band keys of rows of MinHash values: shape (rows, BANDS), non-negative int64 (band mixed in)."""
    vals = values[:, : BANDS * ROWS].astype(np.uint64).reshape(len(values), BANDS, ROWS)
    with np.errstate(over="ignore"):
        h = np.repeat(_BAND_SALT.T, len(values), axis=0)
        for r in range(ROWS):
            h = (h ^ vals[:, :, r]) * _MIX
        h ^= h >> np.uint64(31)
        h *= _MIX
    return (h >> np.uint64(64 - KEY_BITS)).astype(np.int64)


def band_keys(sig: Signature) -> list[int]:
    """One non-negative integer key per LSH band of a signature."""
    return [int(k) for k in band_key_matrix(sig.values[None, :])[0]]


def _line_rule(a: Signature, b: Signature) -> bool:
    """Short bodies: the shorter's lines all appear in the longer, which adds little; bylines ignored."""
    if a.lines is None or b.lines is None:
        return False
    content_a = [line for line in a.lines if not line.startswith(BYLINE_MARK)]
    content_b = [line for line in b.lines if not line.startswith(BYLINE_MARK)]
    len_a, len_b = sum(map(len, content_a)), sum(map(len, content_b))
    if not len_a or not len_b:
        return False
    text_a, text_b = "\n".join(content_a), "\n".join(content_b)
    missing_a = sum(len(line) for line in content_a if line not in text_b) / len_a
    missing_b = sum(len(line) for line in content_b if line not in text_a) / len_b
    return min(missing_a, missing_b) <= SHORT_MISSING_MAX and max(missing_a, missing_b) <= SHORT_EXTRA_MAX


def similarity(a: Signature, b: Signature) -> float:
    """Estimated Jaccard of two signatures if they are near-duplicates by the rules, else 0."""
    if a.head != b.head:
        return 0.0
    j = float(np.count_nonzero(a.values == b.values)) / len(a.values)
    la, lb = a.text_len, b.text_len
    if (la is not None and la < SHORT_CHARS) or (lb is not None and lb < SHORT_CHARS):
        return max(j, 0.01) if _line_rule(a, b) else 0.0
    if j >= JACCARD_MIN:
        return j
    small, big = sorted((a.shingles, b.shingles))
    if big and small / big >= CONTAINMENT_RATIO_MIN and j > 0:
        containment = j / (1 + j) * (small + big) / small
        if containment >= CONTAINMENT_MIN:
            return j
    return 0.0


# -- publish-time order ---------------------------------------------------------------------------


def time_key(published_at: str | None) -> float:
    """UTC epoch seconds of an ISO 8601 time (naive times are Asia/Shanghai); +inf when missing."""
    if not published_at:
        return float("inf")
    try:
        dt = datetime.fromisoformat(published_at.strip().replace("Z", "+00:00"))
    except ValueError:
        return float("inf")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=_CHINA)
    return dt.timestamp()


def _earlier(pub_a: str | None, id_a: int, pub_b: str | None, id_b: int) -> bool:
    return (time_key(pub_a), id_a) < (time_key(pub_b), id_b)


# -- index ---------------------------------------------------------------------------------------


def index_article(conn: sqlite3.Connection, art_id: int, sig: Signature) -> None:
    """Add an article's band keys to the candidate index (idempotent)."""
    conn.executemany(
        "INSERT OR IGNORE INTO dedup_bands (key, article_id) VALUES (?, ?)",
        [(k, art_id) for k in band_keys(sig)],
    )


_KEY_ARM = "SELECT article_id FROM (SELECT article_id FROM dedup_bands WHERE key = ? ORDER BY article_id DESC LIMIT {cap})"


def candidates(conn: sqlite3.Connection, sig: Signature, exclude: int) -> list[int]:
    """Article ids sharing band keys, most shared bands first (ties: lower id), at most MAX_CANDIDATES.

    Each band key contributes at most KEY_POSTINGS_MAX of its newest articles: a key shared by very many
    articles comes from boilerplate, and reading all of it would make the cost grow with the archive.
    """
    sql = " UNION ALL ".join([_KEY_ARM.format(cap=KEY_POSTINGS_MAX)] * BANDS)
    hits: dict[int, int] = {}
    for (art,) in conn.execute(sql, band_keys(sig)):
        if art != exclude:
            hits[art] = hits.get(art, 0) + 1
    ranked = sorted(hits.items(), key=lambda kv: (-kv[1], kv[0]))
    return [art for art, _ in ranked[:MAX_CANDIDATES]]


def best_match(conn: sqlite3.Connection, art_id: int, sig: Signature) -> list[tuple[float, int, int]]:
    """Verified matches as (similarity, story_id, article_id), best first (ties: lower story id)."""
    ids = candidates(conn, sig, art_id)
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = conn.execute(
        f"SELECT id, story_id, signature FROM articles WHERE id IN ({marks}) "
        "AND signature IS NOT NULL AND story_id IS NOT NULL",
        ids,
    ).fetchall()
    if not rows:
        return []
    perms = len(sig.values)
    end = HEADER_SIZE + 4 * perms
    # One numpy comparison for all candidates; only plausible ones get the full rules.
    same = [r for r in rows if r[2][:COMPARABLE] == sig.head and len(r[2]) >= end]
    if not same:
        return []
    matrix = np.frombuffer(b"".join(r[2][HEADER_SIZE:end] for r in same), dtype="<u4").reshape(
        len(same), perms
    )
    agree = np.count_nonzero(matrix == sig.values, axis=1) / perms
    found = []
    for (cand_id, story_id, blob), j in zip(same, agree, strict=True):
        if j < PREFILTER_JACCARD and len(blob) == end and sig.lines is None:
            continue
        score = similarity(sig, parse_signature(blob))
        if score > 0:
            found.append((score, story_id, cand_id))
    found.sort(key=lambda m: (-m[0], m[1], m[2]))
    return found


# -- stories -------------------------------------------------------------------------------------


def _new_story(conn: sqlite3.Connection, art_id: int, site: str, published: str | None, title: str | None,
               source: str | None) -> int:  # fmt: skip
    now = iso_utc()
    cur = conn.execute(
        "INSERT INTO stories (first_article_id, first_site, first_published_at, claimed_origin, title, size, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
        (art_id, site, published, source or None, title, now, now),
    )
    story_id = int(cur.lastrowid or 0)
    conn.execute("UPDATE articles SET story_id = ? WHERE id = ?", (story_id, art_id))
    return story_id


def _claimed_origin(conn: sqlite3.Connection, story_id: int) -> str | None:
    """The 来源 named by most members (ties: the one claimed first)."""
    row = conn.execute(
        "SELECT source FROM articles WHERE story_id = ? AND coalesce(source, '') != '' "
        "GROUP BY source ORDER BY count(*) DESC, min(id) LIMIT 1",
        (story_id,),
    ).fetchone()
    return row[0] if row else None


def _join(conn: sqlite3.Connection, story_id: int, art_id: int, site: str, published: str | None,
          title: str | None) -> int:  # fmt: skip
    conn.execute("UPDATE articles SET story_id = ? WHERE id = ?", (story_id, art_id))
    first_id, first_pub = conn.execute(
        "SELECT first_article_id, first_published_at FROM stories WHERE id = ?", (story_id,)
    ).fetchone()
    now = iso_utc()
    if _earlier(published, art_id, first_pub, first_id):
        conn.execute(
            "UPDATE stories SET first_article_id = ?, first_site = ?, first_published_at = ?, title = ? "
            "WHERE id = ?",
            (art_id, site, published, title, story_id),
        )
    conn.execute(
        "UPDATE stories SET size = size + 1, claimed_origin = ?, updated_at = ? WHERE id = ?",
        (_claimed_origin(conn, story_id), now, story_id),
    )
    return story_id


def refresh_story(conn: sqlite3.Connection, story_id: int) -> None:
    """Recompute a story's size, first article, title and claimed origin from its members."""
    members = conn.execute(
        "SELECT id, site, published_at, title FROM articles WHERE story_id = ?", (story_id,)
    ).fetchall()
    if not members:
        conn.execute("DELETE FROM stories WHERE id = ?", (story_id,))
        return
    first = min(members, key=lambda m: (time_key(m[2]), m[0]))
    conn.execute(
        "UPDATE stories SET first_article_id = ?, first_site = ?, first_published_at = ?, title = ?, size = ?, "
        "claimed_origin = ?, updated_at = ? WHERE id = ?",
        (first[0], first[1], first[2], first[3], len(members), _claimed_origin(conn, story_id), iso_utc(),
         story_id),
    )  # fmt: skip


def rebuild_in_progress(conn: sqlite3.Connection) -> bool:
    """True while `newsmon dedup --rebuild` has not finished (new articles then wait for it)."""
    return conn.execute("SELECT 1 FROM dedup_state WHERE name = ?", (REBUILD_STATE,)).fetchone() is not None


def _row(conn: sqlite3.Connection, art_id: int) -> tuple:
    return conn.execute(
        "SELECT site, published_at, title, source, signature, duplicate_of, story_id FROM articles WHERE id = ?",
        (art_id,),
    ).fetchone()


def assign(conn: sqlite3.Connection, art_id: int, *, rebuilding: bool = False) -> int:
    """Put a newly inserted article into a story and return the story id (0 when a rebuild will)."""
    if not rebuilding and rebuild_in_progress(conn):
        return 0
    site, published, title, source, blob, dup_of, current = _row(conn, art_id)
    if current is not None:
        return int(current)
    if dup_of is not None:
        twin_story = conn.execute("SELECT story_id FROM articles WHERE id = ?", (dup_of,)).fetchone()
        story_id = twin_story[0] if twin_story else None
        if story_id is None and twin_story is not None:
            story_id = assign(conn, dup_of, rebuilding=rebuilding)
        if story_id:
            return _join(conn, story_id, art_id, site, published, title)
        return _new_story(conn, art_id, site, published, title, source)
    if blob is None:
        return _new_story(conn, art_id, site, published, title, source)
    sig = parse_signature(blob)
    matches = best_match(conn, art_id, sig)
    index_article(conn, art_id, sig)
    if not matches:
        return _new_story(conn, art_id, site, published, title, source)
    # An article similar to members of several stories shows they are one story: the oldest story
    # absorbs the others (deterministic, so a rebuild in id order reaches the same clustering).
    found = sorted({m[1] for m in matches})
    keep = found[0]
    for other in found[1:]:
        merge_stories(conn, keep, other)
    return _join(conn, keep, art_id, site, published, title)


def merge_stories(conn: sqlite3.Connection, keep: int, drop: int) -> None:
    """Move every member of story `drop` into story `keep` and delete `drop`."""
    logger.debug("merging story %s into %s", drop, keep)
    conn.execute("UPDATE articles SET story_id = ? WHERE story_id = ?", (keep, drop))
    conn.execute("DELETE FROM stories WHERE id = ?", (drop,))
    refresh_story(conn, keep)


def reassign(conn: sqlite3.Connection, art_id: int) -> int:
    """Re-evaluate story membership after an article's content changed; stay when still similar."""
    if rebuild_in_progress(conn):
        return 0
    site, published, title, source, blob, _dup, old_story = _row(conn, art_id)
    if old_story is None:
        return assign(conn, art_id)
    others = conn.execute(
        "SELECT count(*) FROM articles WHERE story_id = ? AND id != ?", (old_story, art_id)
    ).fetchone()[0]
    target = old_story
    if blob is not None:
        sig = parse_signature(blob)
        matches = best_match(conn, art_id, sig)
        index_article(conn, art_id, sig)
        if matches and all(m[1] != old_story for m in matches):
            target = matches[0][1]
        elif not matches and others:
            target = None
    elif others:
        target = None
    if target == old_story:
        refresh_story(conn, old_story)
        return int(old_story)
    conn.execute("UPDATE articles SET story_id = NULL WHERE id = ?", (art_id,))
    refresh_story(conn, old_story)
    if target is None:
        return _new_story(conn, art_id, site, published, title, source)
    conn.execute("UPDATE articles SET story_id = ? WHERE id = ?", (target, art_id))
    refresh_story(conn, target)
    return int(target)


# -- rebuild -------------------------------------------------------------------------------------


def rebuild_state(conn: sqlite3.Connection) -> dict | None:
    """Progress of an unfinished rebuild ({"last_id", "done", "started_at"}), or None."""
    row = conn.execute("SELECT value FROM dedup_state WHERE name = ?", (REBUILD_STATE,)).fetchone()
    return json.loads(row[0]) if row else None


def start_rebuild(conn: sqlite3.Connection) -> dict:
    """Forget all stories and the candidate index, and record a rebuild starting at article 0."""
    state = {"last_id": 0, "done": 0, "started_at": iso_utc()}
    conn.execute("DELETE FROM dedup_bands")
    conn.execute("DELETE FROM stories")
    conn.execute("UPDATE articles SET story_id = NULL WHERE story_id IS NOT NULL")
    conn.execute(
        "INSERT OR REPLACE INTO dedup_state (name, value) VALUES (?, ?)", (REBUILD_STATE, json.dumps(state))
    )
    return state


def rebuild_chunk(conn: sqlite3.Connection, state: dict, ids: Sequence[int]) -> dict:
    """Assign a chunk of articles (ascending ids, after state["last_id"]) and record the progress."""
    for art_id in ids:
        assign(conn, art_id, rebuilding=True)
    if ids:
        state = {**state, "last_id": ids[-1], "done": state["done"] + len(ids)}
    conn.execute("UPDATE dedup_state SET value = ? WHERE name = ?", (json.dumps(state), REBUILD_STATE))
    return state


def finish_rebuild(conn: sqlite3.Connection) -> None:
    """Mark the rebuild finished and record the parameters the clustering was built with."""
    conn.execute("DELETE FROM dedup_state WHERE name = ?", (REBUILD_STATE,))
    record_params(conn)


def record_params(conn: sqlite3.Connection) -> None:
    """Remember the thresholds the stored clustering follows."""
    conn.execute(
        "INSERT OR REPLACE INTO dedup_state (name, value) VALUES (?, ?)",
        (PARAMS_STATE, json.dumps(PARAMS, sort_keys=True)),
    )


def stored_params(conn: sqlite3.Connection) -> dict | None:
    """Thresholds recorded by the last rebuild (None if never rebuilt)."""
    row = conn.execute("SELECT value FROM dedup_state WHERE name = ?", (PARAMS_STATE,)).fetchone()
    return json.loads(row[0]) if row else None
