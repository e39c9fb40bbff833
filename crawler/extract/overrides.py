"""Per-site CSS selector overrides ([site.extract]) that take precedence over the cascade."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from lxml.cssselect import SelectorError as CssError

from .tree import HtmlElement, compile_css

logger = logging.getLogger(__name__)

FIELD_KEYS = ("title", "body", "date", "source", "author")
KNOWN_KEYS = frozenset((*FIELD_KEYS, "drop"))


@dataclass
class Overrides:
    """Validated override selectors."""

    fields: dict[str, str] = field(default_factory=dict)
    drop: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def parse_overrides(raw: Mapping[str, Any] | None) -> Overrides:
    """Check keys and value types; unknown keys and bad values become warnings."""
    ov = Overrides()
    if not raw:
        return ov
    for key, value in raw.items():
        if key not in KNOWN_KEYS:
            ov.warnings.append(f"override {key} is not a known key")
        elif key == "drop":
            values = [value] if isinstance(value, str) else value
            if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
                ov.warnings.append("override drop must be a list of CSS selectors")
            else:
                ov.drop.extend(values)
        elif isinstance(value, str) and value.strip():
            ov.fields[key] = value.strip()
        else:
            ov.warnings.append(f"override {key} must be a CSS selector string")
    return ov


def select(root: HtmlElement, selector: str, key: str, warnings: list[str]) -> list[HtmlElement]:
    """Elements matching selector; an invalid or empty match adds a warning."""
    try:
        found = [el for el in compile_css(selector)(root) if isinstance(el.tag, str)]
    except (CssError, etree.XPathError, ValueError) as exc:
        warnings.append(f"override {key} has an invalid selector {selector!r}: {exc}")
        return []
    if not found:
        warnings.append(f"override {key} matched nothing: {selector}")
    return found


def apply_drop(root: HtmlElement, ov: Overrides, warnings: list[str]) -> None:
    """Remove the elements named by the drop selectors."""
    for sel in ov.drop:
        for el in select(root, sel, "drop", warnings):
            if el.getparent() is not None:
                el.drop_tree()
