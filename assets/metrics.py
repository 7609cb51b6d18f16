"""The metrics zone: derived metric tables and the claim ledger, computed together."""

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl

from assets.lake_table import asset_key, asset_out, schema_check_spec, validated_outputs
from assets.resources import OfficialSources, RegistryFiles
from labor_lake.checks.comparisons import read_postings_windows
from labor_lake.checks.ledger import attribute_articles, build_ledger
from labor_lake.checks.lineage import unresolved_inputs
from labor_lake.checks.official import (
    counterpart_checks,
    postings_divergence,
    postings_growth_series,
    published_numbers,
)
from labor_lake.pay.premiums import (
    concordance_mismatches,
    growth_rates,
    load_concordance,
    load_pairs,
    premium_checks,
    premium_frame,
    premiums,
    trend_checks,
)
from labor_lake.present.run_summary import ledger_metadata
from labor_lake.registry.articles import published_on_by_figure
from labor_lake.registry.validation import Problem
from schemas.model import Table
from schemas.tables import (
    CORE_ARTICLES,
    CORE_CLAIMS,
    CORE_OBSERVATION_VINTAGES,
    CORE_OBSERVATIONS,
    CORE_OEWS_ESTIMATES,
    CORE_PUBLISHED_FIGURES,
    METRIC_TABLE_BY_FORMULA,
    METRICS_CLAIM_CHECKS,
    METRICS_GROWTH_RATES,
    METRICS_PAY_PREMIUMS,
    METRICS_POSTINGS_DIVERGENCE,
)

WINDOWS_CHECK = "windows_computed"
CONCORDANCE_CHECK = "concordance_matches_files"
METRIC_TABLES = (*dict.fromkeys(METRIC_TABLE_BY_FORMULA.values()), METRICS_CLAIM_CHECKS)
# Occupations across SOC revisions, and the pairs whose premiums are followed over time.


def _from(*columns: tuple[Table, str]) -> list[dg.TableColumnDep]:
    return [
        dg.TableColumnDep(asset_key=asset_key(table), column_name=name) for table, name in columns
    ]


_FIGURE_VALUES = (
    (CORE_PUBLISHED_FIGURES, "value"),
    (CORE_PUBLISHED_FIGURES, "low"),
    (CORE_PUBLISHED_FIGURES, "high"),
)
_OBSERVATION_VALUE = (
    (CORE_OBSERVATIONS, "value"),
    *(
        (CORE_OEWS_ESTIMATES, c)
        for c in ("a_pct10", "a_pct25", "a_median", "a_pct75", "a_pct90", "a_mean", "tot_emp")
    ),
)
# Which upstream columns feed each metric column (shown as column lineage in the UI).
_COLUMN_DEPS: dict[str, list[dg.TableColumnDep]] = {
    "value": _from(*_FIGURE_VALUES, *_OBSERVATION_VALUE),
    "value_low": _from(*_FIGURE_VALUES, *_OBSERVATION_VALUE),
    "value_high": _from(*_FIGURE_VALUES, *_OBSERVATION_VALUE),
    "computed_value": _from(*_FIGURE_VALUES, *_OBSERVATION_VALUE),
    "stated_low": _from(
        (CORE_CLAIMS, "stated_low"),
        (CORE_PUBLISHED_FIGURES, "value"),
        (CORE_PUBLISHED_FIGURES, "low"),
    ),
    "stated_high": _from(
        (CORE_CLAIMS, "stated_high"),
        (CORE_PUBLISHED_FIGURES, "value"),
        (CORE_PUBLISHED_FIGURES, "high"),
    ),
    "inputs": _from(
        (CORE_CLAIMS, "input_figure_ids"),
        (CORE_OBSERVATIONS, "series_id"),
        (CORE_OBSERVATIONS, "period_start"),
        *(
            (CORE_OEWS_ESTIMATES, c)
            for c in ("year", "area", "naics", "own_code", "occ_code", "o_group")
        ),
    ),
    "period": _from(
        (CORE_PUBLISHED_FIGURES, "period"),
        (CORE_OBSERVATIONS, "period_start"),
        (CORE_OBSERVATIONS, "period_end"),
        (CORE_OEWS_ESTIMATES, "year"),
    ),
    "measure": _from((CORE_PUBLISHED_FIGURES, "measure"), (CORE_OBSERVATIONS, "measure")),
    "subjects": _from(
        (CORE_PUBLISHED_FIGURES, "subject"),
        (CORE_OBSERVATIONS, "subject"),
        (CORE_OEWS_ESTIMATES, "occ_title"),
    ),
    "unit": _from((CORE_PUBLISHED_FIGURES, "unit"), (CORE_OBSERVATIONS, "unit")),
    "formula": _from((CORE_CLAIMS, "formula")),
}


