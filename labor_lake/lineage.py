"""Traceability of derived rows: every id in a metrics row's `inputs` must resolve to a row of a
core table, and which upstream columns feed which metric columns."""

from __future__ import annotations

import polars as pl

from labor_lake.validation import Problem

OBSERVATION_REFERENCE_SEPARATOR = "@"


def observation_reference(series_id: str, period_start: object) -> str:
    """How a metrics row names one row of core/observations: `<series_id>@<period_start>`."""
    return f"{series_id}{OBSERVATION_REFERENCE_SEPARATOR}{period_start}"


def unresolved_inputs(
    frame: pl.DataFrame, record_column: str, figures: pl.DataFrame, observations: pl.DataFrame
) -> list[Problem]:
    """Inputs that name neither a figure in core/published_figures nor a row of
    core/observations."""
    known = set(figures["figure_id"]) | {
        observation_reference(series, start)
        for series, start in observations.select("series_id", "period_start").iter_rows()
    }
    return [
        Problem("input_resolves_to_core_row", "inputs", reference, record)
        for record, inputs in frame.select(record_column, "inputs").iter_rows()
        for reference in inputs
        if reference not in known
    ]
