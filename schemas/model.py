"""Table and column metadata, defined once, and everything derived from it.

A `Table` is the single description of a lake table. From it we derive the pandera (polars)
schema used for validation, the Arrow schema written into Parquet (with per-column descriptions
and units), the Dagster column schema shown in the UI, and the published data dictionary.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import polars as pl
import pyarrow as arrow

if TYPE_CHECKING:
    # Imported where validation happens: pandera brings pandas along (about a second), which
    # reading a table (labor_lake.lake.reader) never needs.
    import pandera.polars as pa

ZONES: dict[str, str] = {
    "raw": "Inputs exactly as read from their source, with provenance columns; not validated beyond shape.",
    "core": "Cleaned, typed and validated tables: the trusted base for everything downstream.",
    "metrics": "Derived metrics and the claim ledger, recomputed from core tables.",
}


@dataclass(frozen=True)
class RowRule:
    """A row-level rule attached to one column; `passes` is True where a row is valid.

    Nulls count as valid: nullability is a separate, column-level constraint.
    """

    name: str
    description: str
    passes: Callable[[], pl.Expr]


@dataclass(frozen=True)
class Column:
    """One column: its name, type, meaning, unit and constraints."""

    name: str
    dtype: pl.DataType
    description: str
    unit: str | None = None
    nullable: bool = False
    unique: bool = False
    allowed: Mapping[str, str] | None = None
    pattern: str | None = None
    rules: tuple[RowRule, ...] = ()
    # What an empty cell of a human-edited file reads as (registry files only).
    default: str | None = None

    def constraint_notes(self) -> list[str]:
        notes: list[str] = []
        if self.default is not None:
            notes.append(f"empty reads as `{self.default}`")
        if self.allowed is not None:
            notes.append("one of: " + ", ".join(sorted(self.allowed)))
        if self.pattern is not None:
            notes.append(f"matches `{self.pattern}`")
        notes.extend(rule.description for rule in self.rules)
        return notes


@dataclass(frozen=True, eq=False)  # identity semantics: each table is defined once
class Table:
    """A lake table: `data_lake/<zone>/<name>.parquet`, asset key `[zone, name]`."""

    zone: str
    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: str | None = None
    unique_together: tuple[str, ...] = ()
    # Semantic version of the published contract (core and metrics zones): see schemas/contract.py.
    schema_version: str = "1.0.0"
    # A column whose values split the table into one Parquet file each (`<id>/<col>=<v>/...`).
    partition_by: str | None = None
    column_lookup: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.zone not in ZONES:
            raise ValueError(f"table {self.name}: unknown zone {self.zone!r}")
        names = [column.name for column in self.columns]
        if len(names) != len(set(names)):
            raise ValueError(f"table {self.name}: duplicate column names in {names}")
        object.__setattr__(self, "column_lookup", {c.name: c for c in self.columns})

    @property
    def id(self) -> str:
        return f"{self.zone}/{self.name}"

    @property
    def flat_name(self) -> str:
        """`<zone>_<name>`: the table's DuckDB view and its datapackage resource name."""
        return f"{self.zone}_{self.name}"

    @property
    def published(self) -> bool:
        """Core and metrics tables are the contract with consumers; raw tables are not."""
        return self.zone in ("core", "metrics")

    @property
    def relative_path(self) -> str:
        """The table's file, or for a partitioned table its folder of partition files."""
        return self.id if self.partition_by else f"{self.id}.parquet"

    def partition_path(self, value: object) -> str:
        """Hive-style path of one partition file: `<id>/<column>=<value>/part-0.parquet`."""
        return f"{self.id}/{self.partition_by}={value}/part-0.parquet"

    @property
    def polars_schema(self) -> pl.Schema:
        return pl.Schema({c.name: c.dtype for c in self.columns})

    def empty_frame(self) -> pl.DataFrame:
        return pl.DataFrame(schema=self.polars_schema)


def _pattern_check(pattern: str) -> pa.Check:
    """pandera's `str_matches` (a match at the start of the value, same name, same failure cases)
    with the regex run once per distinct value, not once per row: large tables repeat few values
    (913,744 vintage rows hold a few thousand payload hashes), and the per-row regex was most of
    their validation time. Rows whose value failed are then found with a hash lookup; a null
    stays null, which pandera counts as passing, as it does for `str_matches`."""
    import pandera.polars as pa

    anchored = pattern if pattern.startswith("^") else f"^{pattern}"

    def matches(data: pa.PolarsData) -> pl.LazyFrame:
        value = pl.col(data.key)
        distinct = data.lazyframe.select(value.unique()).collect()
        failing = distinct.filter(value.str.contains(anchored).not_()).get_column(data.key)
        return data.lazyframe.select(value.is_in(failing.implode()).not_())

    return pa.Check(
        matches,
        name="str_matches",
        error=f"str_matches('{pattern}')",
        statistics={"pattern": pattern},
    )


def _rule_check(rule: RowRule) -> pa.Check:
    import pandera.polars as pa

    return pa.Check(
        lambda data: data.lazyframe.select(rule.passes().fill_null(True)),
        name=rule.name,
    )


def to_pandera(table: Table) -> pa.DataFrameSchema:
    """The pandera (polars backend) schema for `table`: types, nullability, enums, rules."""
    import pandera.polars as pa

    columns: dict[str, pa.Column] = {}
    for column in table.columns:
        checks: list[pa.Check] = []
        if column.allowed is not None:
            checks.append(pa.Check.isin(sorted(column.allowed)))
        if column.pattern is not None:
            checks.append(_pattern_check(column.pattern))
        checks.extend(_rule_check(rule) for rule in column.rules)
        columns[column.name] = pa.Column(
            column.dtype,
            checks=checks,
            nullable=column.nullable,
            unique=column.unique,
            description=column.description,
            title=column.name,
            metadata={"unit": column.unit} if column.unit else None,
        )
    return pa.DataFrameSchema(
        columns,
        name=table.id,
        description=table.description,
        unique=list(table.unique_together) or None,
        strict=True,
        coerce=False,
    )


def to_arrow(table: Table) -> arrow.Schema:
    """The Arrow schema written into Parquet, with column descriptions and units as metadata."""
    base = table.empty_frame().to_arrow().schema
    fields = []
    for arrow_field, column in zip(base, table.columns, strict=True):
        metadata = {"description": column.description}
        if column.unit:
            metadata["unit"] = column.unit
        fields.append(arrow_field.with_metadata(metadata))
    return arrow.schema(fields)
