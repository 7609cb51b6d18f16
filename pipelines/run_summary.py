"""The closing summary of every run, gathered from the run's event log.

Two ways in, one summary (`labor_lake/present/run_summary.py`):
- `RunSummaryHandler`, a logging handler that `dagster.yaml` attaches to every run of this
  instance: when the run ends it prints the summary on the console (the end of `dg launch`).
- `run_summary_on_success` / `run_summary_on_failure`, run status sensors: they append the same
  summary to the run's own event log, so runs started by schedules and sensors show it in the UI.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import dagster as dg
from dagster._core.instance.ref import InstanceRef
from dagster._core.log_manager import get_log_record_metadata, has_log_record_metadata
from dagster._core.storage.event_log.base import EventLogStorage

from assets import settings
from labor_lake.present.failures import failure_line
from labor_lake.present.run_summary import (
    CheckOutcome,
    RunFacts,
    ledger_articles_from,
    ledger_counts_from,
    ledger_names_from,
    ledger_revised_from,
    ledger_statements_from,
    summary_lines,
)
from labor_lake.sources.catalog import CatalogError, load_catalog
from pipelines.console import event_failure, where

_RUN_END = {dg.DagsterEventType.RUN_SUCCESS, dg.DagsterEventType.RUN_FAILURE}


def _plain(value: object) -> object:
    return getattr(value, "value", value)


def _catalog_names() -> tuple[dict[str, str], dict[str, str]]:
    """Each source's publisher name and each dataset's title from the catalog in use; none
    (sources and datasets by their ids) when the catalog cannot be read, so that a run failed by
    a bad catalog still gets its summary."""
    try:
        catalog = load_catalog(settings.catalog_path())
    except (OSError, CatalogError):
        return {}, {}
    return (
        {source: publisher.name for source, publisher in catalog.publishers.items()},
        {dataset.id: dataset.title for dataset in catalog.datasets},
    )


def run_facts(
    instance: dg.DagsterInstance | EventLogStorage, run_id: str, succeeded: bool
) -> RunFacts:
    """What the run did, read from its event log (the instance's, or the event log storage's)."""
    logs = (
        instance.all_logs(run_id)
        if isinstance(instance, dg.DagsterInstance)
        else instance.get_logs_for_run(run_id)
    )
    source_names, dataset_titles = _catalog_names()
    facts = RunFacts(
        succeeded=succeeded,
        planned=[],
        built=[],
        failed_steps=[],
        checks=[],
        lake_root=_display_root(settings.lake_root()),
        source_names=source_names,
        dataset_titles=dataset_titles,
    )
    for entry in logs:
        event = entry.dagster_event
        if event is None:
            continue
        failure = event_failure(event)
        # The run's own failure repeats a step's or the resources' (a lock refusal fails both).
        if failure is not None and not (
            event.event_type == dg.DagsterEventType.RUN_FAILURE and facts.failures
        ):
            facts.failures.append(failure_line(where(event), *failure))
        if event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED:
            facts.planned.append(event.asset_key.to_user_string())
        elif event.event_type == dg.DagsterEventType.STEP_FAILURE and event.step_key:
            facts.failed_steps.append(event.step_key)
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            facts.checks.append(
                CheckOutcome(
                    asset=evaluation.asset_key.to_user_string(),
                    name=evaluation.check_name,
                    passed=evaluation.passed,
                    severity=evaluation.severity.value,
                    # The sources check says, per dataset, what happened (labor_lake.sources.refresh).
                    notes={
                        key: str(_plain(value))
                        for key, value in evaluation.metadata.items()
                        if key not in ("mode", "source warnings")
                    },
                )
            )
        elif event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            key = event.asset_key.to_user_string()
            facts.built.append(key)
            metadata = {k: _plain(v) for k, v in event.materialization.metadata.items()}
            if key == "metrics/claim_checks":
                facts.ledger_counts = ledger_counts_from(metadata)
                facts.ledger_names = ledger_names_from(metadata)
                facts.ledger_articles = ledger_articles_from(metadata)
                facts.ledger_revised = ledger_revised_from(metadata)
                facts.ledger_statements = ledger_statements_from(metadata)
            elif key == "report":
                facts.report_path = str(metadata.get("report"))
            elif key == "release":
                facts.release = str(metadata.get("release"))
                facts.release_created = bool(metadata.get("new_release", True))
    return facts


def _display_root(root: str) -> str:
    """A local lake root as an absolute path (what a user can open); URLs as they are."""
    return root if "://" in root else str(Path(root).resolve())


class RunSummaryHandler(logging.Handler):
    """Prints the run's closing summary on stderr when the run ends (see `dagster.yaml`)."""

    def emit(self, record: logging.LogRecord) -> None:
        if not has_log_record_metadata(record):
            return
        metadata = get_log_record_metadata(record)
        event = metadata.get("dagster_event")
        if event is None or event.event_type not in _RUN_END:
            return
        # Only the event log is read: opening the whole instance again (run and schedule storage
        # too) would cost every `dg launch` about 0.2 s more.
        storage = InstanceRef.from_dir(
            str(Path(os.environ["DAGSTER_HOME"]).expanduser())
        ).event_storage
        try:
            facts = run_facts(
                storage,
                metadata["run_id"],
                succeeded=event.event_type == dg.DagsterEventType.RUN_SUCCESS,
            )
        finally:
            storage.dispose()
        sys.stderr.write("\n".join(summary_lines(facts)) + "\n")


def _append_summary(context: dg.RunStatusSensorContext, succeeded: bool) -> None:
    facts = run_facts(context.instance, context.dagster_run.run_id, succeeded)
    context.instance.report_engine_event(
        "Run summary\n" + "\n".join(summary_lines(facts)), context.dagster_run
    )


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Appends the closing summary to the log of every run that succeeded.",
)
def run_summary_on_success(context: dg.RunStatusSensorContext) -> None:
    _append_summary(context, succeeded=True)


@dg.run_failure_sensor(
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Appends the closing summary to the log of every run that failed.",
)
def run_summary_on_failure(context: dg.RunFailureSensorContext) -> None:
    _append_summary(context, succeeded=False)
