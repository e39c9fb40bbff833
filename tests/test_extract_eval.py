"""Accuracy floors on the shared real-page set (../shared/eval/zh-news); skipped when it is absent."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from bench.extraction import DEFAULT_EVAL_DIR, SEPARATORS, body_f1, load_eval, norm, ymd
from bench.extraction_runners import run_newsmon
from crawler.extract import extract_article

# A little below what the extractor reaches (0.95 / 0.99 / 0.92), so a regression fails loudly.
BODY_F1_MEAN_FLOOR = 0.93
BODY_F1_MEDIAN_FLOOR = 0.97
DATE_ACC_FLOOR = 0.88
AUTHOR_ACC_FLOOR = 0.70  # reached: 0.81 (21/26)

pytestmark = pytest.mark.skipif(
    not (Path(DEFAULT_EVAL_DIR) / "truth.jsonl").is_file(), reason="shared eval set not present"
)


def norm_name(s: str) -> str:
    return SEPARATORS.sub("", norm(s))


@pytest.fixture(scope="module")
def results():
    pages = load_eval(Path(DEFAULT_EVAL_DIR), quick=False)
    return [(page, run_newsmon(page["data"], page.get("url") or "")) for page in pages]


def test_body_f1_floors(results):
    f1 = [body_f1(r["body"], page["body"]) for page, r in results if page.get("body")]
    assert len(f1) >= 50
    assert statistics.mean(f1) >= BODY_F1_MEAN_FLOOR
    assert statistics.median(f1) >= BODY_F1_MEDIAN_FLOOR


def test_date_accuracy_floor(results):
    ok = [
        ymd(page["publish_date"]) == ymd(r["publish_date"])
        for page, r in results
        if ymd(page.get("publish_date"))
    ]
    assert len(ok) >= 20
    assert sum(ok) / len(ok) >= DATE_ACC_FLOOR


def test_author_accuracy_floor(results):
    ok = [
        norm_name(page["author"]) == norm_name(r["author"] or "") for page, r in results if page.get("author")
    ]
    assert len(ok) >= 20
    assert sum(ok) / len(ok) >= AUTHOR_ACC_FLOOR


def test_source_never_returned_as_author(results):
    """A 来源 publisher is never the author; a document's issuing body may be both (the 来源 when none is printed)."""
    for page, r in results:
        if r["author"] and r["source"] and "".join(r["author"].split()) == "".join(r["source"].split()):
            art = extract_article(page["data"], page.get("url") or "")
            assert art.provenance.get("source") == "issuer" and art.issuer == art.source
