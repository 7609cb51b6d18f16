"""Validation problems: one shape for every error a user can cause, from a malformed CSV cell to a
failed schema check, so each message names the file, line, record, column, value and check."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import pandera.errors
import pandera.polars as pa
import polars as pl

from schemas.model import Table, to_pandera

_MAX_PROBLEMS_IN_MESSAGE = 25
_VALIDATION_THREADS = 2
# A partitioned table this small is validated whole: its memory is no concern, and pandera's
# fixed cost per validation (a query per check) would be paid once per partition. The nine
# years of OEWS national files (12,000 rows, about 5 MB) validate in 0.04 s whole against 0.29 s
# a year at a time; the bulk files (2,000,000 rows) are still validated a year at a time.
_WHOLE_BELOW_BYTES = 64 * 1024 * 1024
_SHAPE_CHECKS = ("column_in_dataframe", "column_in_schema")
_DTYPE_CHECK_PREFIX = "dtype("  # pandera's dtype checks are named `dtype('<type>')`


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one value."""

    check: str
    column: str | None = None
    value: str | None = None
    record: str | None = None
    line: int | None = None
    file: str | None = None

    def describe(self) -> str:
        where = ":".join(str(part) for part in (self.file, self.line) if part is not None)
        parts = [where] if where else []
        if self.record is not None:
            parts.append(f"record {self.record!r}")
        if self.column is not None:
            parts.append(f"column {self.column!r}")
        parts.append(f"value {self.value!r}")
        parts.append(f"failed {self.check}")
        return ", ".join(parts)


class ValidationFailed(Exception):
    """Raised when input or output data breaks its contract; nothing is written."""

    def __init__(self, subject: str, problems: Sequence[Problem]) -> None:
        self.subject = subject
        self.problems = list(problems)
        super().__init__(self._message())

    def _message(self) -> str:
        shown = self.problems[:_MAX_PROBLEMS_IN_MESSAGE]
        lines = [f"{self.subject}: {len(self.problems)} problem(s)"]
        lines.extend(f"  - {problem.describe()}" for problem in shown)
        if len(self.problems) > len(shown):
            lines.append(f"  ... and {len(self.problems) - len(shown)} more")
        return "\n".join(lines)


def schema_problems(frame: pl.DataFrame, table: Table) -> list[Problem]:
    """Validate a collected frame against the table's pandera schema, returning every problem.

    The frame must be a DataFrame, not a LazyFrame: on a LazyFrame pandera checks only the schema
    unless the validation depth says otherwise, and we always want the data checks.

    A large partitioned table is validated one partition at a time, so validation needs memory
    for one partition, not for the whole table; that is sound because every uniqueness
    constraint of such a table includes its partition column (see `_chunks`).
    """
    schema = to_pandera(table)
    # The same schema without the joint uniqueness, for the chunks found to hold no duplicate.
    without_unique = to_pandera(table)
    without_unique.unique = None
    problems: list[Problem] = []
    # Two partitions at a time: pandera spends part of each check in Python, and polars releases
    # the GIL while it computes, so a second thread keeps the cores busy; no more than two, so
    # memory stays bounded by two partitions.
    with ThreadPoolExecutor(max_workers=_VALIDATION_THREADS) as pool:
        running: deque[Future[list[Problem]]] = deque()
        for chunk in _chunks(frame, table):
            running.append(pool.submit(_chunk_problems, schema, without_unique, chunk, table))
            del chunk
            if len(running) == _VALIDATION_THREADS:
                problems += running.popleft().result()
        while running:
            problems += running.popleft().result()
    shape = [p for p in problems if _is_shape_problem(p.check)]
    # A shape problem (missing column, wrong type) is the same in every chunk: report it once.
    return list(dict.fromkeys(shape)) if shape else problems


def _chunk_problems(
    schema: pa.DataFrameSchema,
    without_unique: pa.DataFrameSchema,
    chunk: pl.DataFrame,
    table: Table,
) -> list[Problem]:
    # pandera checks joint uniqueness with `is_duplicated` on the columns, which for
    # core/observation_vintages (913,744 rows) costs 0.22 CPU s and 220 MB of memory. Equal rows
    # have equal row hashes, so no repeated hash means no duplicate (0.09 s, 70 MB) and the check
    # is skipped; a chunk with a repeated hash (a duplicate, or a collision) goes through pandera's
    # check, so its failure cases and messages stay pandera's.
    present = [c for c in schema.unique or () if c in chunk.columns]
    if present and not chunk.select(present).hash_rows(seed=0).is_duplicated().any():
        schema = without_unique
    try:
        schema.validate(chunk, lazy=True)
    except pandera.errors.SchemaErrors as errors:
        return _problems_from_failure_cases(errors.failure_cases, chunk, table)
    return []


def _is_shape_problem(check: str) -> bool:
    return check in _SHAPE_CHECKS or check.startswith(_DTYPE_CHECK_PREFIX)


def _chunks(frame: pl.DataFrame, table: Table) -> Iterable[pl.DataFrame]:
    """The frame in the pieces it is validated in: one per partition value when uniqueness can be
    checked within a partition (every unique constraint includes the partition column), else
    whole. A missing partition column, or an empty frame, is checked whole (its shape), and so
    is a frame smaller than `_WHOLE_BELOW_BYTES`."""
    key = table.partition_by
    if key is None or key not in frame.columns or frame.height == 0:
        return [frame]
    if frame.estimated_size() < _WHOLE_BELOW_BYTES:
        return [frame]
    if any(c.unique for c in table.columns) or (
        table.unique_together and key not in table.unique_together
    ):
        return [frame]
    # One filter at a time (not `partition_by`), so at most one partition is copied at once.
    return (
        frame.filter(pl.col(key).eq_missing(value))
        for value in frame[key].unique(maintain_order=True)
    )


def _cell(frame: pl.DataFrame, column: str, row: int | None) -> object:
    if row is None or column not in frame.columns or row >= frame.height:
        return None
    return frame[column][row]


def _problems_from_failure_cases(
    failure_cases: pl.DataFrame, frame: pl.DataFrame, table: Table
) -> list[Problem]:
    record_column = table.primary_key or table.columns[0].name
    shape_failures = failure_cases.filter(
        pl.col("check").is_in(_SHAPE_CHECKS) | pl.col("check").str.starts_with(_DTYPE_CHECK_PREFIX)
    )
    if shape_failures.height:
        # With a column missing, unexpected or mistyped, row rules fail on that column and only
        # add noise: report the shape alone.
        return [
            Problem(
                check=case["check"],
                column=case["failure_case"] if case["check"] in _SHAPE_CHECKS else case["column"],
                value=None if case["check"] in _SHAPE_CHECKS else case["failure_case"],
                file=table.id,
            )
            for case in shape_failures.iter_rows(named=True)
        ]
    problems = []
    for case in failure_cases.iter_rows(named=True):
        row = case["index"]
        check = case["check"]
        column = case["column"]
        value = case["failure_case"]
        line = _cell(frame, "source_line", row)
        problems.append(
            Problem(
                check=check,
                column=column,
                value=None if value is None else str(value),
                record=None if row is None else _as_text(_cell(frame, record_column, row)),
                line=None if line is None else int(line),  # type: ignore[call-overload]
                file=_as_text(_cell(frame, "source_file", row)),
            )
        )
    return problems


def _as_text(value: object) -> str | None:
    return None if value is None else str(value)
