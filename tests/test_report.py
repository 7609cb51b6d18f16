"""The report: charts from the metrics tables, a page that opens with no network, and charts that
actually render in a browser."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image

from labor_lake.report import STATUS_COLOURS

from .conftest import Workspace, run_pipeline, serve_sources

CHARTS = ("pay_premiums", "postings", "unemployment", "claim_ledger")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def reported(workspace: Workspace, httpserver, monkeypatch) -> tuple[Workspace, object]:
    serve_sources(httpserver, monkeypatch)
    result = run_pipeline(without=())
    assert result.success
    return workspace, result


def test_every_chart_is_written_as_png_and_svg(reported) -> None:
    workspace, _ = reported
    for name in CHARTS:
        png = workspace.lake_root / "reports" / f"{name}.png"
        assert png.read_bytes().startswith(b"\x89PNG"), name
        assert (workspace.lake_root / "reports" / f"{name}.svg").read_text().startswith("<svg"), (
            name
        )


def test_html_report_is_self_contained(reported) -> None:
    workspace, _ = reported
    page = (workspace.lake_root / "reports" / "index.html").read_text()
    assert page.count("<svg") >= len(CHARTS)
    assert "<script" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page), (
        "the page loads something from the network"
    )
    assert "ml_swe_total_comp_premium" in page and STATUS_COLOURS["consistent"] in page


def test_charts_reach_the_ui_as_metadata(workspace: Workspace, httpserver, monkeypatch) -> None:
    serve_sources(httpserver, monkeypatch)
    result = run_pipeline(without=())
    assert result.success
    report = next(
        m
        for m in result.get_asset_materialization_events()
        if m.asset_key.to_user_string() == "report"
    )
    charts = [
        v.value for k, v in report.materialization.metadata.items() if k.startswith("chart: ")
    ]
    assert len(charts) == len(CHARTS)
    assert all("data:image/png;base64," in chart for chart in charts)


@pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)"
)
def test_report_renders_in_headless_chromium(published_lake: Path, tmp_path: Path) -> None:
    screenshot = tmp_path / "report.png"
    subprocess.run(
        [
            str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1000,4000", f"--screenshot={screenshot}",
            (published_lake / "reports" / "index.html").as_uri(),
        ],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    pixels = (image.imread(screenshot)[:, :, :3] * 255).astype(np.uint8)
    colours = {tuple(p) for p in pixels.reshape(-1, 3)[::7]}
    assert len(colours) > 50, "the page rendered (almost) blank"

    def present(hex_colour: str) -> bool:
        target = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])
        return bool((np.abs(pixels.astype(int) - target).sum(axis=2) < 12).any())

    assert present(STATUS_COLOURS["consistent"]) and present(STATUS_COLOURS["inconsistent"])
