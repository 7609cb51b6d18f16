"""A self-contained HTML report that leads with its finding, drawn from the lake's tables.

On top, the verdict per article in a sentence or two built from the ledger (what the article
says, what its own figures give, what official data give, with the numbers); then a status box
(when the tables were built, the latest release, every source with the date of its newest
payload, the ledger's counts); then the charts, and every check with its reason.

Charts are Vega-Lite specifications with their data inline, drawn by the reader's browser with
the vendored vega libraries (labor_lake.present.vega): a tooltip gives each point's exact value,
period, series, publisher and vintage; long daily series zoom and pan; the embed menu downloads
PNG or SVG. Every chart is labelled in words (the subjects and measures of the registry, never
ids), has a legend for every colour, units on its axes, and a source line with the publisher's
licence and an "as of" date. A chart with no data is replaced by a sentence saying why. Nothing
here draws an image: static copies are made on request (labor_lake.present.images).
"""

from __future__ import annotations

import html
import json
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

import polars as pl

from labor_lake.checks.lineage import OBSERVATION_REFERENCE_SEPARATOR
from labor_lake.lake.bitemporal import in_force
from labor_lake.pay.premiums import break_years, premium_bound
from labor_lake.present.run_summary import LEDGER_STATUSES, count_words, status_counts
from labor_lake.present.vega import CONFIG, EMBED_SCRIPT, SCHEMA_URL, libraries, spec_json, versions
from labor_lake.present.words import (
    MONTHS,
    UNIT_WORDS,
    Reader,
    amount,
    measure_words,
    period_words,
)
from labor_lake.registry.articles import article_id_of
from labor_lake.sources.publishers import Publishers
from schemas.tables import ARTICLE_DOCUMENT_PREFIX
from schemas.vocabulary import CHECK_KINDS, CLAIM_STATUSES, READINGS, RECORDED_SNAPSHOT

__all__ = ["Chart", "SourceStatus", "Status", "charts", "html_report", "status_counts"]

STATUS_COLOURS = {
    "consistent": "#1a9850",
    "inconsistent": "#d73027",
    "unverifiable": "#8c8c8c",
    "conflict": "#f46d43",
}
# At most this many points per daily series, so the page stays small whatever the table size:
# past it, each of half as many spans of days keeps its lowest and highest point.
MAX_POINTS = 4000
_MAX_ROWS = 25  # bars or rows per chart; more would be unreadable anyway
_MAX_PANELS = 8
_LABEL_CHARS = 30  # a y-axis label's line, so that labels and plot share a 390 px screen
_ARTICLE = "figures quoted in the seed article and its sources (see the ledger below)"
_PERCENTILES = {
    "annual_wage_p10": 10,
    "annual_wage_p25": 25,
    "median_annual_wage": 50,
    "annual_wage_p75": 75,
    "annual_wage_p90": 90,
}
# The columns of the OEWS proxy tables: the percentiles in order, then the mean.
_STATISTICS = (*_PERCENTILES, "mean_annual_wage")
_BOUND_SIGNS = {"lower": "&ge;", "upper": "&le;"}
_OEWS_PERIOD = r"^\d{4}-\d{2}$"
_SOC_VERSION = re.compile(r", SOC \d{4}\)")
_BLS = "bls"
# Series colours that are none of the statuses' (no red or green beside a status mark).
_SERIES_COLOURS = ["#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#17becf", "#e377c2", "#7f7f7f",
                   "#bcbd22"]  # fmt: skip
_ZOOM_HINT = "Scroll or pinch to zoom, drag to pan, double-click to reset."


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    finding: str  # one line with the numbers: what the chart shows
    source: str  # the source line printed under the chart
    as_of: str
    spec: dict | None = None  # a Vega-Lite specification with its data
    empty_reason: str | None = None  # set instead of spec when there is nothing to draw
    hint: str = ""  # how to use the chart (zoom), where it can be used


@dataclass(frozen=True)
class SourceStatus:
    source: str
    publisher: str
    state: str


@dataclass(frozen=True)
class Status:
    """What the report was built from: the status box under the verdicts."""

    built_at: str
    release: str | None
    sources: list[SourceStatus]
    counts: dict[str, dict[str, int]]  # ledger rows by kind, then status


def source_statuses(
    manifests: dict[str, pl.DataFrame], publishers: Publishers
) -> list[SourceStatus]:
    """Each source (keyed like core/observations' `source`) with where its datasets' current
    vintages come from, from its raw payload manifest: fetched (and the newest fetch), or a
    recorded snapshot (not fetched; and the oldest recording, so an old one is not hidden)."""
    statuses = []
    for source, manifest in manifests.items():
        name = publishers.publisher(source).name
        if manifest.height == 0:
            state = "no payload yet: never fetched (offline, or the source was unreachable)"
        else:
            # The current vintage of each dataset is its newest manifest row.
            current = manifest.sort("fetched_at").group_by("dataset").last()
            recorded = current.filter(pl.col("origin") == RECORDED_SNAPSHOT)
            fetched = current.filter(pl.col("origin") != RECORDED_SNAPSHOT)
            parts = []
            if fetched.height:
                parts.append(
                    f"{_count(fetched.height, 'dataset')} fetched, the newest "
                    f"{fetched['fetched_at'].max():%Y-%m-%d %H:%M} UTC"
                )
            if recorded.height:
                parts.append(
                    f"{_count(recorded.height, 'dataset')} not fetched: from the recorded "
                    f"snapshots, the oldest recorded {recorded['fetched_at'].min():%Y-%m-%d}"
                )
            state = "; ".join(parts)
        statuses.append(SourceStatus(source, name, state))
    return statuses


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def _as_of(periods: Sequence[str]) -> str:
    return period_words(max(periods)) if periods else "no data"


def _wrap(text: str, width: int = _LABEL_CHARS, lines: int | None = None) -> str:
    """Lines of a label, joined by newlines: axis and header labels split them (`_SPLIT`); at
    most `lines` of them (the tooltip says it all)."""
    return "\n".join(textwrap.wrap(text, width, max_lines=lines, placeholder=" …")) or text


def _present(palette: Mapping[str, str], present: set[str]) -> tuple[list[str], list[str]]:
    """A colour scale's domain and range: only the entries drawn, so the legend lists no more."""
    kept = [name for name in palette if name in present]
    return kept, [palette[name] for name in kept]


_SPLIT = "split(datum.label, '\\n')"  # a Vega expression: a wrapped label's lines


def _short_subject(subject: str) -> str:
    """`Data Scientists (SOC 15-2051, SOC 2018)` as `Data Scientists (SOC 15-2051)`."""
    return _SOC_VERSION.sub(")", subject)


def _spec(data: list[dict], **body: object) -> dict:
    """A single-view specification, as wide as the page gives it."""
    return {
        "$schema": SCHEMA_URL,
        "config": CONFIG,
        "width": "container",
        "autosize": {"type": "fit-x", "contains": "padding"},
        "data": {"values": data},
        **body,
    }


def _colour_scale(domain: list[str], colours: list[str]) -> dict:
    return {"domain": domain, "range": colours}


def _named(name: str, field: str = "colour") -> dict:
    """A transform that names a layer's marks for its legend entry: the layer's colour is then
    a field of one scale shared by every layer (a constant colour would have no legend)."""
    return {"calculate": json.dumps(name), "as": field}


def _colour(scale: dict, field: str = "colour") -> dict:
    return {"field": field, "type": "nominal", "scale": scale, "title": None}


def _vintage(release: str | None, fetched_at: datetime | None, origin: str | None) -> str:
    """Where a value's vintage comes from: `OEWS May 2024 national estimates (oesm24nat.zip),
    recorded snapshot of 2025-08-09`, or `…, fetched 2026-12-01 06:00 UTC`."""
    if fetched_at is None:
        return release or "unknown"
    when = (
        f"recorded snapshot of {fetched_at:%Y-%m-%d}"
        if origin == RECORDED_SNAPSHOT
        else f"fetched {fetched_at:%Y-%m-%d %H:%M} UTC"
    )
    return f"{release}, {when}" if release else when


def _observation_references(observations: pl.DataFrame) -> pl.Expr:
    return pl.concat_str(
        pl.col("series_id"),
        pl.lit(OBSERVATION_REFERENCE_SEPARATOR),
        pl.col("period_start").cast(pl.String),
    )


def _vintages_of(observations: pl.DataFrame, references: Sequence[str]) -> dict[str, str]:
    """The vintage of each referenced observation (`<series_id>@<period_start>`)."""
    rows = observations.select(
        reference=_observation_references(observations),
        release="release",
        fetched="vintage_fetched_at",
        origin="vintage_origin",
    ).filter(pl.col("reference").is_in(list(set(references))))
    return dict(zip(rows["reference"].to_list(), _vintage_words(rows).to_list(), strict=True))


