"""Jobs, schedules, sensors, and the automation conditions that make scheduled runs do only new
work.

The schedules launch only the raw source assets. Every raw table reports a data version (a hash of
its content), so a source that answered with nothing new keeps its data version. The automation
sensor then materializes a downstream asset only when one of its inputs has a new data version (or
is itself being rebuilt on the same tick), or when it is missing: an unchanged refresh rebuilds
nothing, a new vintage rebuilds exactly what depends on it.
"""

from __future__ import annotations

import dagster as dg

from assets.resources import RegistryFiles

_release = dg.AssetSelection.assets(["release"])
_sources = dg.AssetSelection.assets(
    ["raw", "bls_payloads"], ["raw", "fred_payloads"], ["raw", "indeed_hiring_lab_payloads"]
)


RELEASE = ["release"]


def missing_and_not_failed() -> dg.AutomationCondition:
    """Never built (a fresh lake, or a new asset), and not because its last attempt failed: a
    failing step waits for a fix instead of being retried on every tick."""
    return (
        dg.AutomationCondition.missing()
        & ~dg.AutomationCondition.execution_failed()
        & ~dg.AutomationCondition.in_progress()
    ).with_label("missing_and_not_failed")


def on_new_data() -> dg.AutomationCondition:
    """Rebuild when an input's data version changed since the last tick (unless the run that
    changed it also rebuilt this asset), when an input is rebuilt on this tick, or when this asset
    is missing; never while an input is missing or in progress. `eager()` with "updated" narrowed
    to "data version changed" (a source re-materialized with the same content triggers nothing),
    and "missing" not limited to what goes missing later (a fresh lake is built)."""
    # The release is made by the publish job only: the report reads it when present but never
    # waits for it (nor rebuilds because of it) under automation.
    release = dg.AssetSelection.assets(RELEASE)
    input_changed = (
        dg.AutomationCondition.any_deps_match(
            (
                dg.AutomationCondition.data_version_changed()
                & ~dg.AutomationCondition.executed_with_root_target()
            ).with_label("data_version_changed_elsewhere")
            | dg.AutomationCondition.will_be_requested()
        )
        .ignore(release)
        .with_label("an_input_has_new_data")
    )
    return (
        dg.AutomationCondition.in_latest_time_window()
        & (missing_and_not_failed() | input_changed.since_last_handled())
        & ~dg.AutomationCondition.any_deps_missing().ignore(release)
        & ~dg.AutomationCondition.any_deps_in_progress().ignore(release)
        & ~dg.AutomationCondition.in_progress()
    ).with_label("on_new_data")


def automation_condition(key: dg.AssetKey) -> dg.AutomationCondition | None:
    """Raw assets are built when missing (a fresh lake); the source assets are refreshed by the
    schedules. Everything derived rebuilds on new data. The release is made only by the
    `publish` job."""
    if key == dg.AssetKey(RELEASE):
        return None
    if key.path[0] == "raw":
        return missing_and_not_failed()
    return on_new_data()


# The automation sensor: on by default, it is what rebuilds downstream of a scheduled refresh.
automation_sensor = dg.AutomationConditionSensorDefinition(
    name="rebuild_on_new_data",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Materializes every asset whose inputs have new data (see on_new_data): after a "
    "scheduled source refresh, only what the new vintages change is rebuilt.",
)

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

_bls = dg.AssetSelection.assets(["raw", "bls_payloads"])
_postings = dg.AssetSelection.assets(
    ["raw", "fred_payloads"], ["raw", "indeed_hiring_lab_payloads"]
)

# The scheduled jobs fetch only; the automation sensor rebuilds what their new data changes.
refresh_sources_job = dg.define_asset_job(
    name="refresh_sources",
    selection=_sources,
    description="Fetch every source; the rebuild_on_new_data sensor rebuilds what changed.",
)
refresh_bls_job = dg.define_asset_job(
    name="refresh_bls",
    selection=_bls,
    description="Fetch BLS (OEWS, CPS); the rebuild_on_new_data sensor rebuilds what changed.",
)
refresh_postings_job = dg.define_asset_job(
    name="refresh_postings",
    selection=_postings,
    description="Fetch Indeed Hiring Lab and FRED postings data; the rebuild_on_new_data sensor "
    "rebuilds what changed.",
)

weekly_build_schedule = dg.ScheduleDefinition(
    name="weekly_build",
    job=refresh_sources_job,
    cron_schedule="0 6 * * 1",
    execution_timezone="UTC",
    description="Refresh every source every Monday at 06:00 UTC; what changed is rebuilt.",
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
    """Launch a build when a registry file changes (by content hash)."""
    fingerprint = registry.fingerprint()
    if context.cursor == fingerprint:
        return dg.SensorResult(skip_reason="registry files unchanged")
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=fingerprint)],
        cursor=fingerprint,
    )
