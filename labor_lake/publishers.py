"""Who publishes each official source, under which licence, and how to credit it: the
`[publishers]` tables of the source catalog (catalog/datasets.toml, or `$LABOR_LAKE_CATALOG`),
keyed by the `source` column of core/observations and of the raw payload manifests. The report's
source lines and the run summary read them from here.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from labor_lake.catalog import Publisher, load_catalog

DEFAULT_CATALOG = Path(__file__).resolve().parents[1] / "catalog" / "datasets.toml"


def _catalog_path() -> str:
    return os.environ.get("LABOR_LAKE_CATALOG") or str(DEFAULT_CATALOG)


@functools.cache
def _publishers(catalog_path: str) -> dict[str, Publisher]:
    return dict(load_catalog(catalog_path).publishers)


def publishers() -> dict[str, Publisher]:
    """Every publisher of the catalog in use."""
    return _publishers(_catalog_path())


def publisher(source: str) -> Publisher:
    """The publisher of `source` (a value of the `source` column)."""
    known = publishers()
    try:
        return known[source]
    except KeyError:
        raise KeyError(f"unknown source {source!r}; known: {', '.join(known)}") from None


@functools.cache
def _series_prefixes(catalog_path: str) -> dict[str, str]:
    # A file's series ids follow its entry's `series_id` template (`indeed:sector:...`); the API
    # connectors and the OEWS files prefix theirs with the source name (`bls:`, `fred:`).
    return {
        (dataset.series_id or f"{dataset.source}:").split(":")[0]: dataset.source
        for dataset in load_catalog(catalog_path).datasets
    }


def source_of_series(series_id: str) -> str | None:
    """The source of a core/observations series id (`fred:IHLIDXUS` -> `fred`), None for ids
    that are not official series (figure ids)."""
    return _series_prefixes(_catalog_path()).get(series_id.split(":")[0])
