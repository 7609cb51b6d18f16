"""Comparisons of official series that the pipeline computes, as rows of registry files.

`registry/postings_windows.csv`: pairs of postings series whose growth is compared from a start
date to the last day both cover (the AI share of postings against software-development postings).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

WINDOW_COLUMNS = ("window_id", "series_id", "baseline_series_id", "start", "notes")


class ComparisonsError(ValueError):
    """A comparisons file that names something unusable; the message names file, line, column."""


@dataclass(frozen=True)
class PostingsWindow:
    window_id: str
    series_id: str
    baseline_series_id: str
    start: date
    notes: str


def read_postings_windows(path: str | Path) -> tuple[PostingsWindow, ...]:
    windows = []
    with Path(path).open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != WINDOW_COLUMNS:
            raise ComparisonsError(
                f"{path}: header {reader.fieldnames} is not {list(WINDOW_COLUMNS)}"
            )
        for line, row in enumerate(reader, start=2):
            for column in WINDOW_COLUMNS[:4]:
                if not (row[column] or "").strip():
                    raise ComparisonsError(f"{path}:{line}: column {column!r} is empty")
            try:
                start = date.fromisoformat(row["start"])
            except ValueError:
                raise ComparisonsError(
                    f"{path}:{line}, record {row['window_id']!r}, column 'start', value "
                    f"{row['start']!r}: not a date (YYYY-MM-DD)"
                ) from None
            windows.append(
                PostingsWindow(
                    row["window_id"],
                    row["series_id"],
                    row["baseline_series_id"],
                    start,
                    row["notes"],
                )
            )
    ids = [w.window_id for w in windows]
    if len(set(ids)) != len(ids):
        raise ComparisonsError(f"{path}: a window_id appears twice")
    return tuple(windows)
