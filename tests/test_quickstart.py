"""The quick start as a newcomer lives it: `dg launch --assets '*'` from a fresh clone in a folder
that is not named after the project, offline; what it prints; the run in the clone's instance;
then the UI: dagster-webserver on 127.0.0.1 over that clone, checked through GraphQL and rendered
in headless Chromium. With UPDATE_SCREENSHOTS=1 the screenshots are copied to docs/screenshots/
(linked from the README).

One launch and one webserver serve the whole module (each costs tens of seconds); no test here
changes the clone."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
import requests

from labor_lake.present.run_summary import LEDGER_COUNT_KEY
from schemas.tables import ALL_TABLES
from schemas.vocabulary import CHECK_KINDS, CLAIM_STATUSES

from .conftest import BIN, REPO_ROOT, cli_env, copy_repository
from .png import distinct_colours

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"
QUERY = """
{
  workspaceOrError { ... on Workspace { locationEntries { name } } }
  assetNodes(assetKeys: [{path: ["metrics", "claim_checks"]}, {path: ["report"]}]) {
    assetKey { path }
    metadataEntries { label ... on TextMetadataEntry { text } }
    assetMaterializations(limit: 1) {
      metadataEntries {
        label
        ... on IntMetadataEntry { intValue }
        ... on MarkdownMetadataEntry { mdStr }
        ... on UrlMetadataEntry { url }
      }
    }
  }
}
"""


ASSETS_QUERY = """
{
  assetNodes {
    assetKey { path }
    assetMaterializations(limit: 1) { runId }
    assetChecksOrError {
      ... on AssetChecks { checks { name blocking executionForLatestMaterialization { status } } }
    }
  }
}
"""


@dataclass(frozen=True)
class Quickstart:
    """A fresh clone after the README's quick start: `dg launch --assets '*'` run offline from
    the clone's folder, with no DAGSTER_HOME exported, then again from its `tests/` folder."""

    project: Path
    lake: Path
    env: dict[str, str]
    launched: subprocess.CompletedProcess[str]
    relaunched: subprocess.CompletedProcess[str]  # the second build, from `tests/`

    @property
    def output(self) -> list[str]:
        return _lines(self.launched)

    @property
    def second_output(self) -> list[str]:
        return _lines(self.relaunched)


def _lines(completed: subprocess.CompletedProcess[str]) -> list[str]:
    return (completed.stdout + completed.stderr).rstrip("\n").splitlines()


