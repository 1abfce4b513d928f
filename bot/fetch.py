"""Fetch a caller-supplied URL without letting it reach inside our network (SSRF).

http/https only; every host is resolved by our own resolver, which refuses private, loopback,
link-local (cloud metadata lives there), multicast and reserved addresses unless a network is explicitly
allowed. The connection then goes to exactly the address that was checked (no DNS rebinding), and every
redirect hop goes through the same check. Size and time limits apply while streaming.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import logging
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

log = logging.getLogger(__name__)


class FetchError(ValueError):
    """The URL cannot be fetched; the message is one sentence for the caller."""


class TooLarge(ValueError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than the limit of {limit} bytes")
        self.limit = limit


async def save_stream(read: Callable[[], Awaitable[bytes]], dest: Path, limit: int) -> tuple[str, int]:
    """Write what `read` yields (b"" at the end) to `dest`, hashing as it goes; raise TooLarge the moment
    the limit is passed, leaving nothing behind. Uploads and downloads never sit whole in memory."""
    digest, size = hashlib.sha256(), 0
    try:
        with dest.open("wb") as fh:
            while block := await read():
                size += len(block)
                if size > limit:
                    raise TooLarge(limit)
                digest.update(block)
                fh.write(block)
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    return digest.hexdigest(), size


@dataclass
class FetchPolicy:
    allow_nets: list[ipaddress._BaseNetwork] = field(default_factory=list)
    max_bytes: int = 1024**3
    timeout_s: float = 120.0
    max_redirects: int = 5

    @classmethod
    def from_settings(cls, allow: list[str], max_bytes: int) -> FetchPolicy:
        try:
            nets = [ipaddress.ip_network(n, strict=False) for n in allow]
        except ValueError as exc:
            raise FetchError(f"IB_FETCH_ALLOW_NETS has an invalid network: {exc}") from None
        return cls(allow_nets=nets, max_bytes=max_bytes)

    def permits(self, ip: str) -> bool:
        addr = ipaddress.ip_address(ip.split("%")[0])
        if any(addr in net for net in self.allow_nets):
            return True
        if not _public(addr):
            return False
        embedded = _embedded_ipv4(addr)  # 6to4, Teredo, NAT64, mapped, compatible: the IPv4 inside too
        return embedded is None or (any(embedded in net for net in self.allow_nets) or _public(embedded))


def _public(addr: ipaddress._BaseAddress) -> bool:
    return addr.is_global and not (addr.is_multicast or addr.is_reserved or addr.is_unspecified)


_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


def _embedded_ipv4(addr: ipaddress._BaseAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (and would reach through a gateway), if any."""
    if not isinstance(addr, ipaddress.IPv6Address):
        return None
    if addr.ipv4_mapped:
        return addr.ipv4_mapped
    if addr.sixtofour:
        return addr.sixtofour
    if addr.teredo:
        return addr.teredo[1]
    if addr in _NAT64 or addr in _NAT64_LOCAL or int(addr) >> 32 == 0:  # NAT64, IPv4-compatible ::a.b.c.d
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    return None


async def check_destination(url: str, policy: FetchPolicy) -> None:
    """At submit time: the URL's scheme and host, and every address its host resolves to, are allowed
    (a private callback address is the caller's error now, not a failed delivery later)."""
    check_url(url)
    await _CheckingResolver(policy).resolve(urlsplit(url).hostname or "", 0)


class _CheckingResolver(AbstractResolver):
    def __init__(self, policy: FetchPolicy) -> None:
        self.policy = policy

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[ResolveResult]:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, family=socket.AF_UNSPEC)
        except (socket.gaierror, UnicodeError):  # UnicodeError: a name IDNA cannot encode
            raise FetchError(f"cannot resolve host {host!r}") from None
        results: list[ResolveResult] = []
        for fam, _type, proto, _canon, sockaddr in infos:
            ip = sockaddr[0]
            if not self.policy.permits(ip):
                # the resolved address stays in our log: telling the caller maps the internal network
                log.info("refused %s: it resolves to %s", host, ip)
                raise FetchError(f"refusing to connect to {host}: not a public address")
            results.append(
                {
                    "hostname": host,
                    "host": ip,
                    "port": port,
                    "family": fam,
                    "proto": proto,
                    "flags": socket.AI_NUMERICHOST,
                }
            )
        if not results:
            raise FetchError(f"cannot resolve host {host!r}")
        return results

    async def close(self) -> None:
        return None


