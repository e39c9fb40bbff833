"""Recognise anti-bot challenge pages (WAF script cookies, "please enable JavaScript") without parsing HTML."""

from __future__ import annotations

import re

CHALLENGE_STATUSES = frozenset({412, 521})
# Markers seen on WAF challenge pages of Chinese government sites and CDNs.
_MARKERS = (
    re.compile(rb"\$_ts\s*=|\$_ts\."),  # Ruishu (瑞数) dynamic-cookie loader
    re.compile(rb"__jsl_clearance"),  # Jiasule / Knownsec
    re.compile(rb"acw_sc__v2|acw_tc"),  # Aliyun WAF
    re.compile("请开启JavaScript|请启用JavaScript|请打开JavaScript|开启浏览器的JavaScript".encode()),
    re.compile(rb"(?i)please enable javascript|enable javascript and cookies"),
)
_COOKIE_RELOAD = re.compile(
    rb"document\.cookie\s*=.{0,400}?(location\.(reload|href|replace)|setTimeout)", re.S
)
_SMALL = 20_000


def detect_challenge(status: int, body: bytes) -> str | None:
    """Return a short reason when the response is an anti-bot challenge page, else None."""
    head = body[:_SMALL]
    marker = next((m.pattern for m in _MARKERS if m.search(head)), None)
    script_cookie = bool(_COOKIE_RELOAD.search(head))
    if status in CHALLENGE_STATUSES:
        return f"HTTP {status} challenge" + (" (script cookie)" if script_cookie or marker else "")
    if len(body) <= _SMALL and (marker or script_cookie):
        visible = re.sub(rb"(?is)<script.*?</script>|<style.*?</style>|<[^>]+>|\s+", b"", head)
        if len(visible) < 600:
            return "challenge page" + (" (script cookie)" if script_cookie else " (JavaScript required)")
    return None
