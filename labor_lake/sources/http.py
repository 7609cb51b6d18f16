"""One way to talk HTTP, with limits: a shared `requests.Session` with a polite User-Agent, and
`fetch`, which sends one request and returns its whole body or raises a `SourceError` whose one
line names the redacted URL and what went wrong. Never a raw requests/urllib3 exception.

Limits, per call (keyword arguments of `fetch`, defaults below):

- `max_bytes`: the body is streamed and refused as soon as it passes this size (decoded size, so a
  small compressed body cannot expand past it); a `Content-Length` above it is refused unread.
- `deadline_seconds`: one deadline for the whole request, retries, backoff and `Retry-After`
  waits included, also enforced while the body arrives (a server dripping bytes is cut off).
- retries (the session's `retries`, `backoff_factor`): connection failures are retried once,
  429 and 5xx and bodies cut short up to `retries` times, waiting `Retry-After` when given but
  never more than `max_retry_after_seconds`, and never past the deadline. Two connection failures
  are definite answers that a retry within seconds would not change, so they are not retried: a
  host name the resolver says does not exist ("Name or service not known", unlike "Temporary
  failure in name resolution", which is retried) and a connection refused. A session remembers a
  host that does not resolve for `UNRESOLVED_HOST_SECONDS`: later requests to it fail at once.
- `max_redirects`: redirects are followed here, not by requests: more than this many, or a URL
  seen twice (a loop), is an error. A request that carries credentials (a secret query parameter
  such as FRED's `api_key`, a JSON body field such as BLS's `registrationkey`, or an
  `Authorization` header) is never redirected to another host (scheme, host or port) nor from
  https to http: the redirect is refused, so the secret never leaves for a host we did not pick.
- bodies are checked: a `Content-Length` that does not match, a chunked body cut short, a
  connection reset mid-body, and a body that claims an encoding (gzip) and is not, are errors.

Secrets in URLs are redacted before anything is logged, raised or stored.
"""

from __future__ import annotations

import http.client
import re
import socket
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter

USER_AGENT = "labor-lake/0.1 (open data pipeline; checks published labor-market figures)"
RETRY_STATUSES = (429, 500, 502, 503, 504)
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
SECRET_PARAMETER_NAMES = ("api_key", "registrationkey", "key", "token")
_SECRET_PARAMETERS = re.compile(rf"(?i)([?&](?:{'|'.join(SECRET_PARAMETER_NAMES)})=)[^&#]*")

DEFAULT_MAX_BYTES = 64 * 1024 * 1024  # the largest real source file we fetch is a few MB
DEFAULT_DEADLINE_SECONDS = 120.0
DEFAULT_MAX_RETRY_AFTER_SECONDS = 30.0
DEFAULT_MAX_REDIRECTS = 5
# How long a session takes a host that did not resolve as unresolvable: long enough for one build
# (offline, every source's requests to a host fail at once after the first), short enough that a
# process serving later runs asks the resolver again.
UNRESOLVED_HOST_SECONDS = 300.0
_CHUNK_BYTES = 64 * 1024


class SourceError(RuntimeError):
    """A source answered, but not with what we need (bad status, wrong shape, refusal)."""


class SourceUnreachable(SourceError):
    """The source could not be reached at all (DNS, connection refused, timeouts)."""


