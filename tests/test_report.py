"""The report: a page that leads with its finding, charts as Vega-Lite specifications valid
against the vendored schema, drawn by a real browser from `file://` with no network (tooltips,
a phone's width), words instead of ids, and a build that loads no matplotlib."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import textwrap
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import polars as pl
import pytest

from labor_lake.checks.lineage import OBSERVATION_REFERENCE_SEPARATOR
from labor_lake.checks.rows import claim_check_frame, claim_check_row
from labor_lake.lake.bitemporal import observations_as_of
from labor_lake.lake.files import Lake
from labor_lake.lake.reader import read_table
from labor_lake.pay.premiums import SERIES_BREAK_FLAG, TOP_CODED_FLAGS
from labor_lake.present import report
from labor_lake.present.browser import browser, chromium_path
from labor_lake.present.report import STATUS_COLOURS
from labor_lake.present.run_summary import LEDGER_COUNT_KEY
from labor_lake.present.vega import VENDOR
from labor_lake.present.words import Reader, amount, snake_case_words
from labor_lake.sources.catalog import load_catalog
from labor_lake.sources.publishers import Publishers
from schemas.tables import (
    CORE_OBSERVATION_VINTAGES,
    CORE_OBSERVATIONS,
    CORE_PUBLISHED_FIGURES,
    METRICS_CLAIM_CHECKS,
    METRICS_GROWTH_RATES,
    METRICS_PAY_PREMIUMS,
    METRICS_POSTINGS_DIVERGENCE,
)
from schemas.vocabulary import CHECK_KINDS, CLAIM_STATUSES

from .conftest import (
    BIN,
    REPO_ROOT,
    Workspace,
    cli_env,
    copy_repository,
    run_pipeline,
    serve_sources,
    synthetic_metric_row,
)

# Charts with data on the replayed sources.
CHARTS = ("pay_premiums", "premiums_over_time", "checked_figures", "postings", "unemployment",
          "claim_ledger")  # fmt: skip
CHROMIUM = chromium_path()
SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"
PUBLISHERS = Publishers.of(load_catalog(REPO_ROOT / "catalog" / "datasets.toml"))
SPEC = re.compile(r'<script type="application/json" id="spec-([a-z_]+)">(.*?)</script>', re.S)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)"
)


@cache
def vega_lite_validator():
    """The Vega-Lite JSON schema shipped in the vega-lite npm package (vendored with it)."""
    from jsonschema import Draft7Validator

    schema = json.loads((VENDOR / "vega-lite-schema.json").read_text())
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


def assert_valid_vega_lite(spec: dict, name: str) -> None:
    """No error against the schema; on failure, the deepest reasons (where a spec goes wrong
    inside the schema's alternatives)."""

    def leaves(error):
        if not error.context:
            return [error]
        return [leaf for child in error.context for leaf in leaves(child)]

    errors = [leaf for error in vega_lite_validator().iter_errors(spec) for leaf in leaves(error)]
    deepest = sorted(errors, key=lambda e: -len(e.absolute_path))[:6]
    assert not errors, f"{name}: " + "; ".join(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:160]}" for e in deepest
    )


@pytest.fixture
def reported(workspace: Workspace, httpserver, monkeypatch) -> tuple[Workspace, object]:
    serve_sources(httpserver, monkeypatch)
    result = run_pipeline(without=())
    assert result.success
    return workspace, result


def page_specs(page: str) -> dict[str, dict]:
    return {name: json.loads(text.replace("<\\/", "</")) for name, text in SPEC.findall(page)}


