"""Dagster resources: where the lake lives and where the registry files are."""

from __future__ import annotations

import hashlib
from pathlib import Path

import dagster as dg
import requests
from pydantic import Field, PrivateAttr

from labor_lake.http import Fetched, build_session, fetch
from labor_lake.lake import Lake
from labor_lake.sources.indeed import IndeedDataset, IndeedSelection


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


class HttpClient(dg.ConfigurableResource):
    """One `requests.Session` shared by every connector in a run: timeouts on every call,
    retries with exponential backoff on connection errors, 429 and 5xx, honouring Retry-After."""

    timeout_seconds: float = 30.0
    retries: int = 3
    backoff_factor: float = 0.3
    _session: requests.Session | None = PrivateAttr(default=None)

    def session(self) -> requests.Session:
        if self._session is None:
            self._session = build_session(self.retries, self.backoff_factor)
        return self._session

    def get(self, url: str) -> Fetched:
        return fetch(self.session(), url, timeout=self.timeout_seconds)


class IndeedHiringLab(dg.ConfigurableResource):
    """Indeed Hiring Lab's public CSVs; which rows to keep is configuration."""

    base_url: str
    http: HttpClient
    countries: list[str] = Field(default_factory=lambda: list(IndeedSelection.countries))
    sectors: list[str] = Field(default_factory=lambda: list(IndeedSelection.sectors))
    variables: list[str] = Field(default_factory=lambda: list(IndeedSelection.variables))

    @property
    def selection(self) -> IndeedSelection:
        return IndeedSelection(tuple(self.countries), tuple(self.sectors), tuple(self.variables))

    def fetch(self, dataset: IndeedDataset) -> Fetched:
        return self.http.get(f"{self.base_url.rstrip('/')}/{dataset.path}")
