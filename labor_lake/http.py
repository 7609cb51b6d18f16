"""One way to talk HTTP: a shared `requests.Session` with timeouts, a polite User-Agent, and
retries with backoff on connection errors, 429 and 5xx (honouring `Retry-After`) through urllib3's
`Retry`. Secrets in URLs are redacted before anything is logged or stored."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

USER_AGENT = "labor-lake/0.1 (open data pipeline; checks published labor-market figures)"
RETRY_STATUSES = (429, 500, 502, 503, 504)
_SECRET_PARAMETERS = re.compile(r"(?i)([?&](?:api_key|registrationkey|key|token)=)[^&#]*")


class SourceError(RuntimeError):
    """A source answered, but not with what we need (bad status, wrong shape, refusal)."""


class SourceUnreachable(SourceError):
    """The source could not be reached at all (DNS, connection refused, timeouts)."""


def redact(url: str) -> str:
    """`url` with the values of secret query parameters replaced by `REDACTED`."""
    return _SECRET_PARAMETERS.sub(r"\1REDACTED", url)


def build_session(retries: int = 3, backoff_factor: float = 0.5) -> requests.Session:
    """A session that retries connection errors, 429 and 5xx with exponential backoff.

    Failed connections are retried once only: when a host cannot be resolved or reached, more
    attempts rarely help, and in `auto` mode the pipeline should fall back without a long wait.
    """
    retry = Retry(
        total=retries,
        connect=min(retries, 1),
        read=retries,
        status=retries,
        backoff_factor=backoff_factor,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "POST"}),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


@dataclass(frozen=True)
class Fetched:
    """A response body as received, with what the manifest records about it."""

    url: str  # redacted
    status: int
    content: bytes
    content_type: str


def fetch(
    session: requests.Session, url: str, *, timeout: float, method: str = "GET", **kwargs: Any
) -> Fetched:
    """Send one request; raise SourceUnreachable or SourceError (with the redacted URL) unless the
    final answer, after retries, is a 2xx."""
    safe_url = redact(url)
    try:
        response = session.request(method, url, timeout=timeout, **kwargs)
    except requests.exceptions.RetryError as error:
        raise SourceError(
            f"{method} {safe_url}: gave up after retries ({_reason(error)})"
        ) from None
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as error:
        raise SourceUnreachable(f"{method} {safe_url}: unreachable ({_reason(error)})") from None
    if not 200 <= response.status_code < 300:
        raise SourceError(f"{method} {safe_url}: HTTP {response.status_code} after retries")
    return Fetched(
        url=safe_url,
        status=response.status_code,
        content=response.content,
        content_type=response.headers.get("Content-Type", ""),
    )


def _reason(error: Exception) -> str:
    # Exception texts from urllib3 repeat the full URL, secrets included: keep only the class.
    inner = error.args[0] if error.args else error
    reason = getattr(inner, "reason", inner)
    return type(reason).__name__
