"""Security headers for the HTML pages the server sends (the report page, the live captions page).

A Content-Security-Policy that allows nothing but the page's own inline script and style (by their
sha256) plus what the page names: an injected script, style, frame, form or outside request is refused by
the browser. With it, no MIME sniffing and no referrer (the URLs carry tokens)."""

from __future__ import annotations

import base64
import hashlib
import re

_INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.S)


def content_security_policy(
    html: str, *, script: str = "", media: str = "'none'", connect: str = "'none'"
) -> str:
    """The policy for `html`; `script` adds sources (the live page's worklet is a blob:), `media` and
    `connect` say where the page may play from and talk to."""
    hashes: dict[str, list[str]] = {"script": [], "style": []}
    for tag, body in _INLINE.findall(html):
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
        hashes[tag].append(f"'sha256-{digest}'")
    scripts = " ".join([*hashes["script"], *([script] if script else [])]) or "'none'"
    styles = " ".join(hashes["style"]) or "'none'"
    return (
        f"default-src 'none'; script-src {scripts}; style-src {styles}; "
        f"media-src {media}; img-src 'self' data:; connect-src {connect}; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def page_headers(html: str, **policy: str) -> dict[str, str]:
    """The headers every page of ours carries; `policy` as for `content_security_policy`."""
    return {
        "Content-Security-Policy": content_security_policy(html, **policy),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