def test_page_leads_with_its_finding_and_carries_everything_it_draws_with(reported) -> None:
    workspace, _ = reported
    folder = workspace.lake_root / "reports"
    page = (folder / "index.html").read_text()
    # The build draws no image: the page is the one file written.
    assert sorted(p.name for p in folder.iterdir()) == ["index.html"]
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    # Nothing is loaded from anywhere: the libraries are inline, every chart's data too. (The
    # articles' addresses are links a reader may follow, not resources the page loads.)
    assert not re.search(r"""(\bsrc\s*=|<link\b[^>]*\bhref\s*=)\s*["']?(https?:)?//""", page)
    assert (
        '<a href="https://www.hiringlab.org/2024/03/14/march-2024-us-labor-market-update/">' in page
    )
    assert "<script src" not in page and "vegaEmbed" in page and "vega-lite" in page
    specs = page_specs(page)
    assert set(specs) == set(CHARTS)
    for name, spec in specs.items():
        assert_valid_vega_lite(spec, name)
    # The ledger in two sentences first, its counts the ledger's own; then the verdicts with the
    # numbers; then the status box; then the charts.
    overview = html.unescape(re.search(r'<p class="overview">(.*?)</p>', page, re.S)[1])
    figures = read_table("metrics/claim_checks", root=workspace.lake_root).filter(
        pl.col("kind") == "figure_vs_official"
    )
    matched = figures.filter(pl.col("status") == "consistent").height
    assert f"Of their {figures.height} figures" in overview and f"{matched} matched" in overview
    assert page.index('class="overview"') < page.index('id="verdicts"')
    # An article whose figures a revision has turned says so under its verdict, with the count.
    turned = figures.filter(pl.col("revised_since") & (pl.col("status_now") == "inconsistent"))
    article, n = turned.group_by("article_id").len().sort("len", "article_id").row(-1)
    card = re.search(
        rf'<div class="verdict">((?:(?!<div class="verdict">).)*?article id: {article}</p>)',
        page,
        re.S,
    )[1]
    verb = "differs" if n == 1 else "differ"
    assert f"on today's, revised since, {n} of those that matched {verb}" in html.unescape(card)
    assert page.index('id="verdicts"') < page.index('id="status"') < page.index('class="chart"')
    verdict = re.search(r'<section id="verdicts">(.*?)</section>', page, re.S)[1]
    for words in ("-15.4%", "+5.9%", "30-38%", "+37.8%", "official OEWS median annual wages"):
        assert words in html.unescape(verdict), words
    for credit in ("Indeed Hiring Lab", "CC BY 4.0", "Bureau of Labor Statistics"):
        assert credit in page, credit
    assert re.search(r"\d+ consistent</span>", page) and "Tables built:" in page
    assert "premium_pct:" not in re.sub(SPEC, "", page), "a metric id is printed as text"
    assert "No premium series over time yet" not in page


def test_unchanged_lake_leaves_the_report_byte_identical(reported) -> None:
    workspace, _ = reported
    folder = workspace.lake_root / "reports"
    assert run_pipeline(without=()).success  # the first build made the release the page names
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert run_pipeline(without=()).success
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_ledger_counts_and_chart_findings_reach_the_ui_as_metadata(reported) -> None:
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
    metadata = by_asset["report"]
    assert metadata["open the report"].value.startswith("file://")
    charts = metadata["charts"].value
    # Each chart by its title and one-line finding; no image in the metadata.
    assert charts.count("\n- **") == len(CHARTS) and "data:image" not in charts
    assert "Pay premiums over time, by wage percentile (OEWS)**: 6 pairs" in charts
    findings = charts.split("\n", 1)[1]  # after the link to the report
    assert not snake_case_words(findings), snake_case_words(findings)


def test_the_report_step_loads_no_matplotlib(tmp_path: Path) -> None:
    """A fresh clone's `dg launch --assets '*'`, offline, with an import watch in every Python
    process it starts (the launcher and each step's): none imports matplotlib."""
    project = copy_repository(tmp_path / "p")
    watch = tmp_path / "watch"
    watch.mkdir()
    (watch / "sitecustomize.py").write_text(
        textwrap.dedent("""
        import os, sys
        _folder = os.environ["IMPORT_WATCH"]
        open(os.path.join(_folder, f"process-{os.getpid()}"), "w").close()
        class _Watch:
            # Records an import that finds its module (an attempt that fails, as optional
            # imports do, loads nothing).
            def find_spec(self, name, path=None, target=None):
                if name.partition(".")[0] not in ("matplotlib", "altair"):
                    return None
                for finder in sys.meta_path:
                    found = finder is not self and hasattr(finder, "find_spec") and finder.find_spec(name, path, target)
                    if found:
                        with open(os.path.join(_folder, f"imported-{os.getpid()}"), "a") as f:
                            f.write(name + "\\n")
                        return found
                return None
        sys.meta_path.insert(0, _Watch())
    """)
    )
    env = cli_env(project, tmp_path / "lake")
    env.update(IMPORT_WATCH=str(watch), PYTHONPATH=str(watch))
    launched = subprocess.run([str(BIN / "dg"), "launch", "--assets", "*"], cwd=project, env=env,
                              capture_output=True, text=True, timeout=600)  # fmt: skip
    assert launched.returncode == 0, launched.stderr[-3000:]
    assert (tmp_path / "lake" / "reports" / "index.html").is_file()
    processes = list(watch.glob("process-*"))
    assert len(processes) >= 2, "the import watch did not reach the step processes"
    imported = {p.name: p.read_text() for p in watch.glob("imported-*")}
    assert not imported, imported


