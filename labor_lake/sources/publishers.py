"""Who publishes each official source, under which licence, and how to credit it: the
`[publishers]` tables of the source catalog in use, keyed by the `source` column of
core/observations and of the raw payload manifests. The report's source lines read them from
here; the catalog itself is chosen by the caller (the `official_sources` resource).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from labor_lake.sources.catalog import Catalog, Publisher


@dataclass(frozen=True)
class Publishers:
    """The publishers of one catalog, and the series-id prefix each source's series carry."""

    by_source: Mapping[str, Publisher]
    source_by_prefix: Mapping[str, str]

    @classmethod
    def of(cls, catalog: Catalog) -> Publishers:
        # A file's series ids follow its entry's `series_id` template (`indeed:sector:...`); the
        # API connectors and the OEWS files prefix theirs with the source name (`bls:`, `fred:`).
        prefixes = {
            (dataset.series_id or f"{dataset.source}:").split(":")[0]: dataset.source
            for dataset in catalog.datasets
        }
        return cls(dict(catalog.publishers), prefixes)

    def publisher(self, source: str) -> Publisher:
        """The publisher of `source` (a value of the `source` column)."""
        try:
            return self.by_source[source]
        except KeyError:
            known = ", ".join(self.by_source)
            raise KeyError(f"unknown source {source!r}; known: {known}") from None

    def source_of_series(self, series_id: str) -> str | None:
        """The source of a core/observations series id (`fred:IHLIDXUS` -> `fred`), None for
        ids that are not official series (figure ids)."""
        return self.source_by_prefix.get(series_id.split(":")[0])
