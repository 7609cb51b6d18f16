"""The source catalog: which official datasets the pipeline reads, where and how, as data.

`catalog/datasets.toml` holds one `[[dataset]]` table per dataset (reference: docs/catalog.md).
This module loads it and refuses, naming the file, the dataset and the field, anything the
connectors could not honour: an unknown protocol, source, measure or unit, an address on a host
with no override, a CSV mapping that names a column the file does not have.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from schemas.vocabulary import FREQUENCIES, MEASURES, SOURCES, UNITS

PROTOCOLS: dict[str, str] = {
    "http_file": "A file fetched whole with GET.",
    "bls_api_v2": "The BLS Public Data API v2: series POSTed as JSON, answered as JSON.",
    "fred": "FRED: the JSON API with FRED_API_KEY (incremental), else the keyless CSV download.",
}
FORMATS: dict[str, str] = {
    "csv": "Comma-separated text with one header row.",
    "json": "A JSON document (API answers).",
    "oews": "A BLS OEWS estimates file: oesmYYnat.zip holding national_MYYYY_dl.xlsx (or the "
    "workbook itself, or a CSV export of it).",
}
REFERENCE_PERIODS: dict[str, str] = {
    "day": "The observation covers the day it is dated.",
    "month": "The observation covers its calendar month.",
    "may_of_year": "OEWS: the estimates refer to May of the year (the survey's reference month).",
}
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_TEMPLATE_FIELD = re.compile(r"\{([^{}]+)\}")
DEFAULT_MAX_BYTES = 32 * 1024 * 1024
GITHUB_API = "https://api.github.com"
RAW_GITHUB = "https://raw.githubusercontent.com"
_REPOSITORY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")


class CatalogError(ValueError):
    """The catalog file does not say something the pipeline can act on."""


@dataclass(frozen=True)
class Publisher:
    name: str
    short_name: str  # in chart legends, to tell apart two series of the same subject
    licence: str  # empty: no licence to cite (U.S. federal works are in the public domain)
    citation: str
    citation_url: str

    def credit(self, detail: str = "") -> str:
        """`Source: <publisher>[, <detail>][, <licence>]`, as printed under a chart."""
        return "Source: " + ", ".join(part for part in (self.name, detail, self.licence) if part)


@dataclass(frozen=True)
class SeriesSpec:
    """One series a query-style protocol (BLS API, FRED) asks for, and what it measures."""

    id: str
    subject: str
    measure: str
    unit: str


@dataclass(frozen=True)
class ValueColumn:
    """A value column of a CSV file; `name` fills `{value}` in the series-id template."""

    column: str
    name: str


@dataclass(frozen=True)
class VariantValue:
    """A value column of an older header and what it means in the current one: the current
    column's value is the old one plus `add` (Indeed's percent change since 2020-02-01 is the
    index level minus 100)."""

    column: str
    means: str
    add: float = 0.0


@dataclass(frozen=True)
class HeaderVariant:
    """An older header of a file, and how its value columns map to the current ones."""

    columns: tuple[str, ...]
    values: tuple[VariantValue, ...]


@dataclass(frozen=True)
class History:
    """Where a file's past versions are: a path in a publisher's git repository, each version
    dated by its commit; how older versions read (date formats, missing-value tokens, headers)."""

    repository: str  # owner/name on GitHub
    branch: str
    path: str
    date_formats: tuple[str, ...] = ("%Y-%m-%d",)
    missing: tuple[str, ...] = ()
    variants: tuple[HeaderVariant, ...] = ()

    def raw_url(self, commit: str) -> str:
        """The file at `commit`, as raw.githubusercontent.com serves it (it never changes)."""
        return f"{RAW_GITHUB}/{self.repository}/{commit}/{self.path}"

    def commits_url(self, per_page: int = 100) -> str:
        """GitHub's "List commits" for the path on the branch (GitHub Docs, REST API, commits)."""
        return (
            f"{GITHUB_API}/repos/{self.repository}/commits?path={quote(self.path)}"
            f"&sha={quote(self.branch)}&per_page={per_page}"
        )


