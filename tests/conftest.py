"""Shared fixtures: a private copy of the registry, a temporary lake, and a runner that
materializes the whole graph in-process against them."""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from assets import settings
from labor_lake.lake.files import Lake

from .replay import Replay

BIN = Path(sys.executable).parent

REPO_ROOT = Path(__file__).resolve().parents[1]
REGISTRY = REPO_ROOT / "registry"
RECORDED_COPIES = REPO_ROOT / "snapshots" / "copies"
SYNTHETIC = Path(__file__).parent / "data"
SYNTHETIC_FRED = SYNTHETIC / "fred"


@dataclass
class Workspace:
    """A lake root and registry files that a test may edit freely."""

    lake_root: Path
    figures: Path
    claims: Path
    articles: Path

    @property
    def lake(self) -> Lake:
        return Lake(str(self.lake_root))

    def edit_figures(self, edit: Callable[[str], str]) -> None:
        self.figures.write_text(edit(self.figures.read_text()))

    def edit_claims(self, edit: Callable[[str], str]) -> None:
        self.claims.write_text(edit(self.claims.read_text()))

    def edit_articles(self, edit: Callable[[str], str]) -> None:
        self.articles.write_text(edit(self.articles.read_text()))


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    figures = tmp_path / "registry" / "published_figures.csv"
    claims = tmp_path / "registry" / "claims.csv"
    articles = tmp_path / "registry" / "articles.csv"
    figures.parent.mkdir()
    shutil.copy(REGISTRY / "published_figures.csv", figures)
    shutil.copy(REGISTRY / "claims.csv", claims)
    shutil.copy(REGISTRY / "articles.csv", articles)
    lake_root = tmp_path / "lake"
    monkeypatch.setenv(settings.LAKE_ROOT_ENV, str(lake_root))
    monkeypatch.setenv(settings.FIGURES_ENV, str(figures))
    monkeypatch.setenv(settings.CLAIMS_ENV, str(claims))
    monkeypatch.setenv(settings.ARTICLES_ENV, str(articles))
    # Tests never touch the internet; HTTP tests point the sources at a local server.
    monkeypatch.setenv(settings.SOURCES_ENV, "offline")
    return Workspace(lake_root, figures, claims, articles)


# The sources and the table their observations land in: what a test of fetching, falling back and
# keeping vintages needs, without the metrics, ledger and publishing steps downstream.
SOURCES_TO_OBSERVATIONS = "+core/observations"


def run_pipeline(
    selection: str = "*",
    instance: dg.DagsterInstance | None = None,
    run_config: dict | None = None,
    without: tuple[str, ...] = ("report",),
) -> dg.ExecuteInProcessResult:
    """Build Definitions from the current environment and materialize `selection` in-process.

    The report (charts, about a second and a half) is left out unless a test asks for it with
    `without=()`."""
    from pipelines.definitions import build_definitions

    defs = build_definitions()
    job = defs.resolve_implicit_global_asset_job_def()
    graph = defs.resolve_asset_graph()
    keys = dg.AssetSelection.from_coercible(selection.split(",")).resolve(graph)
    keys -= {dg.AssetKey.from_user_string(name) for name in without}
    return job.execute_in_process(
        instance=instance or dg.DagsterInstance.ephemeral(),
        asset_selection=list(keys),
        raise_on_error=False,
        run_config=run_config,
    )


@pytest.fixture(scope="session")
def published_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A lake built once by the `publish` job (whole graph, report and release included) from the
    committed registry, the recorded real snapshots and the synthetic FRED and BLS OEWS answers,
    replayed at the real hosts' paths. Read-only: tests that change a lake build their own."""
    from pytest_httpserver import HTTPServer

    from pipelines.definitions import build_definitions

    root = tmp_path_factory.mktemp("published") / "lake"
    server = HTTPServer(host="127.0.0.1")
    server.start()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv(settings.LAKE_ROOT_ENV, str(root))
            patch.setenv(settings.FIGURES_ENV, str(REGISTRY / "published_figures.csv"))
            patch.setenv(settings.CLAIMS_ENV, str(REGISTRY / "claims.csv"))
            patch.setenv(settings.ARTICLES_ENV, str(REGISTRY / "articles.csv"))
            Replay(server).serve_recorded().serve_synthetic().point(patch)
            job = build_definitions().resolve_job_def("publish")
            assert job.execute_in_process(instance=dg.DagsterInstance.ephemeral()).success
    finally:
        server.stop()
    return root


