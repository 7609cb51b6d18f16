"""Charts and a self-contained HTML report, drawn from the metrics tables only.

Each chart is written as PNG and SVG; `index.html` inlines the SVGs and the claim ledger, so it
opens with no network (no scripts, no CDN, no external files).
"""

from __future__ import annotations

import html
import io
from dataclasses import dataclass
from datetime import date

import matplotlib
import polars as pl
from matplotlib.figure import Figure  # no pyplot: no global figure state, no display backend

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


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    png: bytes
    svg: str


def _render(name: str, title: str, figure: Figure) -> Chart:
    png, svg = io.BytesIO(), io.StringIO()
    figure.savefig(png, format="png", dpi=_DPI, metadata={"Software": None})
    figure.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    text = svg.getvalue()
    return Chart(name, title, png.getvalue(), text[text.index("<svg") :])


def pay_premium_chart(claim_checks: pl.DataFrame, pay_premiums: pl.DataFrame) -> Chart:
    """Stated premium ranges as intervals, beside recomputed values and official proxies."""
    claims = claim_checks.filter(
        (pl.col("formula") == "premium_pct") & pl.col("stated_low").is_not_null()
    )
    proxies = pay_premiums.filter(pl.col("formula") == "premium_pct")
    labels = [*claims["claim_id"], *proxies["metric_id"].str.slice(0, 60)]
    figure = Figure(figsize=(9, 0.45 * max(len(labels), 3) + 1.2), layout="constrained")
    axes = figure.subplots()
    for row, claim in enumerate(claims.iter_rows(named=True)):
        axes.plot([claim["stated_low"], claim["stated_high"]], [row, row], color="#4575b4", linewidth=7, alpha=0.45,
                  solid_capstyle="butt", label="stated range" if row == 0 else None)  # fmt: skip
        if claim["computed_value"] is not None:
            axes.plot(claim["computed_value"], row, "o", color=STATUS_COLOURS[claim["status"]])
    offset = claims.height
    for row, metric in enumerate(proxies.iter_rows(named=True), start=offset):
        axes.plot(
            metric["value"],
            row,
            "D",
            color="#542788",
            label="computed premium" if row == offset else None,
        )
    axes.set_yticks(range(len(labels)), labels, fontsize=7)
    axes.axvline(0, color="#444444", linewidth=0.8)
    axes.set_xlabel("premium, % over the comparison group")
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2, fontsize=7)
    axes.set_title("Pay premiums: stated ranges and computed values")
    return _render("pay_premiums", "Pay premiums", figure)


def _window(period: str) -> tuple[date, date] | None:
    """The days of a `start/end` period of two ISO dates; None for coarser periods."""
    try:
        start, end = (date.fromisoformat(part) for part in period.split("/"))
    except ValueError:
        return None
    return start, end


def postings_chart(growth_rates: pl.DataFrame, postings_divergence: pl.DataFrame) -> Chart:
    """Growth since the window start of the AI share of postings and of software-development
    postings over time; divergence windows shaded."""
    series = growth_rates.filter(pl.col("flags").list.len() > 0).with_columns(
        series=pl.col("inputs").list.first().str.split("@").list.first()
    )
    figure = Figure(figsize=(9, 4), layout="constrained")
    axes = figure.subplots()
    for name, group in series.group_by("series", maintain_order=True):
        points = [
            (w[1], v)
            for w, v in zip(map(_window, group["period"]), group["value"], strict=True)
            if w
        ]
        axes.plot(
            [day for day, _ in points],
            [value for _, value in points],
            linewidth=1.2,
            label=str(name[0]),
        )
    for window in filter(None, map(_window, postings_divergence["period"])):
        axes.axvspan(*window, color="#fee08b", alpha=0.25)
    axes.axhline(0, color="#444444", linewidth=0.8)
    axes.set_ylabel("% change since window start")
    if series.height:
        axes.legend(fontsize=7)
    else:
        axes.text(
            0.5,
            0.5,
            "no official postings data in the lake yet",
            ha="center",
            transform=axes.transAxes,
        )
    axes.set_title("AI share of postings vs software-development postings (windows shaded)")
    return _render("postings", "Postings", figure)