def check_url(url: str) -> None:
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port  # .port raises for a port out of range
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket
        raise FetchError(f"the URL is malformed: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise FetchError(f"only http and https URLs can be fetched, not {parts.scheme or 'a bare path'}")
    if not host:
        raise FetchError("the URL has no host")


def _session(policy: FetchPolicy) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(resolver=_CheckingResolver(policy), use_dns_cache=False)
    return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=policy.timeout_s))


def _check_literal_host(url: str, policy: FetchPolicy) -> None:
    """aiohttp does not consult the resolver for IP-literal hosts: check those here."""
    host = urlsplit(url).hostname or ""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return
    if not policy.permits(host.strip("[]")):
        raise FetchError(f"refusing to fetch from {host}: not a public address")


async def _follow(session: aiohttp.ClientSession, method: str, url: str, policy: FetchPolicy, **kwargs: Any):
    for _ in range(policy.max_redirects + 1):
        check_url(url)
        _check_literal_host(url, policy)
        try:
            resp = await session.request(method, url, allow_redirects=False, **kwargs)
        except aiohttp.ClientConnectorError as exc:
            cause = exc.__cause__ or exc.os_error
            if isinstance(cause, FetchError):
                raise cause from None
            raise FetchError(f"cannot connect to {urlsplit(url).hostname}: {exc.strerror or exc}") from None
        except FetchError:
            raise
        except ValueError as exc:  # yarl and IDNA refuse what urlsplit let through (UnicodeError too)
            raise FetchError(f"the URL is malformed ({type(exc).__name__})") from None
        if resp.status in (301, 302, 303, 307, 308) and "Location" in resp.headers:
            url = str(resp.url.join(aiohttp.client.URL(resp.headers["Location"])))
            resp.release()
            if resp.status == 303:
                method, kwargs = "GET", {}
            continue
        return resp
    raise FetchError(f"too many redirects (more than {policy.max_redirects})")


async def download(url: str, dest: Path, policy: FetchPolicy) -> tuple[str, int, str | None]:
    """Stream `url` into `dest`; returns (sha256, bytes, content type). Raises FetchError with a clear
    sentence."""
    try:
        async with _session(policy) as session:
            resp = await _follow(session, "GET", url, policy)
            async with resp:
                if resp.status >= 400:
                    raise FetchError(f"the audio URL answered HTTP {resp.status}")
                declared = resp.content_length
                if declared is not None and declared > policy.max_bytes:
                    raise FetchError(
                        f"the audio at that URL is {declared} bytes; the limit is {policy.max_bytes}"
                    )
                try:
                    sha, size = await save_stream(lambda: resp.content.read(1 << 16), dest, policy.max_bytes)
                except TooLarge:
                    raise FetchError(
                        f"the audio at that URL is larger than the limit of {policy.max_bytes} bytes"
                    ) from None
                return sha, size, resp.headers.get("Content-Type")
    except TimeoutError:
        raise FetchError(f"fetching the audio URL took longer than {policy.timeout_s:.0f} s") from None
    except aiohttp.ClientError as exc:
        raise FetchError(f"fetching the audio URL failed: {exc.__class__.__name__}") from None
    except FetchError:
        dest.unlink(missing_ok=True)
        raise


async def post_json(
    url: str, payload: dict[str, Any], policy: FetchPolicy, *, retries: int = 3, backoff_s: float = 1.0
) -> int:
    """Deliver a callback; retried on network errors and 5xx. Returns the final HTTP status."""
    last: Exception | None = None
    for attempt in range(retries + 1):
        try:
            async with _session(policy) as session:
                resp = await _follow(session, "POST", url, policy, json=payload)
                async with resp:
                    if resp.status < 500:
                        return resp.status
                    last = FetchError(f"callback answered HTTP {resp.status}")
        except FetchError as exc:
            if "refusing" in str(exc) or "only http" in str(exc):
                raise
            last = exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            last = exc
        if attempt < retries:
            await asyncio.sleep(backoff_s * 2**attempt)
    raise FetchError(f"callback to {urlsplit(url).hostname} failed after {retries + 1} attempts ({last})")
