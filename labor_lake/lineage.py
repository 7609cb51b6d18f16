"""Traceability of derived rows: every id in a metrics row's `inputs` must resolve to a row of a
core table, and which upstream columns feed which metric columns."""

from __future__ import annotations

import polars as pl

from labor_lake.validation import Problem

OBSERVATION_REFERENCE_SEPARATOR = "@"


def observation_reference(series_id: str, period_start: object) -> str:
    """How a metrics row names one row of core/observations: `<series_id>@<period_start>`."""
    return f"{series_id}{OBSERVATION_REFERENCE_SEPARATOR}{period_start}"


OEWS_KEY = ("year", "area", "naics", "own_code", "occ_code", "o_group")


def oews_reference(*key: object) -> str:
    """How a metrics row names one row of core/oews_estimates:
    `oews:<year>:<area>:<naics>:<own_code>:<occ_code>:<o_group>` (its unique key)."""
    return ":".join(["oews", *map(str, key)])


def unresolved_inputs(
    frame: pl.DataFrame,
    record_column: str,
    figures: pl.DataFrame,
    observations: pl.DataFrame,
    oews_estimates: pl.DataFrame | None = None,
) -> list[Problem]:
    """Inputs that name neither a figure in core/published_figures, a row of core/observations
    nor a row of core/oews_estimates."""
    known = set(figures["figure_id"]) | {
        observation_reference(series, start)
        for series, start in observations.select("series_id", "period_start").iter_rows()
    }
    if oews_estimates is not None:
        referenced = {r for inputs in frame["inputs"] for r in inputs if r.startswith("oews:")}
        if referenced:  # resolve only what is referenced: the table may hold millions of rows
            known |= {
                oews_reference(*key)
                for key in oews_estimates.select(OEWS_KEY).iter_rows()
                if oews_reference(*key) in referenced
            }
    return [
        Problem("input_resolves_to_core_row", "inputs", reference, record)
        for record, inputs in frame.select(record_column, "inputs").iter_rows()
        for reference in inputs
        if reference not in known
    ]
