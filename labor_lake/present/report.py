"""Charts and a self-contained HTML report that explains itself, drawn from the lake's tables.

On top, a status box: when the tables were built, the latest release, every source with the date
of its newest payload, and the ledger's counts by kind of check and status; then the pay claims in
short. Every chart is labelled in words (the subjects and measures of the registry, never metric
ids), has a legend for every colour, units on its axes, and a source line with the publisher's
licence and an "as of" date. A chart with no data
is replaced by a sentence saying why.

Each chart is written as PNG and SVG; `index.html` inlines the SVGs, so it opens with no network
(no scripts, no CDN, no external files). Charts draw a bounded number of marks whatever the size
of the tables: long daily series keep, per pixel column, only the lowest and highest point (the
line looks the same), and bar charts show at most `_MAX_ROWS` rows.
"""

from __future__ import annotations

import html
import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import matplotlib
import numpy as np
import polars as pl
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure  # no pyplot: no global figure state, no display backend
from matplotlib.ticker import MaxNLocator

from labor_lake.checks.lineage import OBSERVATION_REFERENCE_SEPARATOR
from labor_lake.pay.premiums import break_years, measure_words, premium_bound
from labor_lake.present.run_summary import CLAIM_KINDS, LEDGER_STATUSES, count_words, status_counts
from labor_lake.sources.publishers import Publishers
from schemas.vocabulary import CHECK_KINDS, CLAIM_STATUSES, RECORDED_SNAPSHOT

# Same data, same bytes: fixed SVG ids and no creation date, so an unchanged lake stays unchanged.
matplotlib.rcParams["svg.hashsalt"] = "labor-lake"
# Text stays text in SVG (searchable, and far smaller and faster than glyph outlines).
matplotlib.rcParams["svg.fonttype"] = "none"

STATUS_COLOURS = {
    "consistent": "#1a9850",
    "inconsistent": "#d73027",
    "unverifiable": "#8c8c8c",
    "conflict": "#f46d43",
}
_DPI = 96
_WIDTH_INCHES = 9
# At most this many points per series: two (low and high) per pixel column of the plot area.
_MAX_POINTS = 2 * int(_WIDTH_INCHES * _DPI)
_MAX_ROWS = 25  # bars or rows per chart; more would be unreadable anyway
_MAX_PANELS = 8
_LABEL_CHARS = 48
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
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]  # fmt: skip


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    source: str  # the source line printed under the chart
    as_of: str
    png: bytes | None = None
    svg: str | None = None
    empty_reason: str | None = None  # set instead of png/svg when there is nothing to draw


@dataclass(frozen=True)
class SourceStatus:
    source: str
    publisher: str
    state: str


@dataclass(frozen=True)
class Status:
    """What the report was built from: the status box on top of the page."""

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


def _period_words(period: str) -> str:
    """`2024-05` as `May 2024`; other periods as they are."""
    year, _, month = period.partition("-")
    if len(period) == 7 and month.isdigit() and year.isdigit():
        return f"{_MONTHS[int(month) - 1]} {year}"
    return period.split("/")[-1]


def _as_of(periods: Sequence[str]) -> str:
    return _period_words(max(periods)) if periods else "no data"


def _words(identifier: str) -> str:
    return identifier.replace("_", " ")


def _pair_label(subjects: Sequence[str], measure: str) -> str:
    text = f"{subjects[0]} vs {subjects[1]}" if len(subjects) > 1 else subjects[0]
    return textwrap.fill(f"{text}, {_words(measure)}", _LABEL_CHARS)


def _credit_for_series(series_ids: Sequence[str], publishers: Publishers) -> str:
    """Source lines for core/observations series ids (`fred:IHLIDXUS`)."""
    sources = sorted({s for s in map(publishers.source_of_series, series_ids) if s})
    return "; ".join(publishers.publisher(s).credit() for s in sources) or "Source: none"


