"""What every table asset shares: key, group, kinds, column schema, code version and a blocking
schema check, all derived from the table's definition in `schemas/tables.py`.

The schema check runs inside the asset, before the IO manager writes anything: a table that fails
it is never written, so the last good Parquet file stays in place, and because the check is
blocking, downstream assets do not run.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import dagster as dg
import polars as pl

from labor_lake.registry.validation import Problem, ValidationFailed, schema_problems
from schemas.model import Table, to_arrow

SCHEMA_CHECK = "schema"
_PREVIEW_ROWS = 10
_PREVIEW_CELL_CHARS = 60


def asset_key(table: Table) -> dg.AssetKey:
    """The asset key of a table: `[zone, name]`."""
    return dg.AssetKey([table.zone, table.name])


def to_dagster(table: Table) -> dg.TableSchema:
    """The column schema shown for the asset in the Dagster UI."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=column.name,
                type=str(column.dtype),
                description=(
                    f"{column.description} [unit: {unit_words(column.unit)}]"
                    if column.unit
                    else column.description
                ),
                constraints=dg.TableColumnConstraints(
                    nullable=column.nullable,
                    unique=column.unique,
                    other=column.constraint_notes(),
                ),
            )
            for column in table.columns
        ]
    )


# The packages whose code computes tables: their modules are hashed into code versions.
_DOMAIN_PACKAGES = ("labor_lake", "schemas")


def _module_of(thing: object) -> ModuleType | None:
    module = thing if isinstance(thing, ModuleType) else inspect.getmodule(thing)
    if module is None or module.__name__.split(".")[0] not in _DOMAIN_PACKAGES:
        return None
    return module


def domain_modules(*logic: object) -> list[ModuleType]:
    """The domain modules `logic` (functions or modules) lives in, and every domain module they
    use, transitively: whatever can change what the asset computes."""
    found: dict[str, ModuleType] = {}
    pending = [m for m in map(_module_of, logic) if m is not None]
    while pending:
        module = pending.pop()
        if module.__name__ in found:
            continue
        found[module.__name__] = module
        pending += [m for m in map(_module_of, vars(module).values()) if m is not None]
    return [found[name] for name in sorted(found)]


@functools.cache
def _module_source(module: ModuleType) -> bytes:
    # The file itself: inspect.getsource tokenizes it again, which costs every `dg` start.
    return Path(inspect.getfile(module)).read_bytes()


def source_version(*logic: object, extra: str = "") -> str:
    """A short hash of the whole source of every domain module `logic` depends on (and
    `extra`): any edit that can change what an asset computes changes its code version."""
    digest = hashlib.sha256(extra.encode())
    for module in domain_modules(*logic):
        digest.update(module.__name__.encode() + b"\0" + _module_source(module))
    return digest.hexdigest()[:16]


def code_version(table: Table, logic: tuple[object, ...]) -> str:
    """Code version of a table asset: its schema, its constraints, and the logic computing it."""
    constraints = repr([column.constraint_notes() for column in table.columns])
    return source_version(*logic, extra=str(to_arrow(table)) + constraints)


def schema_check_spec(table: Table) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        SCHEMA_CHECK,
        asset=asset_key(table),
        blocking=True,
        description=f"Validates {table.id} against its pandera schema before it is written.",
    )


def unit_words(unit: str) -> str:
    """A unit code as a reader says it: `usd_per_year` -> `US dollars per year`."""
    return unit.replace("_", " ").replace("usd", "US dollars")


def table_metadata(table: Table) -> dict[str, Any]:
    return {
        "dagster/column_schema": to_dagster(table),
        "dagster/table_name": table.id,
        "lake_path": table.relative_path,
        **({"schema_version": table.schema_version} if table.published else {}),
    }


def asset_out(table: Table, logic: tuple[object, ...]) -> dg.AssetOut:
    """The AssetOut of a table produced by a multi-asset."""
    return dg.AssetOut(
        key=asset_key(table),
        description=table.description,
        group_name=table.zone,
        kinds={"polars", "parquet"},
        metadata=table_metadata(table),
        code_version=code_version(table, logic),
    )


def table_asset_arguments(
    table: Table,
    logic: tuple[object, ...],
    inputs: Mapping[str, Table] | None = None,
    extra_checks: tuple[dg.AssetCheckSpec, ...] = (),
) -> dict[str, Any]:
    """Keyword arguments for `@dg.asset` on a function that builds `table`."""
    return {
        "key": asset_key(table),
        "group_name": table.zone,
        "kinds": {"polars", "parquet"},
        "metadata": table_metadata(table),
        "code_version": code_version(table, logic),
        "check_specs": [schema_check_spec(table), *extra_checks],
        "ins": {
            name: dg.AssetIn(key=asset_key(upstream)) for name, upstream in (inputs or {}).items()
        },
    }