@dataclass(frozen=True)
class Dataset:
    """One catalog entry."""

    id: str
    source: str
    protocol: str
    url: str
    format: str
    title: str
    frequency: str
    reference_period: str
    publisher: Publisher
    # CSV files: the expected header, how rows map to observations, which rows to keep.
    columns: tuple[str, ...] = ()
    period_column: str | None = None
    geography_column: str | None = None
    geography: str = "US"
    keep: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    series_id: str | None = None
    subject: str | None = None
    measure: str | None = None
    unit: str | None = None
    values: tuple[ValueColumn, ...] = ()
    # Query protocols: the series asked for.
    series: tuple[SeriesSpec, ...] = ()
    # OEWS files: SOC codes (or prefixes such as "15-") whose national rows become observations.
    observe: tuple[str, ...] = ()
    release: str | None = None
    revisions: tuple[str, ...] = ()
    max_bytes: int = DEFAULT_MAX_BYTES
    # Share of the previous complete vintage's rows a new one may lose before it is refused.
    max_loss_share: float = 0.0
    no_snapshot: str | None = None
    history: History | None = None

    @property
    def complete(self) -> bool:
        """Whether one answer holds the whole dataset (files), or is merged over earlier ones."""
        return self.protocol == "http_file"


@dataclass(frozen=True)
class Catalog:
    path: str
    hosts: Mapping[str, str]
    publishers: Mapping[str, Publisher]
    datasets: tuple[Dataset, ...]

    def by_source(self, source: str) -> tuple[Dataset, ...]:
        return tuple(d for d in self.datasets if d.source == source)

    def get(self, dataset_id: str) -> Dataset | None:
        return next((d for d in self.datasets if d.id == dataset_id), None)

    def address(
        self, dataset: Dataset, overrides: Mapping[str, str], url: str | None = None
    ) -> str:
        """`url` (default: the dataset's) with its scheme and host replaced by the override set
        in the environment variable [hosts] names for it, if any."""
        url = url or dataset.url
        origin = _origin(url)
        variable = self.hosts.get(origin)
        base = overrides.get(variable, "") if variable else ""
        return base.rstrip("/") + url[len(origin) :] if base else url


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class _Entry:
    """Typed access to one TOML table, with errors that name the file, dataset and field."""

    def __init__(self, path: str, where: str, table: Mapping[str, Any]) -> None:
        self.path, self.where, self.table = path, where, table
        self.used: set[str] = set()

    def fail(self, key: str, problem: str) -> CatalogError:
        value = self.table.get(key)
        return CatalogError(f"{self.path}: {self.where}, field {key!r}, value {value!r}: {problem}")

    def get(self, key: str, kind: type, default: Any = ..., allowed: Mapping | None = None) -> Any:
        self.used.add(key)
        if key not in self.table:
            if default is ...:
                raise self.fail(key, "is required")
            return default
        value = self.table[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or isinstance(value, bool) is not (kind is bool):
            raise self.fail(key, f"must be a {kind.__name__}")
        if allowed is not None and value not in allowed:
            raise self.fail(key, f"must be one of {', '.join(sorted(allowed))}")
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        values = self.get(key, list, [])
        if not all(isinstance(v, str) and v for v in values):
            raise self.fail(key, "must be a list of non-empty strings")
        return tuple(values)

    def check_unknown(self) -> None:
        unknown = sorted(set(self.table) - self.used)
        if unknown:
            raise self.fail(unknown[0], "is not a catalog field (see docs/catalog.md)")


def _series(entry: _Entry) -> tuple[SeriesSpec, ...]:
    specs = []
    for number, item in enumerate(entry.get("series", list, []), start=1):
        if not isinstance(item, dict):
            raise entry.fail("series", f"item {number} must be a table")
        spec = _Entry(entry.path, f"{entry.where}, series {number}", item)
        specs.append(
            SeriesSpec(
                id=spec.get("id", str),
                subject=spec.get("subject", str),
                measure=spec.get("measure", str, allowed=MEASURES),
                unit=spec.get("unit", str, allowed=UNITS),
            )
        )
        spec.check_unknown()
    if len({s.id for s in specs}) != len(specs):
        raise entry.fail("series", "lists a series id twice")
    return tuple(specs)


def _values(entry: _Entry) -> tuple[ValueColumn, ...]:
    values = []
    for number, item in enumerate(entry.get("values", list, []), start=1):
        if not isinstance(item, dict):
            raise entry.fail("values", f"item {number} must be a table")
        spec = _Entry(entry.path, f"{entry.where}, values {number}", item)
        column = spec.get("column", str)
        values.append(ValueColumn(column, spec.get("name", str, column)))
        spec.check_unknown()
    return tuple(values)


def _history(entry: _Entry, columns: tuple[str, ...]) -> History | None:
    table = entry.get("history", dict, None)
    if table is None:
        return None
    spec = _Entry(entry.path, f"{entry.where}, history", table)
    repository = spec.get("repository", str)
    if not _REPOSITORY.match(repository):
        raise spec.fail("repository", "must be owner/name")
    variants = []
    for number, item in enumerate(spec.get("variants", list, []), start=1):
        if not isinstance(item, dict):
            raise spec.fail("variants", f"item {number} must be a table")
        variant = _Entry(entry.path, f"{entry.where}, history variant {number}", item)
        old_columns = variant.strings("columns")
        values = []
        for value_number, value in enumerate(variant.get("values", list), start=1):
            mapping = _Entry(entry.path, f"{variant.where}, value {value_number}", value)
            column = mapping.get("column", str)
            means = mapping.get("means", str)
            if column not in old_columns:
                raise mapping.fail("column", "is not in the variant's 'columns'")
            if means not in columns:
                raise mapping.fail("means", "is not a column of the current header")
            values.append(VariantValue(column, means, mapping.get("add", float, 0.0)))
            mapping.check_unknown()
        variant.check_unknown()
        variants.append(HeaderVariant(old_columns, tuple(values)))
    history = History(
        repository=repository,
        branch=spec.get("branch", str),
        path=spec.get("path", str),
        date_formats=spec.strings("date_formats") or ("%Y-%m-%d",),
        missing=tuple(spec.get("missing", list, [])),
        variants=tuple(variants),
    )
    spec.check_unknown()
    return history


def _check_csv_mapping(entry: _Entry, dataset: Dataset) -> None:
    known = set(dataset.columns)
    if not known:
        raise entry.fail("columns", "a CSV dataset lists its expected header")
    named = [
        ("period_column", dataset.period_column),
        ("geography_column", dataset.geography_column),
    ]
    named += [("values", v.column) for v in dataset.values]
    named += [("keep", column) for column in dataset.keep]
    for key, column in named:
        if column is not None and column not in known:
            raise entry.fail(key, f"names column {column!r}, which is not in 'columns'")
    if dataset.period_column is None:
        raise entry.fail("period_column", "is required for a CSV dataset")
    if not dataset.values:
        raise entry.fail("values", "a CSV dataset names at least one value column")
    for key in ("series_id", "subject"):
        template = getattr(dataset, key)
        if template is None:
            raise entry.fail(key, "is required for a CSV dataset")
        for name in _TEMPLATE_FIELD.findall(template):
            if name != "value" and name not in known:
                raise entry.fail(key, f"uses {{{name}}}, which is not a column (or {{value}})")
    if dataset.measure not in MEASURES:
        raise entry.fail("measure", f"must be one of {', '.join(sorted(MEASURES))}")
    if dataset.unit not in UNITS:
        raise entry.fail("unit", f"must be one of {', '.join(sorted(UNITS))}")


def _dataset(
    path: str,
    number: int,
    table: Mapping[str, Any],
    hosts: Mapping[str, str],
    publishers: Mapping[str, Publisher],
) -> Dataset:
    entry = _Entry(path, f"dataset {table.get('id', number)!r}", table)
    dataset_id = entry.get("id", str)
    if not _ID.match(dataset_id):
        raise entry.fail("id", "must be lower_snake_case")
    source = entry.get("source", str, allowed=SOURCES)
    if source not in publishers:
        raise entry.fail("source", "has no [publishers.<source>] table")
    url = entry.get("url", str)
    if _origin(url) not in hosts:
        raise entry.fail("url", f"host {_origin(url)} has no entry in [hosts]")
    keep = entry.get("keep", dict, {})
    for column, wanted in keep.items():
        if (
            not isinstance(wanted, list)
            or not all(isinstance(w, str) for w in wanted)
            or not wanted
        ):
            raise entry.fail("keep", f"{column!r} must list the values to keep")
    dataset = Dataset(
        id=dataset_id,
        source=source,
        protocol=entry.get("protocol", str, allowed=PROTOCOLS),
        url=url,
        format=entry.get("format", str, allowed=FORMATS),
        title=entry.get("title", str),
        frequency=entry.get("frequency", str, allowed=FREQUENCIES),
        reference_period=entry.get("reference_period", str, allowed=REFERENCE_PERIODS),
        publisher=publishers[source],
        columns=entry.strings("columns"),
        period_column=entry.get("period_column", str, None),
        geography_column=entry.get("geography_column", str, None),
        geography=entry.get("geography", str, "US"),
        keep={column: tuple(values) for column, values in keep.items()},
        series_id=entry.get("series_id", str, None),
        subject=entry.get("subject", str, None),
        measure=entry.get("measure", str, None),
        unit=entry.get("unit", str, None),
        values=_values(entry),
        series=_series(entry),
        observe=entry.strings("observe"),
        release=entry.get("release", str, None),
        revisions=entry.strings("revisions"),
        max_bytes=entry.get("max_bytes", int, DEFAULT_MAX_BYTES),
        max_loss_share=entry.get("max_loss_share", float, 0.0),
        no_snapshot=entry.get("no_snapshot", str, None),
        history=_history(entry, entry.strings("columns")),
    )
    entry.check_unknown()
    if dataset.format == "csv" and dataset.protocol == "http_file":
        _check_csv_mapping(entry, dataset)
    if dataset.protocol in ("bls_api_v2", "fred") and not dataset.series:
        raise entry.fail("series", f"a {dataset.protocol} dataset lists the series it asks for")
    if dataset.format == "oews" and not dataset.observe:
        raise entry.fail("observe", "an OEWS dataset lists the SOC codes (or prefixes) to observe")
    if dataset.protocol == "fred" and len(dataset.series) != 1:
        raise entry.fail("series", "a FRED dataset is one series (one request)")
    if dataset.history is not None and _origin(GITHUB_API) not in hosts:
        raise entry.fail("history", f"host {GITHUB_API} has no entry in [hosts]")
    if dataset.history is not None and dataset.format != "csv":
        raise entry.fail("history", "is read for CSV files only")
    if not 0.0 <= dataset.max_loss_share < 1.0:
        raise entry.fail("max_loss_share", "must be at least 0 and below 1")
    if dataset.max_bytes <= 0:
        raise entry.fail("max_bytes", "must be positive")
    return dataset


def load_catalog(path: str | Path) -> Catalog:
    """Read and check the catalog at `path`."""
    path = str(path)
    try:
        document = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(f"{path}: no such catalog file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise CatalogError(f"{path}: not valid TOML: {error}") from None
    unknown = sorted(set(document) - {"hosts", "publishers", "dataset"})
    if unknown:
        raise CatalogError(f"{path}: unknown top-level table {unknown[0]!r} (see docs/catalog.md)")
    hosts = document.get("hosts", {})
    publishers = {}
    for source, table in document.get("publishers", {}).items():
        entry = _Entry(path, f"publisher {source!r}", table)
        publishers[source] = Publisher(
            name=entry.get("name", str),
            short_name=entry.get("short_name", str),
            licence=entry.get("licence", str),
            citation=entry.get("citation", str),
            citation_url=entry.get("citation_url", str),
        )
        entry.check_unknown()
    datasets = tuple(
        _dataset(path, number, table, hosts, publishers)
        for number, table in enumerate(document.get("dataset", []), start=1)
    )
    ids = [d.id for d in datasets]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise CatalogError(f"{path}: dataset id {duplicates[0]!r} appears more than once")
    return Catalog(path, hosts, publishers, datasets)
