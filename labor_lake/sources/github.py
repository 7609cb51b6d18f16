"""A file's versions through GitHub: the REST API's commits listing for the path, then the raw
file at each commit.

- List commits (GitHub Docs, "REST API endpoints for commits", API version 2022-11-28):
  `GET https://api.github.com/repos/{owner}/{repo}/commits?path=...&sha=<branch>&per_page=100`,
  a JSON array of commits, newest first, each with `sha` and `commit.committer.date`
  (ISO 8601, UTC, `Z`). Pages are linked by the `Link` header ("Using pagination in the REST
  API"): follow `rel="next"` as given until there is none.
- The file at a commit: `https://raw.githubusercontent.com/{owner}/{repo}/{sha}/{path}`; a
  commit that deleted the file answers 404 there.

A token, where given, comes from GITHUB_TOKEN in the environment only and is sent as an
`Authorization` header (never in a URL, so never logged); without one GitHub allows 60 API
requests an hour. Every failure is one line naming the page or the commit.

Not checked against the live API offline: the tests serve a listing in the documented shape whose
field values come from the real git history (tests/replay.py), not a recorded API answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import requests

from labor_lake.sources.catalog import Dataset
from labor_lake.sources.history import FileAbsent, HistoryError, HistoryUnreachable, Version
from labor_lake.sources.http import Fetched, SourceError, SourceUnreachable, fetch

TOKEN_VARIABLE = "GITHUB_TOKEN"
ACCEPT = "application/vnd.github+json"
API_VERSION = "2022-11-28"
MAX_PAGES = 50  # 5,000 commits: far more than any file we read has
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')

# GET a URL with these headers.
Get = Callable[[str, Mapping[str, str]], Fetched]


def api_headers(token: str | None) -> dict[str, str]:
    headers = {"Accept": ACCEPT, "X-GitHub-Api-Version": API_VERSION}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def next_page(link: str) -> str | None:
    """The `rel="next"` URL of a Link header, if any."""
    match = _NEXT.search(link or "")
    return match.group(1) if match else None


def list_commits(
    dataset: Dataset, get: Get, address: Callable[[str], str], token: str | None
) -> list[tuple[str, datetime]]:
    """(sha, committer date in UTC) of every commit touching the dataset's path, oldest first."""
    history = dataset.history
    assert history is not None, dataset.id
    url: str | None = address(history.commits_url())
    commits: list[tuple[str, datetime]] = []
    for page in range(1, MAX_PAGES + 1):
        if url is None:
            break
        try:
            fetched = get(url, api_headers(token))
        except SourceError as error:
            unreachable = isinstance(error, SourceUnreachable)
            raise (HistoryUnreachable if unreachable else HistoryError)(
                f"{dataset.id}: commits of {history.repository}:{history.path}, page {page}: "
                f"{error}"
            ) from None
        try:
            items = json.loads(fetched.content)
            commits += [
                (
                    item["sha"],
                    datetime.fromisoformat(
                        item["commit"]["committer"]["date"].replace("Z", "+00:00")
                    ).astimezone(UTC),
                )
                for item in items
            ]
        except (ValueError, KeyError, TypeError, AttributeError):
            raise HistoryError(
                f"{dataset.id}: commits of {history.repository}:{history.path}, page {page} "
                f"({fetched.url}): not a GitHub commits listing"
            ) from None
        url = next_page(fetched.link)
        url = address(url) if url else None
    else:
        raise HistoryError(f"{dataset.id}: more than {MAX_PAGES} pages of commits; refused")
    return sorted(commits, key=lambda pair: pair[1])


def github_versions(
    dataset: Dataset,
    commits: list[tuple[str, datetime]],
    get_raw: Callable[[str], Fetched | None],
    address: Callable[[str], str],
) -> list[Version]:
    """A Version per commit; its bytes are fetched from the raw address when read (`get_raw`
    answers None for a 404: the commit deleted the file)."""
    history = dataset.history
    assert history is not None, dataset.id
    versions = []
    for sha, at in commits:
        url = history.raw_url(sha)

        def read(url: str = url, sha: str = sha) -> bytes:
            fetched = get_raw(address(url))
            if fetched is None:
                raise FileAbsent(f"commit {sha}: the file is not at {url} (404)")
            return fetched.content

        versions.append(Version(dataset.id, sha, at, url, None, read))
    return versions


def versions_from_github(
    dataset: Dataset,
    session: requests.Session,
    address: Callable[[str], str],
    token: str | None,
    timeout: float = 60.0,
) -> list[Version]:
    """Every version of the dataset's file that GitHub lists, oldest first; bytes fetched when
    read. `address` maps a real address to the one to use (the catalog's host overrides)."""

    def get(url: str, headers: Mapping[str, str]) -> Fetched:
        return fetch(session, url, timeout=timeout, headers=dict(headers))

    def get_raw(url: str) -> Fetched | None:
        try:
            return fetch(session, url, timeout=timeout, max_bytes=dataset.max_bytes)
        except SourceError as error:
            # labor_lake.sources.http ends a non-2xx answer's line with its status.
            if str(error).endswith("HTTP 404"):
                return None
            raise

    return github_versions(dataset, list_commits(dataset, get, address, token), get_raw, address)