def test_every_synthetic_chart_is_valid_vega_lite() -> None:
    checks, _ = _synthetic_ledger()
    for chart in (
        report.premiums_over_time_chart(
            _synthetic_oews_premiums(), CORE_OBSERVATIONS.empty_frame(), PUBLISHERS
        ),
        report.ledger_chart(checks),
    ):
        assert chart.spec is not None
        assert_valid_vega_lite(chart.spec, chart.name)


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


def test_premiums_over_time_share_one_scale_and_draw_the_band_and_the_break() -> None:
    chart = report.premiums_over_time_chart(
        _synthetic_oews_premiums(), CORE_OBSERVATIONS.empty_frame(), PUBLISHERS
    )
    assert chart.spec is not None and chart.empty_reason is None
    text = json.dumps(chart.spec)
    for words in ("10th-90th percentile", "25th-75th percentile", "median", "mean",
                  "series crosses a SOC code break", "Data scientists (synthetic)"):  # fmt: skip
        assert words in text, words
    assert chart.spec["resolve"]["scale"]["y"] == "shared"  # small multiples compare premiums
    rows = chart.spec["data"]["values"]
    assert [r["year"] for r in rows if r["kind"] == "break"] == [2021]
    # 2020, 2022 and 2023 have no file: rows without values, which break the lines.
    assert [r["year"] for r in rows if r["kind"] == "no file"] == [2020, 2022, 2023]
    assert chart.source == "Source: U.S. Bureau of Labor Statistics, OEWS May 2019 to May 2024"
    assert chart.as_of == "May 2024"
    unbroken = report.premiums_over_time_chart(
        _synthetic_oews_premiums(None), CORE_OBSERVATIONS.empty_frame(), PUBLISHERS
    )
    assert unbroken.spec is not None and "break" not in {
        r["kind"] for r in unbroken.spec["data"]["values"]
    }


def test_long_series_keep_a_bounded_number_of_points() -> None:
    days = 100_000
    values = [(i % 1000) / 1000 for i in range(days)]
    values[54_321] = 10.0  # one spike the eye must still see
    series = pl.DataFrame({"end": pl.int_range(days, eager=True), "value": values})
    kept = report.thin(series)
    assert kept.height <= report.MAX_POINTS
    assert 54_321 in kept["end"] and kept["value"].max() == 10.0
    assert kept["end"].is_sorted() and kept["end"].n_unique() == kept.height
    short = series.head(50)
    assert report.thin(short).equals(short)


