"""Streaming saves stop at the limit and leave nothing behind; the fetch policy knows private from public."""

from __future__ import annotations

import hashlib

import pytest

from bot.fetch import FetchPolicy, TooLarge, save_stream


def reader(chunks):
    it = iter(chunks + [b""])

    async def read():
        return next(it)

    return read


async def test_save_stream_hashes_what_it_writes(tmp_path):
    dest = tmp_path / "a.bin"
    sha, size = await save_stream(reader([b"abc", b"def"]), dest, limit=10)
    assert (sha, size) == (hashlib.sha256(b"abcdef").hexdigest(), 6) and dest.read_bytes() == b"abcdef"


async def test_save_stream_stops_at_the_limit_and_cleans_up(tmp_path):
    dest = tmp_path / "b.bin"
    with pytest.raises(TooLarge):
        await save_stream(reader([b"x" * 6, b"y" * 6, b"never read"]), dest, limit=10)
    assert not dest.exists()


@pytest.mark.parametrize(
    "ip, ok",
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1::1", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.9", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("::1", False),
        ("fe80::1", False),
        ("::ffff:127.0.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("2002:7f00:1::1", False),  # 6to4 of 127.0.0.1
        ("2002:a01:203::1", False),  # 6to4 of 10.1.2.3
        ("2002:5db8:d822::1", True),  # 6to4 of a public address
        ("64:ff9b::a01:203", False),  # NAT64 of 10.1.2.3
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 of the metadata service
        ("::a01:203", False),  # IPv4-compatible
        ("2001:0:4136:e378:8000:63bf:f5fe:fdfc", False),  # Teredo
    ],
)
def test_only_public_addresses_unless_allowed(ip, ok):
    assert FetchPolicy().permits(ip) is ok


def test_an_allowed_network_opens_up_only_itself():
    policy = FetchPolicy.from_settings(["10.20.0.0/16"], 100)
    assert policy.permits("10.20.3.4") and not policy.permits("10.21.0.1")


async def test_a_refusal_does_not_tell_the_internal_address():
    from bot.fetch import FetchError, check_destination

    with pytest.raises(FetchError) as refused:
        await check_destination("http://localhost:9/cb", FetchPolicy())
    assert "127.0.0.1" not in str(refused.value) and "::1" not in str(refused.value)
    assert "localhost" in str(refused.value)
