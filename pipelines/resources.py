"""Dagster resources: the lake, the registry files, and the official-source connectors."""

from __future__ import annotations

import functools
import hashlib
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import dagster as dg
import polars as pl
import requests
from pydantic import Field

from labor_lake.http import Fetched, build_session, fetch
from labor_lake.lake import Lake
from labor_lake.payloads import newest_vintages
from labor_lake.sources import DatasetRequest, bls, fred, indeed
from labor_lake.sources.indeed import IndeedSelection
from pipelines.settings import secret

Parsed = tuple[pl.DataFrame, list[str]]  # observations, and the source's warnings
_INDEED = {dataset.name: dataset for dataset in indeed.DATASETS}


class LakeResource(dg.ConfigurableResource):
    """The Parquet lake root: a local path or an fsspec URL such as `s3://bucket/lake`."""

    root: str

    @property
    def lake(self) -> Lake:
        return Lake(self.root)


class RegistryFiles(dg.ConfigurableResource):
    """The human-edited registry files: published figures and claims."""

    figures_path: str
    claims_path: str

    def fingerprint(self) -> str:
        """SHA-256 over both files' bytes; changes whenever either file changes."""
        digest = hashlib.sha256()
        for path in (self.figures_path, self.claims_path):
            file = Path(path)
            digest.update(path.encode())
            digest.update(file.read_bytes() if file.is_file() else b"<missing>")
        return digest.hexdigest()


@functools.cache
def _shared_session(retries: int, backoff_factor: float) -> requests.Session:
    # Dagster hands each connector its own copy of a nested resource; caching here keeps one
    # session (one connection pool) per process for every connector with the same settings.
    return build_session(retries, backoff_factor)


class HttpClient(dg.ConfigurableResource):
    """One `requests.Session` shared by every connector in a process: timeouts on every call,
    retries with exponential backoff on connection errors, 429 and 5xx, honouring Retry-After."""

    timeout_seconds: float = 30.0
    retries: int = 3
    backoff_factor: float = 0.3

    def session(self) -> requests.Session:
        return _shared_session(self.retries, self.backoff_factor)

    def get(self, url: str) -> Fetched:
        return fetch(self.session(), url, timeout=self.timeout_seconds)

    def post_json(self, url: str, body: dict[str, Any]) -> Fetched:
        return fetch(self.session(), url, timeout=self.timeout_seconds, method="POST", json=body)


class IndeedHiringLab(dg.ConfigurableResource):
    """Indeed Hiring Lab's public CSVs; which rows to keep is configuration."""

    base_url: str
    http: HttpClient
    countries: list[str] = Field(default_factory=lambda: list(IndeedSelection.countries))
    sectors: list[str] = Field(default_factory=lambda: list(IndeedSelection.sectors))
    variables: list[str] = Field(default_factory=lambda: list(IndeedSelection.variables))

    source: ClassVar[str] = indeed.SOURCE

    @property
    def selection(self) -> IndeedSelection:
        return IndeedSelection(tuple(self.countries), tuple(self.sectors), tuple(self.variables))

    def plan(self, manifest: pl.DataFrame, today: date) -> list[DatasetRequest]:
        return [DatasetRequest(d.name, "csv") for d in indeed.DATASETS]

    def fetch(self, request: DatasetRequest) -> Fetched:
        return self.http.get(f"{self.base_url.rstrip('/')}/{_INDEED[request.dataset].path}")

    def parse(self, dataset: str, extension: str, content: bytes, url: str) -> Parsed:
        return indeed.to_observations(_INDEED[dataset], content, url, self.selection), []


class Fred(dg.ConfigurableResource):
    """FRED's Indeed postings indexes: the JSON API when an API key is set (incremental), else
    the keyless CSV download. The key comes from the environment only."""

    api_url: str
    csv_url: str
    http: HttpClient
    series: list[str] = Field(default_factory=lambda: list(fred.SERIES))

    source: ClassVar[str] = fred.SOURCE

    @property
    def api_key(self) -> str | None:
        # Read at use, never stored in resource config: config is shown in the UI and run records.
        return secret("FRED_API_KEY")

    def plan(self, manifest: pl.DataFrame, today: date) -> list[DatasetRequest]:
        newest = {
            row["dataset"]: row["fetched_at"]
            for row in newest_vintages(manifest).iter_rows(named=True)
        }
        return [
            DatasetRequest(
                series.lower(),
                "json" if self.api_key else "csv",
                complete=start is None,
                detail=(series,),
                start=start,
            )
            for series in self.series
            for start in [self._start(series, newest)]
        ]

    def _start(self, series: str, newest: dict[str, Any]) -> str | None:
        """Incremental start date (the newest vintage's day) when the JSON API is in use."""
        if not self.api_key or series.lower() not in newest:
            return None
        return newest[series.lower()].date().isoformat()

    def fetch(self, request: DatasetRequest) -> Fetched:
        (series,) = request.detail
        if self.api_key:
            start = date.fromisoformat(request.start) if request.start else None
            return self.http.get(
                self.api_url.rstrip("/") + fred.api_path(series, self.api_key, start)
            )
        return self.http.get(self.csv_url.rstrip("/") + fred.csv_path(series))

    def parse(self, dataset: str, extension: str, content: bytes, url: str) -> Parsed:
        series = dataset.upper()
        if extension == "json":
            return fred.parse_json(dataset, series, content, url), []
        return fred.parse_csv(dataset, series, content, url), []


class Bls(dg.ConfigurableResource):
    """The BLS Public Data API v2. One request at a time (the `bls_api` concurrency pool);
    `BLS_API_KEY` raises the limits. CPS series ids are configuration: id -> subject."""

    base_url: str
    http: HttpClient
    cps_series: dict[str, str] = Field(default_factory=dict)

    source: ClassVar[str] = bls.SOURCE

    @property
    def api_key(self) -> str | None:
        # Read at use, never stored in resource config: config is shown in the UI and run records.
        return secret("BLS_API_KEY")

    @property
    def catalog(self) -> dict[str, bls.SeriesInfo]:
        return bls.series_catalog(self.cps_series)

    def plan(self, manifest: pl.DataFrame, today: date) -> list[DatasetRequest]:
        newest = {
            row["dataset"]: row["fetched_at"]
            for row in newest_vintages(manifest).iter_rows(named=True)
        }
        groups = {
            "oews": [s for s in self.catalog if s.startswith("OEU")],
            "cps": [s for s in self.catalog if not s.startswith("OEU")],
        }
        requests = []
        for group, series in groups.items():
            for number, batch in enumerate(bls.batches(series, bool(self.api_key)), start=1):
                dataset = f"{group}_{number}"
                # Incremental: ask again from the year of the newest vintage (it may be revised).
                first_year = newest[dataset].year if dataset in newest else None
                start, end = bls.year_span(today.year, first_year, bool(self.api_key))
                requests.append(DatasetRequest(dataset, "json", False, batch, str(start), str(end)))
        return requests

    def fetch(self, request: DatasetRequest) -> Fetched:
        assert request.start is not None and request.end is not None
        body = bls.request_body(request.detail, int(request.start), int(request.end), self.api_key)
        url = f"{self.base_url.rstrip('/')}/publicAPI/v2/timeseries/data/"
        return self.http.post_json(url, body)

    def parse(self, dataset: str, extension: str, content: bytes, url: str) -> Parsed:
        return bls.parse(dataset, content, url, self.catalog)