def test_the_series_as_published_are_those_of_the_whole_vintages_table(
    published_lake: Path,
) -> None:
    """The checked-figures chart folds only the revised figures' series out of
    core/observation_vintages: each dashed point is still the value the whole table gives as
    published on the figure's day (`observations_as_of`), at every date of its window."""
    lake = Lake(str(published_lake))
    vintages = lake.read_table(CORE_OBSERVATION_VINTAGES)
    claim_checks = lake.read_table(METRICS_CLAIM_CHECKS)
    chart = report.checked_figures_chart(
        claim_checks, lake.read_table(CORE_PUBLISHED_FIGURES),
        lake.read_table(CORE_OBSERVATIONS), PUBLISHERS, None, vintages,
    )  # fmt: skip
    drawn = [d for d in chart.spec["data"]["values"] if d["kind"] == "as_published"]
    revised = claim_checks.filter(
        (pl.col("kind") == "figure_vs_official") & pl.col("revised_since").fill_null(False)
    )
    assert drawn and revised.height
    views: dict = {}
    for row in revised.iter_rows(named=True):
        reference = [i for i in row["inputs"] if OBSERVATION_REFERENCE_SEPARATOR in i][-1]
        series, _, day = reference.partition(OBSERVATION_REFERENCE_SEPARATOR)
        if row["checked_as_of"] not in views:
            views[row["checked_as_of"]] = observations_as_of(vintages, row["checked_as_of"])
        around = date.fromisoformat(day)
        expected = (
            views[row["checked_as_of"]]
            .filter(
                (pl.col("series_id") == series)
                & pl.col("period_start").is_between(
                    around - timedelta(days=report._AS_PUBLISHED_DAYS),
                    around + timedelta(days=report._AS_PUBLISHED_DAYS),
                )
            )
            .sort("period_start")
        )
        assert [(d["date"], d["value"]) for d in drawn if d["id"] == row["claim_id"]] == [
            (f"{period:%Y-%m-%d}", value)
            for period, value in expected.select("period_start", "value").rows()
        ], row["claim_id"]


def test_every_status_has_its_words() -> None:
    for words in (report._NOW, report._NOW_ONE, report._PAST):
        assert set(words) == set(CLAIM_STATUSES)


def test_units_and_ids_read_as_words() -> None:
    assert amount(-15.396, "percent_change", signed=True) == "-15.4%"
    assert amount(133080, "usd_per_year") == "$133,080 a year"
    figures = pl.DataFrame({"figure_id": ["ml_comp_2026"], "subject": ["ML engineers"],
                            "measure": ["median_total_comp"], "period": ["2026"]})  # fmt: skip
    reader = Reader.of([("the_claim", "A claim (synthetic).")], figures,
                       CORE_OBSERVATIONS.empty_frame(), {"bls_cps": "CPS rates"})  # fmt: skip
    text = reader(
        "Recomputed 37.83 percent_change from ml_comp_2026, within the stated 50,000 to 100,000 "
        "usd_per_year (tolerance 0.5); see the_claim and the bls_cps entry (core/claims)."
    )
    assert text == (
        "Recomputed 37.83% from ML engineers, median total compensation, 2026, within the stated "
        "$50,000 to $100,000 a year (give or take 0.5); see “A claim (synthetic)” and the "
        "“CPS rates” entry."
    )
    assert not snake_case_words(text)


def test_an_id_is_read_whole_the_longest_that_fits() -> None:
    """Ids that begin like others (series of one prefix, an id inside a longer one) are each
    read as a whole, never a shorter id inside a longer one, and not inside other words."""
    reader = Reader({"bls:OEU1": "one", "bls:OEU12": "twelve", "bls:OEU123": "a hundred",
                     "a_b": "short", "a_b_c": "long"})  # fmt: skip
    text = reader("bls:OEU12, bls:OEU123 and bls:OEU1. a_b_c a_b xa_b a_b_cd bls:OEU1234 fred:a_b")
    assert text == "twelve, a hundred and one. long short xa_b a_b_cd bls:OEU1234 fred:a_b"


