"""Connectors to official sources, one per protocol of the source catalog.

Each connector plans the requests a catalog dataset needs and turns a payload into rows of
core/observations. Fetching is shared (labor_lake.sources.http); which dataset is where is data
(catalog/datasets.toml).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol, runtime_checkable

import polars as pl

from labor_lake.sources.catalog import Dataset
from schemas.tables import CORE_OBSERVATIONS

# Every observation column but the vintage columns, which are added from the manifest.
VINTAGE_COLUMNS = ("vintage_fetched_at", "vintage_origin", "payload_sha256")
OBSERVATION_COLUMNS = [
    c for c in CORE_OBSERVATIONS.polars_schema.names() if c not in VINTAGE_COLUMNS
]
OBSERVATION_SCHEMA = pl.Schema({c: CORE_OBSERVATIONS.polars_schema[c] for c in OBSERVATION_COLUMNS})


@dataclass(frozen=True)
class Parsed:
    """What a payload holds: observations (without vintage columns) and the source's warnings;
    `spans`, for an answer that records every vintage (FRED's ALFRED), each value with the first
    and last day it was in force (`realtime_start`, `realtime_end` dates; null while current)."""

    observations: pl.DataFrame
    warnings: tuple[str, ...] = ()
    spans: pl.DataFrame | None = None


@dataclass(frozen=True)
class DatasetRequest:
    """One request for a catalog dataset.

    `url` is the real address (before any host override); `body` a JSON body to POST. Secrets are
    added by the connector at fetch time and never stored here.
    """

    dataset: str
    url: str
    body: Mapping[str, Any] | None = None
    start: str | None = None  # first year or day asked for (incremental requests)
    end: str | None = None  # last year asked for, where the API needs one (BLS)
    extension: str = "csv"
    headers: Mapping[str, str] = field(default_factory=dict)


@runtime_checkable
class PagedConnector(Protocol):
    """A connector whose source pages long answers: the refresh asks for every page and stores
    the pages joined as one answer (a payload is a dataset's whole answer)."""

    def next_page(self, request: DatasetRequest, content: bytes) -> DatasetRequest | None:
        """The request for the page after `content` (the answer to `request`), None at the
        last page."""
        ...

    def join_pages(self, dataset: Dataset, pages: list[tuple[str, bytes]]) -> bytes:
        """The pages (redacted address, body) as the one answer the source would give unpaged;
        a one-line SourceError where they do not fit together."""
        ...


class Connector(Protocol):
    """How one protocol plans requests and reads payloads."""

    def plan(self, dataset: Dataset, held: pl.DataFrame, today: date) -> list[DatasetRequest]:
        """The requests that refresh `dataset`, given the observations the lake holds for it."""
        ...

    def with_secrets(self, request: DatasetRequest) -> DatasetRequest:
        """`request` with the API key added, at the last moment before it is sent."""
        ...

    def parse(self, dataset: Dataset, content: bytes, url: str, extension: str) -> Parsed:
        """Observations in `content`; raises SourceError when it is not what we expect."""
        ...


SecretLookup = Callable[[str], str | None]
