"""The one off-site rule: which URLs belong to a site (its source hosts and declared aliases).

Every request of a crawl (first or redirected, robots.txt included), every link taken from a list page,
feed or sitemap, and every redirected source is checked here, so "another port on the same machine" or
"another host behind a redirect" is refused in one place. Pure: no Scrapy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}
_IP = re.compile(r"^[\d.]+$|:")  # dotted IPv4 (or any spelling of digits and dots), or IPv6


def split_host(netloc_or_url: str, scheme: str = "http") -> tuple[str, int | None] | None:
    """(host, port) of a 'host[:port]' or URL, lower-cased, a default port (80/443) as None; None if invalid."""
    text = netloc_or_url.strip()
    parts = urlsplit(text if "//" in text else f"{scheme}://{text}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host:
        return None
    host = host.rstrip(".")
    if port is not None and port in DEFAULT_PORTS.values():
        port = None  # http://x:80 and https://x:443 are the site's plain http/https (an upgrade is fine)
    return host, port


def is_ip(host: str) -> bool:
    """True for an address rather than a name (no sibling-subdomain rule applies to addresses)."""
    return bool(_IP.search(host))


def site_root(host: str) -> str | None:
    """The registrable-ish root: changchun.gov.cn for www.changchun.gov.cn, x.com.cn, y.cn."""
    labels = host.split(".")
    if len(labels) < 2:
        return None
    if labels[-1] == "cn" and len(labels) >= 3 and labels[-2] in {"gov", "com", "org", "net", "edu", "ac"}:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def allowed(url: str, hosts: Iterable[str]) -> bool:
    """True when url is http(s) on one of the site's hosts (same host and port), or on a sibling subdomain
    of a named host on the default port (www.x.gov.cn ~ zwgk.x.gov.cn).

    Another port on the same host is another service and is refused; so are user-info tricks
    (http://site@other/), other schemes and unparsable URLs.
    """
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in SCHEMES:
        return False
    got = split_host(url)
    if got is None:
        return False
    host, port = got
    mine = {h for h in (split_host(x) for x in hosts) if h is not None}
    if (host, port) in mine:
        return True
    if port is not None or is_ip(host):
        return False
    for h, p in mine:
        if p is not None or is_ip(h):
            continue
        root = site_root(h)
        if root and (host == root or host.endswith("." + root)):
            return True
    return False
