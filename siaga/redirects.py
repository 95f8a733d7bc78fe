"""Where a `next` parameter may send the browser: same-site absolute paths only.

Browsers forgive a lot in a Location header: they drop tabs and newlines anywhere, read a backslash as a
slash and `//host` as another site, so `/%09/evil.example` ends up at `//evil.example`. Anything that is
not plainly "/path" on this site is refused, and a refused target is simply the default page (never an
error: a CR or LF would otherwise reach the header and fail the response).
"""
from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit


def is_safe_path(target: str | None, within: str = "/") -> bool:
    if not target or not isinstance(target, str):
        return False
    if any(unicodedata.category(c)[0] == "C" or c in "\\\u2028\u2029" for c in target):
        return False  # control and format characters (tab, CR, LF, NUL, bidi marks...), backslash
    if not target.startswith("/") or target.startswith("//"):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith(within)


def safe_next(target: str | None, default: str, within: str = "/") -> str:
    """`target` when it is a same-site path (under `within`), else `default`."""
    return target if is_safe_path(target, within) else default


def same_site_path(url: str | None, host: str) -> str | None:
    """The path and query of `url` when it points at `host` (a Referer header), else None."""
    if not url or not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or parts.netloc != host:
        return None
    path = parts.path or "/"
    return path + ("?" + parts.query if parts.query else "")
