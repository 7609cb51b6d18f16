"""The UI as a person sees it: dagster-webserver on 127.0.0.1 over a fresh clone in a folder
that is not named after the project, checked through GraphQL and rendered in headless Chromium.
With UPDATE_SCREENSHOTS=1 the screenshots are copied to docs/screenshots/ (linked from the
README)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import requests
from matplotlib import image

from .conftest import REPO_ROOT, copy_repository

BIN = Path(sys.executable).parent
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
      }
    }
  }
}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)"
)
def test_asset_pages_show_the_ledger_counts_and_the_charts(tmp_path: Path) -> None:
    project = copy_repository(tmp_path / "p")  # the folder name must not name the location
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    env.update(
        PWD=str(project), LABOR_LAKE_ROOT=str(tmp_path / "lake"), LABOR_LAKE_SOURCES="offline"
    )
    launched = subprocess.run([str(BIN / "dg"), "launch", "--assets", "*"], cwd=project, env=env,
                              capture_output=True, text=True, timeout=300)  # fmt: skip
    assert launched.returncode == 0, launched.stderr[-2000:]

    port = _free_port()
    server = subprocess.Popen(
        [str(BIN / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(port)],
        cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    shots = {}
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                answer = requests.post(f"{base}/graphql", json={"query": QUERY}, timeout=10).json()
                if answer.get("data", {}).get("assetNodes"):
                    break
            except requests.exceptions.RequestException:
                pass
            assert time.monotonic() < deadline, "webserver did not answer"
            time.sleep(1)
        for name, path, height in (("claim_checks_asset", "assets/metrics/claim_checks", 2500),
                                   ("report_asset", "assets/report", 1200)):  # fmt: skip
            shots[name] = tmp_path / f"{name}.png"
            subprocess.run(
                [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
                 f"--window-size=1400,{height}", "--virtual-time-budget=20000",
                 f"--screenshot={shots[name]}", f"{base}/{path}"],
                check=True, capture_output=True, timeout=180,
            )  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)

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
        "ledger: consistent",
        "ledger: inconsistent",
        "ledger: unverifiable",
        "ledger: conflict",
    }
    assert sum(counts.values()) > 0
    report = {e["label"]: e for e in nodes["report"]["assetMaterializations"][0]["metadataEntries"]}
    assert report["charts"]["mdStr"].count("data:image/png;base64,") >= 3  # fmt: skip

    for name, shot in shots.items():
        pixels = (image.imread(shot)[:, :, :3] * 255).astype(np.uint8)
        assert len({tuple(p) for p in pixels.reshape(-1, 3)[::11]}) > 30, f"{name} rendered blank"
        if os.environ.get("UPDATE_SCREENSHOTS"):
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(shot, SCREENSHOTS / f"{name}.png")


def test_dg_dev_names_the_code_location_labor_lake_whatever_the_folder(tmp_path: Path) -> None:
    from dagster_dg_core.context import DgContext

    project = copy_repository(tmp_path / "p")
    assert DgContext.for_project_environment(project, {}).code_location_name == "labor_lake"