def _vintage_words(rows: pl.DataFrame) -> pl.Series:
    """`_vintage` of each row's `release`, `fetched` and `origin`: worded once per distinct
    vintage (a handful) rather than once per row (tens of thousands of points)."""
    vintage = ["release", "fetched", "origin"]
    distinct = rows.select(vintage).unique(maintain_order=True)
    worded = distinct.with_columns(
        words=pl.Series([_vintage(*key) for key in distinct.iter_rows()], dtype=pl.String)
    )
    return (
        rows.select(vintage)
        .join(worded, on=vintage, how="left", nulls_equal=True, maintain_order="left")
        .get_column("words")
    )


def _oews_vintages(observations: pl.DataFrame) -> dict[int, str]:
    """The vintage of each year's OEWS national file, from its observations."""
    files = (
        observations.filter(pl.col("dataset").str.starts_with("bls_oews_national_"))
        .select(
            year=pl.col("period_start").dt.year(),
            release="release",
            fetched="vintage_fetched_at",
            origin="vintage_origin",
        )
        .unique("year", keep="first", maintain_order=True)
    )
    return {y: _vintage(rel, f, o) for y, rel, f, o in files.iter_rows()}


def _oews_year(period: str) -> int:
    """The year of an OEWS reference period (`2024-05`)."""
    return int(period.partition("-")[0])


def _credit_for_series(series_ids: Sequence[str], publishers: Publishers) -> str:
    """Source lines for core/observations series ids (`fred:IHLIDXUS`)."""
    sources = sorted({s for s in map(publishers.source_of_series, series_ids) if s})
    return "; ".join(publishers.publisher(s).credit() for s in sources) or "Source: none"


def _oews_credit(periods: Sequence[str], publishers: Publishers) -> str:
    # The span of the estimates drawn: a chart of 2014-2024 does not come from May 2024 alone.
    first, last = period_words(min(periods)), period_words(max(periods))
    return publishers.publisher(_BLS).credit(
        f"OEWS {first}" if first == last else f"OEWS {first} to {last}"
    )


def _figure_publishers(published_figures: pl.DataFrame) -> dict[str, str]:
    return dict(published_figures.select("figure_id", "publisher").iter_rows())


def _publisher_of_inputs(inputs: Sequence[str], figure_publishers: Mapping[str, str]) -> str:
    names = sorted({figure_publishers[i] for i in inputs if i in figure_publishers})
    return ", ".join(names) or "not named"


def pay_premium_chart(
    claim_checks: pl.DataFrame,
    pay_premiums: pl.DataFrame,
    published_figures: pl.DataFrame,
    observations: pl.DataFrame,
    publishers: Publishers,
) -> Chart:
    """Stated premium ranges as bars, beside recomputed values and the newest official OEWS
    proxies."""
    title = "Pay premiums: what the article states, what its figures give, what OEWS shows"
    premiums = pay_premiums.filter(pl.col("formula") == "premium_pct")
    claims = (
        claim_checks.filter(
            (pl.col("formula") == "premium_pct") & pl.col("stated_low").is_not_null()
        )
        .join(
            premiums.select("metric_id", "subjects", "measure", "period"),
            on="metric_id",
            how="left",
        )
        .sort("claim_id")
    )
    # The OEWS ledger rows (every year and percentile) are drawn over time in the next chart;
    # here only their newest median stands beside the article's own claims.
    oews = pl.col("period").str.contains(_OEWS_PERIOD).fill_null(False)
    newest = claims.filter(oews)["period"].max()
    claims = claims.filter(
        ~oews | ((pl.col("period") == newest) & (pl.col("measure") == "median_annual_wage"))
    ).with_columns(from_oews=oews)
    # A registry claim on the newest OEWS medians and the ledger's own row for that year compute
    # the same premium from the same wages: draw it once (the article's own claims all stay).
    duplicate = claims.select(
        pl.col("from_oews")
        & pl.struct("period", "measure", "computed_value").is_duplicated()
        & (pl.int_range(pl.len()).over("period", "measure", "computed_value") > 0)
    ).to_series()
    claimed = set(claims["metric_id"].drop_nulls())
    claims = claims.filter(~duplicate).head(_MAX_ROWS)
    proxies = (
        premiums.filter(~pl.col("metric_id").is_in(claimed) & pl.col("flags").list.len().eq(0))
        .sort("period")
        .group_by(pl.col("subjects").list.join("|").alias("pair"), "measure", maintain_order=True)
        .last()
        .sort("metric_id")
        .head(_MAX_ROWS - claims.height)
    )
    if claims.height + proxies.height == 0:
        return Chart("pay_premiums", title, "No pay premium to draw.", "", "no data", empty_reason=(
            "No pay premium can be drawn: the registry has no premium claim with a stated "
            "value and no official OEWS wages are in the lake yet."))  # fmt: skip
    figure_publishers = _figure_publishers(published_figures)
    oews_vintages = _oews_vintages(observations)

    def label(subjects: Sequence[str] | None, measure: str | None, statement: str) -> str:
        if subjects:
            pair = " vs ".join(map(_short_subject, subjects))
            return _wrap(f"{pair}, {measure_words(measure or '')}", lines=3)
        return _wrap(statement, lines=3)

    def provenance(row: dict) -> tuple[str, str]:
        if row["period"] and re.match(_OEWS_PERIOD, row["period"]):
            vintage = oews_vintages.get(_oews_year(row["period"]), "OEWS")
            return publishers.publisher(_BLS).name, vintage
        return _publisher_of_inputs(row["inputs"], figure_publishers), "as quoted in the article"

    stated, values = [], []
    for claim in claims.iter_rows(named=True):
        row_label = label(claim["subjects"], claim["measure"], claim["statement"])
        stated.append({
            "label": row_label, "low": claim["stated_low"], "high": claim["stated_high"],
            "colour": "stated in the article", "statement": claim["statement"],
            "stated": f"{claim['stated_low']:g} to {claim['stated_high']:g}%",
        })  # fmt: skip
        if claim["computed_value"] is not None:
            publisher, vintage = provenance(claim)
            values.append({
                "label": row_label, "value": claim["computed_value"], "colour": claim["status"],
                "shape": "official OEWS proxy" if claim["from_oews"]
                else "recomputed from the article's figures",
                "statement": claim["statement"], "period": period_words(claim["period"] or ""),
                "publisher": publisher, "vintage": vintage, "id": claim["claim_id"],
            })  # fmt: skip
    for proxy in proxies.iter_rows(named=True):
        publisher, vintage = provenance(proxy)
        values.append({
            "label": label(proxy["subjects"], proxy["measure"], ""), "value": proxy["value"],
            "colour": "not a claim: for comparison", "shape": "official OEWS proxy",
            "statement": "", "period": period_words(proxy["period"]), "publisher": publisher,
            "vintage": vintage, "id": proxy["metric_id"],
        })  # fmt: skip
    palette = {"stated in the article": "#9ab8de", **STATUS_COLOURS,
               "not a claim: for comparison": "#542788"}  # fmt: skip
    present = {"stated in the article"} | {v["colour"] for v in values}
    colour = {
        "field": "colour",
        "type": "nominal",
        "title": "range stated; value by status",
        "scale": _colour_scale(*_present(palette, present)),
    }
    y = {"field": "label", "type": "nominal", "sort": None,
         "axis": {"title": None, "labelExpr": _SPLIT, "labelLimit": 220}}  # fmt: skip
    x_title = "premium over the comparison group, %"
    spec = _spec(
        [],
        height={"step": 52},
        layer=[
            {"data": {"values": stated}, "mark": {"type": "bar", "height": 14},
             "encoding": {"y": y, "x": {"field": "low", "type": "quantitative", "title": x_title},
                          "x2": {"field": "high"}, "color": colour,
                          "tooltip": [{"field": "statement", "title": "claim"},
                                      {"field": "stated", "title": "stated"}]}},
            {"data": {"values": values},
             "mark": {"type": "point", "filled": True, "size": 110, "opacity": 1},
             "encoding": {
                 "y": y, "x": {"field": "value", "type": "quantitative"}, "color": colour,
                 "shape": {"field": "shape", "type": "nominal", "title": "value",
                           "scale": _colour_scale(["recomputed from the article's figures",
                                                   "official OEWS proxy"], ["circle", "diamond"])},
                 "tooltip": [{"field": "statement", "title": "claim"},
                             {"field": "value", "title": "premium, %", "format": ",.3f"},
                             {"field": "colour", "title": "status"},
                             {"field": "shape", "title": "from"},
                             {"field": "period", "title": "period"},
                             {"field": "publisher", "title": "publisher"},
                             {"field": "vintage", "title": "vintage"},
                             {"field": "id", "title": "ledger row"}]}},
            {"mark": {"type": "rule", "color": "#444444"}, "data": {"values": [{"zero": 0}]},
             "encoding": {"x": {"field": "zero", "type": "quantitative"}}},
        ],
    )  # fmt: skip
    spec.pop("data")
    as_of = _as_of([*claims["period"].drop_nulls(), *proxies["period"]])
    # OEWS periods are reference months (`2024-05`); the article's are years.
    oews_periods = [p for p in [*claims["period"].drop_nulls(), *proxies["period"]] if len(p) == 7]
    source = f"Sources: {_ARTICLE}" + (
        f"; {_oews_credit(oews_periods, publishers)}" if oews_periods else ""
    )
    ranges = sorted({s["stated"] for s in stated})
    recomputed = [f"{v['value']:+.1f}%" for v in values if v["shape"].startswith("recomputed")]
    official = [f"{v['value']:+.1f}%" for v in values if v["shape"] == "official OEWS proxy"]
    finding = (
        f"Stated: {' and '.join(ranges) or 'no range'}"
        + (
            f"; recomputed from the article's figures: {', '.join(recomputed)}"
            if recomputed
            else ""
        )
        + (f"; official OEWS proxies: {', '.join(official)}" if official else "")
        + "."
    )
    return Chart("pay_premiums", title, finding, source, as_of, spec)


