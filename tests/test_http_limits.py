"""HTTP limits and faults, against a real local server (tests/faults.py) serving the recorded
Indeed AI-share file at its real path: each fault becomes one SourceError line naming the
redacted URL and what went wrong, within a deadline, and no secret follows a redirect to another
host."""

from __future__ import annotations

import gzip
import socket
import time

import pytest
import requests

from assets import settings
from labor_lake.sources import http
from labor_lake.sources.http import (
    SourceError,
    SourceUnreachable,
    build_session,
    carries_credentials,
    fetch,
)
from labor_lake.sources.snapshots import load_manifest

from .faults import (
    Body,
    ChunkedCut,
    Drip,
    FalseGzip,
    FaultServer,
    Huge,
    Redirect,
    Reset,
    ShortContentLength,
    Status,
)

AI_SHARE_PATH = (
    "/hiring-lab/ai-tracker/main/AI_posting.csv"  # where raw.githubusercontent.com has it
)
BLS_PATH = "/publicAPI/v2/timeseries/data/"
FRED_API_PATH = "/fred/series/observations"


@pytest.fixture
def ai_share_csv() -> bytes:
    """The real Indeed AI-share file (24,642 rows), from the recorded snapshot."""
    (snapshot,) = (
        s for s in load_manifest(settings.SNAPSHOT_MANIFEST) if s.dataset == "indeed_ai_share"
    )
    return snapshot.read()


@pytest.fixture
def server():
    with FaultServer() as running:
        yield running


@pytest.fixture
def session() -> requests.Session:
    return build_session(retries=2, backoff_factor=0.05)


def one_line_error(error: pytest.ExceptionInfo[SourceError]) -> str:
    message = str(error.value)
    assert "\n" not in message
    assert error.value.__cause__ is None  # never a raw requests/urllib3 exception underneath
    return message


def test_a_good_answer_is_returned_whole(server, session, ai_share_csv) -> None:
    server.serve(AI_SHARE_PATH, ai_share_csv)
    fetched = fetch(session, server.url(AI_SHARE_PATH), timeout=5)
    assert fetched.content == ai_share_csv and fetched.status == 200
    with pytest.raises(SourceError, match="HTTP 404"):
        fetch(session, server.url("/somewhere/else.csv"), timeout=5)


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (lambda body: ShortContentLength(body), r"body cut short"),
        (lambda body: ChunkedCut(body[:5000]), r"body cut short"),
        (lambda body: Reset(body), r"body cut short|connection failed mid-body"),
        (lambda body: FalseGzip(body), r"bad encoding: the body is not the gzip it claims"),
        (lambda body: Status(500), r"HTTP 500 after retries \(3 attempts\)"),
        (lambda body: Status(429, retry_after="1"), r"HTTP 429 after retries \(3 attempts\)"),
        (lambda body: Redirect(AI_SHARE_PATH), r"redirect loop"),
    ],
    ids=["content-length", "chunked-cut", "reset", "false-gzip", "500", "429", "loop"],
)
def test_each_fault_is_one_line_naming_the_url_and_what_went_wrong(
    server, session, ai_share_csv, fault, expected
) -> None:
    server.fault(AI_SHARE_PATH, fault(ai_share_csv))
    started = time.monotonic()
    with pytest.raises(SourceError, match=expected) as error:
        fetch(session, server.url(AI_SHARE_PATH), timeout=5)
    assert f"GET {server.url(AI_SHARE_PATH)}" in one_line_error(error)
    assert time.monotonic() - started < 10


def test_a_transient_fault_is_retried_and_the_good_answer_kept(
    server, session, ai_share_csv
) -> None:
    good = ai_share_csv
    server.fault(AI_SHARE_PATH, Status(503, retry_after="0", times=2, then=Body(good)))
    assert fetch(session, server.url(AI_SHARE_PATH), timeout=5).content == good
    assert len(list(server.requests_to(AI_SHARE_PATH))) == 3


def test_a_real_gzip_body_is_decoded(server, session, ai_share_csv) -> None:
    server.fault(
        AI_SHARE_PATH,
        Body(gzip.compress(ai_share_csv), headers=(("Content-Encoding", "gzip"),)),
    )
    assert fetch(session, server.url(AI_SHARE_PATH), timeout=5).content == ai_share_csv


