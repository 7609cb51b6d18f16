"""The build job, its weekly schedule, and the sensor that rebuilds when the registry changes."""

from __future__ import annotations

import dagster as dg

from assets.resources import RegistryFiles

_release = dg.AssetSelection.assets(["release"])

build_lake_job = dg.define_asset_job(
    name="build_lake",
    selection=dg.AssetSelection.all() - _release,
    description="Build the whole lake: sources and registry -> core -> metrics -> catalogs.",
)
publish_job = dg.define_asset_job(
    name="publish",
    selection=dg.AssetSelection.all(),
    description="Build everything and, only if every step and blocking check passed, release it.",
)

weekly_build_schedule = dg.ScheduleDefinition(
    name="weekly_build",
    job=build_lake_job,
    cron_schedule="0 6 * * 1",
    execution_timezone="UTC",
    description="Rebuild every Monday at 06:00 UTC.",
)


_bls = dg.AssetSelection.assets(["raw", "bls_payloads"])
_postings = dg.AssetSelection.assets(
    ["raw", "fred_payloads"], ["raw", "indeed_hiring_lab_payloads"]
)

# A refresh also builds what its downstream assets read besides the source (the registry tables),
# so that it runs on a fresh lake; it never asks the other sources.
refresh_bls_job = dg.define_asset_job(
    name="refresh_bls",
    selection=_bls.downstream().upstream() - _postings,
    description="Fetch BLS (OEWS, CPS) and rebuild everything that depends on it.",
)
refresh_postings_job = dg.define_asset_job(
    name="refresh_postings",
    selection=_postings.downstream().upstream() - _bls,
    description="Fetch Indeed Hiring Lab and FRED postings data and rebuild what depends on it.",
)

# Release cadences: Indeed's trackers and FRED's copies update daily; the CPS monthly (the
# Employment Situation comes out early in the month). OEWS is yearly: the monthly BLS refresh asks
# for the current year and picks it up when it appears.
daily_postings_schedule = dg.ScheduleDefinition(
    name="daily_postings",
    job=refresh_postings_job,
    cron_schedule="0 13 * * *",
    execution_timezone="UTC",
)
monthly_bls_schedule = dg.ScheduleDefinition(
    name="monthly_bls", job=refresh_bls_job, cron_schedule="0 15 10 * *", execution_timezone="UTC"
)
SCHEDULES = [weekly_build_schedule, daily_postings_schedule, monthly_bls_schedule]


@dg.sensor(
    job=build_lake_job, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING
)
def registry_changed_sensor(
    context: dg.SensorEvaluationContext, registry: RegistryFiles
) -> dg.SensorResult:
    """Launch a build when the published-figures or claims file changes (by content hash)."""
    fingerprint = registry.fingerprint()
    if context.cursor == fingerprint:
        return dg.SensorResult(skip_reason="registry files unchanged")
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=fingerprint)],
        cursor=fingerprint,
    )