def _lineage(table: Table) -> dg.TableColumnLineage:
    return dg.TableColumnLineage(
        deps_by_column={
            column: deps for column, deps in _COLUMN_DEPS.items() if column in table.column_lookup
        }
    )


# Every domain module these import is hashed too (assets/lake_table.source_version).
_LOGIC = (
    build_ledger,
    attribute_articles,
    counterpart_checks,
    premiums,
    postings_divergence,
    unresolved_inputs,
)


@dg.multi_asset(
    name="metrics_ledger",
    outs={
        asset_key(table).to_python_identifier(): asset_out(table, _LOGIC) for table in METRIC_TABLES
    },
    check_specs=[
        *(schema_check_spec(table) for table in METRIC_TABLES),
        dg.AssetCheckSpec(
            WINDOWS_CHECK,
            asset=asset_key(METRICS_POSTINGS_DIVERGENCE),
            description="Warns when a window of registry/postings_windows.csv cannot be "
            "computed (a series missing from core/observations, or a revision in the way), "
            "saying which and why.",
        ),
        dg.AssetCheckSpec(
            CONCORDANCE_CHECK,
            asset=asset_key(METRICS_PAY_PREMIUMS),
            description="Warns when registry/oews_concordance.csv and the OEWS national files "
            "disagree (a code missing from a year it should be in, a code in a year it should "
            "not be, another title): e.g. a new year of files with new SOC codes, whose premiums "
            "would otherwise be left out without a word.",
        ),
    ],
    ins={
        "core_articles": dg.AssetIn(key=asset_key(CORE_ARTICLES)),
        "core_published_figures": dg.AssetIn(key=asset_key(CORE_PUBLISHED_FIGURES)),
        "core_claims": dg.AssetIn(key=asset_key(CORE_CLAIMS)),
        "core_observations": dg.AssetIn(key=asset_key(CORE_OBSERVATIONS)),
        "core_observation_vintages": dg.AssetIn(key=asset_key(CORE_OBSERVATION_VINTAGES)),
        "core_oews_estimates": dg.AssetIn(key=asset_key(CORE_OEWS_ESTIMATES)),
    },
)
def metrics_ledger(
    context: dg.AssetExecutionContext,
    core_articles: pl.DataFrame,
    core_published_figures: pl.DataFrame,
    core_claims: pl.DataFrame,
    core_observations: pl.DataFrame,
    core_observation_vintages: pl.DataFrame,
    core_oews_estimates: pl.DataFrame,
    registry: RegistryFiles,
    official_sources: OfficialSources,
) -> Iterator[dg.Output | dg.AssetCheckResult]:
    """Recompute every claim from its input figures. Like-for-like computations become rows of
    pay_premiums, postings_divergence, unemployment_gaps and growth_rates; every claim gets a row
    in claim_checks with its status and the reason for it. Comparisons that are not like-for-like
    (different measures, units or periods) are refused and the refusal is explained. From
    official data: the AI-share vs software-postings divergence over matched windows, and a
    check of every published figure against its official series. From the OEWS files: premiums
    of the occupation pairs in registry/occupation_pairs.csv at every percentile and year (each
    with a ledger row against the pair's claim, and a trend verdict per pair), and wage,
    employment and employment-share growth of the occupations in registry/oews_concordance.csv,
    never across a SOC break."""

    windows = read_postings_windows(registry.windows_path)
    revisions = {
        d.id: tuple(date.fromisoformat(r) for r in d.revisions)
        for d in official_sources.catalog.datasets
    }
    divergence, gaps = postings_divergence(core_observations, windows, revisions)
    mismatches: list[str] = []  # filled by build(), which loads the concordance

    def build() -> dict:
        codes = load_concordance(Path(registry.concordance_path))
        mismatches.extend(concordance_mismatches(core_oews_estimates, codes))
        pairs = load_pairs(
            Path(registry.pairs_path), {c.concept for c in codes}, set(core_claims["claim_id"])
        )
        ledger = build_ledger(
            core_published_figures, core_claims, {pair.claim_id for pair in pairs}
        )
        pay = premiums(core_oews_estimates, codes, pairs)
        frames = {table: ledger.metrics[table.name] for table in METRIC_TABLES[:-1]}
        official = {
            METRICS_PAY_PREMIUMS: premium_frame(pay),
            METRICS_POSTINGS_DIVERGENCE: divergence,
            METRICS_GROWTH_RATES: pl.concat(
                [
                    postings_growth_series(core_observations, windows, revisions),
                    growth_rates(core_oews_estimates, codes),
                ]
            ),
        }
        for table, rows in official.items():
            # Pay premiums between published figures have no occupation pair: empty there.
            frames[table] = pl.concat([frames[table], rows], how="diagonal").sort("metric_id")
        frames[METRICS_CLAIM_CHECKS] = attribute_articles(
            pl.concat(
                [
                    ledger.claim_checks,
                    counterpart_checks(
                        core_published_figures,
                        core_observations,
                        published_on_by_figure(core_published_figures, core_articles),
                        published_numbers(core_observation_vintages),
                    ),
                    premium_checks(pay, core_claims),
                    trend_checks(pay),
                ]
            ),
            core_published_figures,
            core_claims,
        )
        return frames

    def references(table: Table, frame: pl.DataFrame) -> list[Problem]:
        return unresolved_inputs(
            frame,
            table.primary_key or "metric_id",
            core_published_figures,
            core_observations,
            core_oews_estimates,
        )

    yield from validated_outputs(
        METRIC_TABLES,
        build,
        references=references,
        output_metadata={
            table: {"dagster/column_lineage": _lineage(table)} for table in METRIC_TABLES
        },
        frame_metadata=_ledger_metadata(core_articles),
    )
    for gap in gaps:
        context.log.warning(gap)
    yield _warning_check(METRICS_POSTINGS_DIVERGENCE, WINDOWS_CHECK, "not computed", gaps,
                         windows=len(windows))  # fmt: skip
    for mismatch in mismatches:
        context.log.warning(f"registry/oews_concordance.csv: {mismatch}")
    yield _warning_check(METRICS_PAY_PREMIUMS, CONCORDANCE_CHECK, "disagreements", mismatches,
                         registry=registry.concordance_path)  # fmt: skip


def _warning_check(
    table: Table, check: str, label: str, findings: list[str], **metadata: object
) -> dg.AssetCheckResult:
    """A non-blocking check of `table` that passes when nothing was found, listing what was."""
    listed = dg.MetadataValue.md("\n".join(f"- {f}" for f in findings) or "none")
    return dg.AssetCheckResult(
        asset_key=asset_key(table),
        check_name=check,
        passed=not findings,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={**metadata, label: listed},
    )


def _ledger_metadata(
    articles: pl.DataFrame,
) -> Callable[[Table, pl.DataFrame], dict[str, int | str]]:
    """claim_checks' counts by kind and status as numbers (plotted over runs in the UI), the
    claims the run summary names, and the counts per article."""

    def metadata(table: Table, frame: pl.DataFrame) -> dict[str, int | str]:
        return ledger_metadata(frame, articles) if table == METRICS_CLAIM_CHECKS else {}

    return metadata