def test_retry_after_is_capped_and_the_deadline_covers_every_wait(server, session) -> None:
    server.fault(AI_SHARE_PATH, Status(429, retry_after="600"))
    started = time.monotonic()
    with pytest.raises(SourceError, match="HTTP 429; no retry fits in the 2s deadline"):
        fetch(
            session,
            server.url(AI_SHARE_PATH),
            timeout=5,
            deadline_seconds=2,
            max_retry_after_seconds=5,
        )
    assert time.monotonic() - started < 1  # refused at once: waiting would pass the deadline

    server.fault(AI_SHARE_PATH, Status(429, retry_after="600"))
    started = time.monotonic()
    with pytest.raises(SourceError, match=r"HTTP 429 after retries \(3 attempts\)"):
        fetch(session, server.url(AI_SHARE_PATH), timeout=5, max_retry_after_seconds=0.5)
    assert 1.0 <= time.monotonic() - started < 3  # two waits of 0.5 s, not of 600 s


def test_a_dripping_server_is_cut_off_at_the_deadline(server, session) -> None:
    server.fault(AI_SHARE_PATH, Drip(b"date,jobcountry,AI_share_postings\n" * 10, interval=0.2))
    started = time.monotonic()
    with pytest.raises(SourceError, match=r"body still arriving at the 1\.5s deadline") as error:
        fetch(session, server.url(AI_SHARE_PATH), timeout=5, deadline_seconds=1.5)
    one_line_error(error)
    assert time.monotonic() - started < 2.5


def test_a_connection_refused_is_unreachable(session) -> None:
    with FaultServer() as gone:
        url = gone.url(AI_SHARE_PATH)
    with pytest.raises(SourceUnreachable, match="unreachable") as error:
        fetch(session, url, timeout=2)
    assert url in one_line_error(error)


def test_a_connection_refused_is_not_retried() -> None:
    """A refusal is a definite answer: asking again after a backoff of 30 s would only wait."""
    with FaultServer() as gone:
        url = gone.url(AI_SHARE_PATH)
    started = time.monotonic()
    with pytest.raises(SourceUnreachable, match=r"unreachable \(NewConnectionError\)"):
        fetch(build_session(retries=2, backoff_factor=30), url, timeout=2)
    assert time.monotonic() - started < 5