def _render(figure: Figure) -> tuple[bytes, str]:
    png, svg = io.BytesIO(), io.StringIO()
    figure.savefig(png, format="png", dpi=_DPI, metadata={"Software": None})
    # The layout is settled by the first drawing; redoing it for the SVG would cost as much again
    # (a third of a chart's time) and move nothing.
    figure.set_layout_engine("none")
    figure.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    text = svg.getvalue()
    return png.getvalue(), text[text.index("<svg") :]


def _chart(name: str, title: str, source: str, as_of: str, figure: Figure) -> Chart:
    png, svg = _render(figure)
    return Chart(name, title, source, as_of, png, svg)


def _oews_credit(periods: Sequence[str], publishers: Publishers) -> str:
    # The span of the estimates drawn: a chart of 2014-2024 does not come from May 2024 alone.
    first, last = _period_words(min(periods)), _period_words(max(periods))
    return publishers.publisher("bls").credit(
        f"OEWS {first}" if first == last else f"OEWS {first} to {last}"
    )


def pay_premium_chart(
    claim_checks: pl.DataFrame, pay_premiums: pl.DataFrame, publishers: Publishers
) -> Chart:
    """Stated premium ranges as intervals, beside recomputed values and the newest official
    OEWS proxies."""
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
    oews = pl.col("period").str.contains(r"^\d{4}-\d{2}$").fill_null(False)
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
        return Chart("pay_premiums", title, "", "no data", empty_reason=(
            "No pay premium can be drawn: the registry has no premium claim with a stated "
            "value and no official OEWS wages are in the lake yet."))  # fmt: skip
    labels = [
        _pair_label(c["subjects"], c["measure"])
        if c["subjects"]
        else textwrap.fill(c["statement"], _LABEL_CHARS)
        for c in claims.iter_rows(named=True)
    ] + [_pair_label(p["subjects"], p["measure"]) for p in proxies.iter_rows(named=True)]
    figure = Figure(figsize=(_WIDTH_INCHES, 0.55 * max(len(labels), 3) + 1.6), layout="constrained")
    axes = figure.subplots()
    legend_done: set[str] = set()

    def once(label: str) -> str | None:
        if label in legend_done:
            return None
        legend_done.add(label)
        return label

    for row, claim in enumerate(claims.iter_rows(named=True)):
        axes.plot([claim["stated_low"], claim["stated_high"]], [row, row], color="#4575b4",
                  linewidth=8, alpha=0.4, solid_capstyle="butt", label=once("stated in the article"))  # fmt: skip
        if claim["computed_value"] is not None:
            # A claim on the article's figures is recomputed from them; an OEWS proxy of a claim
            # is computed from the official wages instead.
            marker, origin = (
                ("D", "OEWS proxy") if claim["from_oews"] else ("o", "recomputed from its figures")
            )
            axes.plot(claim["computed_value"], row, marker, markersize=7,
                      color=STATUS_COLOURS[claim["status"]],
                      label=once(f"{origin}: {claim['status']}"))  # fmt: skip
    for row, proxy in enumerate(proxies.iter_rows(named=True), start=claims.height):
        axes.plot(proxy["value"], row, "D", color="#542788",
                  label=once(f"official OEWS proxy ({_period_words(proxy['period'])})"))  # fmt: skip
    axes.set_yticks(range(len(labels)), labels, fontsize=7)
    axes.invert_yaxis()
    axes.axvline(0, color="#444444", linewidth=0.8)
    axes.set_xlabel("pay premium, % over the comparison group")
    figure.legend(loc="outside lower center", ncol=2, fontsize=7)
    as_of = _as_of([*claims["period"].drop_nulls(), *proxies["period"]])
    # OEWS periods are reference months (`2024-05`); the article's are years.
    oews_periods = [p for p in [*claims["period"].drop_nulls(), *proxies["period"]] if len(p) == 7]
    source = f"Sources: {_ARTICLE}" + (
        f"; {_oews_credit(oews_periods, publishers)}" if oews_periods else ""
    )
    return _chart("pay_premiums", title, source, as_of, figure)


