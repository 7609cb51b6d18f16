"""The closing summary: what a person reads at the end of `dg launch`, and in a run's log."""

from __future__ import annotations

import re

import dagster as dg
import pytest

from assets import settings
from labor_lake.present.run_summary import (
    CheckOutcome,
    RunFacts,
    ledger_statements_from,
    summary_lines,
)
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
    assert "Checks failed: schema check failed (claims)" in text
    assert "Checks warned: sources not fetched (Indeed Hiring Lab)" in text
    assert (
        "Indeed Hiring Lab: not fetched: unreachable (Timeout); using the lake's last good "
        "vintage, the oldest 9 days old (indeed_ai_share; indeed_aggregate_postings_us)" in text
    )
    assert text.endswith(
        "Details: checks core/claims:schema, raw/indeed_hiring_lab_payloads:sources_reachable"
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
    assert "Checks failed: schema check failed (published figures)" in text
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
    assert logged and "Checks failed: schema check failed (published figures)" in logged[0]


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
    assert logged and re.search(
        r"Ledger:\n  the article's claims: \d+ consistent.*\n(    .*\n)*"
        r"  the article's pay claim on official OEWS proxies: \d+ inconsistent\n",
        logged[0],
    )


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


def test_the_ledger_is_counted_by_kind_and_names_only_the_claims() -> None:
    facts = RunFacts(
        succeeded=True, planned=[], built=[], failed_steps=[], checks=[], lake_root="/lake",
        ledger_counts={
            "article_claim": {"consistent": 4, "inconsistent": 0, "conflict": 1},
            "oews_proxy_claim": {"inconsistent": 4},
            "figure_vs_official": {"consistent": 0, "unverifiable": 0},
            "oews_proxy_by_year": {"inconsistent": 107, "unverifiable": 1},
        },
        ledger_names={
            "article_claim": {"conflict": ["c1"]},
            "oews_proxy_claim": {"inconsistent": ["p1", "p2", "p3", "p4"]},
        },
        ledger_statements={
            "c1": "Postings grew 111%.",
            "p1": "Official proxy: data scientists (wages, not total compensation).",
            "p2": "Official proxy: research scientists",
            "p3": "Official proxy: a third",
        },
    )  # fmt: skip
    lines = summary_lines(facts)
    ledger = lines[lines.index("Ledger:") : lines.index("Lake:    /lake")]
    assert ledger == [
        "Ledger:",
        "  the article's claims: 4 consistent, 1 conflict",
        "    conflict: \u201cPostings grew 111%.\u201d",
        "  the article's pay claim on official OEWS proxies: 4 inconsistent",
        "    inconsistent: \u201cOfficial proxy: data scientists.\u201d",
        "    inconsistent: \u201cOfficial proxy: research scientists.\u201d",
        "    inconsistent: \u201cOfficial proxy: a third.\u201d",
        "    … and 1 more inconsistent",
        "  the same OEWS proxies, by year and statistic: 107 inconsistent, 1 unverifiable",
    ]
    assert lines[-1] == "Details: claims c1, p1, p2, p3, p4"


def test_the_release_line_says_whether_a_release_was_made() -> None:
    def release_line(created: bool) -> str:
        facts = RunFacts(
            succeeded=True, planned=[], built=[], failed_steps=[], checks=[], lake_root="/lake",
            release="2026-11-29", release_created=created,
        )  # fmt: skip
        return next(line for line in summary_lines(facts) if line.startswith("Release:"))

    assert release_line(True) == "Release: new release 2026-11-29: /lake/releases/2026-11-29"
    assert release_line(False) == (
        "Release: none made, the tables are those of release 2026-11-29: /lake/releases/2026-11-29"
    )


def test_ledger_statements_travel_through_the_materialization_metadata(
    workspace: Workspace,
) -> None:
    instance = dg.DagsterInstance.ephemeral()
    assert run_pipeline(instance=instance).success
    [record] = instance.fetch_materializations(
        dg.AssetKey(["metrics", "claim_checks"]), limit=1
    ).records
    metadata = {k: getattr(v, "value", v) for k, v in record.asset_materialization.metadata.items()}
    statements = ledger_statements_from(metadata)
    assert statements["ai_skill_requirements_yoy_111"] == (
        "Postings citing AI skill requirements grew 111% year over year."
    )


def test_datasets_seeded_from_snapshots_of_different_days_share_one_line_with_the_span() -> None:
    def seeded(dataset: str, day: str, cause: str) -> str:
        return f"{dataset}: snapshot: {cause}; using the recorded snapshot of {day} (99 days old)"

    generic = "https://www.bls.gov: unreachable earlier in this run; not asked again"
    check = CheckOutcome(
        "raw/bls_payloads", "sources_reachable", passed=False, severity="WARN",
        notes={
            "bls_oews_national_2017": seeded(
                "bls_oews_national_2017", "2020-02-28",
                "GET https://www.bls.gov/oes/special-requests/oesm17nat.zip: unreachable (Timeout)",
            ),
            "bls_oews_national_2023": seeded("bls_oews_national_2023", "2024-12-05", generic),
            "bls_oews_national_2024": seeded("bls_oews_national_2024", "2024-12-05", generic),
            # Another cause gets its own line, even with the same fallback.
            "bls_cps_unemployment": seeded(
                "bls_cps_unemployment", "2023-04-13",
                "POST https://api.bls.gov/publicAPI/v2/timeseries/data/: HTTP 404 after retries",
            ),
        },
    )  # fmt: skip
    one_day = CheckOutcome(
        "raw/indeed_hiring_lab_payloads", "sources_reachable", passed=False, severity="WARN",
        notes={"indeed_ai_share": seeded("indeed_ai_share", "2026-07-21", "unreachable (Timeout)")},
    )  # fmt: skip
    facts = RunFacts(
        succeeded=True, planned=[], built=[], failed_steps=[], checks=[check, one_day],
        lake_root="/lake", source_names={"bls": "BLS", "indeed_hiring_lab": "Indeed"},
    )  # fmt: skip
    sources = [
        line
        for line in summary_lines(facts)
        if line.startswith("  BLS") or line.startswith("  Indeed")
    ]
    assert sources == [
        "  BLS: not fetched: unreachable (Timeout); using the recorded snapshots (taken 2020-02-28 to "
        "2024-12-05) (bls_oews_national_2017; bls_oews_national_2023; bls_oews_national_2024)",
        "  BLS: not fetched: HTTP 404 after retries; using the recorded snapshot of 2023-04-13 "
        "(bls_cps_unemployment)",
        "  Indeed: not fetched: unreachable (Timeout); using the recorded snapshot of 2026-07-21 "
        "(indeed_ai_share)",
    ]


def test_datasets_are_named_by_their_short_titles() -> None:
    check = CheckOutcome(
        "raw/bls_payloads", "sources_reachable", passed=False, severity="WARN",
        notes={
            f"bls_oews_national_{year}": f"bls_oews_national_{year}: fallback: unreachable "
            "(Timeout); using the lake's last good vintage (3 days old)"
            for year in (2014, 2015, 2017, 2019)
        },
    )  # fmt: skip
    facts = RunFacts(
        succeeded=True, planned=[], built=[], failed_steps=[], checks=[check], lake_root="/lake",
        source_names={"bls": "BLS"},
        dataset_titles={
            f"bls_oews_national_{year}": f"OEWS May {year} national estimates, every occupation "
            f"(national_M{year}_dl.xlsx)"
            for year in (2014, 2015, 2017, 2019)
        },
    )  # fmt: skip
    assert (
        "  BLS: not fetched: unreachable (Timeout); using the lake's last good vintage, the oldest "
        "3 days old (OEWS May 2014 national estimates; OEWS May 2015 national estimates; "
        "OEWS May 2017 national estimates; and 1 more)"
    ) in summary_lines(facts)
