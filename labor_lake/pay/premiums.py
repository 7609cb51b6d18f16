"""Pay over time from the OEWS files: premiums of configured occupation pairs at every published
percentile and year, wage and employment growth, their ledger rows, and trend verdicts.

Occupations are followed across SOC revisions through `registry/oews_concordance.csv`: each code
belongs to a stable concept and is valid for a span of years; a code that starts with
`break_before = true` breaks the series. A series is never joined across a break: growth is only
computed between years that use the same codes, and every metric row of a series that has a break
says where it is.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from labor_lake.checks.lineage import oews_reference
from labor_lake.checks.rows import (
    MetricRow,
    claim_check_frame,
    claim_check_row,
    metric_frame,
    metric_row,
)
from labor_lake.registry.validation import Problem, ValidationFailed
from labor_lake.sources.oews import is_top_coded, national
from schemas.formulas import growth_pct, premium_pct
from schemas.tables import PAY_PAIR_COLUMNS

# OEWS column -> the measure its premium and growth rows carry.
ANNUAL_WAGE_MEASURES: dict[str, str] = {
    "a_pct10": "annual_wage_p10",
    "a_pct25": "annual_wage_p25",
    "a_median": "median_annual_wage",
    "a_pct75": "annual_wage_p75",
    "a_pct90": "annual_wage_p90",
    "a_mean": "mean_annual_wage",
}
TREND_COLUMN = "a_median"


def measure_words(measure: str) -> str:
    """An OEWS annual-wage measure in words (`annual_wage_p10` -> `10th-percentile annual
    wage`), for statements a person reads."""
    if measure.startswith("annual_wage_p"):
        return f"{measure.removeprefix('annual_wage_p')}th-percentile annual wage"
    return measure.replace("_", " ")


# Why a proxy premium is only evidence: other occupations, and wages against total compensation.
PROXY_FLAG = (
    "official proxy: no SOC code is 'ML engineer', and OEWS measures wages, not the total "
    "compensation of the article's premium"
)
ALL_OCCUPATIONS = "00-0000"
_CONCORDANCE_COLUMNS = (
    "concept", "concept_title", "occ_code", "occ_title", "soc_version",
    "first_year", "last_year", "break_before", "break_note",
)  # fmt: skip
_PAIR_COLUMNS = ("pair_id", "subject_concept", "base_concept", "claim_id", "notes")


@dataclass(frozen=True)
class Code:
    """One code of a concept, valid from `first_year` to `last_year` (None: still current)."""

    concept: str
    concept_title: str
    occ_code: str
    occ_title: str
    soc_version: str
    first_year: int
    last_year: int | None
    break_before: bool
    break_note: str

    def valid_in(self, year: int) -> bool:
        return self.first_year <= year and (self.last_year is None or year <= self.last_year)

    @property
    def label(self) -> str:
        return f"{self.occ_title} (SOC {self.occ_code}, {self.soc_version})"


@dataclass(frozen=True)
class Pair:
    pair_id: str
    subject_concept: str
    base_concept: str
    claim_id: str
    notes: str


def _records(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in columns if c not in (reader.fieldnames or [])]
    if missing:
        raise ValidationFailed(
            str(path),
            [Problem("required_column", c, None, line=1, file=str(path)) for c in missing],
        )
    for line, record in enumerate(reader, start=2):
        yield line, {k: (v or "").strip() for k, v in record.items() if k in columns}


def load_concordance(path: Path) -> list[Code]:
    """The concordance file, checked: codes are SOC codes, years are years, spans do not overlap
    within a concept unless the codes are a split of one occupation (same soc_version)."""
    codes, problems = [], []
    for line, record in _records(path, _CONCORDANCE_COLUMNS):
        where = {"record": record["occ_code"], "line": line, "file": str(path)}
        try:
            first = int(record["first_year"])
            last = int(record["last_year"]) if record["last_year"] else None
        except ValueError:
            problems.append(Problem("year", "first_year", record["first_year"], **where))
            continue
        if record["break_before"] not in ("true", "false"):
            problems.append(
                Problem("true_or_false", "break_before", record["break_before"], **where)
            )
            continue
        if not record["occ_code"][:2].isdigit() or len(record["occ_code"]) != 7:
            problems.append(Problem("soc_code_pattern", "occ_code", record["occ_code"], **where))
            continue
        codes.append(
            Code(
                record["concept"],
                record["concept_title"],
                record["occ_code"],
                record["occ_title"],
                record["soc_version"],
                first,
                last,
                record["break_before"] == "true",
                record["break_note"],
            )
        )
    if problems:
        raise ValidationFailed(str(path), problems)
    return codes


def load_pairs(path: Path, concepts: set[str], claim_ids: set[str]) -> list[Pair]:
    """The occupation pairs file; every concept and claim it names must exist."""
    pairs, problems = [], []
    for line, record in _records(path, _PAIR_COLUMNS):
        where = {"record": record["pair_id"], "line": line, "file": str(path)}
        for column in ("subject_concept", "base_concept"):
            if record[column] not in concepts:
                problems.append(Problem("concept_in_concordance", column, record[column], **where))
        if record["claim_id"] not in claim_ids:
            problems.append(
                Problem("claim_in_core_claims", "claim_id", record["claim_id"], **where)
            )
        pairs.append(Pair(**record))
    if problems:
        raise ValidationFailed(str(path), problems)
    return pairs


def concordance_mismatches(estimates: pl.DataFrame, codes: list[Code]) -> list[str]:
    """Where the concordance and the national files held disagree: a code the concordance says
    is in use in a year whose file lacks it as a detailed occupation, a code a file has in a year
    the concordance says it is not in use, or another title. A new year of files that brings new
    SOC codes shows up here before it silently leaves premiums out."""
    held = sorted(set(estimates["year"]))
    detailed = national(estimates).filter(pl.col("o_group") == "detailed")
    found: list[str] = []
    for code in codes:
        rows = detailed.filter(pl.col("occ_code") == code.occ_code)
        years = set(rows["year"])
        expected = {y for y in held if code.valid_in(y)}
        if missing := sorted(expected - years):
            found.append(f"{code.occ_code} ({code.concept}): in use in {_years(missing)} by the "
                         "concordance, but not in those years' national files")  # fmt: skip
        if extra := sorted(years - expected):
            found.append(f"{code.occ_code} ({code.concept}): in the national files of "
                         f"{_years(extra)}, outside its years in the concordance")  # fmt: skip
        if titles := sorted(set(rows["occ_title"]) - {code.occ_title}):
            found.append(f"{code.occ_code} ({code.concept}): titled {', '.join(map(repr, titles))} "
                         f"in the files, {code.occ_title!r} in the concordance")  # fmt: skip
    return found


def _years(years: list[int]) -> str:
    return ", ".join(f"May {y}" for y in years)


def _reference(row: dict) -> str:
    return oews_reference(
        row["year"], row["area"], row["naics"], row["own_code"], row["occ_code"], row["o_group"]
    )


# The flag a metric row carries for each year its series breaks in (a SOC code starts there).
SERIES_BREAK_FLAG = "series break in {year}: "
_SERIES_BREAK = re.compile(r"^series break in (\d{4}): ")


# The flag a premium carries when one of its wages is top-coded, so the premium is only a bound:
# a lower bound when the subject's wage is top-coded, an upper one when the base's is.
TOP_CODED_FLAGS = {
    "lower": "top-coded input: the premium is a lower bound",
    "upper": "top-coded input: the premium is an upper bound",
}


def premium_bound(flags: Iterable[str]) -> str | None:
    """Whether the premium of a metric row is only a "lower" or an "upper" bound (None: it is
    not), from its flags."""
    return next((bound for bound, flag in TOP_CODED_FLAGS.items() if flag in flags), None)


def break_years(flags: Iterable[str]) -> set[int]:
    """The years in which the series behind a metric row breaks, from its flags."""
    return {int(m.group(1)) for flag in flags if (m := _SERIES_BREAK.match(flag))}


def _series_breaks(codes: list[Code], concepts: tuple[str, ...], years: list[int]) -> list[str]:
    """Where the series of these concepts breaks within `years`: one note per break year."""
    notes = []
    for year in years:
        starting = [
            c for c in codes if c.concept in concepts and c.first_year == year and c.break_before
        ]
        if starting and year != min(years):
            notes.append(
                SERIES_BREAK_FLAG.format(year=year)
                + "; ".join(f"{c.occ_code} {c.soc_version} starts" for c in starting)
                + " (not joined with earlier years)"
            )
    return notes


def _national_rows(
    estimates: pl.DataFrame, occ_codes: list[str]
) -> tuple[list[int], dict[tuple[int, str], dict]]:
    """Every year of the national rows, and the national rows of `occ_codes` by year and code
    (only those are looked up: a few dozen codes of about 1,300 a year, so only their rows are
    made into dictionaries)."""
    every_code = national(estimates)
    wanted = every_code.filter(pl.col("occ_code").is_in(occ_codes))
    return (
        sorted(every_code["year"].unique().to_list()),
        {(r["year"], r["occ_code"]): r for r in wanted.iter_rows(named=True)},
    )


def _codes_in(codes: list[Code], concept: str, year: int) -> list[Code]:
    return [c for c in codes if c.concept == concept and c.valid_in(year)]


@dataclass(frozen=True)
class Premium:
    """One premium of one pair, year and statistic, with what is needed to check it."""

    pair: Pair
    year: int
    column: str
    subject: Code
    base: Code
    metric: MetricRow
    bound: str | None  # "lower" when the subject wage is top-coded, "upper" for the base


def premiums(estimates: pl.DataFrame, codes: list[Code], pairs: list[Pair]) -> list[Premium]:
    """Premiums (a / b - 1) x 100 of every pair, for every year both concepts have a code and
    every annual statistic both publish. A concept with two codes in a year (SOC 2010 software
    developers) gives one row per code: codes are never pooled."""
    years, rows = _national_rows(estimates, [c.occ_code for c in codes])
    found = []
    for pair in pairs:
        breaks = _series_breaks(codes, (pair.subject_concept, pair.base_concept), years)
        for year in years:
            for subject in _codes_in(codes, pair.subject_concept, year):
                for base in _codes_in(codes, pair.base_concept, year):
                    a, b = rows.get((year, subject.occ_code)), rows.get((year, base.occ_code))
                    if a is None or b is None:
                        continue
                    for column, measure in ANNUAL_WAGE_MEASURES.items():
                        if a[column] is None or b[column] is None:
                            continue  # `*`: BLS publishes no estimate
                        flags = [PROXY_FLAG, f"{subject.label} over {base.label}"]
                        bound = None
                        if is_top_coded(a, column) and is_top_coded(b, column):
                            continue  # both are bounds: no premium follows from them
                        if is_top_coded(a, column):
                            bound = "lower"
                        elif is_top_coded(b, column):
                            bound = "upper"
                        if bound:
                            flags.append(TOP_CODED_FLAGS[bound])
                        flags += [
                            c.break_note for c in (subject, base) if "hybrid" in c.soc_version
                        ]
                        flags += breaks
                        inputs = [_reference(a), _reference(b)]
                        metric = metric_row(
                            metric_id=f"premium_pct:{inputs[0]}:{inputs[1]}:{measure}",
                            value=premium_pct(a[column], b[column]),
                            unit="percent_change",
                            period=f"{year}-05",
                            inputs=inputs,
                            formula="premium_pct",
                            formula_text=f"({a[column]:g} / {b[column]:g} - 1) x 100",
                            measure=measure,
                            subjects=[subject.label, base.label],
                            flags=flags,
                        )
                        found.append(Premium(pair, year, column, subject, base, metric, bound))
    return found


def premium_frame(found: list[Premium]) -> pl.DataFrame:
    """The premiums as metrics rows, each with its pair and the two occupations it compares
    (`PAY_PAIR_COLUMNS`)."""
    pairs = pl.DataFrame(
        [
            {
                "pair_id": p.pair.pair_id,
                "numerator_occ_code": p.subject.occ_code,
                "numerator_occ_title": p.subject.occ_title,
                "denominator_occ_code": p.base.occ_code,
                "denominator_occ_title": p.base.occ_title,
            }
            for p in found
        ],
        schema={c.name: c.dtype for c in PAY_PAIR_COLUMNS},
    )
    return pl.concat([metric_frame(p.metric for p in found), pairs], how="horizontal")


def _claim_id(premium: Premium, several: bool) -> str:
    measure = ANNUAL_WAGE_MEASURES[premium.column]
    suffix = (
        f"_{premium.subject.occ_code}_{premium.base.occ_code}".replace("-", "") if several else ""
    )
    return f"{premium.pair.pair_id}_{premium.year}_{measure}{suffix}"


def premium_checks(found: list[Premium], claims: pl.DataFrame) -> pl.DataFrame:
    """A claim_checks row for each premium: the pair's claim (its stated range and tolerance)
    checked against that year's and statistic's OEWS premium."""
    stated = {row["claim_id"]: row for row in claims.iter_rows(named=True)}
    combinations: dict[tuple[str, int], set[tuple[str, str]]] = {}
    for p in found:
        combinations.setdefault((p.pair.pair_id, p.year), set()).add(
            (p.subject.occ_code, p.base.occ_code)
        )
    rows = []
    for p in found:
        claim = stated[p.pair.claim_id]
        low, high, tolerance = claim["stated_low"], claim["stated_high"], claim["tolerance"]
        value = p.metric["value"]
        inside = low - tolerance <= value <= high + tolerance
        if (p.bound == "lower" and value > high + tolerance) or (
            p.bound == "upper" and value < low - tolerance
        ):
            status, why = "inconsistent", f"even the {p.bound} bound lies outside"
        elif p.bound:
            status, why = (
                "unverifiable",
                f"only a {p.bound} bound (an input is top-coded), so not comparable with",
            )
        else:
            status = "consistent" if inside else "inconsistent"
            why = "inside" if inside else "outside"
        measure = ANNUAL_WAGE_MEASURES[p.column]
        breaks = [f for f in p.metric["flags"] if f.startswith("series break")]
        rows.append(
            claim_check_row(
                claim_id=_claim_id(p, len(combinations[(p.pair.pair_id, p.year)]) > 1),
                kind="oews_proxy_by_year",
                about_claim_id=p.pair.claim_id,
                # Its own statement, not the claim's: the claim names one year and measure.
                statement=f"Official proxy for the stated {low:g}-{high:g}% premium, year by "
                f"year: {p.subject.label} over {p.base.label}, OEWS May {p.year} "
                f"{measure_words(measure)}.",
                status=status,
                explanation=f"OEWS May {p.year} {measure_words(measure)}: "
                f"{p.metric['formula_text']} = "
                f"{value:.1f}%, {why} the stated {low:g}-{high:g}% (+/- {tolerance:g}); "
                + "; ".join([PROXY_FLAG, *breaks]),
                stated_low=low,
                stated_high=high,
                stated_unit=claim["stated_unit"],
                tolerance=tolerance,
                formula="premium_pct",
                inputs=p.metric["inputs"],
                computed=value,
                metric_id=p.metric["metric_id"],
            )
        )
    return claim_check_frame(rows)


# Two-sided 95% quantiles of Student's t by degrees of freedom (n - 2 for a slope), for the
# interval of a trend fitted to a handful of OEWS years; past 30 the normal 1.96 is close enough.
_T_95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
         9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120,
         17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086, 25: 2.060, 30: 2.042}  # fmt: skip


def _slope(points: list[tuple[int, float]]) -> tuple[float, float | None]:
    """Least-squares slope of value on year, and its standard error (None from two points,
    which a line always fits exactly)."""
    years = [y for y, _ in points]
    mean_year = sum(years) / len(years)
    mean_value = sum(v for _, v in points) / len(points)
    spread = sum((y - mean_year) ** 2 for y in years)
    slope = sum((y - mean_year) * (v - mean_value) for y, v in points) / spread
    if len(points) < 3:
        return slope, None
    residuals = sum((v - mean_value - slope * (y - mean_year)) ** 2 for y, v in points)
    return slope, (residuals / (len(points) - 2) / spread) ** 0.5


def _t_95(degrees: int) -> float:
    # Between tabled degrees the smaller one's quantile: a slightly wider interval, never narrower.
    return _T_95[max(d for d in _T_95 if d <= degrees)] if degrees <= 30 else 1.96


def trend_checks(found: list[Premium]) -> pl.DataFrame:
    """One row per pair: how the median premium moves, in points a year, over the latest run of
    years that use the same codes (never across a break); earlier runs are reported, not joined."""
    rows = []
    for pair_id in dict.fromkeys(p.pair.pair_id for p in found):
        medians = [
            p
            for p in found
            if p.pair.pair_id == pair_id and p.column == TREND_COLUMN and not p.bound
        ]
        runs: dict[tuple[str, str], list[Premium]] = {}
        for p in sorted(medians, key=lambda p: p.year):
            runs.setdefault((p.subject.occ_code, p.base.occ_code), []).append(p)
        ordered = sorted(runs.values(), key=lambda run: run[-1].year)
        latest = ordered[-1]
        pair = latest[0].pair
        others = [
            f"{run[0].subject.occ_code} over {run[0].base.occ_code} "
            f"{run[0].year}-{run[-1].year}: "
            + ", ".join(f"{p.metric['value']:.1f}% ({p.year})" for p in run)
            for run in ordered[:-1]
        ]
        points = [(p.year, p.metric["value"]) for p in latest]
        subject, base = latest[0].subject, latest[0].base
        span = f"May {latest[0].year}-May {latest[-1].year}"
        values = f"({', '.join(f'{v:.1f}%' for _, v in points)})"
        low = high = None
        if len(points) < 2:
            slope, verdict = None, f"Only one comparable year ({latest[0].year}): no trend"
        else:
            slope, error = _slope(points)
            mean = sum(v for _, v in points) / len(points)
            direction = "rising" if slope > 0 else "falling"
            gap = "widening" if slope * mean > 0 else "narrowing"
            moves = f"{slope:+.2f} points a year over {span} {values}"
            if error is None:
                verdict = f"Too few points to tell: two years, {moves}, with no spread to judge by"
            else:
                margin = _t_95(len(points) - 2) * error
                low, high = slope - margin, slope + margin
                uncertainty = (
                    f"(standard error {error:.2f}; 95% interval {low:+.2f} to {high:+.2f} "
                    f"from {len(points)} years)"
                )
                # The interval holds zero: the years cannot tell a trend from noise.
                verdict = (
                    f"Too few points to tell whether the gap is widening or narrowing: the median "
                    f"premium moves {moves} {uncertainty}"
                    if low <= 0 <= high
                    else f"Gap {gap}: the median premium is {direction} by {abs(slope):.2f} "
                    f"points a year over {span} {values} {uncertainty}"
                )
        rows.append(
            claim_check_row(
                claim_id=f"{pair_id}_trend_median_annual_wage",
                kind="oews_proxy_trend",
                about_claim_id=pair.claim_id,
                statement=f"Trend of the OEWS median-wage premium of {subject.concept_title} "
                f"over {base.concept_title.lower()} (is the gap widening or narrowing?).",
                status="unverifiable",
                explanation=f"The article states no trend. {verdict}, {subject.label} over "
                f"{base.label}; "
                + (
                    "earlier years use other codes and are not joined: " + "; ".join(others)
                    if others
                    else "no series break in these years"
                )
                + f". {pair.notes}",
                stated_low=None,
                stated_high=None,
                stated_unit="percentage_points_per_year",
                tolerance=0.0,
                formula="trend_pp_per_year",
                inputs=[ref for p in latest for ref in p.metric["inputs"]],
                computed=slope,
                computed_low=low,
                computed_high=high,
            )
        )
    return claim_check_frame(rows)


def growth_rates(estimates: pl.DataFrame, codes: list[Code]) -> pl.DataFrame:
    """Growth between consecutive recorded years of each concordance code, never across a code
    change: median annual wage, employment, and share of all-occupations employment."""
    years, rows_by_key = _national_rows(estimates, [*(c.occ_code for c in codes), ALL_OCCUPATIONS])
    metrics = []
    for code in codes:
        breaks = _series_breaks(codes, (code.concept,), years)
        held = [y for y in years if code.valid_in(y) and (y, code.occ_code) in rows_by_key]
        for old_year, new_year in itertools.pairwise(held):
            old, new = (
                rows_by_key[(old_year, code.occ_code)],
                rows_by_key[(new_year, code.occ_code)],
            )
            old_total = rows_by_key.get((old_year, ALL_OCCUPATIONS))
            new_total = rows_by_key.get((new_year, ALL_OCCUPATIONS))
            period = f"{old_year}-05/{new_year}-05"
            flags = [
                code.label,
                *([code.break_note] if "hybrid" in code.soc_version else []),
                *breaks,
            ]
            pairs = [
                (
                    "median_annual_wage",
                    new["a_median"],
                    old["a_median"],
                    [_reference(new), _reference(old)],
                )
            ]
            if is_top_coded(new, "a_median") or is_top_coded(old, "a_median"):
                pairs = []  # a bound is not an estimate: no growth from it
            pairs.append(
                ("employment", new["tot_emp"], old["tot_emp"], [_reference(new), _reference(old)])
            )
            if (
                old_total
                and new_total
                and new["tot_emp"] is not None
                and old["tot_emp"] is not None
            ):
                pairs.append(
                    (
                        "employment_share",
                        100 * new["tot_emp"] / new_total["tot_emp"],
                        100 * old["tot_emp"] / old_total["tot_emp"],
                        [
                            _reference(new),
                            _reference(new_total),
                            _reference(old),
                            _reference(old_total),
                        ],
                    )
                )
            for measure, new_value, old_value, inputs in pairs:
                if new_value is None or old_value is None:
                    continue
                metrics.append(
                    metric_row(
                        metric_id=f"growth_pct:{inputs[0]}:{inputs[len(inputs) // 2]}:{measure}",
                        value=growth_pct(new_value, old_value),
                        unit="percent_change",
                        period=period,
                        inputs=inputs,
                        formula="growth_pct",
                        formula_text=f"({new_value:.6g} / {old_value:.6g} - 1) x 100",
                        measure=measure,
                        subjects=[code.label, code.label],
                        flags=flags,
                    )
                )
    return metric_frame(metrics)