def _synthetic_verdict_inputs() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """A made-up article (synthetic): a premium claim on its own two figures and one official
    proxy claim stating the same range."""
    checks = claim_check_frame([
        claim_check_row(
            claim_id="synthetic_claim", kind="article_claim", about_claim_id="synthetic_claim",
            statement="A earns 30-38% more than B (synthetic).", status="consistent",
            explanation="synthetic", stated_low=30, stated_high=38, stated_unit="percent_change",
            tolerance=0.5, formula="premium_pct", inputs=["a", "b"], computed=37.8,
            metric_id="premium_pct:a:b",
        ),
        claim_check_row(
            claim_id="synthetic_proxy", kind="oews_proxy_claim", about_claim_id="synthetic_proxy",
            statement="Official proxy (synthetic).", status="inconsistent", explanation="synthetic",
            stated_low=30, stated_high=38, stated_unit="percent_change", tolerance=0.5,
            formula="premium_pct", inputs=["c", "d"], computed=-15.4, metric_id="premium_pct:c:d",
        ),
        claim_check_row(
            claim_id="official_a", kind="figure_vs_official", about_claim_id=None,
            statement="A (synthetic)", status="unverifiable", explanation="synthetic",
            stated_low=1, stated_high=1, stated_unit="count", tolerance=0, formula="restated",
            inputs=["a"],
        ),
    ])  # fmt: skip
    premiums = pl.DataFrame(
        [
            synthetic_metric_row(metric_id="premium_pct:a:b", measure="median_total_comp"),
            synthetic_metric_row(
                metric_id="premium_pct:c:d", value=-15.4, period="2024-05",
                measure="median_annual_wage",
                subjects=["C (SOC 15-0001, SOC 2018) (synthetic)", "D (synthetic)"],
            ),
        ],
        schema=METRICS_PAY_PREMIUMS.polars_schema,
    )  # fmt: skip
    figures = pl.DataFrame({
        "figure_id": ["a", "b", "c", "d"], "publisher": ["unattributed"] * 2 + ["BLS"] * 2,
        "source_document": ["article:synthetic"] * 2 + ["BLS file (synthetic)"] * 2,
    })  # fmt: skip
    return checks, premiums, figures


def test_the_verdict_says_what_the_article_says_and_what_official_data_give() -> None:
    checks, premiums, figures = _synthetic_verdict_inputs()
    assert report.articles(figures) == ["synthetic"]
    title, verdict = report.article_verdict("synthetic", checks, figures, premiums)
    assert title == "Article synthetic"
    assert verdict == (
        "It says: “A earns 30-38% more than B (synthetic)”. Its own figures (unattributed) give "
        "+37.8%; official OEWS median annual wages for May 2024 give -15.4% for C (SOC 15-0001) "
        "(synthetic) over D (synthetic) (a different measure: median annual wage, not median "
        "total compensation), where the article says 30-38%. Of its 1 claim recomputed from its "
        "own figures, 1 holds; of its 1 figure, 1 has no official series to check against."
    )
    titled, _ = report.article_verdict(
        "synthetic", checks, figures, premiums, {"synthetic": "A synthetic headline"}
    )
    assert titled == "A synthetic headline"


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
    figures = pl.DataFrame(schema={"figure_id": pl.String, "publisher": pl.String,
                                   "source_document": pl.String})  # fmt: skip
    page = report.html_report([], checks, premiums, status, figures, Reader({}))
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
    # Ids only in details lines; tables scroll inside their own box on a phone.
    assert '<small class="details">synthetic_claim</small>' in page
    assert '<div class="scroll"><table class="matrix">' in page
    assert "synthetic_pair_2019_median_annual_wage" not in page
    # No chart, no script.
    assert "<script" not in page


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
    chart = report.postings_chart(growth, METRICS_POSTINGS_DIVERGENCE.empty_frame(),
                                  CORE_OBSERVATIONS.empty_frame(), PUBLISHERS)  # fmt: skip
    assert chart.spec is not None and chart.as_of == "2024-01-10"
    assert_valid_vega_lite(chart.spec, chart.name)
    labels = {
        r["series"]
        for layer in chart.spec["layer"]
        for r in layer["data"]["values"]
        if "series" in r
    }
    assert labels == {"Series a (synthetic)", "Series b (synthetic), last day 2024-01-05"}
    # Zoom and pan: an interval selection bound to the scales.
    params = [p for layer in chart.spec["layer"] for p in layer.get("params", [])]
    assert params == [{"name": "zoom", "select": {"type": "interval", "encodings": ["x"]},
                       "bind": "scales"}]  # fmt: skip