def premiums_over_time_chart(
    pay_premiums: pl.DataFrame, observations: pl.DataFrame, publishers: Publishers
) -> Chart:
    """OEWS pay premiums of occupation pairs year by year, one panel per pair on one shared
    y-scale: the median premium; as bands, the range of the premiums at the 25th to 75th and at
    the 10th to 90th wage percentiles (the premium at one percentile need not lie between those
    at others, so a band spans all of them); the mean dashed; years whose series crosses a SOC
    code break marked, and years with no OEWS file said so."""
    title = "Pay premiums over time, by wage percentile (OEWS)"
    rows = pay_premiums.filter(
        (pl.col("formula") == "premium_pct")
        & pl.col("period").str.contains(_OEWS_PERIOD)
        & pl.col("measure").is_in(_STATISTICS)
    ).with_columns(pair=pl.col("subjects").list.join(" vs "))
    pairs = (
        rows.group_by("pair")
        .agg(pl.col("period").n_unique().alias("years"))
        .filter(pl.col("years") > 1)
        .sort("pair")["pair"]
        .to_list()[:_MAX_PANELS]
    )
    if not pairs:
        return Chart("premiums_over_time", title, "No premium series over time yet.", "",
                     "no data", empty_reason=(
            "No premium series over time yet: the lake has OEWS pay premiums for fewer than "
            "two years."))  # fmt: skip
    vintages = _oews_vintages(observations)
    bls = publishers.publisher(_BLS).name
    data: list[dict] = []
    medians: list[float] = []
    for pair in pairs:
        series = rows.filter(pl.col("pair") == pair)
        panel = _wrap(" vs ".join(map(_short_subject, series["subjects"][0])), 48)
        wide: dict[int, dict[str, float]] = {}
        for period, measure, value in series.select("period", "measure", "value").iter_rows():
            wide.setdefault(_oews_year(period), {})[measure] = value
        # Every year between the first and the last: a year OEWS has no file for here is a gap
        # in the lines (a row with no values), not a straight line drawn across it.
        for year in range(min(wide), max(wide) + 1):
            held = wide.get(year, {})
            outer = [held[m] for m in _PERCENTILES if m in held]
            inner = [held[m] for m in list(_PERCENTILES)[1:-1] if m in held]
            median = held.get("median_annual_wage")
            if median is not None:
                medians.append(median)
            data.append({
                "pair": panel, "year": year, "kind": "year" if held else "no file",
                "median": median, "mean": held.get("mean_annual_wage"),
                "p10": held.get("annual_wage_p10"), "p90": held.get("annual_wage_p90"),
                "low90": min(outer) if len(outer) == len(_PERCENTILES) else None,
                "high90": max(outer) if len(outer) == len(_PERCENTILES) else None,
                "low50": min(inner) if len(inner) == 3 else None,
                "high50": max(inner) if len(inner) == 3 else None,
                "publisher": bls, "vintage": vintages.get(year, "no OEWS file"),
                "zero": 0,
            })  # fmt: skip
        for year in sorted(
            {y for flags in series["flags"] for y in break_years(flags)} & set(wide)
        ):
            data.append({"pair": panel, "year": year, "kind": "break"})
    legend = ["premium range, 10th-90th percentile", "premium range, 25th-75th percentile",
              "median", "mean (dashed)", "series crosses a SOC code break"]  # fmt: skip
    colour_scale = _colour_scale(legend, ["#c6dbef", "#6baed6", "#08306b", "#6a51a3", "#d95f0e"])
    x = {"field": "year", "type": "quantitative", "title": "OEWS reference year (May)",
         "axis": {"format": "d", "tickMinStep": 1}, "scale": {"zero": False}}  # fmt: skip
    y_title = "premium, % over the comparison group"

    def only(kind: str, name: str | None = None) -> list[dict]:
        # A year with no file is a row with no values: kept by the lines, so that they break.
        keep = "datum.kind !== 'break'" if kind == "year" else f"datum.kind === '{kind}'"
        return [{"filter": keep}] + ([_named(name)] if name else [])

    def band(low: str, high: str, name: str) -> dict:
        return {"transform": only("year", name),
                "mark": {"type": "area", "opacity": 0.8, "invalid": "break-paths-show-domains"},
                "encoding": {"x": x, "y": {"field": low, "type": "quantitative", "title": y_title},
                             "y2": {"field": high}, "color": _colour(colour_scale)}}  # fmt: skip

    tooltip = [{"field": "year", "title": "May of"},
               {"field": "median", "title": "median premium, %", "format": ",.3f"},
               {"field": "mean", "title": "mean premium, %", "format": ",.3f"},
               {"field": "p10", "title": "10th percentile, %", "format": ",.3f"},
               {"field": "p90", "title": "90th percentile, %", "format": ",.3f"},
               {"field": "pair", "title": "series"},
               {"field": "publisher", "title": "publisher"},
               {"field": "vintage", "title": "vintage"}]  # fmt: skip
    spec = {
        "$schema": SCHEMA_URL,
        "config": CONFIG,
        "data": {"values": data},
        "facet": {"field": "pair", "type": "nominal", "sort": None, "title": None,
                  "header": {"labelExpr": _SPLIT, "labelAnchor": "start", "labelAlign": "left",
                             "labelLimit": 0, "labelFontWeight": "bold"}},
        "columns": 1,
        "resolve": {"scale": {"y": "shared", "x": "independent"}},
        "spec": {
            "width": 600,
            "height": 150,
            "layer": [
                band("low90", "high90", legend[0]),
                band("low50", "high50", legend[1]),
                {"transform": only("year", legend[3]),
                 "mark": {"type": "line", "strokeDash": [5, 3], "invalid": "break-paths-show-domains"},
                 "encoding": {"x": x, "y": {"field": "mean", "type": "quantitative"},
                              "color": _colour(colour_scale)}},
                {"transform": only("year", legend[2]),
                 "mark": {"type": "line", "point": {"size": 50, "filled": True},
                          "invalid": "break-paths-show-domains"},
                 "encoding": {"x": x, "y": {"field": "median", "type": "quantitative"},
                              "color": _colour(colour_scale), "tooltip": tooltip}},
                {"transform": only("break", legend[4]),
                 "mark": {"type": "rule", "strokeDash": [2, 2], "strokeWidth": 1.5},
                 "encoding": {"x": x, "color": _colour(colour_scale)}},
                {"transform": only("year"), "mark": {"type": "rule", "color": "#444444"},
                 "encoding": {"y": {"field": "zero", "type": "quantitative"}}},
                {"transform": only("no file"),
                 "mark": {"type": "text", "text": "no OEWS file", "dy": -8, "color": "#555555"},
                 "encoding": {"x": x, "y": {"field": "zero", "type": "quantitative"}}},
            ],
        },
    }  # fmt: skip
    years = sorted({_oews_year(p) for p in rows["period"]})
    finding = (
        f"{_count(len(pairs), 'pair')} of occupations on one scale, May {years[0]} to May "
        f"{years[-1]}: median premiums from {min(medians):+.1f}% to {max(medians):+.1f}%."
    )
    return Chart("premiums_over_time", title, finding,
                 _oews_credit(rows["period"].to_list(), publishers),
                 _as_of(rows["period"].to_list()), spec)  # fmt: skip


def _window(period: str) -> tuple[date, date] | None:
    """The days of a `start/end` period of two ISO dates; None for coarser periods."""
    try:
        start, end = (date.fromisoformat(part) for part in period.split("/"))
    except ValueError:
        return None
    return start, end


