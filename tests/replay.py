"""A replay of the real hosts on 127.0.0.1: the recorded snapshots at the exact paths (and query
strings) the real hosts serve them at, 404 for any other path, as the real hosts answer.

One local server stands for every host: the catalog's [hosts] overrides point
raw.githubusercontent.com, api.bls.gov, www.bls.gov, api.stlouisfed.org and fred.stlouisfed.org
at it, and their paths do not collide. FRED and the BLS OEWS API series have no recorded real
payload: `serve_synthetic` adds the synthetic files of tests/data at the real layouts, and
`serve_alfred` FRED's observations API asked for every vintage (synthetic answers in FRED's
documented shape).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import polars as pl
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from assets import settings
from labor_lake.sources import fred
from labor_lake.sources.catalog import GITHUB_API, Catalog, Dataset, load_catalog
from labor_lake.sources.history import read_recorded_manifest
from labor_lake.sources.snapshots import Snapshot, load_manifest

SYNTHETIC = Path(__file__).parent / "data"
SNAPSHOTS = settings.SNAPSHOT_MANIFEST.parent
BLS_API_PATH = "/publicAPI/v2/timeseries/data/"
CONTENT_TYPES = {"csv": "text/plain; charset=utf-8", "json": "application/json"}


class Replay:
    """Serve recorded answers at the real paths; everything else is 404."""

    def __init__(self, server: HTTPServer, catalog: Catalog | None = None) -> None:
        self.server = server
        server.no_handler_status_code = 404
        self.catalog = catalog or load_catalog(settings.catalog_path())
        self.snapshots = load_manifest(settings.SNAPSHOT_MANIFEST)
        # BLS answers by the series asked for: seriesid tuple -> body
        self.bls_answers: dict[tuple[str, ...], Callable[[], Response]] = {}
        self._bls_served = False

    @property
    def base_url(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def point(self, monkeypatch: pytest.MonkeyPatch, mode: str = "live") -> Replay:
        for variable in settings.HOST_URL_ENVS:
            monkeypatch.setenv(variable, self.base_url)
        monkeypatch.setenv(settings.SOURCES_ENV, mode)
        return self

    def serve_url(self, url: str, body: bytes | str, status: int = 200, **headers: str) -> None:
        """Answer GET `url` (a real address) with `body`, at its path and query string."""
        parts = urlsplit(url)
        extension = parts.path.rsplit(".", 1)[-1]
        self.server.expect_request(
            parts.path, method="GET", query_string=parts.query or None
        ).respond_with_response(
            Response(
                body,
                status=status,
                headers=headers,
                content_type=CONTENT_TYPES.get(extension, "application/octet-stream"),
            )
        )

    def serve_snapshot(self, snapshot: Snapshot) -> None:
        if urlsplit(snapshot.url).path == BLS_API_PATH:
            series = tuple(snapshot.member.removeprefix("seriesid=").split(","))
            content = snapshot.read()
            self.serve_bls(series, lambda: Response(content, content_type="application/json"))
        else:
            self.serve_url(snapshot.url, snapshot.read())

    def serve_recorded(self, *, except_datasets: tuple[str, ...] = ()) -> Replay:
        for snapshot in self.snapshots:
            if snapshot.dataset not in except_datasets:
                self.serve_snapshot(snapshot)
        self.serve_history()
        return self

    def serve_history(self, fail_page: dict[str, int] | None = None) -> Replay:
        """GitHub's commits listing of every catalog file with a history, at the API's real
        path and query, paged by Link headers as GitHub pages it. The listing has the documented
        shape (GitHub Docs, "List commits"); its field values come from the real git history
        (the recorded history's manifest: sha and committer date), not from a recorded API
        answer. `fail_page`: dataset -> a page answered with HTTP 500."""
        manifest = read_recorded_manifest(SNAPSHOTS)
        for dataset in self.catalog.datasets:
            if dataset.history is None:
                continue
            pages = listing_pages(manifest, dataset)
            self._serve_listing(dataset, pages, (fail_page or {}).get(dataset.id, 0))
        return self

    def _serve_listing(self, dataset: Dataset, pages: list[list], fail_page: int) -> None:
        assert dataset.history is not None
        path, query = dataset.history.commits_url().removeprefix(GITHUB_API).split("?")
        for number, items in enumerate(pages, start=1):
            links = []
            if number < len(pages):
                links.append(f'<{GITHUB_API}{path}?{query}&page={number + 1}>; rel="next"')
                links.append(f'<{GITHUB_API}{path}?{query}&page={len(pages)}>; rel="last"')
            if number > 1:
                links.append(f'<{GITHUB_API}{path}?{query}&page={number - 1}>; rel="prev"')
            self.server.expect_request(
                path, query_string=query if number == 1 else f"{query}&page={number}"
            ).respond_with_data(
                json.dumps(items),
                status=500 if number == fail_page else 200,
                headers={"Link": ", ".join(links)} if links else {},
                content_type="application/json",
            )

    def serve_synthetic(self) -> Replay:
        """Synthetic FRED CSVs and the synthetic BLS OEWS answer (tests/data), at real layouts."""
        for dataset in self.catalog.by_source("fred"):
            (series,) = dataset.series
            self.serve_url(dataset.url, (SYNTHETIC / "fred" / f"{series.id}.csv").read_bytes())
        oews = self.catalog.get("bls_oews_api")
        assert oews is not None
        synthetic = (SYNTHETIC / "bls" / "oews_synthetic.json").read_bytes()
        self.serve_bls(
            tuple(s.id for s in oews.series),
            lambda: Response(synthetic, content_type="application/json"),
        )
        return self

    def serve_alfred(self, api_key: str) -> Replay:
        """FRED's observations API for every vintage of each FRED series (`fred/series/
        observations?series_id=...&file_type=json&realtime_start=1776-07-04&realtime_end=
        9999-12-31&api_key=...`, exactly that query: any other is 404), answering the SYNTHETIC
        ALFRED documents of tests/data/fred/alfred/ (made-up values in the shape FRED documents:
        one observation per span of vintages, `9999-12-31` ending the current ones)."""
        path = urlsplit(fred.API_URL).path
        for dataset in self.catalog.by_source("fred"):
            (series,) = dataset.series
            query = {
                "series_id": series.id,
                "file_type": "json",
                "realtime_start": fred.EARLIEST,
                "realtime_end": fred.LATEST,
                "api_key": api_key,
            }
            body = (SYNTHETIC / "fred" / "alfred" / f"{series.id}.json").read_bytes()
            self.server.expect_request(path, method="GET", query_string=query).respond_with_data(
                body, content_type="application/json"
            )
        return self

    def serve_bls(self, series: tuple[str, ...], answer: Callable[[], Response]) -> None:
        """Answer a BLS API POST asking for exactly `series`."""
        self.bls_answers[tuple(sorted(series))] = answer
        if not self._bls_served:
            self._bls_served = True
            self.server.expect_request(BLS_API_PATH, method="POST").respond_with_handler(
                self._bls_handler
            )

    def _bls_handler(self, request: Request) -> Response:
        asked = tuple(sorted(json.loads(request.data)["seriesid"]))
        answer = self.bls_answers.get(asked)
        return answer() if answer else Response("no recorded answer for these series", status=404)

    def requests_to(self, path: str) -> list[Request]:
        return [request for request, _ in self.server.log if request.path == path]


def listing_pages(manifest: pl.DataFrame, dataset: Dataset, per_page: int = 100) -> list[list]:
    """GitHub's List-commits answer for the dataset's path, newest first, `per_page` a page, in
    the documented shape; every field value comes from the real git history (the recorded
    history's manifest), none from a recorded API answer."""
    assert dataset.history is not None
    repository = dataset.history.repository
    rows = manifest.filter(pl.col("dataset") == dataset.id).sort("vintage_at", descending=True)
    items = []
    for row in rows.iter_rows(named=True):
        sha, when = row["vintage_id"], row["vintage_at"].strftime("%Y-%m-%dT%H:%M:%SZ")
        items.append(
            {
                "url": f"{GITHUB_API}/repos/{repository}/commits/{sha}",
                "sha": sha,
                "html_url": f"https://github.com/{repository}/commit/{sha}",
                "commit": {"author": {"date": when}, "committer": {"date": when}},
                "parents": [],
            }
        )
    return [items[i : i + per_page] for i in range(0, len(items), per_page)]
