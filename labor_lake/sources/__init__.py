"""Connectors to official sources: each turns a raw payload into rows of core/observations."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from schemas.tables import CORE_OBSERVATIONS

# Every observation column but the vintage columns, which are added from the manifest.
OBSERVATION_COLUMNS = [
    c
    for c in CORE_OBSERVATIONS.polars_schema.names()
    if c not in ("vintage_fetched_at", "payload_sha256")
]
OBSERVATION_SCHEMA = pl.Schema({c: CORE_OBSERVATIONS.polars_schema[c] for c in OBSERVATION_COLUMNS})


@dataclass(frozen=True)
class DatasetRequest:
    """One fetch: the dataset it refreshes and, for incremental APIs, the part it asks for.

    `complete` says the answer holds the whole dataset; an incomplete (incremental) answer is
    merged over earlier vintages, newest first.
    """

    dataset: str
    extension: str
    complete: bool = True
    detail: tuple[str, ...] = ()  # e.g. BLS series ids, or a FRED series id
    start: str | None = None  # first year or date asked for (incremental requests)
    end: str | None = None  # last year asked for, where the API needs one (BLS)