def _summary(output: list[str]) -> str:
    return "\n".join(output[next(i for i, line in enumerate(output) if "labor-lake run" in line) :])


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory: pytest.TempPathFactory) -> Quickstart:
    """One quick start shared by the tests that read its output, its instance and its UI (each
    launch costs tens of seconds; none of those tests changes the clone)."""
    root = tmp_path_factory.mktemp("quickstart")
    project = copy_repository(root / "p")  # the folder name must not name the code location
    lake = root / "lake"
    env = cli_env(project, lake)
    launched = subprocess.run([str(BIN / "dg"), "launch", "--assets", "*"], cwd=project, env=env,
                              capture_output=True, text=True, timeout=300)  # fmt: skip
    # Again, as from a shell in a subfolder: nothing new since the first build.
    subfolder = {**env, "PWD": str(project / "tests")}
    relaunched = subprocess.run([str(BIN / "dg"), "launch", "--assets", "*"], cwd=project / "tests",
                                env=subfolder, capture_output=True, text=True, timeout=300)  # fmt: skip
    return Quickstart(project, lake, env, launched, relaunched)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def webserver(quickstart: Quickstart) -> Iterator[str]:
    """`dagster-webserver` on 127.0.0.1 over the quick start's clone; yields its base address
    once its GraphQL endpoint lists the assets."""
    assert quickstart.launched.returncode == 0, quickstart.output[-60:]
    port = _free_port()
    server = subprocess.Popen(
        [str(BIN / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(port)],
        cwd=quickstart.project, env=quickstart.env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        query = {"query": "{ assetNodes { assetKey { path } } }"}
        while True:
            try:
                answer = requests.post(f"{base}/graphql", json=query, timeout=10).json()
                if answer.get("data", {}).get("assetNodes"):
                    break
            except requests.exceptions.RequestException:
                pass
            assert time.monotonic() < deadline, "webserver did not answer"
            time.sleep(1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_dg_check_defs_is_clean(quickstart: Quickstart) -> None:
    completed = subprocess.run(
        [str(BIN / "dg"), "check", "defs"],
        cwd=quickstart.project,
        env=quickstart.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "All definitions loaded successfully" in completed.stdout + completed.stderr


def test_quickstart_launch_records_the_run_in_the_repo_instance(quickstart: Quickstart) -> None:
    assert quickstart.launched.returncode == 0, "\n".join(quickstart.output[-60:])
    assert (quickstart.lake / "datapackage.json").is_file()
    # The run is stored where `dg dev` (started from the same folder) will look for it.
    previous = Path.cwd()
    os.chdir(quickstart.project)
    try:
        with dg.DagsterInstance.from_config(str(quickstart.project)) as instance:
            runs = instance.get_runs()
            # Both builds, the second started in tests/, are in the clone's one instance.
            assert [run.status for run in runs] == [dg.DagsterRunStatus.SUCCESS] * 2
    finally:
        os.chdir(previous)
    assert not list(quickstart.project.glob("tests/.*dagster*"))


def test_webserver_graphql_shows_every_asset_its_materialization_and_checks(
    webserver: str,
) -> None:
    answer = requests.post(f"{webserver}/graphql", json={"query": ASSETS_QUERY}, timeout=30).json()
    nodes = {"/".join(n["assetKey"]["path"]): n for n in answer["data"]["assetNodes"]}
    assert {t.id for t in ALL_TABLES} <= set(nodes)
    for table in ALL_TABLES:
        node = nodes[table.id]
        assert node["assetMaterializations"], f"{table.id} has no materialization"
        checks = {c["name"]: c for c in node["assetChecksOrError"]["checks"]}
        assert checks["schema"]["blocking"]
        assert checks["schema"]["executionForLatestMaterialization"]["status"] == "SUCCEEDED", (
            table.id
        )


def test_dg_launch_prints_a_short_info_log_ending_with_the_summary(
    quickstart: Quickstart,
) -> None:
    lake, output = quickstart.lake, quickstart.output
    assert quickstart.launched.returncode == 0, "\n".join(output[-60:])
    articles = pl.read_parquet(lake / "core" / "articles.parquet").height
    # The log and a summary of about 25 lines, plus the ledger's line for each article.
    assert len(output) <= 80 + articles, "\n".join(output)
    assert not [line for line in output if " DEBUG " in line or "Warning" in line], output
    summary = output[next(i for i, line in enumerate(output) if "labor-lake run" in line) :]
    assert len(summary) <= 25 + articles and "run succeeded" in summary[0]
    text = "\n".join(summary)
    assert f"Ledger by article ({articles}):" in text
    # Statements a revision since changed the verdict of, with both verdicts and vintages.
    assert re.search(
        r"\n  revised since published \(\d+; .*\):\n    “.*” consistent as published "
        r"\(\d{4}-\d\d-\d\d\), inconsistent now \(\d{4}-\d\d-\d\d\)\n",
        text,
    )
    assert re.search(
        r"\n  March 2024 US Labor Market Update \(AI-related job postings\) \(Indeed Hiring Lab, "
        r"2024-03-14\): \d+ consistent",
        text,
    )
    assert re.search(
        r"Ledger:\n  the article's claims: \d+ consistent, \d+ unverifiable, \d+ conflict\n"
        r"    conflict: .*\n"
        r"  the article's pay claim on official OEWS proxies: \d+ inconsistent\n",
        text,
    )
    assert f"Lake:    {lake}" in text
    assert f"Report:  {lake / 'reports' / 'index.html'}" in text
    # And why, and since when: snapshots recorded on different days share a line with the span.
    assert re.search(
        r"not fetched \(offline mode\); using the recorded snapshots \(taken \d{4}-\d\d-\d\d to "
        r"\d{4}-\d\d-\d\d\) \(",
        text,
    )
    assert re.search(r"\nRelease: new release (\d{4}-\d\d-\d\d): .*/releases/\1\n", text)
    # Claims by their statement, checks in words; their ids only on the details line.
    assert (
        "    conflict: \u201cPostings citing AI skill requirements grew 111% year over year.\u201d"
        in text
    )
    assert "Checks warned: sources not fetched (U.S. Bureau of Labor Statistics" in text
    details = summary[-1]
    assert details.startswith("Details: checks raw/bls_payloads:sources_reachable")
    assert not re.search(r"\b[a-z]+_[a-z_0-9]+\b", "\n".join(summary[:-1]).replace(str(lake), ""))


def test_a_second_build_from_a_subfolder_says_nothing_is_new_and_names_the_snapshots(
    quickstart: Quickstart,
) -> None:
    """From `tests/`, the same console as from the root: INFO, no DEBUG, and the summary, in the
    same instance; with nothing new, the snapshots by their days and no new release."""
    first, second = _summary(quickstart.output), _summary(quickstart.second_output)
    assert quickstart.relaunched.returncode == 0, "\n".join(quickstart.second_output[-60:])
    assert not [line for line in quickstart.second_output if " DEBUG " in line]
    assert len(quickstart.second_output) <= 80
    days = re.findall(r"using the recorded snapshots \(taken (\S+ to \S+)\)", first)
    assert days and days == re.findall(
        r"nothing new, still using the recorded snapshots \(taken (\S+ to \S+)\)", second
    )
    assert "days old" not in second
    release = re.search(r"Release: new release (\S+):", first).group(1)
    assert f"Release: none made, the tables are those of release {release}: " in second
    # Everything but the sources' and the release's words reads the same.
    differs = {"Sources:", "Release:"}
    assert [
        line for line in first.splitlines() if not line.startswith(("  U.S.", "  Indeed", *differs))
    ] == [
        line
        for line in second.splitlines()
        if not line.startswith(("  U.S.", "  Indeed", *differs))
    ]


@pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)"
)
def test_asset_pages_show_the_ledger_counts_and_the_charts(webserver: str, tmp_path: Path) -> None:
    answer = requests.post(f"{webserver}/graphql", json={"query": QUERY}, timeout=30).json()
    shots = {}
    for name, path, height in (("claim_checks_asset", "assets/metrics/claim_checks", 2500),
                               ("report_asset", "assets/report", 1200)):  # fmt: skip
        shots[name] = tmp_path / f"{name}.png"
        subprocess.run(
            [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
             f"--window-size=1400,{height}", "--virtual-time-budget=20000",
             f"--screenshot={shots[name]}", f"{webserver}/{path}"],
            check=True, capture_output=True, timeout=180,
        )  # fmt: skip

    data = answer["data"]
    assert [e["name"] for e in data["workspaceOrError"]["locationEntries"]] == ["labor_lake"]
    nodes = {"/".join(n["assetKey"]["path"]): n for n in data["assetNodes"]}
    definition = {
        e["label"]: e.get("text") for e in nodes["metrics/claim_checks"]["metadataEntries"]
    }
    assert definition["schema_version"]
    latest = {
        e["label"]: e
        for e in nodes["metrics/claim_checks"]["assetMaterializations"][0]["metadataEntries"]
    }
    counts = {
        k: v["intValue"] for k, v in latest.items() if k.startswith("ledger: ") and "intValue" in v
    }
    assert set(counts) == {
        LEDGER_COUNT_KEY.format(kind=kind, status=status)
        for kind in CHECK_KINDS
        for status in CLAIM_STATUSES
    }
    assert sum(v for k, v in counts.items() if k.startswith("ledger: article_claim: ")) > 0
    report = {e["label"]: e for e in nodes["report"]["assetMaterializations"][0]["metadataEntries"]}
    # The asset page lists the charts by title with their findings, and links to the report.
    assert report["charts"]["mdStr"].count("- **") >= 3
    assert "data:image" not in report["charts"]["mdStr"]
    assert report["open the report"]["url"].startswith("file://")

    colours = distinct_colours(list(shots.values()), every=11)
    for name, shot in shots.items():
        assert colours[shot] > 30, f"{name} rendered blank"
        if os.environ.get("UPDATE_SCREENSHOTS"):
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(shot, SCREENSHOTS / f"{name}.png")


def test_dg_dev_names_the_code_location_labor_lake_whatever_the_folder(tmp_path: Path) -> None:
    from dagster_dg_core.context import DgContext

    project = copy_repository(tmp_path / "p")
    assert DgContext.for_project_environment(project, {}).code_location_name == "labor_lake"
