"""Dagster resources: the lake, the registry files, and the official-source connectors."""

from __future__ import annotations

import functools
import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl
import requests
from pydantic import Field

from assets.settings import DEFAULT_SOURCES, DEFAULT_USER_AGENT
from labor_lake.lake.files import Lake
from labor_lake.sources.catalog import Catalog, Dataset, load_catalog
from labor_lake.sources.connector import Connector, DatasetRequest
from labor_lake.sources.http import DEFAULT_MAX_BYTES, Fetched, build_session, fetch
from labor_lake.sources.protocols import connectors
from labor_lake.sources.refresh import Refreshed, SourceRefresh, current_observations
from labor_lake.sources.snapshots import load_manifest
from schemas.model import Table


class LakeResource(dg.ConfigurableResource):
    """The Parquet lake root: a local path or an fsspec URL such as `s3://bucket/lake`."""

    root: str

    @property
    def lake(self) -> Lake:
        return Lake(self.root)


class RegistryFiles(dg.ConfigurableResource):
    """The human-edited registry files: articles, published figures, claims and comparisons."""

    articles_path: str
    figures_path: str
    claims_path: str
    windows_path: str
    concordance_path: str
    pairs_path: str

    def fingerprint(self) -> str:
        """SHA-256 over the files' bytes; changes whenever one of them changes."""
        digest = hashlib.sha256()
        for path in (
            self.articles_path,
            self.figures_path,
            self.claims_path,
            self.windows_path,
            self.concordance_path,
            self.pairs_path,
        ):
            file = Path(path)
            digest.update(path.encode())
            digest.update(file.read_bytes() if file.is_file() else b"<missing>")
        return digest.hexdigest()


@functools.cache
def _shared_session(user_agent: str, retries: int, backoff_factor: float) -> requests.Session:
    # Dagster hands each connector its own copy of a nested resource; caching here keeps one
    # session (one connection pool) per process for every connector with the same settings.
    session = build_session(retries, backoff_factor)
    session.headers["User-Agent"] = user_agent
    return session


class HttpClient(dg.ConfigurableResource):
    """One `requests.Session` shared by every connector in a process, and the limits of every
    request (labor_lake/sources/http.py): a timeout per wait, one deadline over retries and Retry-After
    (capped at 30 s), retries with backoff on connection errors, 429 and 5xx, a size limit."""

    user_agent: str = Field(
        default=DEFAULT_USER_AGENT,
        description="Sent to every host; bls.gov refuses clients without a descriptive one.",
    )
    timeout_seconds: float = 30.0
    deadline_seconds: float = 120.0
    retries: int = 3
    backoff_factor: float = 0.3

    def session(self) -> requests.Session:
        return _shared_session(self.user_agent, self.retries, self.backoff_factor)

    def get(self, url: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Fetched:
        return self._fetch(url, max_bytes)

    def post_json(
        self, url: str, body: dict[str, Any], max_bytes: int = DEFAULT_MAX_BYTES
    ) -> Fetched:
        return self._fetch(url, max_bytes, method="POST", json=body)

    def _fetch(self, url: str, max_bytes: int, **kwargs: Any) -> Fetched:
        return fetch(
            self.session(),
            url,
            timeout=self.timeout_seconds,
            deadline_seconds=self.deadline_seconds,
            max_bytes=max_bytes,
            **kwargs,
        )

    def send(self, request: DatasetRequest, address: str, max_bytes: int) -> Fetched:
        """GET `address`, or POST the request's JSON body to it, refusing more than `max_bytes`."""
        if request.body is None:
            return self.get(address, max_bytes)
        return self.post_json(address, dict(request.body), max_bytes)


class OfficialSources(dg.ConfigurableResource):
    """The source catalog, its recorded snapshots, the host overrides, what a failure does and
    the API keys: everything the raw source assets need to refresh a source and read its current
    observations."""

    catalog_path: str
    snapshot_manifest: str
    mode: str = Field(
        default=DEFAULT_SOURCES,
        description="auto: fetch, and fall back to the last good vintage (or recorded snapshot) "
        "of a dataset that fails, with a warning; live: fail instead; offline: never fetch.",
    )
    host_overrides: dict[str, str] = Field(
        default_factory=dict,
        description="Base URLs replacing the real hosts, by the variable the catalog's [hosts] "
        "names for each.",
    )
    # Set from environment variables only (dg.EnvVar): the UI shows their names, and repr=False
    # keeps the resolved values out of any printed resource.
    api_keys: dict[str, str] = Field(
        default_factory=dict,
        repr=False,
        description="API keys by variable name (BLS_API_KEY, FRED_API_KEY).",
    )
    http: HttpClient

    @property
    def catalog(self) -> Catalog:
        return load_catalog(self.catalog_path)

    @property
    def connectors(self) -> dict[str, Connector]:
        # Connectors look a key up at the moment a request is sent, so it joins only the request.
        return connectors(lambda name: self.api_keys.get(name) or None)

    def refresh(self, source: str, table: Table, lake: Lake) -> Refreshed:
        # The catalog is read once per refresh, not again for every request's address.
        catalog = self.catalog

        def address(dataset: Dataset, url: str) -> str:
            return catalog.address(dataset, self.host_overrides, url)

        return SourceRefresh(
            source=source,
            table=table,
            lake=lake,
            catalog=catalog,
            connectors=self.connectors,
            snapshots=load_manifest(Path(self.snapshot_manifest)),
            send=self.http.send,
            address=address,
            mode=self.mode,
            today=datetime.now(UTC).date(),
        ).run()

    def observations(self, manifest: pl.DataFrame, lake: Lake) -> pl.DataFrame:
        return current_observations(manifest, lake, self.catalog, self.connectors)
