"""The UI as a person sees it: dagster-webserver on 127.0.0.1 over a fresh clone in a folder
that is not named after the project, checked through GraphQL and rendered in headless Chromium.
With UPDATE_SCREENSHOTS=1 the screenshots are copied to docs/screenshots/ (linked from the
README)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import requests
from matplotlib import image

from .conftest import ON_THE_QUICKSTART, REPO_ROOT, copy_repository

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


@ON_THE_QUICKSTART
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