@pytest.fixture(scope="session")
def recorded_copies() -> Path:
    """The recorded real files that only tests read (CSV exports, damaged user copies, quoted BLS
    answers, the seed article's lines that hold its figures), each checked against its row of
    `snapshots/copies/manifest.csv` (address, date, sha256, bytes, licence, excerpt)."""
    with (RECORDED_COPIES / "manifest.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        content = (RECORDED_COPIES / row["path"]).read_bytes()
        assert (hashlib.sha256(content).hexdigest(), len(content)) == (
            row["sha256"],
            int(row["bytes"]),
        ), row["path"]
    return RECORDED_COPIES


def synthetic_metric_row(**overrides: object) -> dict[str, object]:
    """A made-up but valid metrics row (synthetic test data, not a published figure)."""
    row: dict[str, object] = {
        "metric_id": "premium_pct:a:b",
        "value": 37.8,
        "value_low": 37.8,
        "value_high": 37.8,
        "unit": "percent_change",
        "period": "2026",
        "inputs": ["a", "b"],
        "formula": "premium_pct",
        "formula_text": "(261875 / 190000 - 1) x 100",
        "measure": "median_total_comp",
        "subjects": ["ML", "SWE"],
        "flags": [],
    }
    return {**row, **overrides}


def serve_sources(httpserver, monkeypatch: pytest.MonkeyPatch, mode: str = "live") -> Replay:
    """Replay every source at its real paths (recorded snapshots, and the synthetic FRED and BLS
    OEWS answers) and point the pipeline at the replay in `mode`."""
    return Replay(httpserver).serve_recorded().serve_synthetic().point(monkeypatch, mode)


def failure_text(result: dg.ExecuteInProcessResult) -> str:
    """Everything a user is told about the run's failed steps: errors and failure descriptions."""
    texts = []
    for event in result.all_events:
        if event.is_step_failure:
            data = event.step_failure_data
            texts.append(data.error.to_string() if data.error else "")
            if data.user_failure_data and data.user_failure_data.description:
                texts.append(data.user_failure_data.description)
    return "\n".join(texts)


def copy_repository(destination: Path) -> Path:
    """The repository's files as a fresh clone has them (tracked and new, not ignored): no
    instance storage, no lake, no exported DAGSTER_HOME."""
    names = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in names:
        if (REPO_ROOT / name).is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(REPO_ROOT / name, destination / name)
    return destination


def recorded_snapshot(dataset: str) -> bytes:
    """The recorded real answer of `dataset` (snapshots/), checked against its manifest row."""
    from labor_lake.sources.snapshots import load_manifest

    (snapshot,) = (s for s in load_manifest(settings.SNAPSHOT_MANIFEST) if s.dataset == dataset)
    return snapshot.read()


def recorded_oews_files() -> list[tuple[str, bytes]]:
    """The recorded BLS OEWS national files (snapshots/), as (file name, bytes)."""
    from labor_lake.sources.snapshots import load_manifest

    return [
        (Path(s.member).name, s.read())
        for s in load_manifest(settings.SNAPSHOT_MANIFEST)
        if s.dataset.startswith("bls_oews_national_")
    ]


def cli_env(project: Path, lake: Path) -> dict[str, str]:
    """The environment of a `dg` command run from a fresh clone at `project`: no DAGSTER_HOME
    exported, the lake at `lake`, sources offline."""
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    env.update(PWD=str(project), LABOR_LAKE_ROOT=str(lake), LABOR_LAKE_SOURCES="offline")
    return env
