"""Schemas: defined once, derived everywhere, and strict on good and bad frames."""

from __future__ import annotations

import polars as pl
import pytest

from labor_lake.registry.validation import schema_problems
from schemas import dictionary
from schemas.model import to_pandera
from schemas.tables import (
    CORE_PUBLISHED_FIGURES,
    METRICS_CLAIM_CHECKS,
    METRICS_PAY_PREMIUMS,
)

from .conftest import synthetic_metric_row


def test_data_dictionary_is_current() -> None:
    committed = dictionary.DICTIONARY_PATH.read_text()
    assert committed == dictionary.render(), (
        "docs/data_dictionary.md is stale: run `uv run python -m schemas.dictionary`"
    )


def _frame(*rows: dict) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=METRICS_PAY_PREMIUMS.polars_schema)


def test_good_metric_frame_passes() -> None:
    assert schema_problems(_frame(synthetic_metric_row()), METRICS_PAY_PREMIUMS) == []


@pytest.mark.parametrize(
    ("overrides", "column", "check"),
    [
        (
            {"unit": "percent", "value": 130.0, "value_low": 130.0, "value_high": 130.0},
            "value",
            "value_within_unit_range",
        ),
        ({"value_low": 40.0}, "value_low", "value_low_le_value_high"),
        ({"formula": "ratio"}, "formula", "isin"),
        ({"inputs": []}, "inputs", "inputs_not_empty"),
        ({"unit": "dollars"}, "unit", "isin"),
        ({"formula_text": " "}, "formula_text", "str_matches"),
    ],
)
def test_bad_metric_rows_are_caught(overrides: dict, column: str, check: str) -> None:
    problems = schema_problems(_frame(synthetic_metric_row(**overrides)), METRICS_PAY_PREMIUMS)
    assert [(p.column, p.record) for p in problems] == [(column, "premium_pct:a:b")]
    assert check in problems[0].check


def test_duplicate_metric_ids_are_caught() -> None:
    problems = schema_problems(
        _frame(synthetic_metric_row(), synthetic_metric_row()), METRICS_PAY_PREMIUMS
    )
    assert {p.check for p in problems} == {"field_uniqueness"}


def test_missing_and_unexpected_columns_are_reported_alone() -> None:
    frame = _frame(synthetic_metric_row()).drop("unit").with_columns(pl.lit(1).alias("val2"))
    problems = schema_problems(frame, METRICS_PAY_PREMIUMS)
    assert {(p.check, p.column) for p in problems} == {
        ("column_in_dataframe", "unit"),
        ("column_in_schema", "val2"),
    }


def test_data_checks_run_on_collected_frames_not_just_the_schema() -> None:
    # pandera checks only the schema of a LazyFrame by default; validate() must see the data.
    bad = _frame(synthetic_metric_row(value=-150.0, value_low=-150.0, value_high=-150.0))
    assert schema_problems(bad, METRICS_PAY_PREMIUMS)
    lazy_result = to_pandera(METRICS_PAY_PREMIUMS).validate(bad.lazy())
    assert isinstance(
        lazy_result, pl.LazyFrame
    )  # would have passed: the trap schema_problems avoids


def test_claim_status_vocabulary_is_enforced() -> None:
    row = {name: None for name in METRICS_CLAIM_CHECKS.polars_schema.names()}
    row.update(
        claim_id="c",
        kind="article_claim",
        statement="s",
        status="true-ish",
        stated_unit="percent",
        tolerance=0.0,
        formula="gap_pp",
        inputs=["a"],
        explanation="e",
    )
    frame = pl.DataFrame([row], schema=METRICS_CLAIM_CHECKS.polars_schema)
    problems = schema_problems(frame, METRICS_CLAIM_CHECKS)
    assert [(p.column, p.value) for p in problems] == [("status", "true-ish")]
    frame = frame.with_columns(status=pl.lit("consistent"), kind=pl.lit("a hunch"))
    problems = schema_problems(frame, METRICS_CLAIM_CHECKS)
    assert [(p.column, p.value) for p in problems] == [("kind", "a hunch")]


def test_core_figures_require_a_location_for_article_figures() -> None:
    rule = CORE_PUBLISHED_FIGURES.column_lookup["article_location"].rules[0]
    frame = pl.DataFrame(
        {"source_kind": ["article", "official_reference"], "article_location": [None, None]}
    )
    assert frame.select(rule.passes())[:, 0].to_list() == [False, True]