@pytest.fixture
def resolver(monkeypatch, server):
    """The system resolver for one real host name, `raw.githubusercontent.com`, answering in
    turn with the errors listed in `answers` (a socket.gaierror errno each), then with the local
    server's address; every other name resolves as usual. Records each lookup of the name."""
    real_getaddrinfo = socket.getaddrinfo
    answers: list[int] = []
    lookups: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host != "raw.githubusercontent.com":
            return real_getaddrinfo(host, port, *args, **kwargs)
        lookups.append(host)
        if answers:
            errno = answers.pop(0)
            raise socket.gaierror(errno, "Name or service not known"
                                  if errno == socket.EAI_NONAME
                                  else "Temporary failure in name resolution")  # fmt: skip
        return real_getaddrinfo("127.0.0.1", port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers, lookups, f"http://raw.githubusercontent.com:{server.port}{AI_SHARE_PATH}"


def test_a_name_that_does_not_resolve_fails_at_once_and_is_remembered(
    resolver, server, ai_share_csv, monkeypatch
) -> None:
    answers, lookups, url = resolver
    server.serve(AI_SHARE_PATH, ai_share_csv)
    session = build_session(retries=2, backoff_factor=30)
    answers.append(socket.EAI_NONAME)
    started = time.monotonic()
    with pytest.raises(SourceUnreachable, match=r"unreachable \(NameResolutionError\)") as first:
        fetch(session, url, timeout=2)
    # Another request to the host in the same run: the same answer, the resolver not asked.
    with pytest.raises(SourceUnreachable, match=r"unreachable \(NameResolutionError\)") as again:
        fetch(session, url + "?page=2", timeout=2)
    assert time.monotonic() - started < 5 and lookups == ["raw.githubusercontent.com"]
    assert url in one_line_error(first) and url in one_line_error(again)
    # Once the memory has passed, the resolver is asked again (and now answers).
    monkeypatch.setattr(http, "UNRESOLVED_HOST_SECONDS", 0.0)
    assert fetch(session, url, timeout=2).content == ai_share_csv
    assert lookups == ["raw.githubusercontent.com"] * 2


def test_a_temporary_resolver_failure_is_retried(resolver, server, ai_share_csv) -> None:
    answers, lookups, url = resolver
    server.serve(AI_SHARE_PATH, ai_share_csv)
    answers.append(socket.EAI_AGAIN)
    fetched = fetch(build_session(retries=2, backoff_factor=0.05), url, timeout=2)
    assert fetched.content == ai_share_csv and len(lookups) == 2


@pytest.mark.parametrize("declare_length", [True, False], ids=["content-length", "chunked"])
def test_an_answer_past_max_bytes_is_refused_without_reading_it(
    server, session, declare_length
) -> None:
    server.fault(AI_SHARE_PATH, Huge(300 * 1024 * 1024, declare_length=declare_length))
    started = time.monotonic()
    with pytest.raises(SourceError, match="larger than 1,048,576 bytes") as error:
        fetch(session, server.url(AI_SHARE_PATH), timeout=5, max_bytes=1024 * 1024)
    one_line_error(error)
    assert time.monotonic() - started < 5  # 300 MB were not downloaded


def test_a_gzip_bomb_is_refused_by_its_decoded_size(server, session) -> None:
    bomb = gzip.compress(b"0" * (20 * 1024 * 1024))  # 20 MB that compress to ~20 KB
    server.fault(AI_SHARE_PATH, Body(bomb, headers=(("Content-Encoding", "gzip"),)))
    with pytest.raises(SourceError, match="larger than 1,048,576 bytes"):
        fetch(session, server.url(AI_SHARE_PATH), timeout=5, max_bytes=1024 * 1024)


def test_redirects_are_capped(server, session) -> None:
    for hop in range(8):
        server.fault(f"/hop{hop}", Redirect(f"/hop{hop + 1}", status=302))
    with pytest.raises(SourceError, match="more than 3 redirects"):
        fetch(session, server.url("/hop0"), timeout=5, max_redirects=3)


def test_a_same_host_redirect_is_followed(server, session, ai_share_csv) -> None:
    server.fault("/moved.csv", Redirect(AI_SHARE_PATH, status=301))
    server.serve(AI_SHARE_PATH, ai_share_csv)
    fetched = fetch(session, server.url("/moved.csv"), timeout=5)
    assert fetched.content == ai_share_csv and fetched.url == server.url(AI_SHARE_PATH)


def test_credentials_never_follow_a_redirect_to_another_host(server, session) -> None:
    """The BLS key travels in the POST body, the FRED key in the query: a 307 to another host
    would re-send them there. It is refused; the other host receives nothing."""
    with FaultServer() as elsewhere:
        server.fault(BLS_PATH, Redirect(elsewhere.url(BLS_PATH), status=307))
        server.fault(FRED_API_PATH, Redirect(elsewhere.url(FRED_API_PATH), status=307))
        canary = "canary-key-0123456789"
        with pytest.raises(SourceError, match="refused a redirect") as error:
            fetch(
                session,
                server.url(BLS_PATH),
                timeout=5,
                method="POST",
                json={"seriesid": ["OEUN000000000000015120004"], "registrationkey": canary},
            )
        assert canary not in one_line_error(error)
        with pytest.raises(SourceError, match="refused a redirect") as error:
            fetch(
                session,
                server.url(f"{FRED_API_PATH}?series_id=IHLIDXUS&api_key={canary}"),
                timeout=5,
            )
        assert canary not in one_line_error(error)
        assert "api_key=REDACTED" in str(error.value)
        assert elsewhere.requests == []

        # Without credentials, a redirect to another host is an ordinary redirect.
        elsewhere.serve("/public.csv", b"a,b\n1,2\n")
        server.fault("/public.csv", Redirect(elsewhere.url("/public.csv")))
        assert fetch(session, server.url("/public.csv"), timeout=5).content == b"a,b\n1,2\n"


def test_credentials_are_recognised_where_each_source_puts_them() -> None:
    assert carries_credentials("https://api.stlouisfed.org/fred/x?api_key=k", {})
    assert carries_credentials("https://api.bls.gov/x", {"json": {"registrationkey": "k"}})
    assert carries_credentials("https://h/x", {"headers": {"Authorization": "Bearer k"}})
    assert not carries_credentials("https://h/x?id=IHLIDXUS", {"json": {"seriesid": []}})
