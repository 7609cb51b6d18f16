"""Controlled vocabularies shared by the registry, the schemas and the metric logic.

Each term is defined once here with a description; schemas derive their allowed-value checks
from these mappings, and the data dictionary prints them.
"""

from __future__ import annotations

from dataclasses import dataclass

# Period strings of the registry (grammar in labor_lake/registry/periods.py): `YYYY`, `YYYY-MM`,
# `YYYY-MM-DD`, `YYYY-Qn`, `YYYY-Hn`, or an interval `A/B` of two of them.
_POINT = r"\d{4}(?:-(?:(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?|Q[1-4]|H[12]))?"
PERIOD_PATTERN = rf"^{_POINT}(?:/{_POINT})?$"


@dataclass(frozen=True)
class Unit:
    """A unit of measure and the values that are physically meaningful in it."""

    description: str
    minimum: float | None = None
    minimum_inclusive: bool = True
    maximum: float | None = None


UNITS: dict[str, Unit] = {
    "percent": Unit("A share or rate in percent of a whole (0 to 100).", 0.0, True, 100.0),
    "percent_change": Unit(
        "A relative change or premium, (new / old - 1) x 100; cannot fall below -100.", -100.0
    ),
    "percentage_points": Unit("An arithmetic difference between two percentages."),
    "usd_per_year": Unit("US dollars per year, nominal.", 0.0, False),
    "usd_per_hour": Unit("US dollars per hour, nominal.", 0.0, False),
    "usd_per_year_difference": Unit("A difference between two annual US dollar amounts."),
    "count": Unit("A number of things (people, postings, skills).", 0.0, True),
    "rank": Unit("An ordinal position, 1 = first.", 1.0, True),
    "percentage_points_per_year": Unit(
        "A trend: the change of a percentage, in percentage points, per year."
    ),
    "index": Unit("An index level relative to a base date (Indeed: 2020-02-01 = 100).", 0.0, False),
    "ratio": Unit("A multiple: one value divided by another (2 = twice as high).", 0.0, True),
}

MEASURES: dict[str, str] = {
    "unemployment_rate": "Unemployed as a share of the labor force in an occupation or group.",
    "employment": "Number of people employed.",
    "postings_count": "Number of job postings active or listed.",
    "postings_growth": "Relative change in the number of job postings over a window.",
    "ai_written_code_share": "Share of new code written by AI tools, as stated by a company.",
    "code_output_change": "Relative change in code produced per sprint with AI coding tools.",
    "skill_taxonomy_size": "Number of distinct skills in a job-board skill subcategory.",
    "skill_taxonomy_growth": "Relative change in the number of distinct skills in a subcategory.",
    "skill_growth_rank": "Rank of a skill category by projected growth.",
    "median_annual_wage": (
        "BLS OEWS median annual wage: base pay plus some incentive pay; excludes nonproduction "
        "bonuses, equity and benefits. Not total compensation."
    ),
    "median_total_comp": "Median total compensation (base, bonus, equity) from salary surveys.",
    "mean_base_salary": "Average base salary from salary surveys.",
    "pay_premium": "Relative pay difference of one group over another.",
    "annual_pay_gain": "Increase in annual pay after a career move.",
    "mean_annual_wage": "BLS OEWS mean annual wage.",
    "annual_wage_p10": "BLS OEWS 10th percentile annual wage.",
    "annual_wage_p25": "BLS OEWS 25th percentile annual wage.",
    "annual_wage_p75": "BLS OEWS 75th percentile annual wage.",
    "annual_wage_p90": "BLS OEWS 90th percentile annual wage.",
    "mean_hourly_wage": "BLS OEWS mean hourly wage.",
    "median_hourly_wage": "BLS OEWS median hourly wage.",
    "hourly_wage_p10": "BLS OEWS 10th percentile hourly wage.",
    "hourly_wage_p25": "BLS OEWS 25th percentile hourly wage.",
    "hourly_wage_p75": "BLS OEWS 75th percentile hourly wage.",
    "hourly_wage_p90": "BLS OEWS 90th percentile hourly wage.",
    "employment_share": "Employment in an occupation as a percent of employment in all occupations.",
    "ai_share_of_postings": "Share of job postings whose text mentions AI or GenAI terms.",
    "postings_index": "Level of job postings relative to a base date.",
    "genai_share_of_postings": (
        "Share of job postings whose text mentions generative-AI terms (Indeed's GenAI tracker)."
    ),
}

FREQUENCIES: dict[str, str] = {
    "daily": "One observation per day.",
    "monthly": "One observation per month.",
    "annual": "One observation per year.",
}

SOURCES: dict[str, str] = {
    "bls": "U.S. Bureau of Labor Statistics, Public Data API v2 (OEWS, CPS).",
    "fred": "Federal Reserve Bank of St. Louis, FRED (Indeed job postings indexes).",
    "indeed_hiring_lab": "Indeed Hiring Lab public data (CC BY 4.0), github.com/hiring-lab.",
}