def _year(period: str) -> int:
    """The year of an OEWS reference period (`2024-05`): the axis counts Mays, one a year."""
    return int(period.partition("-")[0])


def premiums_over_time_chart(pay_premiums: pl.DataFrame, publishers: Publishers) -> Chart:
    """OEWS pay premiums of occupation pairs year by year: the median premium; as bands, the
    range of the premiums at the 25th to 75th and at the 10th to 90th wage percentiles (the
    premium at one percentile need not lie between those at others, so a band spans all of
    them); the mean dashed; years whose series crosses a SOC code break marked, and years with
    no OEWS file said so."""
    title = "Pay premiums over time, by wage percentile (OEWS)"
    rows = pay_premiums.filter(
        (pl.col("formula") == "premium_pct")
        & pl.col("period").str.contains(r"^\d{4}-\d{2}$")
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
        return Chart("premiums_over_time", title, "", "no data", empty_reason=(
            "No premium series over time yet: the lake has OEWS pay premiums for fewer than "
            "two years."))  # fmt: skip
    figure = Figure(figsize=(_WIDTH_INCHES, 2.6 * len(pairs) + 0.8), layout="constrained")
    panels = figure.subplots(len(pairs), 1, squeeze=False)[:, 0]
    for axes, pair in zip(panels, pairs, strict=True):
        series = rows.filter(pl.col("pair") == pair)
        wide = {
            measure: dict(zip(map(_year, group["period"]), group["value"], strict=True))
            for (measure,), group in series.sort("period").group_by("measure", maintain_order=True)
        }
        held = {y for values in wide.values() for y in values}
        # Every year between the first and the last: a year OEWS has no file for here is a gap in
        # the lines, not a straight line drawn across it.
        years = list(range(min(held), max(held) + 1))

        def line(measure: str, years: list[float] = years, wide: dict = wide) -> list[float]:
            return [wide.get(measure, {}).get(y, np.nan) for y in years]

        def spread(measures: list[str]) -> tuple[np.ndarray, np.ndarray]:
            # fmin/fmax skip a missing percentile, and leave a year with none missing (a gap).
            values = np.array([line(m) for m in measures])
            return np.fmin.reduce(values, axis=0), np.fmax.reduce(values, axis=0)

        percentiles = list(_PERCENTILES)
        for inner, colour, label in ((slice(None), "#9ecae1", "10th-90th"),
                                     (slice(1, -1), "#4292c6", "25th-75th")):  # fmt: skip
            if set(percentiles[inner]) <= wide.keys():
                axes.fill_between(years, *spread(percentiles[inner]), color=colour, alpha=0.5,
                                  label=f"premium range, {label} percentile")  # fmt: skip
        if "median_annual_wage" in wide:
            axes.plot(years, line("median_annual_wage"), "o-", color="#08306b", label="median")
        if "mean_annual_wage" in wide:
            axes.plot(years, line("mean_annual_wage"), "--", color="#6a51a3", label="mean")
        breaks = sorted({year for flags in series["flags"] for year in break_years(flags)} & held)
        for number, year in enumerate(breaks):
            axes.axvline(year, color="#d95f0e", linestyle=":", linewidth=1.2,
                         label="series crosses a SOC code break" if number == 0 else None)  # fmt: skip
        axes.axhline(0, color="#444444", linewidth=0.8)
        for year in sorted(set(years) - held):
            axes.annotate("no OEWS file", (year, 0), xytext=(0, 4), textcoords="offset points",
                          ha="center", fontsize=7, color="#555555")  # fmt: skip
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.ticklabel_format(axis="x", useOffset=False, style="plain")
        axes.set_title(textwrap.fill(pair, 90), fontsize=9)
        axes.set_ylabel("premium, %")
    # One legend for every panel (the marks mean the same in each): a legend per panel repeated
    # the same five entries and cost a third of the report's drawing time.
    handles: dict[str, object] = {}
    for axes in panels:
        for handle, label in zip(*axes.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    figure.legend(handles.values(), handles.keys(), loc="outside upper center",
                  ncol=len(handles), fontsize=7)  # fmt: skip
    panels[-1].set_xlabel("OEWS reference year (May)")
    return _chart("premiums_over_time", title, _oews_credit(rows["period"].to_list(), publishers),
                  _as_of(rows["period"].to_list()), figure)  # fmt: skip


def _window(period: str) -> tuple[date, date] | None:
    """The days of a `start/end` period of two ISO dates; None for coarser periods."""
    try:
        start, end = (date.fromisoformat(part) for part in period.split("/"))
    except ValueError:
        return None
    return start, end


def thin(days: np.ndarray, values: np.ndarray, max_points: int = _MAX_POINTS) -> np.ndarray:
    """Indices of the points to draw: all of them if few, else in each of `max_points / 2`
    buckets of the x range the lowest and the highest, in x order (the drawn line is the same at
    one bucket per pixel column)."""
    if len(days) <= max_points:
        return np.arange(len(days))
    order = np.argsort(days, kind="stable")
    buckets = np.array_split(order, max_points // 2)
    keep = [
        i for b in buckets if len(b) for i in (b[np.argmin(values[b])], b[np.argmax(values[b])])
    ]
    return np.array(sorted(set(keep), key=lambda i: (days[i], i)))


def postings_chart(
    growth_rates: pl.DataFrame, postings_divergence: pl.DataFrame, publishers: Publishers
) -> Chart:
    """Growth since the window start of the AI share of postings and of software-development
    postings over time; divergence windows shaded. A series that stops before the others says
    its last day in the legend, so the chart's "as of" is not read as every series'."""
    title = "AI share of postings vs software-development postings, % change since window start"
    series = (
        growth_rates.filter(pl.col("flags").list.len() > 0)
        .with_columns(
            series=pl.col("inputs")
            .list.first()
            .str.split(OBSERVATION_REFERENCE_SEPARATOR)
            .list.first(),
            end=pl.col("period").str.split("/").list.last().str.to_date(strict=False),
        )
        .filter(pl.col("end").is_not_null())
    )
    if series.height == 0:
        return Chart("postings", title, "", "no data", empty_reason=(
            "No postings series in the lake yet: the AI share of postings and software-"
            "development postings have not been fetched (see the sources in the status box)"))  # fmt: skip
    figure = Figure(figsize=(_WIDTH_INCHES, 4), layout="constrained")
    axes = figure.subplots()
    series = series.with_columns(subject=pl.col("subjects").list.first())
    shared = set(series.group_by("subject").agg(pl.col("series").n_unique().alias("n")).filter(
        pl.col("n") > 1)["subject"])  # fmt: skip
    newest = series["end"].max()
    for (series_id, subject), group in series.sort("end").group_by(
        "series", "subject", maintain_order=True
    ):
        source = publishers.source_of_series(series_id)
        label = (
            f"{subject} ({publishers.publisher(source).short_name})"
            if subject in shared and source
            else subject
        )
        if group["end"].max() < newest:
            label += f", last day {group['end'].max():%Y-%m-%d}"
        days = group["end"].to_numpy()
        values = group["value"].to_numpy()
        keep = thin(days.astype("datetime64[D]").astype(np.int64), values)
        axes.plot(days[keep], values[keep], linewidth=1.1, label=label)
    windows = list(filter(None, map(_window, postings_divergence["period"])))[:_MAX_ROWS]
    for number, window in enumerate(windows):
        axes.axvspan(*window, color="#fee08b", alpha=0.35,
                     label="window compared in the ledger" if number == 0 else None)  # fmt: skip
    axes.axhline(0, color="#444444", linewidth=0.8)
    axes.set_ylabel("% change since window start")
    locator = AutoDateLocator()
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # no overlapping dates
    axes.set_xlabel("date (daily series)")
    axes.legend(fontsize=7)
    as_of = series["end"].max().isoformat()
    return _chart("postings", title, _credit_for_series(series["series"].to_list(), publishers),
                  as_of, figure)  # fmt: skip


def unemployment_chart(unemployment_gaps: pl.DataFrame, published_figures: pl.DataFrame) -> Chart:
    """Each occupation's unemployment rate beside its group's rate (the gap is the distance)."""
    title = "Unemployment rate of each occupation beside its group's rate"
    value_of = dict(published_figures.select("figure_id", "value").drop_nulls().iter_rows())
    gaps = (
        unemployment_gaps.filter(
            pl.col("inputs").list.eval(pl.element().is_in(list(value_of))).list.all()
        )
        .sort("value")
        .head(_MAX_ROWS)
    )
    if gaps.height == 0:
        return Chart("unemployment", title, "", "no data", empty_reason=(
            "No unemployment rates to compare: the registry has no pair of rates for the same "
            "period."))  # fmt: skip
    figure = Figure(figsize=(_WIDTH_INCHES, 0.55 * max(gaps.height, 2) + 1.4), layout="constrained")
    axes = figure.subplots()
    for row, gap in enumerate(gaps.iter_rows(named=True)):
        own, group = (value_of[i] for i in gap["inputs"][:2])
        axes.plot([group, own], [row, row], color="#bbbbbb", linewidth=2, zorder=1)
        axes.plot(group, row, "o", markerfacecolor="white", markeredgecolor="#444444",
                  label="the group's rate" if row == 0 else None, zorder=2)  # fmt: skip
        axes.plot(own, row, "o", color="#d73027" if own > group else "#4575b4", zorder=3,
                  label=None)  # fmt: skip
        axes.annotate(f"{gap['value']:+.1f} pt", (own, row), xytext=(6, 6),
                      textcoords="offset points", fontsize=7)  # fmt: skip
    axes.plot([], [], "o", color="#4575b4", label="occupation below its group")
    axes.plot([], [], "o", color="#d73027", label="occupation above its group")
    axes.set_yticks(range(gaps.height),
                    [textwrap.fill(f"{s[0]} (group: {s[1]})", _LABEL_CHARS) for s in gaps["subjects"]],
                    fontsize=7)  # fmt: skip
    axes.invert_yaxis()
    axes.set_xlabel("unemployment rate, %")
    axes.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3)
    as_of = _as_of(gaps["period"].to_list())
    return _chart("unemployment", title, f"Sources: {_ARTICLE}", as_of, figure)


def ledger_chart(claim_checks: pl.DataFrame) -> Chart:
    """Each kind of check in the ledger as one bar of 100%, split by status and labelled with
    counts: the article's dozen claims stay as readable as the hundred OEWS proxy rows."""
    title = "Claim ledger: checks by kind and status"
    counts = status_counts(claim_checks)
    kinds = [kind for kind in CHECK_KINDS if any(counts[kind].values())]
    if not kinds:
        return Chart("claim_ledger", title, "", "no data", empty_reason=(
            "The ledger is empty: the registry has no claims and no published figures yet."))  # fmt: skip
    totals = np.array([sum(counts[kind].values()) for kind in kinds])
    figure = Figure(figsize=(_WIDTH_INCHES, 0.5 * max(len(kinds), 2) + 1.4), layout="constrained")
    axes = figure.subplots()
    left = np.zeros(len(kinds))
    for status in LEDGER_STATUSES:
        found = np.array([counts[kind][status] for kind in kinds])
        if not found.any():
            continue
        shares = 100 * found / np.maximum(totals, 1)
        bars = axes.barh(range(len(kinds)), shares, left=left, color=STATUS_COLOURS[status],
                         label=status)  # fmt: skip
        # A count is written inside its segment where the segment is wide enough to hold it.
        axes.bar_label(bars, labels=[str(n) if share >= 3 else "" for n, share in zip(found, shares, strict=True)],
                       label_type="center", color="white", fontsize=8)  # fmt: skip
        left += shares
    for row, total in enumerate(totals):
        axes.annotate(_count(int(total), "row"), (100, row), xytext=(4, 0),
                      textcoords="offset points", va="center", fontsize=8)  # fmt: skip
    axes.set_yticks(range(len(kinds)), [textwrap.fill(CHECK_KINDS[k].label, 30) for k in kinds],
                    fontsize=8)  # fmt: skip
    axes.invert_yaxis()
    axes.set_xlim(0, 112)
    axes.set_xticks(range(0, 101, 25))
    axes.set_xlabel("share of each kind's rows, % (numbers inside: rows)")
    figure.legend(loc="outside lower center", ncol=len(LEDGER_STATUSES), fontsize=7)
    return _chart("claim_ledger", title,
                  f"Sources: {_ARTICLE}; official series as in the status box", "this build",
                  figure)  # fmt: skip


def charts(frames: dict[str, pl.DataFrame], publishers: Publishers) -> list[Chart]:
    """All charts, from the metrics tables and core/published_figures (keyed by table name),
    each credited to the publishers of the catalog in use."""
    return [
        pay_premium_chart(frames["claim_checks"], frames["pay_premiums"], publishers),
        premiums_over_time_chart(frames["pay_premiums"], publishers),
        postings_chart(frames["growth_rates"], frames["postings_divergence"], publishers),
        unemployment_chart(frames["unemployment_gaps"], frames["published_figures"]),
        ledger_chart(frames["claim_checks"]),
    ]


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


def _findings(claim_checks: pl.DataFrame) -> str:
    """The pay claims, one line each, ahead of the charts: the article's premium claims as
    recomputed from its own figures, then the same claim on official OEWS proxy occupations."""
    pay = claim_checks.filter(
        (pl.col("formula") == "premium_pct") & pl.col("kind").is_in(CLAIM_KINDS)
    ).sort("kind", "claim_id")
    if pay.height == 0:
        return ""
    items = "".join(
        f"<li>{_chip(c['status'], c['status'])} {html.escape(c['statement'])} "
        + (
            f"<b>{c['computed_value']:.1f}%</b>"
            if c["computed_value"] is not None
            else "<b>not computed</b>"
        )
        + (
            f" against the stated {c['stated_low']:g}-{c['stated_high']:g}%"
            if c["stated_low"] is not None and c["stated_high"] is not None
            else ""
        )
        + f". <small>{html.escape(c['explanation'])}</small></li>"
        for c in pay.iter_rows(named=True)
    )
    return f'<section id="findings"><h2>The pay claims, in short</h2><ul>{items}</ul></section>'


def _section(chart: Chart) -> str:
    body = (
        chart.svg
        if chart.svg is not None
        else f'<p class="empty">{html.escape(chart.empty_reason or "")}</p>'
    )
    source = (
        f'<p class="source">{html.escape(chart.source)}. As of {html.escape(chart.as_of)}.</p>'
        if chart.svg is not None
        else ""
    )
    return f'<section class="chart" id="{chart.name}"><h2>{html.escape(chart.title)}</h2>{body}{source}</section>'


def _chip(status: str, text: str) -> str:
    return (
        f'<span class="chip" style="background:{STATUS_COLOURS[status]}">{html.escape(text)}</span>'
    )


def _ledger_table(rows: pl.DataFrame) -> str:
    """Claim, status and reason, one table row per ledger row."""
    body = "\n".join(
        f"<tr><td>{html.escape(c['statement'])}<br><small>{html.escape(c['claim_id'])}</small></td>"
        f'<td style="background:{STATUS_COLOURS[c["status"]]};color:white">{c["status"]}</td>'
        f"<td>{html.escape(c['explanation'])}</td></tr>"
        for c in rows.sort("status", "claim_id").iter_rows(named=True)
    )
    return (
        "<table><thead><tr><th>claim</th><th>status</th><th>why</th></tr></thead>"
        f"<tbody>\n{body}\n</tbody></table>"
    )


def _proxy_cell(row: dict) -> str:
    colour = STATUS_COLOURS[row["status"]]
    sign = _BOUND_SIGNS.get(premium_bound(row["flags"]) or "", "")
    return (
        f'<td class="cell" style="background:{colour}40;border-left:4px solid {colour}" '
        f'title="{html.escape(row["explanation"])}">{sign}{row["computed_value"]:.1f}%</td>'
    )


def _proxy_tables(claim_checks: pl.DataFrame, pay_premiums: pl.DataFrame) -> str:
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
            years.setdefault(row["period"], {})[row["measure"]] = _proxy_cell(row)
        body = "\n".join(
            f'<tr><th colspan="{len(_STATISTICS) + 1}" class="codes">{html.escape(pair)}</th></tr>'
            + "".join(
                f"<tr><td>{html.escape(_period_words(period))}</td>"
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
            f"<small>{html.escape(about)}</small>"
            if claim
            else html.escape(str(about))
        )
        tables.append(
            f"<h4>{title}</h4>"
            f"<p>{count_words(dict(group['status'].value_counts().iter_rows()))} of "
            f"{group.height} premiums (% over the comparison group) against the stated "
            f"{group['stated_low'][0]:g}-{group['stated_high'][0]:g}%; &ge; marks a lower bound "
            "and &le; an upper bound (a wage top-coded by BLS).</p>"
            f'<table class="matrix"><thead><tr><th>OEWS estimates</th>{header}</tr></thead>'
            f"<tbody>\n{body}\n</tbody></table>"
            + (
                "<p><small>Series breaks, not bridged: "
                + "; ".join(html.escape(b) for b in breaks)
                + ".</small></p>"
                if breaks
                else ""
            )
        )
    return "\n".join(tables)


def html_report(
    rendered: list[Chart], claim_checks: pl.DataFrame, pay_premiums: pl.DataFrame, status: Status
) -> str:
    """One self-contained page: the status box, inline SVG charts and the ledger, kind by kind."""
    ledger = []
    for kind, meaning in CHECK_KINDS.items():
        rows = claim_checks.filter(pl.col("kind") == kind)
        if rows.height == 0:
            continue
        body = (
            _proxy_tables(claim_checks, pay_premiums)
            if kind == "oews_proxy_by_year"
            else _ledger_table(rows)
        )
        ledger.append(
            f'<h3 id="ledger-{kind}">{html.escape(meaning.label[0].upper() + meaning.label[1:])} '
            f"({rows.height})</h3><p>{html.escape(meaning.description)}</p>{body}"
        )
    meanings = "".join(
        f"<li>{_chip(s, s)} {html.escape(text)}</li>" for s, text in CLAIM_STATUSES.items()
    )
    sections = "\n".join(map(_section, rendered))
    ledger_html = "\n".join(ledger)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>labor-lake report</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto;color:#222}}svg{{max-width:100%;height:auto}}
.status{{border:2px solid #444;border-radius:6px;padding:.5rem 1rem;background:#f7f7f7}}
.chip{{color:white;padding:.1rem .4rem;border-radius:3px;white-space:nowrap}}
.source{{font-size:.8rem;color:#555;margin-top:0}} .empty{{font-style:italic;color:#555}}
table{{border-collapse:collapse;font-size:.8rem}}td,th{{border:1px solid #ddd;padding:.2rem .4rem;vertical-align:top}}
.matrix td.cell{{text-align:right;white-space:nowrap}}
.matrix th.codes{{text-align:left;font-weight:normal;background:#f3f3f3}}</style>
</head><body>
<h1>labor-lake: claims about the tech labor market, checked</h1>
{_status_box(status)}
{_findings(claim_checks)}
<p>Drawn from the lake's metrics tables; every number traces to a row of its core tables.</p>
{sections}
<h2>Claim ledger: every check, with the reason for its status</h2>
<ul>{meanings}</ul>
{ledger_html}
</body></html>
"""
