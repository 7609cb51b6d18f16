"""Who publishes each official source, under which licence, and how to credit it.

Declared once, keyed by the `source` column of core/observations and of the raw payload manifests;
the report's source lines and the run summary read it from here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Publisher:
    name: str
    licence: str | None  # None: no licence to cite (U.S. federal works are in the public domain)
    citation_url: str

    def credit(self, detail: str = "") -> str:
        """`Source: <publisher>[, <detail>][, <licence>]`, as printed under a chart."""
        parts = [self.name, detail, self.licence or ""]
        return "Source: " + ", ".join(part for part in parts if part)


PUBLISHERS: dict[str, Publisher] = {
    "bls": Publisher("U.S. Bureau of Labor Statistics", None, "https://www.bls.gov/developers/"),
    # FRED republishes Indeed's postings indexes under Indeed's own licence.
    "fred": Publisher(
        "Indeed Hiring Lab via FRED (Federal Reserve Bank of St. Louis)",
        "CC BY 4.0",
        "https://fred.stlouisfed.org/",
    ),
    "indeed_hiring_lab": Publisher(
        "Indeed Hiring Lab", "CC BY 4.0", "https://github.com/hiring-lab"
    ),
}


def publisher(source: str) -> Publisher:
    """The publisher of `source` (a value of the `source` column)."""
    try:
        return PUBLISHERS[source]
    except KeyError:
        raise KeyError(f"unknown source {source!r}; known: {', '.join(PUBLISHERS)}") from None
