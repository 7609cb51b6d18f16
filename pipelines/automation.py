"""The build job, its weekly schedule, and the sensor that rebuilds when the registry changes."""

from __future__ import annotations

import dagster as dg

from pipelines.resources import RegistryFiles

build_lake_job = dg.define_asset_job(
    name="build_lake",
    selection=dg.AssetSelection.all(),
    description="Build the whole lake: registry -> core -> metrics -> datapackage.json.",
)

weekly_build_schedule = dg.ScheduleDefinition(
    name="weekly_build",
    job=build_lake_job,
    cron_schedule="0 6 * * 1",
    execution_timezone="UTC",
    description="Rebuild every Monday at 06:00 UTC.",
)


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
