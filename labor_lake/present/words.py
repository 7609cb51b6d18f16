"""What a reader reads: units, measures, periods and the ledger's reasons in words, with the
lake's ids (figures, claims, series, unit codes) replaced by what they name. Ids stay available
to the page's details lines and tooltips, never as prose."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import polars as pl

from labor_lake.pay.premiums import measure_words as oews_measure_words
from schemas.vocabulary import MEASURES

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]  # fmt: skip
# Units as a reader says them, after a number (`%` sticks to it; `$` goes before it).
_UNIT_AFTER = {
    "percent": "%",
    "percent_change": "%",
    "percentage_points": " percentage points",
    "percentage_points_per_year": " percentage points a year",
    "usd_per_year": " a year",
    "usd_per_year_difference": " a year",
    "usd_per_hour": " an hour",
    "count": "",
    "rank": "",
    "index": " (index)",
    "ratio": " times",
}
_DOLLARS = {"usd_per_year", "usd_per_year_difference", "usd_per_hour"}
UNIT_WORDS = {
    "percent": "percent",
    "percent_change": "% change",
    "percentage_points": "percentage points",
    "percentage_points_per_year": "percentage points a year",
    "usd_per_year": "US dollars a year",
    "usd_per_year_difference": "US dollars a year (difference)",
    "usd_per_hour": "US dollars an hour",
    "count": "count",
    "rank": "rank",
    "index": "index",
    "ratio": "times",
}
_MEASURES = {
    "median_total_comp": "median total compensation",
    "mean_base_salary": "average base salary",
    "ai_share_of_postings": "share of postings mentioning AI",
    "postings_index": "postings index",
}
# Tables and registry files a reason or a description names, as a reader would call them.
TABLE_WORDS = {
    "core/claims": "the claims registry",
    "core/published_figures": "the published figures",
    "core/observations": "the lake",
    "core/oews_estimates": "the OEWS estimates",
    "registry/occupation_pairs.csv": "the registry of occupation pairs",
}
_NUMBER = r"(-?)(\d[\d,]*(?:\.\d+)?)"
_SNAKE_CASE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def measure_words(measure: str) -> str:
    """`median_total_comp` as `median total compensation`, OEWS wage statistics as their
    percentile; others with spaces for underscores."""
    return _MEASURES.get(measure) or oews_measure_words(measure)


def period_words(period: str) -> str:
    """`2024-05` as `May 2024`, `2024-01-01/2024-03-31` as `2024-01-01 to 2024-03-31`; others as
    they are."""
    year, _, month = period.partition("-")
    if len(period) == 7 and month.isdigit() and year.isdigit():
        return f"{MONTHS[int(month) - 1]} {year}"
    return period.replace("/", " to ")


def amount(value: float, unit: str, signed: bool = False) -> str:
    """A value in its unit as a reader writes it: `-15.4%`, `$133,080 a year`, `3.4 percentage
    points`; `signed` puts a + before positive values (premiums, changes)."""
    digits = f"{abs(value):,.1f}".removesuffix(".0") if abs(value) < 1000 else f"{abs(value):,.0f}"
    sign = "-" if value < 0 else ("+" if signed and value > 0 else "")
    dollar = "$" if unit in _DOLLARS else ""
    return f"{sign}{dollar}{digits}{_UNIT_AFTER.get(unit, ' ' + unit.replace('_', ' '))}"


def figure_names(published_figures: pl.DataFrame) -> dict[str, str]:
    """Each figure id with what it is: `Machine learning engineers, median total compensation,
    2026`."""
    return {
        f[
            "figure_id"
        ]: f"{f['subject']}, {measure_words(f['measure'])}, {period_words(f['period'])}"
        for f in published_figures.iter_rows(named=True)
    }


def series_names(observations: pl.DataFrame) -> dict[str, str]:
    """Each series id with its subject and measure: `Software Developers (SOC 15-1252), median
    annual wage`."""
    named = observations.select("series_id", "subject", "measure").unique("series_id")
    return {
        s["series_id"]: f"{s['subject']}, {measure_words(s['measure'])}"
        for s in named.iter_rows(named=True)
    }


def _longest_first(words: Iterable[str]) -> str:
    """A pattern matching any of `words`, the longest that fits first (as an alternation sorted
    longest first would), written as a trie: the ids of a build (about 1,000, most sharing long
    prefixes such as `bls:OEUN0000000000000`) compile and match in a fraction of the time."""
    trie: dict = {}
    for word in words:
        node = trie
        for character in word:
            node = node.setdefault(character, {})
        node[""] = {}  # a word ends here

    def pattern(node: dict) -> str:
        branches = [re.escape(c) + pattern(child) for c, child in sorted(node.items()) if c]
        if not branches:
            return ""
        group = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:  # a word ends here: a longer one is tried first, then this one
            return ("(?:" + group + ")" if len(branches) == 1 else group) + "?"
        return group

    return pattern(trie)


class Reader:
    """Turns the ledger's reasons into prose: ids become what they name (quoted statements for
    claims), `<number> <unit code>` becomes an amount, `(tolerance x)` says what it means."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self.names = dict(names)
        self._ids = re.compile(r"(?<![\w:])(" + _longest_first(self.names) + r")(?![\w:])")
        units = "|".join(sorted(_UNIT_AFTER, key=len, reverse=True))
        self._amounts = re.compile(rf"{_NUMBER} ({units})\b")
        self._ranges = re.compile(rf"{_NUMBER} to {_NUMBER} ({units})\b")
        self._units = re.compile(rf"\b({units})\b")

    @classmethod
    def of(
        cls,
        claims: Iterable[tuple[str, str]],
        published_figures: pl.DataFrame,
        observations: pl.DataFrame,
        datasets: Mapping[str, str] | None = None,
    ) -> Reader:
        """From (claim id, statement) pairs, the figures and observations the ledger cites, and
        the catalog's datasets (id: title)."""
        names = {measure: measure_words(measure) for measure in MEASURES}
        names.update({d: f"“{title}”" for d, title in (datasets or {}).items()})
        names.update({**series_names(observations), **figure_names(published_figures)})
        names.update({claim_id: f"“{statement.rstrip('.')}”" for claim_id, statement in claims})
        return cls(names)

    def __call__(self, text: str) -> str:
        text = self._ids.sub(lambda m: self.names[m.group(1)], text) if self.names else text
        text = self._ranges.sub(self._range, text)
        text = self._amounts.sub(self._amount, text)
        text = re.sub(r"\(tolerance 0\)", "(exactly)", text)
        text = re.sub(r"\(tolerance ([\d.]+)\)", r"(give or take \1)", text)
        for table, words in TABLE_WORDS.items():
            text = text.replace(f" ({table})", "").replace(table, words)
        return self._units.sub(lambda m: UNIT_WORDS[m.group(1)], text)

    @staticmethod
    def _range(match: re.Match[str]) -> str:
        low_sign, low, high_sign, high, unit = match.groups()
        dollar = "$" if unit in _DOLLARS else ""
        return f"{low_sign}{dollar}{low} to {high_sign}{dollar}{high}{_UNIT_AFTER[unit]}"

    @staticmethod
    def _amount(match: re.Match[str]) -> str:
        sign, digits, unit = match.groups()
        dollar = "$" if unit in _DOLLARS else ""
        return f"{sign}{dollar}{digits}{_UNIT_AFTER[unit]}"


def snake_case_words(text: str) -> list[str]:
    """The snake_case tokens of a text: ids or codes where a reader expects words."""
    return _SNAKE_CASE.findall(text)