def _display(value: object) -> str:
    """A cell as a person reads it: floats to at most four decimals (no `-1.2999999999`)."""
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    if isinstance(value, list):
        return ", ".join(map(_display, value))
    return "" if value is None else str(value)


def _markdown_cell(value: object) -> str:
    text = _display(value)
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= _PREVIEW_CELL_CHARS else text[: _PREVIEW_CELL_CHARS - 1] + "…"


def _preview(frame: pl.DataFrame) -> dg.MetadataValue:
    """The first rows as a Markdown table, for the asset's page in the UI."""
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + " --- |" * frame.width]
    lines += [
        "| " + " | ".join(_markdown_cell(v) for v in row) + " |"
        for row in frame.head(_PREVIEW_ROWS).iter_rows()
    ]
    return dg.MetadataValue.md("\n".join(lines))


def _failure_table(problems: list[Problem]) -> dg.MetadataValue:
    columns = ("record", "line", "column", "value", "check", "file")
    return dg.MetadataValue.table(
        records=[
            dg.TableRecord(
                {
                    name: "" if getattr(p, name) is None else str(getattr(p, name))
                    for name in columns
                }
            )
            for p in problems
        ],
        schema=dg.TableSchema(columns=[dg.TableColumn(name, "string") for name in columns]),
    )


def content_version(frame: pl.DataFrame) -> dg.DataVersion:
    """A data version that changes exactly when the table's content (columns, types, rows in
    order) changes. Declarative automation reruns a downstream step only when an input's data
    version changed, so an unchanged table stops the rebuild there. (Row hashes are stable within
    one polars version; an upgrade changes every version once, which only costs one rebuild.)"""
    digest = hashlib.sha256(repr(frame.schema).encode())
    digest.update(frame.hash_rows(seed=0).to_numpy().tobytes())
    return dg.DataVersion(digest.hexdigest()[:24])


def validated_outputs(
    tables: tuple[Table, ...],
    build: Callable[[], Mapping[Table, pl.DataFrame]] | Callable[[], pl.DataFrame],
    references: Callable[[Table, pl.DataFrame], list[Problem]] | None = None,
    output_metadata: Mapping[Table, Mapping[str, Any]] | None = None,
    frame_metadata: Callable[[Table, pl.DataFrame], Mapping[str, Any]] | None = None,
) -> Iterator[dg.Output | dg.AssetCheckResult]:
    """Build the frames of one asset (one table) or multi-asset (several), validate every one,
    and only if all pass, yield their outputs and passing checks.

    Validation is the table's schema plus, if given, `references` (e.g. ids that must resolve to
    rows upstream). Any failure, whether a cell that does not parse or a failed check, yields a
    failed check with its failure cases and raises: no table of the step is written.
    `frame_metadata` adds metadata computed from each validated frame (e.g. counts by status).
    """
    try:
        built = build()
        frames = built if isinstance(built, Mapping) else {tables[0]: built}
        problems = {
            table.id: schema_problems(frames[table], table)
            + (references(table, frames[table]) if references else [])
            for table in tables
        }
    except ValidationFailed as error:
        problems = {table.id: error.problems for table in tables}

    if any(problems.values()):
        for table in tables:
            if problems[table.id]:
                yield dg.AssetCheckResult(
                    asset_key=asset_key(table),
                    check_name=SCHEMA_CHECK,
                    passed=False,
                    metadata={
                        "failure_count": len(problems[table.id]),
                        "failure_cases": _failure_table(problems[table.id]),
                    },
                )
        message = "\n".join(str(ValidationFailed(t, p)) for t, p in problems.items() if p)
        raise dg.Failure(
            description=f"{message}\nNothing was written: the lake keeps its last good tables."
        )

    for table in tables:
        frame = frames[table]
        yield dg.Output(
            frame,
            output_name="result" if len(tables) == 1 else asset_key(table).to_python_identifier(),
            data_version=content_version(frame),
            metadata={
                "dagster/row_count": frame.height,
                "preview": _preview(frame),
                # Also per materialization: which contract version each run wrote.
                **({"schema_version": table.schema_version} if table.published else {}),
                **(output_metadata or {}).get(table, {}),
                **(frame_metadata(table, frame) if frame_metadata else {}),
            },
        )
        yield dg.AssetCheckResult(
            asset_key=asset_key(table),
            check_name=SCHEMA_CHECK,
            passed=True,
            metadata={"rows_checked": frame.height},
        )