class _BodyFault(Exception):
    """The body could not be received whole; the message says why. A body cut short or reset
    may arrive whole on a retry; one too large, badly encoded or out of time will not."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


def redact(url: str) -> str:
    """`url` with the values of secret query parameters replaced by `REDACTED`."""
    return _SECRET_PARAMETERS.sub(r"\1REDACTED", url)


class LimitedSession(requests.Session):
    """A `requests.Session` that carries the retry policy `fetch` applies itself (requests and
    urllib3 retry nothing and follow no redirect on their own, so the limits hold)."""

    def __init__(self, retries: int, backoff_factor: float) -> None:
        super().__init__()
        self.retries = retries
        self.backoff_factor = backoff_factor
        # Host name -> (when it failed to resolve, monotonic seconds; the failure's class name).
        self.unresolved_hosts: dict[str, tuple[float, str]] = {}


def build_session(retries: int = 3, backoff_factor: float = 0.5) -> LimitedSession:
    """A session whose `fetch` calls retry 429, 5xx and cut bodies up to `retries` times with
    exponential backoff. Failed connections are retried once only, and a host name that does not
    exist or a refused connection not at all: more attempts rarely help, and in `auto` mode the
    pipeline should fall back without a long wait."""
    session = LimitedSession(retries, backoff_factor)
    adapter = HTTPAdapter(max_retries=0)
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
    link: str = ""  # the Link header (GitHub pages its API answers with it)


def carries_credentials(url: str, request_arguments: dict[str, Any]) -> bool:
    """Whether a request would send a secret: in its query, its JSON body or its headers."""
    if _SECRET_PARAMETERS.search(url):
        return True
    params = request_arguments.get("params") or {}
    body = request_arguments.get("json")
    headers = request_arguments.get("headers") or {}
    names = {name.lower() for name in SECRET_PARAMETER_NAMES}
    return (
        any(str(name).lower() in names for name in params)
        or (isinstance(body, dict) and any(str(name).lower() in names for name in body))
        or any(str(name).lower() == "authorization" for name in headers)
    )


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default_port


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def fetch(
    session: requests.Session,
    url: str,
    *,
    timeout: float,
    method: str = "GET",
    max_bytes: int = DEFAULT_MAX_BYTES,
    deadline_seconds: float = DEFAULT_DEADLINE_SECONDS,
    max_retry_after_seconds: float = DEFAULT_MAX_RETRY_AFTER_SECONDS,
    max_redirects: int = DEFAULT_MAX_REDIRECTS,
    **kwargs: Any,
) -> Fetched:
    """Send one request (retrying and following redirects within the limits above) and return
    the final 2xx answer's whole body; otherwise raise SourceUnreachable (no answer in time) or
    SourceError (an answer we cannot use), naming the redacted URL and the reason.

    `timeout` bounds each connect and each wait for bytes; `deadline_seconds` bounds everything.
    Other keyword arguments go to `requests` (e.g. `json=`, `params=`, `headers=`)."""
    retries = getattr(session, "retries", 3)
    backoff_factor = getattr(session, "backoff_factor", 0.5)
    started = time.monotonic()
    deadline = started + deadline_seconds
    first = f"{method} {redact(url)}"
    seen: list[str] = [url]
    failures = 0
    connection_failures = 0
    unresolved_hosts: dict[str, tuple[float, str]] | None = getattr(
        session, "unresolved_hosts", None
    )

    def wait_then_retry(seconds: float, why: str, error: type[SourceError]) -> None:
        if time.monotonic() + seconds > deadline:
            raise error(f"{where()}: {why}; no retry fits in the {deadline_seconds:g}s deadline")
        time.sleep(seconds)

    def where() -> str:
        current = f"{method} {redact(url)}"
        return current if current == first else f"{first} (redirected to {current})"

    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise SourceUnreachable(
                f"{where()}: no complete answer within the {deadline_seconds:g}s deadline"
            )
        host = (urlsplit(url).hostname or "").lower()
        if unresolved_hosts is not None and host in unresolved_hosts:
            failed_at, reason = unresolved_hosts[host]
            # The resolver's answer of a moment ago, as a caching resolver would give it (the
            # same words, so the run summary groups it with the first failure).
            if time.monotonic() - failed_at < UNRESOLVED_HOST_SECONDS:
                raise SourceUnreachable(f"{where()}: unreachable ({reason})")
            del unresolved_hosts[host]
        try:
            response = session.request(
                method,
                url,
                timeout=(min(timeout, remaining), min(timeout, remaining)),
                allow_redirects=False,
                stream=True,
                **kwargs,
            )
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as error:
            connection_failures += 1
            why = f"unreachable ({_reason(error)})"
            definite = _definite_connection_failure(error)
            if definite == _UNRESOLVED and unresolved_hosts is not None:
                unresolved_hosts[host] = (time.monotonic(), _reason(error))
            if definite or connection_failures > min(retries, 1):
                raise SourceUnreachable(f"{where()}: {why}") from None
            wait_then_retry(backoff_factor, why, SourceUnreachable)
            continue
        except requests.exceptions.RequestException as error:
            raise SourceError(f"{where()}: request failed ({_reason(error)})") from None

        with response:
            status = response.status_code
            if status in REDIRECT_STATUSES and response.headers.get("Location"):
                target = urljoin(url, response.headers["Location"])
                if status == 303 or (status in (301, 302) and method == "POST"):
                    method = "GET"  # as browsers and requests do: the body is not re-sent
                    kwargs = {k: v for k, v in kwargs.items() if k not in ("json", "data")}
                _check_redirect(where(), url, target, kwargs, seen, max_redirects)
                url = target
                seen.append(url)
                continue
            if status in RETRY_STATUSES:
                failures += 1
                why = f"HTTP {status}"
                if failures > retries:
                    raise SourceError(f"{where()}: {why} after retries ({failures} attempts)")
                asked = _retry_after_seconds(response.headers.get("Retry-After"))
                backoff = backoff_factor * 2 ** (failures - 1)
                pause = backoff if asked is None else min(asked, max_retry_after_seconds)
                wait_then_retry(pause, why, SourceError)
                continue
            if not 200 <= status < 300:
                raise SourceError(f"{where()}: HTTP {status}")
            try:
                content = _read_body(response, max_bytes, deadline, deadline_seconds)
            except _BodyFault as fault:
                failures += 1
                if failures > retries or not fault.retryable:
                    raise SourceError(f"{where()}: {fault}") from None
                wait_then_retry(backoff_factor * 2 ** (failures - 1), str(fault), SourceError)
                continue
            return Fetched(
                url=redact(url),
                status=status,
                content=content,
                content_type=response.headers.get("Content-Type", ""),
                link=response.headers.get("Link", ""),
            )


def _check_redirect(
    where: str,
    current: str,
    target: str,
    request_arguments: dict[str, Any],
    seen: list[str],
    max_redirects: int,
) -> None:
    if target in seen:
        loop = " -> ".join(redact(u) for u in [*seen[seen.index(target) :], target])
        raise SourceError(f"{where}: redirect loop ({loop})")
    if len(seen) > max_redirects:
        raise SourceError(f"{where}: more than {max_redirects} redirects")
    if carries_credentials(target, request_arguments) or carries_credentials(
        current, request_arguments
    ):
        here, there = _origin(current), _origin(target)
        if here[1:] != there[1:] or (here[0] == "https" and there[0] != "https"):
            raise SourceError(
                f"{where}: refused a redirect to {redact(target)}: the request carries "
                f"credentials and that is another host"
            )


def _read_body(
    response: requests.Response, max_bytes: int, deadline: float, deadline_seconds: float
) -> bytes:
    """The whole decoded body, or _BodyFault: too large, cut short, reset, badly encoded, or
    still arriving at the deadline. Never holds more than `max_bytes` plus one chunk."""
    declared = response.headers.get("Content-Length")
    encoded = response.headers.get("Content-Encoding", "identity").lower() != "identity"
    if declared and declared.isdigit() and not encoded and int(declared) > max_bytes:
        raise _BodyFault(f"body of {int(declared):,} bytes is larger than {max_bytes:,} bytes")
    body = bytearray()
    raw = response.raw
    try:
        while True:
            chunk = raw.read1(_CHUNK_BYTES, decode_content=True)
            if not chunk:
                break
            body += chunk
            if len(body) > max_bytes:
                raise _BodyFault(f"body is larger than {max_bytes:,} bytes (refused there)")
            if time.monotonic() > deadline:
                raise _BodyFault(
                    f"body still arriving at the {deadline_seconds:g}s deadline "
                    f"({len(body):,} bytes so far)"
                )
    except urllib3.exceptions.DecodeError:
        encoding = response.headers.get("Content-Encoding")
        raise _BodyFault(f"bad encoding: the body is not the {encoding} it claims") from None
    except (urllib3.exceptions.ProtocolError, http.client.HTTPException) as error:
        raise _BodyFault(
            f"body cut short ({_broken_body(error, len(body))})", retryable=True
        ) from None
    except (urllib3.exceptions.ReadTimeoutError, TimeoutError):
        raise _BodyFault(f"body stalled ({len(body):,} bytes received)", retryable=True) from None
    except OSError as error:
        raise _BodyFault(
            f"connection failed mid-body ({type(error).__name__})", retryable=True
        ) from None
    return bytes(body)


def _broken_body(error: BaseException, received: int) -> str:
    """What broke a body, without the exception's text (which may repeat the URL)."""
    cause = error.args[-1] if error.args else error
    if isinstance(cause, http.client.IncompleteRead):
        expected = cause.expected if isinstance(cause.expected, int) else None
        declared = f" of {received + expected:,}" if expected is not None else ""
        return f"{received:,}{declared} bytes received"
    if isinstance(cause, ConnectionResetError):
        return f"connection reset after {received:,} bytes"
    if isinstance(cause, BaseException):
        return f"{type(cause).__name__} after {received:,} bytes"
    return f"connection closed after {received:,} bytes"