def thin(series: pl.DataFrame, max_points: int = MAX_POINTS) -> pl.DataFrame:
    """A daily series (`end`, `value`) of at most `max_points` rows: all of them if few, else in
    each of `max_points / 2` equal spans of rows its lowest and highest point, in date order (a
    spike stays visible; the page stays small however long the series)."""
    if series.height <= max_points:
        return series
    buckets = max_points // 2
    ordered = series.sort("end").with_row_index("row")
    keep = (
        ordered.group_by((pl.col("row") * buckets // ordered.height).alias("bucket"))
        .agg(
            pl.col("row").get(pl.col("value").arg_min()).alias("low"),
            pl.col("row").get(pl.col("value").arg_max()).alias("high"),
        )
        .select(pl.concat_list("low", "high").explode().unique())
        .to_series()
    )
    return ordered.filter(pl.col("row").is_in(keep.implode())).drop("row")


def postings_chart(
    growth_rates: pl.DataFrame,
    postings_divergence: pl.DataFrame,
    observations: pl.DataFrame,
    publishers: Publishers,
) -> Chart:
    """Growth since the window start of the AI share of postings and of software-development
    postings over time, zoomable; divergence windows shaded. A series that stops before the
    others says its last day in the legend, so the chart's "as of" is not read as every
    series'."""
    title = "AI share of postings vs software-development postings, % change since window start"
    series = (
        growth_rates.filter(pl.col("flags").list.len() > 0)
        .with_columns(
            reference=pl.col("inputs").list.first(),
            series=pl.col("inputs")
            .list.first()
            .str.split(OBSERVATION_REFERENCE_SEPARATOR)
            .list.first(),
            end=pl.col("period").str.split("/").list.last().str.to_date(strict=False),
            start=pl.col("period").str.split("/").list.first(),
        )
        .filter(pl.col("end").is_not_null())
    )
    if series.height == 0:
        return Chart("postings", title, "No postings series in the lake yet.", "", "no data",
                     empty_reason=(
            "No postings series in the lake yet: the AI share of postings and software-"
            "development postings have not been fetched (see the sources in the status box)"))  # fmt: skip
    series = series.with_columns(subject=pl.col("subjects").list.first())
    shared = set(series.group_by("subject").agg(pl.col("series").n_unique().alias("n")).filter(
        pl.col("n") > 1)["subject"])  # fmt: skip
    newest = series["end"].max()
    data, labels, findings = [], [], []
    for (series_id, subject), group in series.sort("end").group_by(
        "series", "subject", maintain_order=True
    ):
        source = publishers.source_of_series(series_id)
        publisher = publishers.publisher(source).name if source else "not named"
        label = (
            f"{subject} ({publishers.publisher(source).short_name})"
            if subject in shared and source
            else subject
        )
        if group["end"].max() < newest:
            label += f", last day {group['end'].max():%Y-%m-%d}"
        labels.append(label)
        drawn = thin(group)
        vintages = _vintages_of(observations, drawn["reference"].to_list())
        data += [
            {"date": f"{end:%Y-%m-%d}", "value": value, "series": label, "since": start,
             "publisher": publisher, "vintage": vintages.get(reference, "unknown"),
             "id": series_id}
            for end, value, start, reference in drawn.select("end", "value", "start",
                                                              "reference").iter_rows()
        ]  # fmt: skip
        last = group.sort("end").row(-1, named=True)
        findings.append(f"{subject} {last['value']:+.1f}% from {last['start']} to {last['end']}")
    windows = [
        {"start": f"{w[0]:%Y-%m-%d}", "end": f"{w[1]:%Y-%m-%d}"}
        for w in list(filter(None, map(_window, postings_divergence["period"])))[:_MAX_ROWS]
    ]
    window_name = "window compared in the ledger"
    palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
    colour_scale = _colour_scale([*labels, window_name], [*(palette * 4)[: len(labels)], "#fee08b"])
    x = {"field": "date", "type": "temporal", "title": "date (daily series)"}
    layers: list[dict] = []
    if windows:
        layers.append({
            "data": {"values": windows}, "transform": [_named(window_name, "series")],
            "mark": {"type": "rect", "opacity": 0.5},
            "encoding": {"x": {"field": "start", "type": "temporal"}, "x2": {"field": "end"},
                         "color": _colour(colour_scale, "series")},
        })  # fmt: skip
    layers += [
        {"data": {"values": [{"zero": 0}]}, "mark": {"type": "rule", "color": "#444444"},
         "encoding": {"y": {"field": "zero", "type": "quantitative"}}},
        {"data": {"values": data},
         "params": [{"name": "zoom", "select": {"type": "interval", "encodings": ["x"]},
                     "bind": "scales"}],
         "mark": {"type": "line", "strokeWidth": 1.4, "point": "transparent"},
         "encoding": {
             "x": x,
             "y": {"field": "value", "type": "quantitative",
                   "title": "% change since window start"},
             "color": {"field": "series", "type": "nominal", "scale": colour_scale,
                       "title": None},
             "tooltip": [{"field": "date", "type": "temporal", "title": "day",
                          "format": "%Y-%m-%d"},
                         {"field": "value", "title": "% change", "format": ",.3f"},
                         {"field": "since", "title": "since"},
                         {"field": "series", "title": "series"},
                         {"field": "publisher", "title": "publisher"},
                         {"field": "vintage", "title": "vintage"},
                         {"field": "id", "title": "series id"}]}},
    ]  # fmt: skip
    spec = _spec([], height=300, layer=layers)
    spec.pop("data")
    return Chart("postings", title, "; ".join(findings) + ".",
                 _credit_for_series(series["series"].unique().sort().to_list(), publishers),
                 newest.isoformat(), spec, hint=_ZOOM_HINT)  # fmt: skip


def unemployment_chart(unemployment_gaps: pl.DataFrame, published_figures: pl.DataFrame) -> Chart:
    """Each occupation's unemployment rate beside its group's rate (the gap is the distance)."""
    title = "Unemployment rate of each occupation beside its group's rate"
    figures = {f["figure_id"]: f for f in published_figures.iter_rows(named=True)}
    gaps = (
        unemployment_gaps.filter(
            pl.col("inputs")
            .list.eval(pl.element().is_in(list(k for k, f in figures.items() if f["value"] is not None)))
            .list.all()
        )
        .sort("value")
        .head(_MAX_ROWS)
    )  # fmt: skip
    if gaps.height == 0:
        return Chart("unemployment", title, "No unemployment rates to compare.", "", "no data",
                     empty_reason=(
            "No unemployment rates to compare: the registry has no pair of rates for the same "
            "period."))  # fmt: skip
    data = []
    for gap in gaps.iter_rows(named=True):
        own, group = (figures[i] for i in gap["inputs"][:2])
        data.append({
            "label": _wrap(f"{gap['subjects'][0]} (group: {gap['subjects'][1]})"),
            "own": own["value"], "group": group["value"], "gap": gap["value"],
            "gap_text": f"{gap['value']:+.1f} pt",
            "colour": "occupation above its group" if own["value"] > group["value"]
            else "occupation below its group",
            "occupation": gap["subjects"][0], "of_group": gap["subjects"][1],
            "period": period_words(gap["period"]),
            "publisher": f"{own['publisher']}, as quoted in the article",
            "vintage": f"as printed: {own['as_printed']} and {group['as_printed']}",
        })  # fmt: skip
    y = {"field": "label", "type": "nominal", "sort": None,
         "axis": {"title": None, "labelExpr": _SPLIT, "labelLimit": 220}}  # fmt: skip
    colours = ["occupation below its group", "occupation above its group", "the group's rate"]
    colour_scale = _colour_scale(colours, ["#4575b4", "#d73027", "#444444"])
    tooltip = [{"field": "occupation", "title": "occupation"},
               {"field": "own", "title": "its rate, %", "format": ".1f"},
               {"field": "of_group", "title": "group"},
               {"field": "group", "title": "group's rate, %", "format": ".1f"},
               {"field": "gap", "title": "gap, percentage points", "format": "+.1f"},
               {"field": "period", "title": "period"},
               {"field": "publisher", "title": "publisher"},
               {"field": "vintage", "title": "vintage"}]  # fmt: skip
    spec = _spec(
        data,
        height={"step": 46},
        encoding={"y": y},
        layer=[
            {"mark": {"type": "rule", "color": "#bbbbbb", "strokeWidth": 2},
             "encoding": {"x": {"field": "group", "type": "quantitative",
                                "title": "unemployment rate, %",
                                "scale": {"zero": False, "padding": 16}},
                          "x2": {"field": "own"}}},
            {"transform": [_named("the group's rate")],
             "mark": {"type": "point", "filled": False, "strokeWidth": 2, "size": 90},
             "encoding": {"x": {"field": "group", "type": "quantitative"},
                          "color": _colour(colour_scale), "tooltip": tooltip}},
            {"mark": {"type": "point", "filled": True, "size": 90},
             "encoding": {"x": {"field": "own", "type": "quantitative"},
                          "color": {"field": "colour", "type": "nominal", "scale": colour_scale},
                          "tooltip": tooltip}},
            {"mark": {"type": "text", "dy": -12},
             "encoding": {"x": {"field": "own", "type": "quantitative"},
                          "text": {"field": "gap_text"}}},
        ],
    )  # fmt: skip
    finding = "; ".join(
        f"{d['occupation']} {d['own']:g}% against {d['group']:g}% ({d['gap_text']})" for d in data
    )
    return Chart("unemployment", title, finding + ".", f"Sources: {_ARTICLE}",
                 _as_of(gaps["period"].to_list()), spec)  # fmt: skip


def ledger_chart(claim_checks: pl.DataFrame) -> Chart:
    """Each kind of check in the ledger as one bar of 100%, split by status and labelled with
    counts: the article's dozen claims stay as readable as the hundred OEWS proxy rows."""
    title = "Claim ledger: checks by kind and status"
    counts = status_counts(claim_checks)
    kinds = [kind for kind in CHECK_KINDS if any(counts[kind].values())]
    if not kinds:
        return Chart("claim_ledger", title, "The ledger is empty.", "", "no data", empty_reason=(
            "The ledger is empty: the registry has no claims and no published figures yet."))  # fmt: skip
    data = []
    for kind in kinds:
        total = sum(counts[kind].values())
        start = 0.0
        label = _wrap(f"{CHECK_KINDS[kind].label} ({_count(total, 'row')})")
        for status in LEDGER_STATUSES:
            n = counts[kind][status]
            if not n:
                continue
            share = 100 * n / total
            # A count is written inside its segment where the segment is wide enough to hold it.
            data.append({"label": label, "status": status, "rows": n, "start": start,
                         "end": start + share, "middle": start + share / 2,
                         "text": str(n) if share >= 6 else "", "share": share})  # fmt: skip
            start += share
    y = {"field": "label", "type": "nominal", "sort": None,
         "axis": {"title": None, "labelExpr": _SPLIT, "labelLimit": 220}}  # fmt: skip
    spec = _spec(
        data,
        height={"step": 44},
        encoding={"y": y},
        layer=[
            {"mark": {"type": "bar", "height": 26},
             "encoding": {"x": {"field": "start", "type": "quantitative",
                                "title": "share of each kind's rows, %",
                                "scale": {"domain": [0, 100]}},
                          "x2": {"field": "end"},
                          "color": {"field": "status", "type": "nominal", "title": None,
                                    "scale": _colour_scale(list(STATUS_COLOURS),
                                                           list(STATUS_COLOURS.values()))},
                          "tooltip": [{"field": "label", "title": "kind"},
                                      {"field": "status", "title": "status"},
                                      {"field": "rows", "title": "rows"},
                                      {"field": "share", "title": "share, %", "format": ".1f"}]}},
            {"mark": {"type": "text", "color": "white", "fontWeight": "bold"},
             "encoding": {"x": {"field": "middle", "type": "quantitative"},
                          "text": {"field": "text"}}},
        ],
    )  # fmt: skip
    total = claim_checks.height
    by_status = dict(claim_checks["status"].value_counts().iter_rows())
    return Chart("claim_ledger", title, f"{_count(total, 'check')}: {count_words(by_status)}.",
                 f"Sources: {_ARTICLE}; official series as in the status box", "this build",
                 spec)  # fmt: skip


def checked_figures_chart(
    claim_checks: pl.DataFrame,
    published_figures: pl.DataFrame,
    observations: pl.DataFrame,
    publishers: Publishers,
    titles: Mapping[str, str] | None = None,
    observation_vintages: pl.DataFrame | None = None,
) -> Chart:
    """The official series that published figures were checked against, over all their periods,
    with each checked figure as a mark at its stated value and date, coloured by its status: a
    figure is seen beside the series it claims to quote. Where a revision since changed a
    figure's verdict, the series as published on its article's day (from `observation_vintages`,
    core/observation_vintages) is drawn dashed beside the newest, around the figure's date. One
    panel per unit."""
    title = "Published figures on the official series they were checked against"
    checked = claim_checks.filter(
        (pl.col("kind") == "figure_vs_official") & pl.col("computed_value").is_not_null()
    ).with_columns(
        figure=pl.col("inputs").list.first(),
        reference=pl.col("inputs")
        .list.eval(pl.element().filter(pl.element().str.contains(OBSERVATION_REFERENCE_SEPARATOR)))
        .list.last(),
    ).filter(pl.col("reference").is_not_null())  # fmt: skip
    if checked.height == 0:
        return Chart("checked_figures", title, "No figure has an official value to check.", "",
                     "no data", empty_reason=(
            "No published figure has been checked against an official series yet: none names "
            "one, or the series is not in the lake."))  # fmt: skip
    checked = checked.with_columns(
        series=pl.col("reference").str.split(OBSERVATION_REFERENCE_SEPARATOR).list.first(),
        day=pl.col("reference").str.split(OBSERVATION_REFERENCE_SEPARATOR).list.last(),
    )
    series_ids = checked["series"].unique().sort().to_list()
    points = observations.filter(pl.col("series_id").is_in(series_ids)).sort(
        "series_id", "period_start"
    )
    vintages = _vintages_of(
        observations,
        points.select(_observation_references(points)).to_series().to_list(),
    )
    figures = {f["figure_id"]: f for f in published_figures.iter_rows(named=True)}
    # Tens of thousands of points: their words are looked up once per distinct value, and the
    # points built from the columns, not row by row.
    columns = points.select(
        day=pl.col("period_start").dt.strftime("%Y-%m-%d"),
        value="value",
        subject="subject",
        unit="unit",
        measure="measure",
        series_id="series_id",
        reference=_observation_references(points),
    ).to_dict(as_series=False)
    series_words = {s: _short_subject(s) for s in set(columns["subject"])}
    unit_words = {u: UNIT_WORDS.get(u, u) for u in set(columns["unit"])}
    measures = {m: measure_words(m) for m in set(columns["measure"])}
    publisher_of = {
        i: publishers.publisher(source).name if source else "not named"
        for i in set(columns["series_id"])
        for source in [publishers.source_of_series(i)]
    }
    data = [
        {"kind": "series", "date": day, "value": value, "series": series_words[subject],
         "unit": unit_words[unit], "measure": measures[measure],
         "publisher": publisher_of[series_id], "vintage": vintages.get(reference, "unknown"),
         "id": series_id}
        for day, value, subject, unit, measure, series_id, reference in zip(
            *columns.values(), strict=True)
    ]  # fmt: skip
    unit_of = dict(points.select("series_id", "unit").unique("series_id").iter_rows())
    # `day` is the ISO date, as `f"{period_start}"` writes it.
    level_on = dict(
        zip(zip(columns["series_id"], columns["day"], strict=True), columns["value"], strict=True)
    )
    for c in checked.iter_rows(named=True):
        figure = figures.get(c["figure"], {})
        article = article_id_of(figure.get("source_document"))
        reading = figure.get("reading", "value")
        level = partial(
            _implied_level, reading, c["computed_value"], level_on.get((c["series"], c["day"]))
        )
        data.append({
            "kind": "stated", "date": c["day"],
            "value": level((c["stated_low"] + c["stated_high"]) / 2),
            "low": level(c["stated_low"]), "high": level(c["stated_high"]),
            "stated": (c["stated_low"] + c["stated_high"]) / 2, "status": c["status"],
            "official": c["computed_value"],
            "statement": c["statement"].removesuffix(" against its official series."),
            "unit": UNIT_WORDS.get(unit_of.get(c["series"], ""), ""),
            "publisher": figure.get("publisher") or "not named",
            "article": (titles or {}).get(article, article) if article else "not an article",
            "id": c["claim_id"],
        })  # fmt: skip
    data += _as_published_points(checked, observation_vintages, unit_of)
    x = {"field": "date", "type": "temporal", "title": "period",
         "axis": {"format": "%Y", "tickCount": "year", "labelOverlap": "greedy"}}  # fmt: skip
    y_title = "value (see the panel's unit)"
    series_only = [{"filter": "datum.kind === 'series'"}]
    stated_only = [{"filter": "datum.kind === 'stated'"}]
    status_scale = _colour_scale(*_present(STATUS_COLOURS, set(checked["status"])))
    spec = {
        "$schema": SCHEMA_URL,
        "config": CONFIG,
        "data": {"values": data},
        "facet": {"field": "unit", "type": "nominal", "title": None,
                  "header": {"labelAnchor": "start", "labelAlign": "left",
                             "labelFontWeight": "bold"}},
        "columns": 1,
        "resolve": {"scale": {"y": "independent"}},
        "spec": {
            "width": 600,
            "height": 240,
            "layer": [
                {"transform": series_only,
                 "mark": {"type": "line", "point": {"size": 40, "filled": True}},
                 "encoding": {"x": x, "y": {"field": "value", "type": "quantitative",
                                            "title": y_title, "scale": {"zero": False}},
                              "color": {"field": "series", "type": "nominal",
                                        "title": "official series",
                                        "scale": {"range": _SERIES_COLOURS}},
                              # One line per series id: a subject's wage percentiles are
                              # separate series of one colour, never joined into one line.
                              "detail": {"field": "id"},
                              "tooltip": [{"field": "series", "title": "series"},
                                          {"field": "measure", "title": "measure"},
                                          {"field": "date", "type": "temporal", "title": "period",
                                           "format": "%B %Y"},
                                          {"field": "value", "title": "value", "format": ",.2f"},
                                          {"field": "publisher", "title": "publisher"},
                                          {"field": "vintage", "title": "vintage"},
                                          {"field": "id", "title": "series id"}]}},
                {"transform": [{"filter": "datum.kind === 'as_published'"}],
                 "mark": {"type": "line", "strokeDash": [4, 3], "color": "#555"},
                 "encoding": {"x": x, "y": {"field": "value", "type": "quantitative"},
                              "detail": {"field": "id"},
                              "tooltip": [{"field": "series", "title": "series"},
                                          {"field": "date", "type": "temporal", "title": "day",
                                           "format": "%d %B %Y"},
                                          {"field": "value", "title": "value as published",
                                           "format": ",.2f"},
                                          {"field": "vintage", "title": "vintage"}]}},
                {"transform": stated_only,
                 "mark": {"type": "rule", "strokeWidth": 2},
                 "encoding": {"x": x, "y": {"field": "low", "type": "quantitative"},
                              "y2": {"field": "high"},
                              "stroke": {"field": "status", "type": "nominal",
                                         "scale": status_scale}}},
                {"transform": stated_only,
                 "mark": {"type": "point", "shape": "diamond", "size": 260, "filled": False,
                          "strokeWidth": 2.5},
                 "encoding": {"x": x, "y": {"field": "value", "type": "quantitative"},
                              "stroke": {"field": "status", "type": "nominal",
                                         "scale": status_scale,
                                         "title": "a published figure, at its stated value",
                                         # Above the plot: beside the series' legend it
                                         # would make the chart too wide for a phone.
                                         "legend": {"symbolType": "diamond", "orient": "top"}},
                              "tooltip": [{"field": "statement", "title": "figure"},
                                          {"field": "stated", "title": "stated",
                                           "format": ",.2f"},
                                          {"field": "official", "title": "official value",
                                           "format": ",.2f"},
                                          {"field": "status", "title": "status"},
                                          {"field": "date", "type": "temporal", "title": "period",
                                           "format": "%B %Y"},
                                          {"field": "publisher", "title": "publisher"},
                                          {"field": "article", "title": "in"},
                                          {"field": "id", "title": "ledger row"}]}},
            ],
        },
    }  # fmt: skip
    statuses = dict(checked["status"].value_counts().iter_rows())
    finding = (
        f"{_count(checked.height, 'published figure')} with an official value: "
        f"{count_words(statuses)}, on {len(series_ids)} official series."
    )
    return Chart("checked_figures", title, finding, _credit_for_series(series_ids, publishers),
                 period_words(points["period_start"].max().strftime("%Y-%m")), spec)  # fmt: skip


def _implied_level(
    reading: str, official: float, level: float | None, stated: float
) -> float | None:
    """Where a stated value sits on its series' own scale, at the date of the last observation
    its reading used: a level as stated; a distance from the base as 100 plus it; a change as
    the level it implies, the drawn level moved by the gap between the stated and the official
    change (so the mark's distance from the line is the gap the verdict measured)."""
    if reading == "above_base_pct":
        return 100.0 + stated
    if READINGS[reading].yields is None:
        return stated
    if level is None:
        return None
    if reading == "change_pp":
        return level + stated - official
    if reading == "ratio":
        return level * stated / official if official else None
    return level * (1 + stated / 100) / (1 + official / 100) if official != -100 else None


# Days either side of a revised figure's date drawn from the vintage of its article's day.
_AS_PUBLISHED_DAYS = 45


def _as_published_points(
    checked: pl.DataFrame, vintages: pl.DataFrame | None, unit_of: Mapping[str, str]
) -> list[dict]:
    """The series as published on each revised figure's article day, around the figure's date."""
    revised = checked.filter(pl.col("revised_since").fill_null(False))
    if vintages is None or revised.height == 0:
        return []
    # Only the revised figures' series, and only their values: a value as published on a day is
    # its own row's (its realtime span), and the points name their vintage from the ledger row,
    # so no view of the whole datasets (whose vintage of record needs every series) is built.
    series = vintages.filter(pl.col("series_id").is_in(revised["series"].unique().to_list()))
    points = []
    for c in revised.iter_rows(named=True):
        day = date.fromisoformat(c["day"])
        window = series.filter(
            (pl.col("series_id") == c["series"])
            & pl.col("period_start").is_between(
                day - timedelta(days=_AS_PUBLISHED_DAYS), day + timedelta(days=_AS_PUBLISHED_DAYS)
            )
            & in_force(c["checked_as_of"])
        )
        points += [
            {
                "kind": "as_published",
                "date": f"{o['period_start']:%Y-%m-%d}",
                "value": o["value"],
                "series": _short_subject(o["subject"]),
                "unit": UNIT_WORDS.get(unit_of.get(c["series"], ""), ""),
                "id": c["claim_id"],
                "vintage": f"as published on {c['checked_as_of']} "
                f"(the version of {c['vintage_as_of']})",
            }
            for o in window.sort("period_start").iter_rows(named=True)
        ]
    return points


def charts(
    frames: dict[str, pl.DataFrame],
    publishers: Publishers,
    titles: Mapping[str, str] | None = None,
) -> list[Chart]:
    """All charts, from the metrics tables, core/published_figures and core/observations (keyed
    by table name), each credited to the publishers of the catalog in use."""
    observations = frames["observations"]
    return [
        pay_premium_chart(frames["claim_checks"], frames["pay_premiums"],
                          frames["published_figures"], observations, publishers),
        premiums_over_time_chart(frames["pay_premiums"], observations, publishers),
        checked_figures_chart(frames["claim_checks"], frames["published_figures"], observations,
                              publishers, titles, frames.get("observation_vintages")),
        postings_chart(frames["growth_rates"], frames["postings_divergence"], observations,
                       publishers),
        unemployment_chart(frames["unemployment_gaps"], frames["published_figures"]),
        ledger_chart(frames["claim_checks"]),
    ]  # fmt: skip


# How a status reads in a verdict, of a claim recomputed from the article's own figures and of a
# figure checked against its official series.
# figure checked against its official series: (one, several).
_CLAIM_VERDICTS = {
    "consistent": ("holds", "hold"),
    "inconsistent": ("does not hold", "do not hold"),
    "unverifiable": ("cannot be checked", "cannot be checked"),
    "conflict": ("is credited to more than one source", "are credited to more than one source"),
}
_FIGURE_VERDICTS = {
    "consistent": ("matches its official series", "match their official series"),
    "inconsistent": ("differs from its official series", "differ from their official series"),
    "unverifiable": ("has no official series to check against",
                     "have no official series to check against"),
    "conflict": ("is credited to more than one source", "are credited to more than one source"),
}  # fmt: skip


def _status_phrase(counts: Mapping[str, int], verdicts: Mapping[str, tuple[str, str]]) -> str:
    parts = [f"{counts[s]} {verdicts[s][counts[s] != 1]}" for s in LEDGER_STATUSES if counts.get(s)]
    return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1] if parts else ""


def articles(published_figures: pl.DataFrame) -> list[str]:
    """The ids of the articles the figures name (`source_document` `article:<id>`)."""
    documents = published_figures["source_document"].drop_nulls().unique().sort()
    return [article for d in documents if (article := article_id_of(d)) is not None]


def article_verdict(
    article_id: str,
    claim_checks: pl.DataFrame,
    published_figures: pl.DataFrame,
    pay_premiums: pl.DataFrame,
    titles: Mapping[str, str] | None = None,
) -> tuple[str, str]:
    """An article's title (its id when `titles` has none) and its verdict in a sentence or two
    from the ledger: for each claim that official data test (the OEWS proxy claims stating the
    same range), what the article says, what its own figures give and what official data give;
    then how many of its claims hold on its own figures and how many of its figures match their
    official series."""
    title = (titles or {}).get(article_id) or f"Article {article_id}"
    own_figures = published_figures.filter(
        pl.col("source_document") == f"{ARTICLE_DOCUMENT_PREFIX}{article_id}"
    )
    figure_ids = own_figures["figure_id"].to_list()
    claims = claim_checks.filter(
        (pl.col("kind") == "article_claim")
        & pl.col("inputs").list.eval(pl.element().is_in(figure_ids)).list.any()
    ).sort("claim_id")
    proxies = claim_checks.filter(pl.col("kind") == "oews_proxy_claim").join(
        pay_premiums.select("metric_id", "subjects", "measure", "period"),
        on="metric_id",
        how="left",
    )
    measure_of = dict(pay_premiums.select("metric_id", "measure").iter_rows())
    publisher_of = _figure_publishers(published_figures)
    sentences = []
    ranges_said: set[tuple] = set()
    # One sentence per stated range: the claim recomputed from the article's figures speaks for
    # the others that quote the same range.
    stated = claims.filter(pl.col("stated_low").is_not_null()).sort(
        pl.col("computed_value").is_null(), "claim_id"
    )
    for claim in stated.iter_rows(named=True):
        said_range = (claim["formula"], claim["stated_low"], claim["stated_high"])
        if said_range in ranges_said:
            continue
        # The proxies of a claim state its range on official figures (registry/claims.csv gives
        # them its stated range, formula and unit).
        tested = proxies.filter(
            (pl.col("formula") == claim["formula"])
            & (pl.col("stated_low") == claim["stated_low"])
            & (pl.col("stated_high") == claim["stated_high"])
            & (pl.col("stated_unit") == claim["stated_unit"])
            & pl.col("computed_value").is_not_null()
        ).sort("computed_value")
        if tested.height == 0:
            continue
        ranges_said.add(said_range)
        unit = claim["stated_unit"]
        said = f"It says: “{claim['statement'].rstrip('.')}”."
        if claim["computed_value"] is not None:
            who = _publisher_of_inputs(claim["inputs"], publisher_of)
            said += f" Its own figures ({who}) give {amount(claim['computed_value'], unit, True)};"
        else:
            said += " Its own figures cannot be compared;"
        values = [
            f"{amount(p['computed_value'], unit, True)} for "
            + (" over ".join(map(_short_subject, p["subjects"])) if p["subjects"] else p["statement"])
            for p in tested.iter_rows(named=True)
        ]  # fmt: skip
        first = tested.row(0, named=True)
        official = (
            f"official OEWS {measure_words(first['measure'])}s for {period_words(first['period'])}"
            if first["measure"] and first["period"]
            else "official figures"
        )
        differs = measure_of.get(claim["metric_id"] or "") not in (None, first["measure"])
        caveat = (
            f" (a different measure: {measure_words(first['measure'])}, not "
            f"{measure_words(measure_of[claim['metric_id']])})"
            if differs and first["measure"]
            else ""
        )
        sentences.append(
            f"{said} {official} give {', '.join(values[:-1])}"
            + (" and " if len(values) > 1 else "")
            + f"{values[-1]}{caveat}, where the article says "
            f"{claim['stated_low']:g}-{claim['stated_high']:g}%."
        )
    claim_counts = dict(claims["status"].value_counts().iter_rows())
    figure_checks = claim_checks.filter(
        (pl.col("kind") == "figure_vs_official") & pl.col("inputs").list.first().is_in(figure_ids)
    )
    figure_counts = dict(figure_checks["status"].value_counts().iter_rows())
    tally = []
    if claims.height:
        tally.append(
            f"of its {_count(claims.height, 'claim')} recomputed from its own figures, "
            + _status_phrase(claim_counts, _CLAIM_VERDICTS)
        )
    if figure_checks.height:
        tally.append(
            f"of its {_count(figure_checks.height, 'figure')}, "
            + _status_phrase(figure_counts, _FIGURE_VERDICTS)
        )
    if tally:
        text = "; ".join(tally)
        sentences.append(text[0].upper() + text[1:] + ".")
    # The verdicts above are on the numbers of the article's day; say which a revision has turned.
    if turned := _revisions(figure_checks):
        changes = [
            f"{n} of those that {_PAST[then]} {(_NOW_ONE if n == 1 else _NOW)[now]}"
            for then, now, n in turned
        ]
        sentences.append(
            "Those verdicts are on the numbers of the article's day; on today's, revised since, "
            + ", ".join(changes)
            + "."
        )
    return title, " ".join(sentences) or "The ledger has no check of this article yet."


def _article_line(article: Mapping[str, Any] | None) -> str:
    """`Indeed Hiring Lab · 14 March 2024 · read the article`, from the articles registry."""
    if article is None:
        return ""
    day = article["published_on"]
    parts = [
        html.escape(article["publisher"]),
        f"{day.day} {MONTHS[day.month - 1]} {day.year}" if day else "undated",
    ]
    if article["url"]:
        parts.append(f'<a href="{html.escape(article["url"])}">read the article</a>')
    return f'<p class="byline">{" &middot; ".join(parts)}</p>'


# A figure's status against its series, said of now and of the article's day.
_NOW = {"consistent": "match", "inconsistent": "differ", "unverifiable": "cannot be checked",
        "conflict": "are credited to more than one source"}  # fmt: skip
_NOW_ONE = {"consistent": "matches", "inconsistent": "differs",
            "unverifiable": "cannot be checked", "conflict": "is credited to more than one source"}  # fmt: skip
_PAST = {"consistent": "matched", "inconsistent": "differed", "unverifiable": "could not be checked",
         "conflict": "were credited to more than one source"}  # fmt: skip


def _revisions(figure_checks: pl.DataFrame) -> list[tuple[str, str, int]]:
    """The verdicts a revision has changed since publication: (status then, status now, how
    many), the most frequent change first."""
    return (
        figure_checks.filter(pl.col("revised_since").fill_null(False))
        .group_by("status", "status_now")
        .len()
        .sort("len", "status", "status_now", descending=[True, False, False])
        .rows()
    )


def _overview(
    claim_checks: pl.DataFrame, published_figures: pl.DataFrame, article_rows: pl.DataFrame | None
) -> str:
    """The whole ledger in a few sentences above the verdicts: how many articles, how their figures
    fare against official series as published, and how many verdicts a revision has turned."""
    names = articles(published_figures)
    if not names:
        return ""
    publishers = (
        article_rows.filter(pl.col("article_id").is_in(names))["publisher"].n_unique()
        if article_rows is not None
        else 0
    )
    said = f"{_count(len(names), 'article')}" + (
        f" from {_count(publishers, 'publisher')}" if publishers else ""
    )
    figures = claim_checks.filter(pl.col("kind") == "figure_vs_official")
    counts = dict(figures["status"].value_counts().iter_rows())
    parts = [f"{counts[s]} {_PAST[s]}" for s in LEDGER_STATUSES if counts.get(s)]
    text = f"In short: {said}."
    if parts:
        text += (
            f" Of their {_count(figures.height, 'figure')} read against an official series as "
            "it was published on the article's day (as now where the article is undated), "
            + ", ".join(parts[:-1])
            + (" and " if len(parts) > 1 else "")
            + parts[-1]
            + "."
        )
    if turned := _revisions(figures):
        changes = [
            f"{n} {_PAST[then]} then and {(_NOW_ONE if n == 1 else _NOW)[now]} now"
            for then, now, n in turned
        ]
        text += (
            " Revisions published since have changed "
            f"{_count(sum(n for *_, n in turned), 'verdict')}: " + ", ".join(changes) + "."
        )
    return (
        f'<p class="overview">{html.escape(text)} Each article&rsquo;s verdict follows, newest '
        'first; then <a href="#status">the sources</a>, the charts and '
        '<a href="#ledger">every check with its reason</a>.</p>'
    )


def _verdicts(
    claim_checks: pl.DataFrame,
    published_figures: pl.DataFrame,
    pay_premiums: pl.DataFrame,
    titles: Mapping[str, str] | None,
    article_rows: pl.DataFrame | None = None,
) -> str:
    """The verdict per article, newest first (undated ones last), each with its publisher, date
    and address."""
    about = (
        {a["article_id"]: a for a in article_rows.iter_rows(named=True)}
        if article_rows is not None
        else {}
    )

    def newest_first(article: str) -> tuple[bool, int]:
        day = about.get(article, {}).get("published_on")
        return (day is None, -day.toordinal() if day else 0)

    items = []
    for article in sorted(articles(published_figures), key=newest_first):
        title, verdict = article_verdict(
            article, claim_checks, published_figures, pay_premiums, titles
        )
        items.append(
            f'<div class="verdict"><h2>{html.escape(title)}</h2>{_article_line(about.get(article))}'
            f"<p>{html.escape(verdict)}</p>"
            f'<p class="details">article id: {html.escape(article)}</p></div>'
        )
    if not items:
        items.append("<p>No article is in the registry yet: no verdict to give.</p>")
    return '<section id="verdicts">' + "\n".join(items) + "</section>"


def _status_box(status: Status) -> str:
    sources = "".join(
        f"<li><b>{html.escape(s.publisher)}</b>: {html.escape(s.state)}</li>"
        for s in status.sources
    )
    counts = (
        "".join(
            f"<li>{html.escape(kind.label)}: "
            + " ".join(_chip(s, f"{n} {s}") for s in LEDGER_STATUSES if (n := by_status.get(s, 0)))
            + "</li>"
            for name, kind in CHECK_KINDS.items()
            if any((by_status := status.counts.get(name, {})).values())
        )
        or "<li>empty: no claims or published figures yet</li>"
    )
    release = html.escape(status.release) if status.release else "none yet (run the publish job)"
    return f"""<section id="status" class="status">
<p><b>Tables built:</b> {html.escape(status.built_at)} &middot; <b>Latest release:</b> {release}</p>
<p><b>Sources</b></p><ul>{sources}</ul>
<p><b>Ledger</b></p><ul>{counts}</ul>
</section>"""


def _section(chart: Chart) -> str:
    heading = f"<h2>{html.escape(chart.title)}</h2>"
    if chart.spec is None:
        return (
            f'<section class="chart" id="{chart.name}">{heading}'
            f'<p class="empty">{html.escape(chart.empty_reason or "")}</p></section>'
        )
    hint = f' <span class="hint">{html.escape(chart.hint)}</span>' if chart.hint else ""
    return (
        f'<section class="chart" id="{chart.name}">{heading}'
        f'<p class="finding">{html.escape(chart.finding)}</p>'
        f'<div class="vega-chart" id="chart-{chart.name}" data-name="{chart.name}" '
        f'data-spec="spec-{chart.name}"></div>'
        f'<script type="application/json" id="spec-{chart.name}">{spec_json(chart.spec)}</script>'
        f'<p class="source">{html.escape(chart.source)}. As of {html.escape(chart.as_of)}.'
        f"{hint}</p></section>"
    )


def _chip(status: str, text: str) -> str:
    return (
        f'<span class="chip" style="background:{STATUS_COLOURS[status]}">{html.escape(text)}</span>'
    )


def _ledger_table(rows: pl.DataFrame, reader: Reader) -> str:
    """Claim, status and reason, one table row per ledger row; the row's id in a details line."""
    body = "\n".join(
        f"<tr><td>{html.escape(reader(c['statement']))}"
        f'<br><small class="details">{html.escape(c["claim_id"])}</small></td>'
        f'<td class="status" style="background:{STATUS_COLOURS[c["status"]]};color:white">'
        f"{c['status']}</td>"
        f"<td>{html.escape(reader(c['explanation']))}</td></tr>"
        for c in rows.sort("status", "claim_id").iter_rows(named=True)
    )
    return (
        '<div class="scroll"><table><thead><tr><th>claim</th><th>status</th><th>why</th></tr>'
        f"</thead><tbody>\n{body}\n</tbody></table></div>"
    )


def _proxy_cell(row: dict, reader: Reader) -> str:
    colour = STATUS_COLOURS[row["status"]]
    sign = _BOUND_SIGNS.get(premium_bound(row["flags"]) or "", "")
    return (
        f'<td class="cell" style="background:{colour}40;border-left:4px solid {colour}" '
        f'title="{html.escape(reader(row["explanation"]))}">{sign}{row["computed_value"]:.1f}%</td>'
    )


def _proxy_tables(claim_checks: pl.DataFrame, pay_premiums: pl.DataFrame, reader: Reader) -> str:
    """The OEWS proxy rows as one table per claim: a row per year, a column per wage statistic,
    each cell the premium tinted by its status (its reason on hover), and a new block of rows
    wherever the pair of codes changes, so a series break is never read as a line of years."""
    proxies = claim_checks.filter(pl.col("kind") == "oews_proxy_by_year").join(
        pay_premiums.select("metric_id", "period", "measure", "subjects", "flags"),
        on="metric_id",
        how="left",
    )
    claims = {c["claim_id"]: c for c in claim_checks.iter_rows(named=True)}
    header = "".join(
        f"<th>{html.escape(measure_words(m).removesuffix(' annual wage'))}</th>"
        for m in _STATISTICS
    )
    tables = []
    for (about,), group in proxies.sort("about_claim_id").group_by(
        "about_claim_id", maintain_order=True
    ):
        blocks: dict[str, dict[str, dict[str, str]]] = {}
        for row in group.sort("period", "claim_id").iter_rows(named=True):
            years = blocks.setdefault(" over ".join(row["subjects"]), {})
            years.setdefault(row["period"], {})[row["measure"]] = _proxy_cell(row, reader)
        body = "\n".join(
            f'<tr><th colspan="{len(_STATISTICS) + 1}" class="codes">{html.escape(pair)}</th></tr>'
            + "".join(
                f"<tr><td>{html.escape(period_words(period))}</td>"
                + "".join(by_measure.get(m, "<td></td>") for m in _STATISTICS)
                + "</tr>"
                for period, by_measure in years.items()
            )
            for pair, years in blocks.items()
        )
        # "series break in <year>: ..." flags, so sorting them sorts them by year.
        breaks = sorted({f for flags in group["flags"] for f in flags if break_years([f])})
        claim = claims.get(about)
        title = (
            f"{html.escape(claim['statement'])} {_chip(claim['status'], claim['status'])} "
            f'<small class="details">{html.escape(about)}</small>'
            if claim
            else f'<small class="details">{html.escape(str(about))}</small>'
        )
        tables.append(
            f"<h4>{title}</h4>"
            f"<p>{count_words(dict(group['status'].value_counts().iter_rows()))} of "
            f"{group.height} premiums (% over the comparison group) against the stated "
            f"{group['stated_low'][0]:g}-{group['stated_high'][0]:g}%; &ge; marks a lower bound "
            "and &le; an upper bound (a wage top-coded by BLS).</p>"
            f'<div class="scroll"><table class="matrix"><thead><tr><th>OEWS estimates</th>'
            f"{header}</tr></thead><tbody>\n{body}\n</tbody></table></div>"
            + (
                "<p><small>Series breaks, not bridged: "
                + "; ".join(html.escape(b) for b in breaks)
                + ".</small></p>"
                if breaks
                else ""
            )
        )
    return "\n".join(tables)


_STYLE = """
*{box-sizing:border-box}
body{font-family:Helvetica,Arial,sans-serif;max-width:62rem;margin:0 auto;padding:1rem;color:#222;
line-height:1.45;overflow-wrap:anywhere}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}
.verdict{border-left:6px solid #08306b;padding:.2rem 1rem;margin:1rem 0;background:#f3f6fb}
.verdict h2{margin:.5rem 0 .2rem}.verdict p{font-size:1.05rem;margin:.4rem 0}
.verdict p.byline{font-size:.9rem;color:#444;margin:.1rem 0 .4rem}
.status{border:2px solid #444;border-radius:6px;padding:.5rem 1rem;background:#f7f7f7}
.chip{color:white;padding:.1rem .4rem;border-radius:3px;white-space:nowrap}
.finding{font-weight:bold;margin:.2rem 0 .6rem}
.overview{font-size:1.1rem}
.vega-chart{width:100%;min-height:120px}
.source{font-size:.8rem;color:#555;margin-top:.2rem}.hint{font-style:italic}
.empty{font-style:italic;color:#555}
.details{color:#777;font-size:.75rem}
.scroll{overflow-x:auto;max-width:100%}
.scroll table{min-width:34rem}
table{border-collapse:collapse;font-size:.8rem}
td,th{border:1px solid #ddd;padding:.2rem .4rem;vertical-align:top;overflow-wrap:normal}
td.status{white-space:nowrap}
.matrix td.cell{text-align:right;white-space:nowrap}
.matrix th.codes{text-align:left;font-weight:normal;background:#f3f3f3}
#vg-tooltip-element{font-size:12px;max-width:340px}
"""


def html_report(
    rendered: list[Chart],
    claim_checks: pl.DataFrame,
    pay_premiums: pl.DataFrame,
    status: Status,
    published_figures: pl.DataFrame,
    reader: Reader,
    titles: Mapping[str, str] | None = None,
    article_rows: pl.DataFrame | None = None,
) -> str:
    """One self-contained page: the verdict per article (with its publisher, date and address
    from `article_rows`, core/articles), the status box, the charts (drawn by
    the browser from inline specifications and libraries) and the ledger, kind by kind."""
    ledger = []
    for kind, meaning in CHECK_KINDS.items():
        rows = claim_checks.filter(pl.col("kind") == kind)
        if rows.height == 0:
            continue
        body = (
            _proxy_tables(claim_checks, pay_premiums, reader)
            if kind == "oews_proxy_by_year"
            else _ledger_table(rows, reader)
        )
        ledger.append(
            f'<h3 id="ledger-{kind}">{html.escape(meaning.label[0].upper() + meaning.label[1:])} '
            f"({rows.height})</h3><p>{html.escape(reader(meaning.description))}</p>{body}"
        )
    meanings = "".join(
        f"<li>{_chip(s, s)} {html.escape(text)}</li>" for s, text in CLAIM_STATUSES.items()
    )
    sections = "\n".join(map(_section, rendered))
    ledger_html = "\n".join(ledger)
    drawn = any(chart.spec is not None for chart in rendered)
    scripts = f"<script>{libraries()}</script>\n<script>{EMBED_SCRIPT}</script>" if drawn else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>labor-lake report</title>
<style>{_STYLE}</style>
</head><body>
<h1>labor-lake: claims about the tech labor market, checked</h1>
{_overview(claim_checks, published_figures, article_rows)}
{_verdicts(claim_checks, published_figures, pay_premiums, titles, article_rows)}
{_status_box(status)}
<p>Drawn from the lake's metrics tables; every number traces to a row of its core tables. Hover
or tap a point for its exact value, period, publisher and vintage; each chart's menu (&hellip;)
downloads it as PNG or SVG.</p>
<noscript><p class="empty">The charts are drawn by JavaScript in this page (nothing is loaded
from the network); with scripts off only the text and tables show.</p></noscript>
{sections}
<h2 id="ledger">Claim ledger: every check, with the reason for its status</h2>
<ul>{meanings}</ul>
{ledger_html}
<p class="details">Charts drawn with {html.escape(versions())} (BSD-3-Clause), inlined.</p>
{scripts}
</body></html>
"""
