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


@functools.cache
def _publishers(catalog_path: str) -> dict[str, Publisher]:
    return dict(load_catalog(catalog_path).publishers)


def publishers() -> dict[str, Publisher]:
    """Every publisher of the catalog in use."""
    return _publishers(os.environ.get("LABOR_LAKE_CATALOG") or str(DEFAULT_CATALOG))


def publisher(source: str) -> Publisher:
    """The publisher of `source` (a value of the `source` column)."""
    known = publishers()
    try:
        return known[source]
    except KeyError:
        raise KeyError(f"unknown source {source!r}; known: {', '.join(known)}") from None


# The prefix of each source's series ids in core/observations (the catalog's templates).
_SERIES_PREFIXES = {"bls": "bls", "fred": "fred", "indeed": "indeed_hiring_lab"}


def source_of_series(series_id: str) -> str | None:
    """The source of a core/observations series id (`fred:IHLIDXUS` -> `fred`), None for ids
    that are not official series (figure ids)."""
    return _SERIES_PREFIXES.get(series_id.split(":")[0])
