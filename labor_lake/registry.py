"""Reading the human-edited registry files (published figures, claims).

Reading happens in two steps, mirroring the lake zones: `read_registry_csv` keeps every cell as
text with its file and line (raw), and `parse_registry` types the cells (core), reporting every
cell it cannot parse with file, line, record, column and value.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from pathlib import Path

import polars as pl

from labor_lake.periods import PeriodError, period_bounds
from labor_lake.validation import Problem, ValidationFailed
from schemas.model import Table

LIST_SEPARATOR = ";"
PROVENANCE_COLUMNS = ("source_file", "source_line", "source_sha256")


def read_registry_csv(
    path: Path, raw_table: Table, display_name: str | None = None
) -> pl.DataFrame:
    """Read a registry CSV into `raw_table`'s shape: text cells plus file, line and sha256.

    `display_name` is how the file is named in errors and in `source_file` (default: `path`).
    """
    expected = [c.name for c in raw_table.columns if c.name not in PROVENANCE_COLUMNS]
    file = display_name or str(path)
    if not path.is_file():
        raise ValidationFailed(file, [Problem("file_exists", file=file)])
    content = path.read_bytes()
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationFailed(
            file, [Problem("utf8_encoding", value=str(error), file=file)]
        ) from None
    if not text.strip():
        raise ValidationFailed(
            file, [Problem("not_empty", value="", line=1, file=file, column=",".join(expected))]
        )

    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip() for name in next(reader)]
    problems = [
        Problem("required_column", column=name, value=None, line=1, file=file)
        for name in expected
        if name not in header
    ]
    problems += [
        Problem("known_column", column=name, value=name, line=1, file=file)
        for name in header
        if name not in expected
    ]
    if len(header) != len(set(header)):
        problems.append(Problem("unique_column_names", value=",".join(header), line=1, file=file))
    if problems:
        raise ValidationFailed(file, problems)

    records: list[dict[str, str | int | None]] = []
    line = reader.line_num
    for cells in reader:
        start_line, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            problems.append(
                Problem(
                    "field_count",
                    value=f"{len(cells)} fields, expected {len(header)}",
                    record=cells[0] if cells else None,
                    line=start_line,
                    file=file,
                )
            )
            continue
        record: dict[str, str | int | None] = {
            name: (cell.strip() or None) for name, cell in zip(header, cells, strict=True)
        }
        record["source_line"] = start_line
        records.append(record)
    if problems:
        raise ValidationFailed(file, problems)
    if not records:
        raise ValidationFailed(
            file, [Problem("has_records", value="header only", line=1, file=file)]
        )

    sha256 = hashlib.sha256(content).hexdigest()
    return pl.DataFrame(
        [
            {
                **{name: r[name] for name in expected},
                "source_file": file,
                "source_line": r["source_line"],
                "source_sha256": sha256,
            }
            for r in records
        ],
        schema=raw_table.polars_schema,
    )


def _parse_number(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(text)
    return number


def parse_registry(raw: pl.DataFrame, table: Table) -> pl.DataFrame:
    """Type the text cells of a raw registry frame into `table`'s columns.

    Text columns pass through; Float64 cells must be plain finite numbers; List(String) cells are
    ';'-separated; a `period` column also yields `period_start`/`period_end`. Every cell that does
    not parse is reported, then ValidationFailed is raised.
    """
    record_column = table.primary_key or table.columns[0].name
    problems: list[Problem] = []
    rows: list[dict[str, object]] = []
    for cells in raw.iter_rows(named=True):
        row: dict[str, object] = {}
        for column in table.columns:
            if column.name not in cells:
                continue
            text = cells[column.name]
            if text is None or column.dtype == pl.String or column.dtype == pl.Int64:
                row[column.name] = text
            elif column.dtype == pl.Float64:
                try:
                    row[column.name] = _parse_number(text)
                except ValueError:
                    row[column.name] = None
                    problems.append(
                        _cell_problem("numeric", column.name, text, cells, record_column)
                    )
            elif column.dtype == pl.List(pl.String):
                row[column.name] = [
                    item.strip() for item in text.split(LIST_SEPARATOR) if item.strip()
                ]
            else:
                raise TypeError(f"{table.id}.{column.name}: no text parser for {column.dtype}")
        if "period_start" in table.column_lookup:
            row["period_start"] = row["period_end"] = None
            if cells.get("period") is not None:
                try:
                    row["period_start"], row["period_end"] = period_bounds(cells["period"])
                except PeriodError:
                    problems.append(
                        _cell_problem(
                            "period_format", "period", cells["period"], cells, record_column
                        )
                    )
        rows.append(row)
    if problems:
        raise ValidationFailed(str(raw["source_file"][0]), problems)
    return pl.DataFrame(rows, schema=table.polars_schema)


def _cell_problem(
    check: str, column: str, value: str, cells: dict[str, object], record_column: str
) -> Problem:
    return Problem(
        check=check,
        column=column,
        value=value,
        record=cells.get(record_column),  # type: ignore[arg-type]
        line=cells.get("source_line"),  # type: ignore[arg-type]
        file=cells.get("source_file"),  # type: ignore[arg-type]
    )