def unemployment_chart(unemployment_gaps: pl.DataFrame) -> Chart:
    """Each occupation's unemployment rate against its group, as a gap in points."""
    gaps = unemployment_gaps.sort("value")
    labels = [
        f"{a} vs {b}  ({text})"
        for (a, b), text in zip(gaps["subjects"], gaps["formula_text"], strict=True)
    ]
    figure = Figure(figsize=(9, 0.5 * max(gaps.height, 2) + 1), layout="constrained")
    axes = figure.subplots()
    axes.barh(
        range(gaps.height),
        gaps["value"].to_list(),
        color=["#d73027" if v > 0 else "#4575b4" for v in gaps["value"]],
    )
    axes.set_yticks(range(gaps.height), labels, fontsize=7)
    axes.axvline(0, color="#444444", linewidth=0.8)
    axes.set_xlabel("unemployment rate minus the group's, percentage points")
    axes.set_title("Unemployment rates by occupation against their group")
    return _render("unemployment", "Unemployment", figure)


def ledger_chart(claim_checks: pl.DataFrame) -> Chart:
    """Every claim and figure check, coloured by status."""
    ledger = claim_checks.sort("status", "claim_id")
    figure = Figure(figsize=(9, 0.22 * max(ledger.height, 4) + 1), layout="constrained")
    axes = figure.subplots()
    rows = range(ledger.height)
    axes.barh(rows, 1, color=[STATUS_COLOURS[status] for status in ledger["status"]])
    for row, (claim_id, status) in enumerate(ledger.select("claim_id", "status").iter_rows()):
        axes.text(0.02, row, f"{claim_id}: {status}", va="center", fontsize=6, color="white")
    axes.set_yticks([])
    axes.set_xticks([])
    axes.invert_yaxis()
    axes.set_title("Claim ledger")
    return _render("claim_ledger", "Claim ledger", figure)


def charts(frames: dict[str, pl.DataFrame]) -> list[Chart]:
    """All charts, from the metrics tables (keyed by table name)."""
    return [
        pay_premium_chart(frames["claim_checks"], frames["pay_premiums"]),
        postings_chart(frames["growth_rates"], frames["postings_divergence"]),
        unemployment_chart(frames["unemployment_gaps"]),
        ledger_chart(frames["claim_checks"]),
    ]


def html_report(rendered: list[Chart], claim_checks: pl.DataFrame) -> str:
    """One self-contained page: inline SVG charts and the ledger table."""
    rows = "\n".join(
        f"<tr><td>{html.escape(c['claim_id'])}</td>"
        f'<td style="background:{STATUS_COLOURS[c["status"]]};color:white">{c["status"]}</td>'
        f"<td>{html.escape(c['explanation'])}</td></tr>"
        for c in claim_checks.sort("status", "claim_id").iter_rows(named=True)
    )
    sections = "\n".join(
        f'<section class="chart" id="{chart.name}"><h2>{html.escape(chart.title)}</h2>{chart.svg}</section>'
        for chart in rendered
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>labor-lake report</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto}}svg{{max-width:100%;height:auto}}
table{{border-collapse:collapse;font-size:.8rem}}td{{border:1px solid #ddd;padding:.2rem .4rem}}</style>
</head><body>
<h1>labor-lake: claims about the tech labor market, checked</h1>
<p>Drawn from the metrics tables of the lake; every number traces to a row of its core tables.</p>
{sections}
<h2>Claim ledger</h2>
<table><thead><tr><th>claim</th><th>status</th><th>why</th></tr></thead><tbody>
{rows}
</tbody></table>
</body></html>
"""