_UNRESOLVED = "unresolved"
_REFUSED = "refused"


def _definite_connection_failure(error: BaseException) -> str | None:
    """`_UNRESOLVED` if the resolver answered that the host name does not exist (EAI_NONAME),
    `_REFUSED` if the host refused the connection, else None: a timeout, a reset or a temporary
    resolver failure (EAI_AGAIN) may pass, so those are retried."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:  # the cause is wrapped by requests and urllib3, in args or as __cause__
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, socket.gaierror):
            return _UNRESOLVED if current.errno == socket.EAI_NONAME else None
        if isinstance(current, ConnectionRefusedError):
            return _REFUSED
        pending.extend(arg for arg in current.args if isinstance(arg, BaseException))
        pending.extend(
            linked
            for linked in (
                current.__cause__,
                current.__context__,
                getattr(current, "_reason", None),
            )
            if isinstance(linked, BaseException)
        )
    return None


def _reason(error: BaseException) -> str:
    # Exception texts from urllib3 repeat the full URL, secrets included: keep only class names.
    inner = error.args[0] if error.args else error
    if (
        isinstance(inner, BaseException)
        and inner.args
        and isinstance(inner.args[-1], BaseException)
    ):
        inner = inner.args[-1]
    reason = getattr(inner, "reason", inner)
    return type(reason).__name__
