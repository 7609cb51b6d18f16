"""Which series the source catalog can produce, and in which unit.

A registry figure names its official series by id (`indeed:ai_share:US`, `bls:LNS14000000`). The
catalog says which ids exist before any data is fetched: API series list their ids, a CSV file's
entry a template over its columns (`indeed:sector:{display_name}:{variable}`) whose columns are
limited to the values in `keep` where it keeps some, and an OEWS file the BLS ids of the
occupations it observes. So a misspelt id is an error at once, naming the nearest ids, instead of
a figure that quietly finds no data; and a reading whose unit does not fit the series' unit is
caught before anything is computed.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from labor_lake.sources.bls import oews_series_id
from labor_lake.sources.catalog import Catalog, Dataset
from labor_lake.sources.oews import OEWS_DATATYPES

_TEMPLATE_FIELD = re.compile(r"\{([^{}]+)\}")
# An OEWS occupation code without its dash: six digits.
_SOC6 = r"\d{6}"


@dataclass(frozen=True)
class SeriesFamily:
    """Series ids one catalog dataset produces: a pattern, with their unit and frequency."""

    dataset: str
    pattern: re.Pattern[str]
    unit: str
    frequency: str
    # Ids as a reader would write them, for "did you mean" lists (a free column stays a
    # `{placeholder}`).
    examples: tuple[str, ...]


def _csv_families(dataset: Dataset) -> list[SeriesFamily]:
    families = []
    for value in dataset.values:
        pieces = _TEMPLATE_FIELD.split(dataset.series_id or "")
        regex, examples = "", [""]
        for index, piece in enumerate(pieces):
            if index % 2 == 0:
                regex += re.escape(piece)
                examples = [e + piece for e in examples]
                continue
            if piece == "value":
                options: tuple[str, ...] | None = (value.name,)
            elif piece == dataset.geography_column or piece in dataset.keep:
                options = dataset.keep.get(piece)
            else:
                options = None
            if options:
                regex += "(?:" + "|".join(re.escape(o) for o in options) + ")"
                examples = [e + o for e in examples for o in options]
            else:
                regex += ".+?"
                examples = [e + "{" + piece + "}" for e in examples]
        families.append(
            SeriesFamily(
                dataset.id,
                re.compile(f"^{regex}$"),
                dataset.unit or "",
                dataset.frequency,
                tuple(examples),
            )
        )
    return families


def _oews_families(dataset: Dataset) -> list[SeriesFamily]:
    families = []
    for datatype, _measure, unit in OEWS_DATATYPES.values():
        prefixes = "|".join(re.escape(p.replace("-", "")) for p in dataset.observe)
        pattern = re.escape("bls:" + oews_series_id("", "")) + f"(?=(?:{prefixes}))"
        example = "bls:" + oews_series_id("<SOC6>", datatype)
        families.append(
            SeriesFamily(
                dataset.id,
                re.compile(f"^{pattern}{_SOC6}{datatype}$"),
                unit,
                dataset.frequency,
                (example,),
            )
        )
    return families


def catalog_series(catalog: Catalog) -> tuple[SeriesFamily, ...]:
    """Every family of series ids the catalog's datasets can produce."""
    families: list[SeriesFamily] = []
    for dataset in catalog.datasets:
        if dataset.series:
            for spec in dataset.series:
                series_id = f"{dataset.source}:{spec.id}"
                families.append(
                    SeriesFamily(
                        dataset.id,
                        re.compile(f"^{re.escape(series_id)}$"),
                        spec.unit,
                        dataset.frequency,
                        (series_id,),
                    )
                )
        elif dataset.format == "oews":
            families.extend(_oews_families(dataset))
        elif dataset.series_id:
            families.extend(_csv_families(dataset))
    return tuple(families)


def find_series(families: tuple[SeriesFamily, ...], series_id: str) -> SeriesFamily | None:
    """The family that produces `series_id`, or None when no catalog dataset can."""
    return next((f for f in families if f.pattern.match(series_id)), None)


def nearest_series(families: tuple[SeriesFamily, ...], series_id: str, count: int = 3) -> list[str]:
    """The known ids (or id templates) closest to `series_id`, closest first."""
    known = sorted({example for family in families for example in family.examples})
    return difflib.get_close_matches(series_id, known, n=count, cutoff=0.0)
