"""What every table asset shares: key, group, kinds, column schema, code version and a blocking
schema check, all derived from the table's definition in `schemas/tables.py`.

The schema check runs inside the asset, before the IO manager writes anything: a table that fails
it is never written, so the last good Parquet file stays in place, and because the check is
blocking, downstream assets do not run.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import inspect
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl

from labor_lake.validation import Problem, ValidationFailed, schema_problems
from schemas.model import Table, to_arrow, to_dagster

SCHEMA_CHECK = "schema"
_PREVIEW_ROWS = 10
_PREVIEW_CELL_CHARS = 60


@functools.cache
def _definitions_by_first_line(filename: str) -> dict[int, str]:
    """The source of every function and class in a file, by its first line (its first decorator,
    as in `co_firstlineno`). One `ast.parse` per file: `inspect.getsource` tokenizes each block
    again, which cost a third of a second of every `dg` command's start."""
    source = Path(filename).read_text()
    lines = source.splitlines(keepends=True)
    sources = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            sources[first] = "".join(lines[first - 1 : node.end_lineno])
    return sources


def _source(code_object: Any) -> str:
    if inspect.ismodule(code_object):
        return Path(inspect.getfile(code_object)).read_text()
    code = getattr(code_object, "__code__", None)
    if code is not None:
        found = _definitions_by_first_line(code.co_filename).get(code.co_firstlineno)
        if found is not None:
            return found
    return inspect.getsource(code_object)


def source_version(*functions: Callable[..., Any], extra: str = "") -> str:
    """A short hash of the functions' (or modules') source and `extra`: a code version that
    changes exactly when the code that computes an asset changes."""
    digest = hashlib.sha256(extra.encode())
    for function in functions:
        digest.update(_source(function).encode())
    return digest.hexdigest()[:16]


def code_version(table: Table, logic: tuple[Callable[..., Any], ...]) -> str:
    """Code version of a table asset: its schema, its constraints, and the logic computing it."""
    constraints = repr([column.constraint_notes() for column in table.columns])
    return source_version(*logic, extra=str(to_arrow(table)) + constraints)


def schema_check_spec(table: Table) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        SCHEMA_CHECK,
        asset=table.asset_key,
        blocking=True,
        description=f"Validates {table.id} against its pandera schema before it is written.",
    )


def table_metadata(table: Table) -> dict[str, Any]:
    return {
        "dagster/column_schema": to_dagster(table),
        "dagster/table_name": table.id,
        "lake_path": table.relative_path,
    }


def asset_out(table: Table, logic: tuple[Callable[..., Any], ...]) -> dg.AssetOut:
    """The AssetOut of a table produced by a multi-asset."""
    return dg.AssetOut(
        key=table.asset_key,
        description=table.description,
        group_name=table.zone,
        kinds={"polars", "parquet"},
        metadata=table_metadata(table),
        code_version=code_version(table, logic),
    )


def table_asset(
    table: Table,
    logic: tuple[Callable[..., Any], ...],
    inputs: Mapping[str, Table] | None = None,
    extra_checks: tuple[dg.AssetCheckSpec, ...] = (),
) -> dict[str, Any]:
    """Keyword arguments for `@dg.asset` on a function that builds `table`."""
    return {
        "key": table.asset_key,
        "group_name": table.zone,
        "kinds": {"polars", "parquet"},
        "metadata": table_metadata(table),
        "code_version": code_version(table, logic),
        "check_specs": [schema_check_spec(table), *extra_checks],
        "ins": {
            name: dg.AssetIn(key=upstream.asset_key) for name, upstream in (inputs or {}).items()
        },
    }


def _markdown_cell(value: object) -> str:
    text = (
        ", ".join(map(str, value))
        if isinstance(value, list)
        else ""
        if value is None
        else str(value)
    )
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
) -> Iterator[dg.Output | dg.AssetCheckResult]:
    """Build the frames of one asset (one table) or multi-asset (several), validate every one,
    and only if all pass, yield their outputs and passing checks.

    Validation is the table's schema plus, if given, `references` (e.g. ids that must resolve to
    rows upstream). Any failure, whether a cell that does not parse or a failed check, yields a
    failed check with its failure cases and raises: no table of the step is written.
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
                    asset_key=table.asset_key,
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
            output_name="result" if len(tables) == 1 else table.asset_key.to_python_identifier(),
            data_version=content_version(frame),
            metadata={
                "dagster/row_count": frame.height,
                "preview": _preview(frame),
                **(output_metadata or {}).get(table, {}),
            },
        )
        yield dg.AssetCheckResult(
            asset_key=table.asset_key,
            check_name=SCHEMA_CHECK,
            passed=True,
            metadata={"rows_checked": frame.height},
        )
