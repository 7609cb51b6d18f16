"""The closing summary: what a person reads at the end of `dg launch`, and in a run's log."""

from __future__ import annotations

import re

import dagster as dg
import pytest

from assets import settings
from labor_lake.run_summary import CheckOutcome, RunFacts, summary_lines
from pipelines.run_summary import run_facts, run_summary_on_failure, run_summary_on_success

from .conftest import SOURCES_TO_OBSERVATIONS, Workspace, run_pipeline
from .test_registry_errors import set_cell


def test_summary_groups_fallbacks_and_names_what_failed() -> None:
    facts = RunFacts(
        succeeded=False,
        planned=["raw/claims", "core/claims", "report"],
        built=["raw/claims"],
        failed_steps=["core__claims"],
        checks=[
            CheckOutcome("core/claims", "schema", passed=False, severity="ERROR"),
            CheckOutcome(
                "raw/indeed_hiring_lab_payloads",
                "sources_reachable",
                passed=False,
                severity="WARN",
                # The refresh's outcome lines (labor_lake/refresh.Outcome.line).
                notes={
                    "indeed_ai_share": "indeed_ai_share: fallback: GET https://x/AI_posting.csv: "
                    "unreachable (Timeout); using the lake's last good vintage (9 days old)",
                    "indeed_aggregate_postings_us": "indeed_aggregate_postings_us: fallback: "
                    "https://x: unreachable earlier in this run; not asked again; using the "
                    "lake's last good vintage (9 days old)",
                },
            ),
            CheckOutcome("raw/bls_payloads", "sources_reachable", passed=True, severity="WARN"),
        ],
        lake_root="/lake",
        source_names={
            "indeed_hiring_lab": "Indeed Hiring Lab",
            "bls": "U.S. Bureau of Labor Statistics",
        },
    )
    text = "\n".join(summary_lines(facts))
    assert "run FAILED" in text
    assert "skipped: core/claims, report" in text
    assert "Checks failed: core/claims schema" in text
    assert "Checks warned: raw/indeed_hiring_lab_payloads sources_reachable" in text
    assert (
        "Indeed Hiring Lab: not fetched: unreachable (Timeout); using the lake's last good "
        "vintage (indeed_ai_share, indeed_aggregate_postings_us)" in text
    )
    assert "U.S. Bureau of Labor Statistics: fetched" in text
    assert "Ledger: not rebuilt in this run" in text


def test_a_failed_run_is_summarised_from_its_event_log_and_the_sensor_logs_it(
    workspace: Workspace,
) -> None:
    workspace.edit_figures(set_cell("infosec_analysts_unemployment_rate_2025", "value", "210"))
    instance = dg.DagsterInstance.ephemeral()
    result = run_pipeline(instance=instance)
    assert not result.success
    lines = summary_lines(run_facts(instance, result.run_id, succeeded=False))
    text = "\n".join(lines)
    assert "Checks failed: core/published_figures schema" in text
    assert "skipped:" in text and "metrics/claim_checks" in text
    assert f"Lake:    {workspace.lake_root}" in text

    run = instance.get_run_by_id(result.run_id)
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE)
    run_summary_on_failure(
        dg.build_run_status_sensor_context(
            sensor_name="run_summary_on_failure",
            dagster_event=failure,
            dagster_instance=instance,
            dagster_run=run,
        ).for_run_failure()
    )
    logged = [e.message for e in instance.all_logs(result.run_id) if "Run summary" in e.message]
    assert logged and "Checks failed: core/published_figures schema" in logged[0]


def test_a_successful_run_gets_its_summary_in_its_log(workspace: Workspace) -> None:
    instance = dg.DagsterInstance.ephemeral()
    result = run_pipeline(instance=instance)
    assert result.success
    success = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_SUCCESS)
    run_summary_on_success(
        dg.build_run_status_sensor_context(
            sensor_name="run_summary_on_success",
            dagster_event=success,
            dagster_instance=instance,
            dagster_run=instance.get_run_by_id(result.run_id),
        )
    )
    logged = [e.message for e in instance.all_logs(result.run_id) if "Run summary" in e.message]
    assert logged and re.search(r"Ledger: \d+ consistent, \d+ inconsistent", logged[0])


def test_a_run_failed_by_a_broken_catalog_still_gets_its_summary(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = workspace.lake_root.parent / "datasets.toml"
    broken.write_text("[[dataset]\nid = ")  # not TOML
    monkeypatch.setenv(settings.CATALOG_ENV, str(broken))
    instance = dg.DagsterInstance.ephemeral()
    result = run_pipeline(SOURCES_TO_OBSERVATIONS, instance=instance)
    assert not result.success
    text = "\n".join(summary_lines(run_facts(instance, result.run_id, succeeded=False)))
    assert "run FAILED" in text and f"Lake:    {workspace.lake_root}" in text


def test_per_year_checks_are_folded_after_the_claims_that_stand_alone() -> None:
    per_year = [
        f"research_scientists_over_software_developers_{year}_{statistic}"
        for year in (2019, 2024)
        for statistic in ("annual_wage_p10", "median_annual_wage")
    ]
    facts = RunFacts(
        succeeded=True, planned=[], built=[], failed_steps=[], checks=[], lake_root="/lake",
        ledger_counts={"inconsistent": 5},
        ledger_names={"inconsistent": [*per_year, "ml_premium_oews_research_scientists_proxy"]},
    )  # fmt: skip
    text = "\n".join(summary_lines(facts))
    assert (
        "  inconsistent: ml_premium_oews_research_scientists_proxy, "
        "research_scientists_over_software_developers (4 by year and statistic, 2019-2024)"
    ) in text
