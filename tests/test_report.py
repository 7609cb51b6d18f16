"""The report: a page that explains itself, charts in words with a source line each, bounded
marks whatever the table size, and what a reader sees in a real browser."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from matplotlib import image

from labor_lake.checks.rows import claim_check_frame, claim_check_row
from labor_lake.pay.premiums import SERIES_BREAK_FLAG, TOP_CODED_FLAGS
from labor_lake.present import report
from labor_lake.present.report import STATUS_COLOURS
from labor_lake.present.run_summary import LEDGER_COUNT_KEY
from labor_lake.sources.catalog import load_catalog
from labor_lake.sources.publishers import Publishers
from schemas.tables import METRICS_GROWTH_RATES, METRICS_PAY_PREMIUMS, METRICS_POSTINGS_DIVERGENCE
from schemas.vocabulary import CHECK_KINDS

from .conftest import REPO_ROOT, Workspace, run_pipeline, serve_sources, synthetic_metric_row

# Charts with data on the synthetic sources (premiums over time needs two OEWS years: it is
# replaced by a sentence there).
CHARTS = ("pay_premiums", "premiums_over_time", "postings", "unemployment", "claim_ledger")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
METRIC_ID = re.compile(r"\b[a-z_]+_(pct|pp)?:[a-z0-9_]+")
SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"
PUBLISHERS = Publishers.of(load_catalog(REPO_ROOT / "catalog" / "datasets.toml"))


@pytest.fixture
def reported(workspace: Workspace, httpserver, monkeypatch) -> tuple[Workspace, object]:
    serve_sources(httpserver, monkeypatch)
    result = run_pipeline(without=())
    assert result.success
    return workspace, result


def test_every_chart_with_data_is_written_as_png_and_svg(reported) -> None:
    workspace, _ = reported
    for name in CHARTS:
        png = workspace.lake_root / "reports" / f"{name}.png"
        assert png.read_bytes().startswith(b"\x89PNG"), name
        assert (workspace.lake_root / "reports" / f"{name}.svg").read_text().startswith("<svg"), (
            name
        )


def test_page_is_self_contained_and_explains_itself(reported) -> None:
    workspace, _ = reported
    page = (workspace.lake_root / "reports" / "index.html").read_text()
    assert page.count("<svg") >= len(CHARTS)
    assert "<script" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page), (
        "the page loads something from the network"
    )
    for credit in ("Indeed Hiring Lab", "CC BY 4.0", "Bureau of Labor Statistics"):
        assert credit in page, credit
    assert re.search(r"\d+ consistent</span>", page) and "Tables built:" in page
    assert "premium_pct:" not in page, "a metric id is printed as a label"
    # The premiums over time are drawn from the OEWS files (May 2014..2024), not a sentence.
    assert "No premium series over time yet" not in page


def test_unchanged_lake_leaves_the_report_byte_identical(reported) -> None:
    workspace, _ = reported
    folder = workspace.lake_root / "reports"
    assert run_pipeline(without=()).success  # the first build made the release the page names
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert run_pipeline(without=()).success
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_ledger_counts_and_charts_reach_the_ui_as_metadata(reported) -> None:
    _, result = reported
    by_asset = {
        m.asset_key.to_user_string(): m.materialization.metadata
        for m in result.get_asset_materialization_events()
    }
    counts = {k: v.value for k, v in by_asset["metrics/claim_checks"].items() if k.startswith("ledger: ") and isinstance(v.value, int)}  # fmt: skip
    assert set(counts) == {
        LEDGER_COUNT_KEY.format(kind=k, status=s) for k in CHECK_KINDS for s in STATUS_COLOURS
    }
    assert sum(counts.values()) == by_asset["metrics/claim_checks"]["dagster/row_count"].value
    # The article's own claims are counted apart from the OEWS proxy rows that test two of them.
    article = {
        s: counts[LEDGER_COUNT_KEY.format(kind="article_claim", status=s)] for s in STATUS_COLOURS
    }
    proxies = sum(
        counts[LEDGER_COUNT_KEY.format(kind="oews_proxy_by_year", status=s)] for s in STATUS_COLOURS
    )
    proxy_claims = sum(
        counts[LEDGER_COUNT_KEY.format(kind="oews_proxy_claim", status=s)] for s in STATUS_COLOURS
    )
    claims = pl.read_csv(REPO_ROOT / "registry" / "claims.csv").height
    pairs = pl.read_csv(REPO_ROOT / "registry" / "occupation_pairs.csv").height
    assert (sum(article.values()), proxy_claims) == (claims - pairs, pairs)
    assert proxies > claims
    assert by_asset["metrics/pay_premiums"]["schema_version"].value
    charts = by_asset["report"]["charts"].value
    assert charts.count("data:image/png;base64,") == len(CHARTS)
    assert "Source: Indeed Hiring Lab" in charts


def _synthetic_oews_premiums(break_year: int | None = 2021) -> pl.DataFrame:
    """Synthetic (made-up) OEWS premium rows for three years and six measures, shaped like the
    OEWS premium rows: not published figures. As in the real rows, every row of a series carries
    its flags, the break (if any) among them."""
    flags = ["official proxy (synthetic)"]
    if break_year is not None:
        flags.append(SERIES_BREAK_FLAG.format(year=break_year) + "15-2051 starts (synthetic)")
    rows = []
    for year, shift in (("2019-05", 0.0), ("2021-05", 2.0), ("2024-05", 4.0)):
        for measure, base in (("annual_wage_p10", 1.0), ("annual_wage_p25", 3.0),
                              ("median_annual_wage", 5.0), ("annual_wage_p75", 7.0),
                              ("annual_wage_p90", 9.0), ("mean_annual_wage", 6.0)):  # fmt: skip
            rows.append(
                synthetic_metric_row(
                    metric_id=f"premium_pct:synthetic_a_{measure}_{year}:synthetic_b",
                    value=base + shift,
                    period=year,
                    measure=measure,
                    subjects=["Data scientists (synthetic)", "Software developers (synthetic)"],
                    flags=flags,
                )
            )
    return pl.DataFrame(rows, schema=METRICS_PAY_PREMIUMS.polars_schema)


def test_premiums_over_time_draw_the_percentile_band_and_the_break() -> None:
    chart = report.premiums_over_time_chart(_synthetic_oews_premiums(), PUBLISHERS)
    assert chart.svg is not None and chart.empty_reason is None
    for words in ("10th-90th percentile", "25th-75th percentile", "median", "mean",
                  "series crosses a SOC code break", "Data scientists (synthetic)"):  # fmt: skip
        assert words in chart.svg, words
    assert chart.source == "Source: U.S. Bureau of Labor Statistics, OEWS May 2019 to May 2024"
    assert chart.as_of == "May 2024"
    # Flags that are not a break (every OEWS proxy row has some) mark no year.
    unbroken = report.premiums_over_time_chart(_synthetic_oews_premiums(None), PUBLISHERS)
    assert unbroken.svg is not None and "SOC code break" not in unbroken.svg


def test_long_series_draw_a_bounded_number_of_marks() -> None:
    days = np.arange(100_000)
    values = np.sin(days / 500.0) + (days == 54_321) * 10.0  # one spike the eye must still see
    kept = report.thin(days, values)
    assert len(kept) <= report._MAX_POINTS
    assert 54_321 in kept and values[kept].min() == values.min()
    assert np.all(np.diff(days[kept]) > 0)


@pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)"
)
def test_a_reader_sees_status_sources_and_words_in_chromium(
    published_lake: Path, tmp_path: Path
) -> None:
    """Renders the page in headless Chromium, then checks the rendered DOM and the pixels."""
    screenshot = tmp_path / "report.png"
    flags = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}"]  # fmt: skip
    page = (published_lake / "reports" / "index.html").as_uri()
    subprocess.run([*flags, "--window-size=1000,4200", f"--screenshot={screenshot}", page],
                   check=True, capture_output=True, timeout=120)  # fmt: skip
    dom = subprocess.run([*flags, "--dump-dom", page], check=True, capture_output=True,
                         text=True, timeout=120).stdout  # fmt: skip

    seen = _Sections()
    seen.feed(dom)
    assert "Tables built" in seen.status and "Latest release" in seen.status
    assert all(s in seen.status for s in STATUS_COLOURS), seen.status
    assert seen.charts, "no chart section rendered"
    for name, chart in seen.charts.items():
        if chart["empty"]:  # a sentence saying why, instead of an empty axis
            assert not chart["svg_text"] and len(chart["empty"]) > 40, name
            continue
        assert chart["source"].startswith(("Source: ", "Sources: ")), name
        assert "As of" in chart["source"], name
        # More than a reference line at zero: the axes show data.
        assert chart["marks"] >= 2, f"{name}: an axis with nothing drawn ({chart['marks']})"
        assert not METRIC_ID.search(chart["svg_text"]), f"{name} labels a metric id"

    pixels = (image.imread(screenshot)[:, :, :3] * 255).astype(np.uint8)
    assert len({tuple(p) for p in pixels.reshape(-1, 3)[::7]}) > 50, "page rendered blank"

    def present(hex_colour: str) -> bool:
        target = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])
        return bool((np.abs(pixels.astype(int) - target).sum(axis=2) < 12).any())

    assert present(STATUS_COLOURS["consistent"]) and present(STATUS_COLOURS["inconsistent"])
    if os.environ.get("UPDATE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(screenshot, SCREENSHOTS / "report.png")


def test_status_box_says_which_datasets_were_not_fetched_and_how_old_their_snapshots_are() -> None:
    # Synthetic manifest rows: one dataset fetched twice, one seeded from a recorded snapshot.
    manifest = pl.DataFrame(
        {
            "dataset": ["a", "a", "b"],
            "origin": ["fetched", "fetched", "recorded_snapshot"],
            "fetched_at": [
                datetime(2026, 11, 1, 6, tzinfo=UTC),
                datetime(2026, 11, 28, 6, tzinfo=UTC),
                datetime(2023, 4, 13, tzinfo=UTC),
            ],
        }
    )
    only_recorded = manifest.filter(pl.col("dataset") == "b")
    statuses = report.source_statuses({"bls": manifest, "fred": only_recorded}, PUBLISHERS)
    assert statuses[0].state == (
        "1 dataset fetched, the newest 2026-11-28 06:00 UTC; "
        "1 dataset not fetched: from the recorded snapshots, the oldest recorded 2023-04-13"
    )
    assert "fetched," not in statuses[1].state and "2023-04-13" in statuses[1].state


class _Sections(HTMLParser):
    """The status box's text, and per chart section: its source line, its empty-chart sentence,
    the text inside its SVG, and how many data marks its axes draw (matplotlib's SVG groups:
    lines, filled areas and patches inside an axes, not its ticks, legend, background or
    spines)."""

    def __init__(self) -> None:
        super().__init__()
        self.status = ""
        self.charts: dict[str, dict] = {}
        self._where: list[str] = []  # "status", "svg", "source", "empty"
        self._chart: dict | None = None
        self._groups: list[str] = []  # ids of the open <g> elements

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "section" and attributes.get("id") == "status":
            self._where.append("status")
        elif tag == "section" and "chart" in (attributes.get("class") or ""):
            self._chart = {"source": "", "empty": "", "svg_text": "", "marks": 0}
            self.charts[attributes["id"]] = self._chart
        elif tag == "svg":
            self._where.append("svg")
        elif tag == "p" and attributes.get("class") in ("source", "empty"):
            self._where.append(attributes["class"])
        elif tag == "g":
            group = attributes.get("id") or ""
            inside_axes = any(g.startswith("axes_") for g in self._groups) and not any(
                g.startswith(("xtick_", "ytick_", "legend_")) for g in self._groups
            )
            marks = ("line2d_", "PolyCollection_", "FillBetween", "patch_")
            if self._chart is not None and inside_axes and group.startswith(marks):
                self._chart["marks"] += 1
            if group.startswith("axes_") and self._chart is not None:
                self._chart["marks"] -= 5  # its background and four spines are patches too
            self._groups.append(group)

    def handle_endtag(self, tag: str) -> None:
        if tag == "g" and self._groups:
            self._groups.pop()
        if self._where and (tag, self._where[-1]) in {("section", "status"), ("svg", "svg"),
                                                      ("p", "source"), ("p", "empty")}:  # fmt: skip
            self._where.pop()
        if tag == "section":
            self._chart = None

    def handle_data(self, data: str) -> None:
        where = self._where[-1] if self._where else None
        if where == "status":
            self.status += data
        elif self._chart is not None and where == "svg":
            self._chart["svg_text"] += data + " "
        elif self._chart is not None and where in ("source", "empty"):
            self._chart[where] += data


def _synthetic_ledger() -> tuple[pl.DataFrame, pl.DataFrame]:
    """A made-up ledger (synthetic test data): one article claim and its OEWS proxy rows for two
    pairs of codes (a series break between 2019 and 2021), one premium only a lower bound."""
    checks = [
        claim_check_row(
            claim_id="synthetic_claim", kind="article_claim", about_claim_id="synthetic_claim",
            statement="Synthetic claim: A earns 30-38% more than B.", status="inconsistent",
            explanation="synthetic", stated_low=30, stated_high=38, stated_unit="percent_change",
            tolerance=0.5, formula="premium_pct", inputs=["a", "b"], computed=10.0,
        )
    ]  # fmt: skip
    premiums = []
    for period, subjects, bound in (
        ("2019-05", ["A (old code, synthetic)", "B (old code, synthetic)"], None),
        ("2021-05", ["A (new code, synthetic)", "B (new code, synthetic)"], None),
        ("2024-05", ["A (new code, synthetic)", "B (new code, synthetic)"], "lower"),
    ):
        flags = [SERIES_BREAK_FLAG.format(year=2021) + "new codes start (synthetic)"]
        flags += [TOP_CODED_FLAGS[bound]] if bound else []
        metric_id = f"premium_pct:synthetic:{period}"
        premiums.append(synthetic_metric_row(metric_id=metric_id, value=12.5, period=period,
                                             measure="median_annual_wage", subjects=subjects,
                                             flags=flags))  # fmt: skip
        checks.append(
            claim_check_row(
                claim_id=f"synthetic_pair_{period[:4]}_median_annual_wage",
                kind="oews_proxy_by_year", about_claim_id="synthetic_claim",
                statement="synthetic proxy", status="unverifiable" if bound else "inconsistent",
                explanation=f"synthetic reason {period}", stated_low=30, stated_high=38,
                stated_unit="percent_change", tolerance=0.5, formula="premium_pct",
                inputs=["a", "b"], computed=12.5, metric_id=metric_id,
            )
        )  # fmt: skip
    return (
        claim_check_frame(checks),
        pl.DataFrame(premiums, schema=METRICS_PAY_PREMIUMS.polars_schema),
    )


def test_the_ledger_shows_a_claims_oews_proxies_as_one_table_by_year_and_statistic() -> None:
    checks, premiums = _synthetic_ledger()
    status = report.Status("2026-11-29", None, [], report.status_counts(checks))
    page = report.html_report([], checks, premiums, status)
    # Counted by kind: the claim is not drowned by its proxies.
    assert html.escape("the article's claims: ") in page
    assert "The same OEWS proxies, by year and statistic (3)" in page
    tables = re.findall(r'<table class="matrix">.*?</table>', page, flags=re.S)
    assert len(tables) == 1 and "Synthetic claim: A earns 30-38% more than B." in page
    # A change of codes starts a new block of rows: old codes (2019), then new codes (2021, 2024).
    blocks = re.findall(r'class="codes">([^<]+)</th>', tables[0])
    assert blocks == [
        "A (old code, synthetic) over B (old code, synthetic)",
        "A (new code, synthetic) over B (new code, synthetic)",
    ]
    assert re.findall(r"<td>(May \d{4})</td>", tables[0]) == ["May 2019", "May 2021", "May 2024"]
    assert tables[0].count(">12.5%</td>") == 2 and tables[0].count(">&ge;12.5%</td>") == 1
    assert 'title="synthetic reason 2024-05"' in tables[0]
    assert "Series breaks, not bridged: series break in 2021" in page
    # The pay claim is said in one line ahead of the charts, with its value and status.
    findings = re.search(r'<section id="findings">.*?</section>', page, flags=re.S)
    assert findings and "Synthetic claim: A earns 30-38% more than B." in findings[0]
    assert "<b>10.0%</b> against the stated 30-38%" in findings[0] and "inconsistent" in findings[0]
    # Proxy rows are not repeated as rows of the claims' table.
    assert "<small>synthetic_pair_2019_median_annual_wage</small>" not in page


def test_a_postings_series_that_stops_early_says_its_last_day() -> None:
    # Synthetic growth rows: series A runs to 2024-01-10, series B stops on 2024-01-05.
    rows = [
        synthetic_metric_row(
            metric_id=f"growth_pct:{series}:{day}", value=float(day), unit="percent_change",
            period=f"2024-01-01/2024-01-{day:02d}", formula="growth_pct",
            inputs=[f"indeed:{series}:US@2024-01-{day:02d}", f"indeed:{series}:US@2024-01-01"],
            subjects=[f"Series {series} (synthetic)"] * 2, measure="postings_index",
            flags=["growth since window start 2024-01-01"],
        )
        for series, last in (("a", 10), ("b", 5))
        for day in range(1, last + 1)
    ]  # fmt: skip
    growth = pl.DataFrame(rows, schema=METRICS_GROWTH_RATES.polars_schema)
    chart = report.postings_chart(growth, METRICS_POSTINGS_DIVERGENCE.empty_frame(), PUBLISHERS)
    assert chart.svg is not None and chart.as_of == "2024-01-10"
    assert "Series b (synthetic), last day 2024-01-05" in chart.svg
    assert "Series a (synthetic), last day" not in chart.svg
