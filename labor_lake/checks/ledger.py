"""The claim ledger: recompute every claim from its input figures, and derive the metric tables.

Each claim names a formula and input figures. Where the inputs are like-for-like, the computation
becomes a metric row (one per distinct formula and inputs, shared by the claims that use it), and
the claim's stated range is compared with the recomputed value.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from labor_lake.checks.comparability import Figure, input_flags, refusal_reasons
from labor_lake.checks.formulas import evaluate
from labor_lake.checks.rows import (
    ClaimCheckRow,
    MetricRow,
    claim_check_frame,
    claim_check_row,
    metric_frame,
    metric_row,
)
from labor_lake.registry.articles import article_id_expr
from labor_lake.registry.validation import Problem
from schemas.formulas import FORMULAS, FormulaError
from schemas.tables import METRIC_TABLE_BY_FORMULA


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


def _check(
    claim: Mapping[str, Any], figures: Mapping[str, Figure], kind: str
) -> tuple[ClaimCheckRow, MetricRow | None]:
    """The claim_checks row of one claim and, when it was computed (and is not a restatement),
    the metric row holding the computation."""
    formula, input_ids = claim["formula"], claim["input_figure_ids"]
    inputs = [figures[i] for i in input_ids]
    stated_low, stated_high, tolerance = (
        claim["stated_low"],
        claim["stated_high"],
        claim["tolerance"],
    )

    def row(status: str, explanation: str, **computed: Any) -> ClaimCheckRow:
        return claim_check_row(
            claim_id=claim["claim_id"],
            kind=kind,
            about_claim_id=claim["claim_id"],
            statement=claim["statement"],
            status=status,
            explanation=explanation,
            stated_low=stated_low,
            stated_high=stated_high,
            stated_unit=claim["stated_unit"],
            tolerance=tolerance,
            formula=formula,
            inputs=input_ids,
            **computed,
        )

    reasons = refusal_reasons(formula, inputs)
    if reasons:
        return row(
            "unverifiable", "Not like-for-like, so not computed: " + "; ".join(reasons) + "."
        ), None
    try:
        result = evaluate(formula, [f.interval for f in inputs])
    except FormulaError as error:
        return row("unverifiable", f"Not computable: {error}."), None
    unit = FORMULAS[formula].output_unit(inputs[0].unit)
    computed = f"{_fmt(result.value)} {unit} from {result.text}"

    metric = None
    if formula != "restated":
        metric = metric_row(
            metric_id=":".join([formula, *input_ids]),
            value=result.value,
            low=result.low,
            high=result.high,
            unit=unit,
            period=inputs[0].period
            if formula != "growth_pct"
            else f"{inputs[1].period}/{inputs[0].period}",
            inputs=input_ids,
            formula=formula,
            formula_text=result.text,
            measure=inputs[0].measure,
            subjects=[f.subject for f in inputs],
            flags=input_flags(inputs),
        )

    conflicts = _conflicts(inputs, figures)
    if conflicts:
        status, explanation = (
            "conflict",
            "Conflicting attribution: " + "; ".join(conflicts) + ".",
        )
    elif stated_low is None:
        status, explanation = (
            "unverifiable",
            f"The article states no value; recomputed {computed}.",
        )
    elif stated_low - tolerance <= result.value <= stated_high + tolerance:
        status, explanation = (
            "consistent",
            f"Recomputed {computed}, within the stated {_stated(claim)}.",
        )
    else:
        status, explanation = (
            "inconsistent",
            f"Recomputed {computed}, outside the stated {_stated(claim)}.",
        )
    caveats = input_flags(inputs)
    if caveats and status != "conflict":
        # "consistent" means the arithmetic holds, not that the inputs are sound: say so here.
        explanation += " Caveats: " + "; ".join(caveats) + "."
    check = row(
        status,
        explanation,
        computed=result.value,
        computed_low=result.low,
        computed_high=result.high,
        metric_id=metric["metric_id"] if metric else None,
    )
    return check, metric


def build_ledger(
    figures_frame: pl.DataFrame, claims_frame: pl.DataFrame, proxy_claim_ids: Collection[str] = ()
) -> Ledger:
    """Every claim of core/claims checked. `proxy_claim_ids` are the claims that test an
    article's pay claim on OEWS proxy occupations (the occupation pairs' claims): their rows are
    of kind `oews_proxy_claim`, every other one `article_claim`."""
    figures = figures_by_id(figures_frame)
    metric_rows: dict[str, MetricRow] = {}
    checks = []
    for claim in claims_frame.sort("claim_id").iter_rows(named=True):
        kind = "oews_proxy_claim" if claim["claim_id"] in proxy_claim_ids else "article_claim"
        check, metric = _check(claim, figures, kind)
        checks.append(check)
        if metric is not None:
            # One row per distinct formula and inputs, shared by the claims that use it.
            metric_rows[metric["metric_id"]] = metric

    metrics = {}
    for table in {t.name: t for t in METRIC_TABLE_BY_FORMULA.values()}.values():
        rows = [
            row
            for row in metric_rows.values()
            if METRIC_TABLE_BY_FORMULA[str(row["formula"])] is table
        ]
        metrics[table.name] = metric_frame(rows).sort("metric_id")
    return Ledger(metrics=metrics, claim_checks=claim_check_frame(checks))


def _stated(claim: Mapping[str, object]) -> str:
    low, high, tolerance = claim["stated_low"], claim["stated_high"], claim["tolerance"]
    assert isinstance(low, float) and isinstance(high, float)
    stated = _fmt(low) if low == high else f"{_fmt(low)} to {_fmt(high)}"
    return f"{stated} {claim['stated_unit']} (tolerance {tolerance:g})"


def attribute_articles(
    claim_checks: pl.DataFrame, figures: pl.DataFrame, claims: pl.DataFrame
) -> pl.DataFrame:
    """claim_checks with `article_id`: the article whose figures each row rests on. A figure
    checked against its series is its own figure's; a claim (and its OEWS proxies by year and
    trend) is the article of its first input figure that names one."""
    article_of_figure = dict(
        zip(figures["figure_id"], figures.select(article_id_expr())["source_document"], strict=True)
    )
    claim_inputs = dict(zip(claims["claim_id"], claims["input_figure_ids"], strict=True))

    def article(kind: str, claim_id: str | None, inputs: list[str]) -> str | None:
        if kind == "figure_vs_official":
            figure_ids = inputs[:1]
        else:
            figure_ids = list(claim_inputs.get(claim_id or "", []))
        return next((a for f in figure_ids if (a := article_of_figure.get(f))), None)

    return claim_checks.with_columns(
        article_id=pl.Series(
            [
                article(kind, about or claim, inputs)
                for kind, about, claim, inputs in claim_checks.select(
                    "kind", "about_claim_id", "claim_id", "inputs"
                ).iter_rows()
            ],
            dtype=pl.String,
        )
    )
