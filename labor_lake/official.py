"""Published figures against official data: counterpart checks, and the
divergence between the AI share of postings and software-development postings.

Everything here reads core/observations; nothing fetches. Where no official series measures a
figure, or the series has no value for its period, the answer is `unverifiable` with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

import polars as pl

from labor_lake.formulas import growth_pct, spread_pp
from labor_lake.lineage import observation_reference
from schemas.tables import METRIC_COLUMNS, METRICS_CLAIM_CHECKS

# AI share of postings against software-development postings, over windows starting here (the
# article's LinkedIn claim runs "since 2024") and ending at the last date both series cover.
AI_SHARE = "indeed:ai_share:US"
SOFTWARE_POSTINGS = ("indeed:sector:Software Development:total postings", "fred:IHLIDXUSTPSOFTDEVE")
WINDOW_STARTS = (date(2024, 1, 1),)
# Indeed revised its seasonal adjustment (and history) in November 2024: a window that crosses
# it must take each series from one vintage, never splice two.
INDEED_REVISION = date(2024, 11, 1)

_METRIC_SCHEMA = pl.Schema({c.name: c.dtype for c in METRIC_COLUMNS})


def rounding_tolerance(value: float) -> float:
    """Half a unit in the last printed digit: 3.3 -> 0.05, 133080 -> 0.5."""
    exponent = Decimal(repr(value)).normalize().as_tuple().exponent
    return 0.5 * 10.0 ** min(int(exponent), 0)


def _covering(observations: pl.DataFrame, series_id: str, start: date, end: date) -> dict | None:
    """The observation of `series_id` whose period contains [start, end], narrowest first."""
    rows = observations.filter(
        (pl.col("series_id") == series_id)
        & (pl.col("period_start") <= start)
        & (pl.col("period_end") >= end)
    ).sort(pl.col("period_end") - pl.col("period_start"))
    return rows.row(0, named=True) if rows.height else None


def _verdict(figure: Mapping, official: float) -> tuple[str, str]:
    qualifier = figure["qualifier"]
    if figure["value"] is not None:
        low = high = figure["value"]
    else:
        low, high = figure["low"], figure["high"]
    tolerance = rounding_tolerance(high)
    if qualifier == "at_least":
        inside = official >= low - tolerance
    elif qualifier == "up_to":
        inside = official <= high + tolerance
    elif qualifier == "approximately":
        inside = low * 0.95 <= official <= high * 1.05
    else:
        inside = low - tolerance <= official <= high + tolerance
    return (
        "consistent" if inside else "inconsistent"
    ), f"{qualifier}, rounding tolerance {tolerance:g}"


def counterpart_checks(figures: pl.DataFrame, observations: pl.DataFrame) -> pl.DataFrame:
    """One claim_checks row per published figure: its value against its official series."""
    rows = []
    for figure in figures.sort("figure_id").iter_rows(named=True):
        if figure["source_kind"] != "article" and figure["official_series_id"] is None:
            continue
        series_id = figure["official_series_id"]
        row = {
            "claim_id": f"official_{figure['figure_id']}",
            "statement": f"{figure['subject']}: {figure['as_printed']} ({figure['period']}, {figure['publisher']}) "
            "against its official series.",
            "stated_low": figure["value"] if figure["value"] is not None else figure["low"],
            "stated_high": figure["value"] if figure["value"] is not None else figure["high"],
            "stated_unit": figure["unit"],
            "tolerance": 0.0,
            "computed_value": None,
            "computed_low": None,
            "computed_high": None,
            "metric_id": None,
            "formula": "restated",
            "inputs": [figure["figure_id"]],
        }
        rows.append(row)
        if series_id is None:
            row["status"] = "unverifiable"
            row["explanation"] = (
                figure["official_note"] or "No official series is recorded for this figure."
            )
            continue
        observation = _covering(
            observations, series_id, figure["period_start"], figure["period_end"]
        )
        if observation is None:
            row["status"] = "unverifiable"
            row["explanation"] = (
                f"core/observations has no {series_id} value covering {figure['period']} "
                "(source not fetched yet, or not published for that period)."
            )
            continue
        if observation["value"] is None:
            row["status"] = "unverifiable"
            row["explanation"] = (
                f"{series_id} publishes no value for {observation['period_start']:%Y-%m} "
                f"(footnotes: {', '.join(observation['footnote_codes']) or 'none'})."
            )
            continue
        official = observation["value"]
        row.update(computed_value=official, computed_low=official, computed_high=official)
        row["tolerance"] = rounding_tolerance(row["stated_high"])
        row["status"], how = _verdict(figure, official)
        row["explanation"] = (
            f"Official {series_id} for {observation['period_start']}..{observation['period_end']} is "
            f"{official:,.10g} ({how}; vintage {observation['vintage_fetched_at']:%Y-%m-%d})."
        )
    return pl.DataFrame(rows, schema=METRICS_CLAIM_CHECKS.polars_schema)


def _metric(
    metric_id: str,
    value: float,
    unit: str,
    period: str,
    inputs: list[str],
    formula: str,
    text: str,
    measure: str,
    subjects: list[str],
    flags: list[str],
) -> dict:
    return {
        "metric_id": metric_id, "value": value, "value_low": value, "value_high": value, "unit": unit,
        "period": period, "inputs": inputs, "formula": formula, "formula_text": text,
        "measure": measure, "subjects": subjects, "flags": flags,
    }  # fmt: skip


def _value_at(series: pl.DataFrame, day: date) -> dict | None:
    """The last non-empty observation on or before `day`, within a week."""
    rows = series.filter(
        (pl.col("period_start") <= day) & (pl.col("period_start") >= day - pl.duration(days=7))
    ).drop_nulls("value")
    return rows.sort("period_start").row(-1, named=True) if rows.height else None


def postings_divergence(observations: pl.DataFrame) -> pl.DataFrame:
    """Spread between the growth of the AI share of postings and of software-development
    postings over each window, in percentage points, with the window in the row."""
    ai_share = observations.filter(pl.col("series_id") == AI_SHARE)
    rows = []
    for software_id in SOFTWARE_POSTINGS:
        software = observations.filter(pl.col("series_id") == software_id)
        if not ai_share.height or not software.height:
            continue
        end = min(ai_share["period_start"].max(), software["period_start"].max())
        for start in WINDOW_STARTS:
            points = [_value_at(s, d) for s in (ai_share, software) for d in (start, end)]
            if any(p is None for p in points) or start >= end:
                continue
            ai_start, ai_end, sw_start, sw_end = points
            window = pl.col("period_start").is_between(start, end)
            vintages = {
                name: s.filter(window)["payload_sha256"].n_unique()
                for name, s in (("ai", ai_share), ("sw", software))
            }
            crosses = start < INDEED_REVISION <= end
            if crosses and max(vintages.values()) > 1:
                continue  # would splice values from before and after Indeed's revision
            ai_growth = growth_pct(ai_end["value"], ai_start["value"])
            software_growth = growth_pct(sw_end["value"], sw_start["value"])
            inputs = [
                observation_reference(AI_SHARE, ai_end["period_start"]),
                observation_reference(AI_SHARE, ai_start["period_start"]),
                observation_reference(software_id, sw_end["period_start"]),
                observation_reference(software_id, sw_start["period_start"]),
            ]
            flags = ["each series from a single vintage"] + (
                ["window crosses Indeed's November 2024 revision"] if crosses else []
            )
            rows.append(
                _metric(
                    f"spread_pp:{AI_SHARE}:{software_id}:{start}..{end}",
                    spread_pp(ai_growth, software_growth),
                    "percentage_points",
                    f"{start}/{end}",
                    inputs,
                    "spread_pp",
                    f"({ai_end['value']:g} / {ai_start['value']:g} - 1) x 100 - "
                    f"({sw_end['value']:g} / {sw_start['value']:g} - 1) x 100",
                    "postings_growth",
                    ["AI share of postings (US)", software["subject"][0]],
                    flags,
                )
            )
    return pl.DataFrame(rows, schema=_METRIC_SCHEMA)


def postings_growth_series(observations: pl.DataFrame) -> pl.DataFrame:
    """Day-by-day growth since each window start of the AI share of postings and of
    software-development postings: the divergence drawn over time. A series whose window would
    splice vintages across Indeed's revision is left out."""
    rows = []
    for series_id in (AI_SHARE, *SOFTWARE_POSTINGS):
        series = (
            observations.filter(pl.col("series_id") == series_id)
            .drop_nulls("value")
            .sort("period_start")
        )
        for start in WINDOW_STARTS:
            base = _value_at(series, start)
            if base is None:
                continue
            window = series.filter(pl.col("period_start") >= base["period_start"])
            crosses = window["period_start"].max() >= INDEED_REVISION
            if crosses and window["payload_sha256"].n_unique() > 1:
                continue
            base_ref = observation_reference(series_id, base["period_start"])
            for day, value, subject, measure in window.select(
                "period_start", "value", "subject", "measure"
            ).iter_rows():
                reference = observation_reference(series_id, day)
                rows.append(
                    _metric(
                        f"growth_pct:{reference}:{base_ref}",
                        growth_pct(value, base["value"]),
                        "percent_change",
                        f"{base['period_start']}/{day}",
                        [reference, base_ref],
                        "growth_pct",
                        f"({value:g} / {base['value']:g} - 1) x 100",
                        measure,
                        [subject, subject],
                        [f"growth since window start {start}"],
                    )
                )
    return pl.DataFrame(rows, schema=_METRIC_SCHEMA)
