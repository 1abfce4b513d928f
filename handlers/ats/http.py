"""The HTTP calls of the REST ATSes (Greenhouse, Lever): one session, a timeout, and every failure as an
AtsFailure with one sentence (the person who clicked reads it)."""

from __future__ import annotations

import base64
import logging
from typing import Any

import aiohttp

from bot.ats import AtsFailure

log = logging.getLogger(__name__)


class RestApi:
    def __init__(self, name: str, base_url: str, timeout_s: float) -> None:
        self.name, self.base = name, base_url.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base}/{path.lstrip('/')}"

    async def call(self, method: str, path: str, **kwargs: Any) -> tuple[Any, aiohttp.typedefs.LooseHeaders]:
        """(JSON body, headers) of a 2xx answer; AtsFailure for anything else, a timeout or no answer."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        where = f"{method} {path.split('?')[0]}"
        try:
            async with self._session.request(method, self.url(path), **kwargs) as resp:
                if resp.status >= 400:
                    detail = (await resp.text())[:200].replace("\n", " ")
                    log.warning("%s answered HTTP %s for %s: %s", self.name, resp.status, where, detail)
                    raise AtsFailure(f"{self.name} answered HTTP {resp.status} for {where}")
                body = await resp.json(content_type=None) if resp.status != 204 else None
                return body, resp.headers
        except TimeoutError:
            raise AtsFailure(f"{self.name} did not answer {where} in time") from None
        except (aiohttp.ClientError, ValueError) as exc:
            raise AtsFailure(f"{self.name} could not be reached for {where} ({type(exc).__name__})") from None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def same_person(a: str | None, b: str | None) -> bool:
    """Names compared as people write them: case, spacing and word order aside."""
    norm = lambda s: sorted((s or "").casefold().split())  # noqa: E731
    return bool(a and b) and norm(a) == norm(b)


def basic_auth(user: str, password: str) -> dict[str, str]:
    """An HTTP Basic Authorization header."""
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}
