"""The one builder of a metrics row and the one builder of a claim_checks row.

The ledger (claims recomputed from figures), the official comparisons (figures against their
series, postings windows) and pay over time (OEWS premiums, growth, trends) all produce rows of
the same tables; they build them here, so a column is added, renamed or defaulted in one place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import polars as pl

from schemas.tables import METRIC_COLUMNS, METRICS_CLAIM_CHECKS

MetricRow = dict[str, Any]
ClaimCheckRow = dict[str, Any]

_METRIC_SCHEMA = pl.Schema({c.name: c.dtype for c in METRIC_COLUMNS})


def metric_row(
    *,
    metric_id: str,
    value: float,
    unit: str,
    period: str,
    inputs: list[str],
    formula: str,
    formula_text: str,
    measure: str,
    subjects: list[str],
    flags: list[str],
    low: float | None = None,
    high: float | None = None,
) -> MetricRow:
    """One row of a metrics table. `low` and `high` bound the value over range inputs; a value
    computed from point inputs is its own bounds."""
    return {
        "metric_id": metric_id,
        "value": value,
        "value_low": value if low is None else low,
        "value_high": value if high is None else high,
        "unit": unit,
        "period": period,
        "inputs": inputs,
        "formula": formula,
        "formula_text": formula_text,
        "measure": measure,
        "subjects": subjects,
        "flags": flags,
    }


def metric_frame(rows: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """Metric rows as a frame with the columns every metrics table shares."""
    return pl.DataFrame(list(rows), schema=_METRIC_SCHEMA)


def claim_check_row(
    *,
    claim_id: str,
    kind: str,
    about_claim_id: str | None,
    statement: str,
    status: str,
    explanation: str,
    stated_low: float | None,
    stated_high: float | None,
    stated_unit: str,
    tolerance: float,
    formula: str,
    inputs: list[str],
    computed: float | None = None,
    computed_low: float | None = None,
    computed_high: float | None = None,
    metric_id: str | None = None,
    checked_as_of: date | None = None,
    vintage_as_of: date | None = None,
    status_now: str | None = None,
    computed_now: float | None = None,
    vintage_now: date | None = None,
    revised_since: bool | None = None,
) -> ClaimCheckRow:
    """One row of metrics/claim_checks. `computed_low` and `computed_high` bound the computed
    value over range inputs and default to it; nothing computed (a refused claim) leaves all
    three empty."""
    return {
        "claim_id": claim_id,
        "kind": kind,
        "about_claim_id": about_claim_id,
        "statement": statement,
        "status": status,
        "stated_low": stated_low,
        "stated_high": stated_high,
        "stated_unit": stated_unit,
        "tolerance": tolerance,
        "computed_value": computed,
        "computed_low": computed if computed_low is None else computed_low,
        "computed_high": computed if computed_high is None else computed_high,
        "metric_id": metric_id,
        "formula": formula,
        "inputs": inputs,
        "explanation": explanation,
        "checked_as_of": checked_as_of,
        "vintage_as_of": vintage_as_of,
        "status_now": status_now,
        "computed_value_now": computed_now,
        "vintage_now": vintage_now,
        "revised_since": revised_since,
    }


def claim_check_frame(rows: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """Claim-check rows as a metrics/claim_checks frame."""
    return pl.DataFrame(list(rows), schema=METRICS_CLAIM_CHECKS.polars_schema)
