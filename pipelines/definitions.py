"""The Dagster Definitions for labor-lake: assets, checks, jobs, schedules, sensors, resources.

Policies that apply across assets (owner, metrics freshness) are set here, once.
"""

from __future__ import annotations

import warnings
from datetime import timedelta

import dagster as dg

from assets import settings
from assets.claim_reviews import claim_review_documents
from assets.datapackage import datapackage
from assets.history import observation_vintages
from assets.metrics import metrics_ledger
from assets.oews import core_oews_estimates
from assets.publish import duckdb_views, release
from assets.registry import (
    core_articles,
    core_claims,
    core_published_figures,
    raw_articles,
    raw_claims,
    raw_published_figures,
)
from assets.report import report
from assets.resources import HttpClient, LakeResource, OfficialSources, RegistryFiles
from assets.sources import PAYLOAD_ASSETS, core_observations
from labor_lake.sources.protocols import API_KEY_VARIABLES
from pipelines.automation import (
    SCHEDULES,
    automation_condition,
    automation_sensor,
    build_lake_job,
    publish_job,
    refresh_bls_job,
    refresh_postings_job,
    refresh_sources_job,
    registry_changed_sensor,
)
from pipelines.console import console_logger
from pipelines.executor import in_process_or_multiprocess_executor
from pipelines.io_manager import ParquetLakeIOManager
from pipelines.process_exit import freeze_heap_at_exit
from pipelines.run_summary import run_summary_on_failure, run_summary_on_success

# Dagster's own beta features that `dg launch --assets '*'` (asset selection), our dagster.yaml
# (the run-summary log handler) and the tables' data versions use: the warnings are addressed to
# Dagster, not to the user.
for _beta in (
    "Parameter `include_sources`",
    "Handling yaml-defined logging configuration",
    "Parameter `data_version`",
):
    warnings.filterwarnings("ignore", message=_beta, category=dg.BetaWarning)

# The process that loads these definitions exits without a last garbage collection of its heap
# (pipelines/process_exit.py: about 0.9 s of every `dg launch`).
freeze_heap_at_exit()

OWNER = "team:labor-lake"
# Metrics are rebuilt by the daily postings refresh and the weekly build: warn after two days
# without a new materialization, fail after a missed weekly build.
METRICS_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(days=8), warn_window=timedelta(days=2)
)


def _apply_policies(spec: dg.AssetSpec) -> dg.AssetSpec:
    """Policies for every asset, set once here."""
    spec = spec.merge_attributes(owners=[OWNER])
    spec = spec.replace_attributes(automation_condition=automation_condition(spec.key))
    if spec.key.path[0] == "metrics":
        spec = spec.replace_attributes(freshness_policy=METRICS_FRESHNESS)
    return spec


_assets = [
    raw_articles,
    raw_published_figures,
    raw_claims,
    *PAYLOAD_ASSETS,
    core_articles,
    core_published_figures,
    core_claims,
    core_observations,
    observation_vintages,
    core_oews_estimates,
    metrics_ledger,
    datapackage,
    duckdb_views,
    report,
    claim_review_documents,
    release,
]


def build_definitions() -> dg.Definitions:
    """Assemble the Definitions. What a user may change comes from environment variables through
    `dg.EnvVar` (assets/settings.py), resolved by Dagster when a run starts."""
    lake = LakeResource(root=settings.from_env(settings.LAKE_ROOT_ENV, settings.DEFAULT_LAKE_ROOT))
    return dg.Definitions(
        assets=dg.map_asset_specs(_apply_policies, _assets),
        jobs=[
            build_lake_job,
            publish_job,
            refresh_sources_job,
            refresh_bls_job,
            refresh_postings_job,
        ],
        schedules=SCHEDULES,
        sensors=[
            registry_changed_sensor,
            automation_sensor,
            run_summary_on_success,
            run_summary_on_failure,
        ],
        executor=in_process_or_multiprocess_executor,
        loggers={"console": console_logger},
        resources={
            "io_manager": ParquetLakeIOManager(
                lake_resource=lake,
                lock_wait_seconds=settings.int_from_env(settings.LOCK_WAIT_ENV, 0),
            ),
            "lake": lake,
            "registry": RegistryFiles(
                articles_path=settings.from_env(settings.ARTICLES_ENV, settings.DEFAULT_ARTICLES),
                figures_path=settings.from_env(settings.FIGURES_ENV, settings.DEFAULT_FIGURES),
                claims_path=settings.from_env(settings.CLAIMS_ENV, settings.DEFAULT_CLAIMS),
                windows_path=settings.from_env(settings.WINDOWS_ENV, settings.DEFAULT_WINDOWS),
                concordance_path=settings.registry_file("oews_concordance.csv"),
                pairs_path=settings.registry_file("occupation_pairs.csv"),
            ),
            "official_sources": OfficialSources(
                catalog_path=settings.from_env(settings.CATALOG_ENV, settings.DEFAULT_CATALOG),
                snapshot_manifest=str(settings.SNAPSHOT_MANIFEST),
                mode=settings.from_env(settings.SOURCES_ENV, settings.DEFAULT_SOURCES),
                host_overrides=settings.present_in_env(settings.HOST_URL_ENVS),
                api_keys=settings.present_in_env(API_KEY_VARIABLES),
                http=HttpClient(
                    user_agent=settings.from_env(
                        settings.USER_AGENT_ENV, settings.DEFAULT_USER_AGENT
                    )
                ),
            ),
        },
    )


defs = build_definitions()
