"""Who publishes each official source, under which licence, and how to credit it.

Declared once, keyed by the `source` column of core/observations and of the raw payload manifests;
the report's source lines and the run summary read it from here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Publisher:
    name: str
    short_name: str  # in chart legends, to tell apart two series of the same subject
    licence: str | None  # None: no licence to cite (U.S. federal works are in the public domain)
    citation_url: str

    def credit(self, detail: str = "") -> str:
        """`Source: <publisher>[, <detail>][, <licence>]`, as printed under a chart."""
        parts = [self.name, detail, self.licence or ""]
        return "Source: " + ", ".join(part for part in parts if part)


PUBLISHERS: dict[str, Publisher] = {
    "bls": Publisher(
        "U.S. Bureau of Labor Statistics", "BLS", None, "https://www.bls.gov/developers/"
    ),
    # FRED republishes Indeed's postings indexes under Indeed's own licence.
    "fred": Publisher(
        "Indeed Hiring Lab via FRED (Federal Reserve Bank of St. Louis)",
        "FRED",
        "CC BY 4.0",
        "https://fred.stlouisfed.org/",
    ),
    "indeed_hiring_lab": Publisher(
        "Indeed Hiring Lab", "Indeed Hiring Lab", "CC BY 4.0", "https://github.com/hiring-lab"
    ),
}


def publisher(source: str) -> Publisher:
    """The publisher of `source` (a value of the `source` column)."""
    try:
        return PUBLISHERS[source]
    except KeyError:
        raise KeyError(f"unknown source {source!r}; known: {', '.join(PUBLISHERS)}") from None


# The prefix of each source's series ids in core/observations (set in labor_lake/sources/*).
_SERIES_PREFIXES = {"bls": "bls", "fred": "fred", "indeed": "indeed_hiring_lab"}


def source_of_series(series_id: str) -> str | None:
    """The source of a core/observations series id (`fred:IHLIDXUS` -> `fred`), None for ids
    that are not official series (figure ids)."""
    return _SERIES_PREFIXES.get(series_id.split(":")[0])
