"""`newsmon dedup --rebuild`: recluster the whole archive in id order, a chunk per write transaction,
with signatures recomputed from the stored bodies; resumable (storage/stories.py keeps the progress)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import sqlite_utils

from storage import stories as story_index
from storage.connection import write_transaction

SignatureBatch = Callable[[Iterable[str]], list[bytes | None]]
Progress = Callable[[str, dict], None]  # ("resume" | "chunk", rebuild state)


def rebuild_stories(
    db: sqlite_utils.Database,
    signature_batch: SignatureBatch,
    chunk: int = 2000,
    restart: bool = False,
    progress: Progress | None = None,
) -> int:
    """Recluster every article, resuming an unfinished rebuild unless `restart`; the number of stories.

    `signature_batch` computes the signatures of the current shingling (crawler/signatures.py); storage
    does not know how they are made."""
    conn = db.conn
    with write_transaction(db):
        state = story_index.rebuild_state(conn)
        if state is None or restart:
            state = story_index.start_rebuild(conn)
        elif progress:
            progress("resume", state)
    while True:
        with write_transaction(db):
            rows = conn.execute(
                "SELECT id, body_text, signature FROM articles WHERE id > ? ORDER BY id LIMIT ?",
                (state["last_id"], chunk),
            ).fetchall()
            if not rows:
                story_index.finish_rebuild(conn)
                break
            # signatures follow the current shingling: recompute them from the stored body, a chunk at a time
            bodies = [(art_id, body, old) for art_id, body, old in rows if body is not None]
            fresh = signature_batch(body for _, body, _ in bodies)
            for (art_id, _, old), new in zip(bodies, fresh, strict=True):
                if new != old:
                    conn.execute("UPDATE articles SET signature = ? WHERE id = ?", (new, art_id))
            state = story_index.rebuild_chunk(conn, state, [r[0] for r in rows])
        if progress:
            progress("chunk", state)
    return int(conn.execute("SELECT count(*) FROM stories").fetchone()[0])
