"""URL canonicalization: a table of cases and hypothesis properties (idempotent, stable)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.canonical import canonicalize_url, host_aliases

ALIASES = {"www.changchun.gov.cn": "changchun.gov.cn"}

CASES = [
    # scheme and host case, default ports
    ("HTTP://WWW.Changchun.GOV.cn:80/a/b.html", "http://changchun.gov.cn/a/b.html"),
    ("https://changchun.gov.cn:443/a", "https://changchun.gov.cn/a"),
    ("http://changchun.gov.cn:8080/a", "http://changchun.gov.cn:8080/a"),
    ("https://changchun.gov.cn:80/a", "https://changchun.gov.cn:80/a"),
    # fragments, user info
    ("http://changchun.gov.cn/a.html#top", "http://changchun.gov.cn/a.html"),
    ("http://user:pw@changchun.gov.cn/a.html", "http://changchun.gov.cn/a.html"),
    # tracking and session parameters; the rest sorted
    ("http://x.gov.cn/a?utm_source=wx&id=3&from=timeline&isappinstalled=0", "http://x.gov.cn/a?id=3"),
    ("http://x.gov.cn/a?b=2&a=1&spm=1.2.3", "http://x.gov.cn/a?a=1&b=2"),
    ("http://x.gov.cn/a?JSESSIONID=abc&t=1699999999&id=9", "http://x.gov.cn/a?id=9"),
    ("http://x.gov.cn/a.jsp;jsessionid=0A1B2C?id=9", "http://x.gov.cn/a.jsp?id=9"),
    ("http://x.gov.cn/a?", "http://x.gov.cn/a"),
    # index pages and trailing slashes
    ("http://x.gov.cn/col/xwdt/index.html", "http://x.gov.cn/col/xwdt"),
    ("http://x.gov.cn/col/xwdt/", "http://x.gov.cn/col/xwdt"),
    ("http://x.gov.cn/col/xwdt/index.shtml", "http://x.gov.cn/col/xwdt"),
    ("http://x.gov.cn/index.html", "http://x.gov.cn/"),
    ("http://x.gov.cn", "http://x.gov.cn/"),
    ("http://x.gov.cn/col/index_1.html", "http://x.gov.cn/col/index_1.html"),
    # dot segments, percent-escapes, non-ASCII paths and queries
    ("http://x.gov.cn/a/./b/../c.html", "http://x.gov.cn/a/c.html"),
    ("http://x.gov.cn/%7euser/%e4%b8%ad.html", "http://x.gov.cn/~user/%E4%B8%AD.html"),
    ("http://x.gov.cn/中文/a.html", "http://x.gov.cn/%E4%B8%AD%E6%96%87/a.html"),
    ("http://x.gov.cn/a%2Fb", "http://x.gov.cn/a%2Fb"),
    ("http://x.gov.cn/s?q=长春 新闻", "http://x.gov.cn/s?q=%E9%95%BF%E6%98%A5%20%E6%96%B0%E9%97%BB"),
    # host aliases from site config; trailing dot
    ("http://www.changchun.gov.cn/a.html", "http://changchun.gov.cn/a.html"),
    ("http://changchun.gov.cn./a.html", "http://changchun.gov.cn/a.html"),
    ("http://www.other.gov.cn/a.html", "http://www.other.gov.cn/a.html"),
]


@pytest.mark.parametrize(("url", "expected"), CASES)
def test_canonical_table(url: str, expected: str) -> None:
    assert canonicalize_url(url, ALIASES) == expected


def test_host_aliases_from_config() -> None:
    aliases = host_aliases("Changchun.gov.cn", ["www.changchun.gov.cn", "changchun.gov.cn"])
    assert aliases == {"www.changchun.gov.cn": "changchun.gov.cn"}
    assert canonicalize_url("https://WWW.changchun.gov.cn/", aliases) == "https://changchun.gov.cn/"


def test_real_url_is_not_rewritten_for_requests() -> None:
    # canonical URLs are identity keys; the function must not touch its input
    url = "http://x.gov.cn/col/index.html?utm_source=a#f"
    canonicalize_url(url)
    assert url == "http://x.gov.cn/col/index.html?utm_source=a#f"


_segment = st.text(alphabet=st.sampled_from(list("abcXYZ019-._~%/中文?&=;#:@+ ")), max_size=12)
_urls = st.builds(
    lambda scheme, host, port, path, query, frag: f"{scheme}://{host}{port}/{path}{query}{frag}",
    st.sampled_from(["http", "HTTP", "https", "Https"]),
    st.sampled_from(["x.gov.cn", "WWW.Changchun.gov.cn", "www.changchun.gov.cn", "例子.中国", "127.0.0.1"]),
    st.sampled_from(["", ":80", ":443", ":8080"]),
    _segment,
    st.one_of(st.just(""), st.builds(lambda q: "?" + q, _segment)),
    st.one_of(st.just(""), st.builds(lambda f: "#" + f, _segment)),
)


@settings(max_examples=300, deadline=None)
@given(_urls)
def test_canonical_is_idempotent(url: str) -> None:
    once = canonicalize_url(url, ALIASES)
    assert canonicalize_url(once, ALIASES) == once


@settings(max_examples=200, deadline=None)
@given(_urls, st.sampled_from(["", "#frag", "?utm_source=x", "?spm=1"]))
def test_canonical_is_stable_under_noise(url: str, noise: str) -> None:
    # adding a fragment or a tracking parameter never changes the key; neither does repeating the call
    base = url.split("#", 1)[0].strip()  # surrounding spaces are not part of a URL (WHATWG)
    noisy = base + ("&" + noise[1:] if noise.startswith("?") and "?" in base else noise)
    assert canonicalize_url(noisy, ALIASES) == canonicalize_url(base, ALIASES)
    assert canonicalize_url(base, ALIASES) == canonicalize_url(base, ALIASES)


@settings(max_examples=200, deadline=None)
@given(_urls)
def test_canonical_shape(url: str) -> None:
    out = canonicalize_url(url, ALIASES)
    assert "#" not in out
    assert out.split("://", 1)[0] in ("http", "https")
    host = out.split("://", 1)[1].split("/", 1)[0]
    assert host == host.lower()
    if host.endswith(":80"):
        assert out.startswith("https:")
    if host.endswith(":443"):
        assert out.startswith("http:")
