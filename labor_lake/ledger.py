"""The claim ledger: recompute every claim from its input figures, and derive the metric tables.

Each claim names a formula and input figures. Where the inputs are like-for-like, the computation
becomes a metric row (one per distinct formula and inputs, shared by the claims that use it), and
the claim's stated range is compared with the recomputed value.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from labor_lake.comparability import Figure, input_flags, refusal_reasons
from labor_lake.formulas import evaluate
from labor_lake.validation import Problem
from schemas.formulas import FORMULAS, FormulaError
from schemas.tables import METRIC_TABLE_BY_FORMULA, METRICS_CLAIM_CHECKS


def figures_by_id(figures: pl.DataFrame) -> dict[str, Figure]:
    fields = Figure.__dataclass_fields__
    return {
        row["figure_id"]: Figure(**{name: row[name] for name in fields})
        for row in figures.iter_rows(named=True)
    }


def claim_problems(claims: pl.DataFrame, figures: Mapping[str, Figure]) -> list[Problem]:
    """Claims that reference unknown figures, take the wrong number of inputs, or state a value
    in a unit their formula cannot produce."""
    problems = []
    for claim in claims.iter_rows(named=True):

        def problem(check: str, column: str, value: str, claim: dict = claim) -> Problem:
            return Problem(
                check, column, value, claim["claim_id"], claim["source_line"], claim["source_file"]
            )

        inputs = claim["input_figure_ids"]
        unknown = [figure_id for figure_id in inputs if figure_id not in figures]
        problems += [problem("known_figure_id", "input_figure_ids", f) for f in unknown]
        spec = FORMULAS.get(claim["formula"])
        if spec is None:
            continue  # an unknown formula fails the schema's enum check
        if spec.function is None:
            # A trend, computed from OEWS series, cannot be recomputed from figures.
            problems.append(problem("formula_applies_to_figures", "formula", claim["formula"]))
            continue
        if len(inputs) != spec.arity:
            problems.append(
                problem(
                    f"{claim['formula']}_takes_{spec.arity}_inputs",
                    "input_figure_ids",
                    ";".join(inputs),
                )
            )
        elif not unknown:
            produced = spec.output_unit(figures[inputs[0]].unit)
            if claim["stated_unit"] != produced:
                problems.append(
                    problem(f"stated_unit_is_{produced}", "stated_unit", claim["stated_unit"])
                )
    return problems


@dataclass(frozen=True)
class Ledger:
    metrics: dict[str, pl.DataFrame]  # by metrics table name
    claim_checks: pl.DataFrame


def _conflicts(inputs: list[Figure], all_figures: Mapping[str, Figure]) -> list[str]:
    publishers_by_group: dict[str, set[str]] = defaultdict(set)
    for figure in all_figures.values():
        if figure.conflict_group is not None:
            publishers_by_group[figure.conflict_group].add(figure.publisher)
    conflicts = []
    for figure in inputs:
        publishers = publishers_by_group.get(figure.conflict_group or "", set())
        if len(publishers) > 1:
            conflicts.append(
                f"{figure.figure_id} is attributed to {', '.join(sorted(publishers))} "
                f"(conflict group {figure.conflict_group})"
            )
    return conflicts


def _fmt(value: float) -> str:
    return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"


def build_ledger(figures_frame: pl.DataFrame, claims_frame: pl.DataFrame) -> Ledger:
    figures = figures_by_id(figures_frame)
    metric_rows: dict[str, dict[str, object]] = {}
    checks = []
    for claim in claims_frame.sort("claim_id").iter_rows(named=True):
        formula, input_ids = claim["formula"], claim["input_figure_ids"]
        inputs = [figures[i] for i in input_ids]
        stated_low, stated_high, tolerance = (
            claim["stated_low"],
            claim["stated_high"],
            claim["tolerance"],
        )
        check: dict[str, object] = {
            "claim_id": claim["claim_id"],
            "statement": claim["statement"],
            "stated_low": stated_low,
            "stated_high": stated_high,
            "stated_unit": claim["stated_unit"],
            "tolerance": tolerance,
            "computed_value": None,
            "computed_low": None,
            "computed_high": None,
            "metric_id": None,
            "formula": formula,
            "inputs": input_ids,
        }
        checks.append(check)

        reasons = refusal_reasons(formula, inputs)
        if reasons:
            check["status"] = "unverifiable"
            check["explanation"] = "Not like-for-like, so not computed: " + "; ".join(reasons) + "."
            continue
        try:
            result = evaluate(formula, [f.interval for f in inputs])
        except FormulaError as error:
            check["status"] = "unverifiable"
            check["explanation"] = f"Not computable: {error}."
            continue
        check.update(
            computed_value=result.value, computed_low=result.low, computed_high=result.high
        )
        unit = FORMULAS[formula].output_unit(inputs[0].unit)
        computed = f"{_fmt(result.value)} {unit} from {result.text}"

        if formula != "restated":
            metric_id = ":".join([formula, *input_ids])
            check["metric_id"] = metric_id
            metric_rows[metric_id] = {
                "metric_id": metric_id,
                "value": result.value,
                "value_low": result.low,
                "value_high": result.high,
                "unit": unit,
                "period": inputs[0].period
                if formula != "growth_pct"
                else f"{inputs[1].period}/{inputs[0].period}",
                "inputs": input_ids,
                "formula": formula,
                "formula_text": result.text,
                "measure": inputs[0].measure,
                "subjects": [f.subject for f in inputs],
                "flags": input_flags(inputs),
            }

        conflicts = _conflicts(inputs, figures)
        if conflicts:
            check["status"] = "conflict"
            check["explanation"] = "Conflicting attribution: " + "; ".join(conflicts) + "."
        elif stated_low is None:
            check["status"] = "unverifiable"
            check["explanation"] = f"The article states no value; recomputed {computed}."
        elif stated_low - tolerance <= result.value <= stated_high + tolerance:
            check["status"] = "consistent"
            check["explanation"] = f"Recomputed {computed}, within the stated {_stated(claim)}."
        else:
            check["status"] = "inconsistent"
            check["explanation"] = f"Recomputed {computed}, outside the stated {_stated(claim)}."

    metrics = {}
    for table in {t.name: t for t in METRIC_TABLE_BY_FORMULA.values()}.values():
        rows = [
            row
            for row in metric_rows.values()
            if METRIC_TABLE_BY_FORMULA[str(row["formula"])] is table
        ]
        metrics[table.name] = pl.DataFrame(rows, schema=table.polars_schema).sort("metric_id")
    claim_checks = pl.DataFrame(checks, schema=METRICS_CLAIM_CHECKS.polars_schema)
    return Ledger(metrics=metrics, claim_checks=claim_checks)


def _stated(claim: Mapping[str, object]) -> str:
    low, high, tolerance = claim["stated_low"], claim["stated_high"], claim["tolerance"]
    assert isinstance(low, float) and isinstance(high, float)
    stated = _fmt(low) if low == high else f"{_fmt(low)} to {_fmt(high)}"
    return f"{stated} {claim['stated_unit']} (tolerance {tolerance:g})"
