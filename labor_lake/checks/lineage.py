"""Traceability of derived rows: every id in a metrics row's `inputs` must resolve to a row of a
core table, and which upstream columns feed which metric columns."""

from __future__ import annotations

import polars as pl

from labor_lake.registry.validation import Problem

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
    referenced = {r for inputs in frame["inputs"] for r in inputs}
    # Only the referenced rows are looked up (the core tables hold tens of thousands of rows, a
    # metrics table references a few hundred), and observation references are formed in polars.
    observation_references = observations.select(
        pl.concat_str(
            pl.col("series_id"),
            pl.lit(OBSERVATION_REFERENCE_SEPARATOR),
            pl.col("period_start").cast(pl.String),
        )
    ).to_series()
    known = set(figures["figure_id"]) | set(
        observation_references.filter(observation_references.is_in(list(referenced)))
    )
    oews = {r for r in referenced if r.startswith("oews:")}
    if oews_estimates is not None and oews:
        keys = [r.split(":")[1:] for r in oews]
        occupations = {k[OEWS_KEY.index("occ_code")] for k in keys if len(k) == len(OEWS_KEY)}
        candidates = oews_estimates.filter(pl.col("occ_code").is_in(list(occupations)))
        known |= {
            oews_reference(*key)
            for key in candidates.select(OEWS_KEY).iter_rows()
            if oews_reference(*key) in oews
        }
    return [
        Problem("input_resolves_to_core_row", "inputs", reference, record)
        for record, inputs in frame.select(record_column, "inputs").iter_rows()
        for reference in inputs
        if reference not in known
    ]