@needs_chromium
def test_a_reader_sees_every_chart_a_tooltip_and_no_sideways_scroll_in_chromium(
    published_lake: Path, tmp_path: Path
) -> None:
    """The page from `file://` in headless Chromium, no network, at 1280 px and at a phone's
    390 px: every chart drawn as SVG with its marks, no console error, no request beyond the
    file, text of 11 px or more, a tooltip read by hovering a point, no horizontal scroll, and no
    id or unit code in what a reader reads."""
    url = (published_lake / "reports" / "index.html").as_uri()
    shots = {}
    with browser() as page:
        for width, mobile, name in ((1280, False, "report"), (390, True, "report_phone")):
            page.open(url, width, 900, mobile=mobile)
            page.wait_for_charts()
            drawn = page.evaluate("""[...document.querySelectorAll('.vega-chart')].map(e => [
                e.dataset.name, e.dataset.rendered,
                e.querySelectorAll('svg .role-mark path, svg .role-mark text, svg .role-mark line').length,
                Math.round(e.querySelector('svg')?.getBoundingClientRect().width ?? 0)])""")
            assert sorted(d[0] for d in drawn) == sorted(CHARTS)
            for chart, rendered, marks, svg_width in drawn:
                assert rendered == "true", f"{chart} at {width} px: {rendered}"
                assert marks >= 3, f"{chart} at {width} px draws {marks} marks"
                assert svg_width <= width, f"{chart} is {svg_width} px wide in a {width} px window"
            assert page.errors == [], page.errors
            assert all(r.startswith(("file:", "data:")) for r in page.requests), page.requests
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            small = page.evaluate("""[...document.querySelectorAll('.vega-chart svg text')]
                .map(t => parseFloat(getComputedStyle(t).fontSize)).filter(s => s < 11).length""")
            assert small == 0, f"{small} chart texts under 11 px at {width} px"
            prose = page.evaluate("""(() => { const copy = document.body.cloneNode(true);
                copy.querySelectorAll('.details, script, #vg-tooltip-element').forEach(e => e.remove());
                document.body.appendChild(copy); copy.style.display = 'none';
                const text = copy.textContent; copy.remove(); return text; })()""")
            assert not snake_case_words(prose), sorted(set(snake_case_words(prose)))
            shots[name] = tmp_path / f"{name}.png"
            height = page.evaluate("document.documentElement.scrollHeight")
            page.screenshot(shots[name], clip={"x": 0, "y": 0, "width": width,
                                               "height": min(height, 3200 if mobile else 2700)})  # fmt: skip
            if not mobile:
                # Hover the official proxy's diamond in the pay premiums chart: its tooltip gives
                # the exact value, period, publisher and vintage.
                box = page.evaluate("""(() => { const mark = document.querySelector(
                    '#chart-pay_premiums svg .mark-symbol.role-mark path');
                    mark.scrollIntoView({block: 'center'});
                    const r = mark.getBoundingClientRect();
                    return [r.x + r.width / 2, r.y + r.height / 2]; })()""")
                page.hover(*box)
                page.wait("document.querySelector('#vg-tooltip-element.visible') !== null",
                          what="a tooltip")  # fmt: skip
                tooltip = page.evaluate("document.querySelector('#vg-tooltip-element').innerText")
                for field in ("premium, %", "period", "publisher", "vintage", "May 2024",
                              "U.S. Bureau of Labor Statistics", "OEWS May 2024"):  # fmt: skip
                    assert field in tooltip, (field, tooltip)
                assert re.search(r"-?\d+\.\d{3}", tooltip), tooltip
    if os.environ.get("UPDATE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for name, shot in shots.items():
            shutil.copy(shot, SCREENSHOTS / f"{name}.png")


@needs_chromium
def test_static_images_are_made_only_on_request(published_lake: Path, tmp_path: Path) -> None:
    copy = tmp_path / "reports"
    copy.mkdir()
    shutil.copy(published_lake / "reports" / "index.html", copy / "index.html")
    assert not (copy / "images").exists()
    from labor_lake.present.images import main

    assert main([str(copy / "index.html")]) == 0
    written = sorted(p.name for p in (copy / "images").iterdir())
    assert written == sorted(f"{c}.{ext}" for c in CHARTS for ext in ("png", "svg"))
    for chart in CHARTS:
        assert (copy / "images" / f"{chart}.png").read_bytes().startswith(b"\x89PNG")
        assert "<svg" in (copy / "images" / f"{chart}.svg").read_text()[:500]