RECORDED_SNAPSHOT = "recorded_snapshot"
PUBLISHER_HISTORY = "publisher_history"
ALFRED = "alfred"
VINTAGE_ORIGINS: dict[str, str] = {
    "fetched": "Answered by the source to this lake.",
    RECORDED_SNAPSHOT: "A recorded real payload shipped in the repository's snapshots/.",
    PUBLISHER_HISTORY: "A version from the publisher's own history: the file at a commit of its "
    "git repository, dated by the commit (recorded in snapshots/history/, or fetched through "
    "GitHub's API and raw addresses).",
    ALFRED: "A vintage of FRED's real-time archive (ALFRED), dated by FRED's realtime_start: "
    "read from an answer the lake fetched with FRED_API_KEY for every vintage of the series.",
}
# What became of a vintage considered for core/observation_vintages.
VINTAGE_STATUSES: dict[str, str] = {
    "folded": "Its rows are in core/observation_vintages (only changed values add rows).",
    "deleted": "The commit removed the file; what it published before stays readable from history.",
    "missing": "Its bytes could not be had (a clone without the blob, a raw address that failed).",
    "damaged": "Its bytes do not parse as the dataset (any declared header variant); skipped.",
}

QUALIFIERS: dict[str, str] = {
    "exact": "The figure is stated as a point value.",
    "at_least": "The figure is a lower bound ('over', 'more than').",
    "up_to": "The figure is an upper bound ('up to').",
    "approximately": "The figure is stated loosely ('about', 'nearly', '~', 'typically').",
}

SOURCE_KINDS: dict[str, str] = {
    "article": "A figure as printed in an article of registry/articles.csv.",
    "official_reference": "A figure from an official publication (BLS, FRED, Indeed Hiring Lab).",
}

CLAIM_STATUSES: dict[str, str] = {
    "consistent": "The value recomputed from the inputs falls within the stated range, +/- tolerance.",
    "inconsistent": "The recomputed value falls outside the stated range, +/- tolerance.",
    "unverifiable": "Nothing to compare: no stated value, or the inputs are not like-for-like.",
    "conflict": "The article attributes an input figure to more than one publisher.",
}


@dataclass(frozen=True)
class CheckKind:
    """What a row of the claim ledger checks: how readers name it, and what it means."""

    label: str
    description: str


# Readers count and show each kind on its own, in this order: one claim of the article has one
# `article_claim` row, but its OEWS proxies have dozens of `oews_proxy_by_year` rows.
CHECK_KINDS: dict[str, CheckKind] = {
    "article_claim": CheckKind(
        "the article's claims",
        "A claim of the article (core/claims), recomputed from its input figures.",
    ),
    "oews_proxy_claim": CheckKind(
        "the article's pay claim on official OEWS proxies",
        "A claim of core/claims that tests an article's pay claim on official OEWS proxy "
        "occupations (the claim of a pair in registry/occupation_pairs.csv), recomputed from the "
        "OEWS figures it names.",
    ),
    "oews_proxy_by_year": CheckKind(
        "the same OEWS proxies, by year and statistic",
        "An OEWS proxy claim against the premium of its occupations in the OEWS files, for one "
        "year and one wage statistic.",
    ),
    "oews_proxy_trend": CheckKind(
        "OEWS proxy trends",
        "How the median premium of an OEWS proxy pair moves over the years: widening or "
        "narrowing (the article states no trend, so it is never consistent).",
    ),
    "figure_vs_official": CheckKind(
        "published figures against their official series",
        "A published figure (core/published_figures) against its official series in "
        "core/observations.",
    ),
}


@dataclass(frozen=True)
class Reading:
    """How a stated value reads its official series over the figure's period.

    `yields` is the unit the reading gives: `None` for the series' own unit, else a unit name.
    `series_units` are the series units it can read (`None`: any)."""

    description: str
    yields: str | None = None
    series_units: tuple[str, ...] | None = None
    needs_interval: bool = False

    def unit_from(self, series_unit: str) -> str | None:
        """The unit this reading yields from a series in `series_unit`; None if it cannot read
        such a series."""
        if self.series_units is not None and series_unit not in self.series_units:
            return None
        return self.yields or series_unit


# Level units: a change in percent between two of their values means something.
_LEVEL_UNITS = ("percent", "index", "count", "usd_per_year", "usd_per_hour")
DEFAULT_READING = "value"
READINGS: dict[str, Reading] = {
    DEFAULT_READING: Reading(
        "The one observation whose period covers the figure's period (an OEWS May estimate for "
        "its year, a CPS month or year). The default when `reading` is empty."
    ),
    "on": Reading(
        "The value on the period's last day, or the last one published before it within one "
        "step of the series' frequency ('as of March 8', 'at the end of February')."
    ),
    "mean": Reading("The mean of the observations inside the period ('averaged')."),
    "max": Reading("The highest observation inside the period ('peaked at')."),
    "min": Reading("The lowest observation inside the period ('bottomed out at')."),
    "end": Reading("The last observation inside the period."),
    "change_pct": Reading(
        "Growth in percent, (last / first - 1) x 100, from the value on the period's first day "
        "to the value on its last day (each read as `on`).",
        yields="percent_change",
        series_units=_LEVEL_UNITS,
        needs_interval=True,
    ),
    "change_pp": Reading(
        "The change of a share or rate in percentage points, last - first, from the period's "
        "first day to its last day (each read as `on`).",
        yields="percentage_points",
        series_units=("percent",),
        needs_interval=True,
    ),
    "ratio": Reading(
        "How many times its value on the period's first day the series is on its last day "
        "('30-fold', 'more than double').",
        yields="ratio",
        series_units=_LEVEL_UNITS,
        needs_interval=True,
    ),
    "above_base_pct": Reading(
        "An index's distance from its base (100) in percent, on the period's last day: 118 reads "
        "'18% above its pre-pandemic baseline'.",
        yields="percent_change",
        series_units=("index",),
    ),
}
