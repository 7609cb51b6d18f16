"""Reading the human-edited registry files (published figures, claims).

Reading happens in two steps, mirroring the lake zones: `read_registry_csv` keeps every cell as
text with its file and line (raw), and `parse_registry` types the cells (core), reporting every
cell it cannot parse with file, line, record, column and value.

Limits keep a hostile or broken file from reaching the lake: at most `MAX_REGISTRY_BYTES` per
file and `MAX_CELL_CHARACTERS` per cell, UTF-8 only (a bad byte is reported by line and column),
no control characters in any cell, and numbers only in the forms publishers write
(`labor_lake/registry/numbers.py`), of a magnitude their unit allows.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import polars as pl

from labor_lake.registry.numbers import NumberError, magnitude_problem, parse_number
from labor_lake.registry.periods import PeriodError, period_bounds, strict_date
from labor_lake.registry.validation import Problem, ValidationFailed
from schemas.model import Table

LIST_SEPARATOR = ";"
PROVENANCE_COLUMNS = ("source_file", "source_line", "source_sha256")
MAX_REGISTRY_BYTES = 2 * 1024 * 1024  # the committed registry is ~12 KB
MAX_CELL_CHARACTERS = 4000  # the longest committed cell is ~130 characters
_EXCERPT_CHARACTERS = 60
# C0 controls but tab and line breaks (which quoted cells may hold), DEL, and C1 controls.
_CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _excerpt(text: str) -> str:
    if len(text) <= _EXCERPT_CHARACTERS:
        return text
    return f"{text[:_EXCERPT_CHARACTERS]}... ({len(text):,} characters)"


def _undecodable(content: bytes, error: UnicodeDecodeError, file: str) -> Problem:
    """Where a non-UTF-8 byte is: line, column name (when the header is readable) and the
    line's text around it, instead of a byte offset."""
    line_start = content.rfind(b"\n", 0, error.start) + 1
    line_number = content.count(b"\n", 0, error.start) + 1
    before = content[line_start : error.start].decode("utf-8", errors="replace")
    column = None
    header_end = content.find(b"\n")
    if line_number > 1:
        header = next(csv.reader([content[:header_end].decode("utf-8", errors="replace")]))
        field_index = len(next(csv.reader([before + "x"]))) - 1
        column = header[field_index].strip() if field_index < len(header) else None
    byte = content[error.start : error.start + 1]
    line_end = content.find(b"\n", error.start)
    line_end = len(content) if line_end < 0 else line_end
    around = content[max(line_start, error.start - 30) : min(line_end, error.start + 30)]
    return Problem(
        "utf8_encoding",
        column=column,
        value=f"byte 0x{byte.hex()} at character {len(before) + 1} of the line: "
        f"...{around.decode('utf-8', errors='backslashreplace')}...",
        line=line_number,
        file=file,
    )


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
    size = path.stat().st_size
    if size > MAX_REGISTRY_BYTES:
        raise ValidationFailed(
            file,
            [Problem("max_file_size", value=f"{size:,} bytes > {MAX_REGISTRY_BYTES:,}", file=file)],
        )
    content = path.read_bytes()
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationFailed(file, [_undecodable(content, error, file)]) from None
    if not text.strip():
        raise ValidationFailed(
            file, [Problem("not_empty", value="", line=1, file=file, column=",".join(expected))]
        )

    # Cells longer than our own limit are reported below, by line and column; the csv module's
    # own (smaller) limit would end reading with a bare `_csv.Error` instead.
    csv.field_size_limit(max(csv.field_size_limit(), MAX_REGISTRY_BYTES))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in next(reader)]
    except csv.Error as error:
        raise ValidationFailed(
            file, [Problem("csv_syntax", value=str(error), line=reader.line_num, file=file)]
        ) from None
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
    for cells in _rows(reader, file, problems):
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
        problems += _cell_limit_problems(header, cells, start_line, file)
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


class _CsvReader(Protocol):
    line_num: int

    def __iter__(self) -> Iterator[list[str]]: ...


def _rows(reader: _CsvReader, file: str, problems: list[Problem]) -> Iterator[list[str]]:
    """The reader's rows; a line the csv module cannot read ends the file with a problem."""
    try:
        yield from reader
    except csv.Error as error:
        problems.append(Problem("csv_syntax", value=str(error), line=reader.line_num, file=file))


def _cell_limit_problems(
    header: list[str], cells: list[str], line: int, file: str
) -> list[Problem]:
    problems = []
    record = cells[0].strip() or None
    for name, cell in zip(header, cells, strict=True):
        if len(cell) > MAX_CELL_CHARACTERS:
            problems.append(
                Problem(
                    f"max_cell_length ({MAX_CELL_CHARACTERS:,} characters)",
                    column=name,
                    value=_excerpt(cell),
                    record=record,
                    line=line,
                    file=file,
                )
            )
        control = _CONTROL_CHARACTER.search(cell)
        if control is not None:
            problems.append(
                Problem(
                    f"no_control_characters (U+{ord(control.group()):04X})",
                    column=name,
                    value=_excerpt(cell.encode("unicode_escape").decode("ascii")),
                    record=record,
                    line=line,
                    file=file,
                )
            )
    return problems


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
            if text is None and column.default is not None:
                text = column.default
            if text is None or column.dtype == pl.String or column.dtype == pl.Int64:
                row[column.name] = text
            elif column.dtype == pl.Float64:
                row[column.name] = None
                # Figures give their unit in `unit`, claims in `stated_unit`.
                unit = cells.get("unit") or cells.get("stated_unit")
                try:
                    number = parse_number(text)
                except NumberError as error:
                    problems.append(
                        _cell_problem(f"numeric: {error}", column.name, text, cells, record_column)
                    )
                    continue
                why_not = magnitude_problem(number, unit)  # type: ignore[arg-type]
                if why_not is not None:
                    problems.append(
                        _cell_problem(
                            f"magnitude: {why_not}", column.name, text, cells, record_column
                        )
                    )
                    continue
                row[column.name] = number
            elif column.dtype == pl.Date:
                row[column.name] = None
                try:
                    row[column.name] = strict_date(text)
                except PeriodError as error:
                    problems.append(
                        _cell_problem(f"date: {error}", column.name, text, cells, record_column)
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
                except PeriodError as error:
                    problems.append(
                        _cell_problem(
                            f"period_format: {error}",
                            "period",
                            cells["period"],
                            cells,
                            record_column,
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
