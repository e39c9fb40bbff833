"""Article extraction: html bytes + url → article fields (pure functions, no Scrapy)."""

from .core import extract_article
from .encoding import decode_html
from .model import Article, ExtractionError

__all__ = ["Article", "ExtractionError", "decode_html", "extract_article"]
