"""The closing summary of a run: what was built, what failed or warned, where each source's data
came from, what the ledger found, and where the results are. Plain data in, lines of text out;
`pipelines/run_summary.py` gathers the facts from a Dagster run's event log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import polars as pl

from labor_lake.sources.refresh import AGE_WORDS, FRESH
from labor_lake.sources.snapshots import SNAPSHOT_LABEL
from schemas.vocabulary import CHECK_KINDS, CLAIM_STATUSES

LEDGER_STATUSES = tuple(CLAIM_STATUSES)
# Ledger statuses whose claims the summary names (the others are only counted).
NAMED_STATUSES = ("inconsistent", "conflict")
# The kinds of ledger rows that are claims of core/claims (not figure checks, nor the proxies
# year by year): the summary names them, the report states them first.
CLAIM_KINDS = ("article_claim", "oews_proxy_claim")
SOURCES_CHECK = "sources_reachable"
# Metadata keys of the claim_checks materialization: rows by kind and status, and the article's
# claims named by status.
LEDGER_COUNT_KEY = "ledger: {kind}: {status}"
LEDGER_NAMES_KEY = "ledger: {kind}: {status} claims"
# The ledger counted per article (one line each), for the summary and the asset's page.
LEDGER_ARTICLES_KEY = "ledger by article"
# Statements whose verdict as published differs from the verdict on today's numbers, one a line:
# `<figure words>: consistent as published (2024-07-16), inconsistent now (2026-08-19)`.
LEDGER_REVISED_KEY = "ledger: revised since published"
# The rows that are an article's own statements: its claims and its figures against their
# series (the OEWS proxies by year and trend are evidence for a claim, counted under the kinds).
ARTICLE_KINDS = ("article_claim", "oews_proxy_claim", "figure_vs_official")
# The same claims' statements, one a line, in the order of LEDGER_NAMES_KEY's ids.
LEDGER_STATEMENTS_KEY = "ledger: {kind}: {status} statements"
# What a check that did not pass means, in words (the check's own name is an id, for the details
# line). A check not listed here is named by its id.
CHECK_WORDS = {
    "sources_reachable": "sources not fetched",
    "windows_computed": "postings windows not computed",
    "concordance_matches_files": "OEWS concordance not matching the files",
    "schema": "schema check failed",
}
_MAX_STATEMENTS = 3
_MAX_NAMES = 6
_GENERIC_CAUSE = "unreachable earlier in this run; not asked again"
# "using the recorded snapshot of 2024-10-03" and "(787 days old)", read back from the refresh's
# outcome lines: datasets seeded from snapshots recorded on different days share one line.
_SNAPSHOT = "{snapshot}"  # where a fallback's recorded snapshot stood, in a group's key
_RECORDED_ON = re.compile(
    re.escape(SNAPSHOT_LABEL).replace(re.escape("{date}"), r"(\d{4}-\d{2}-\d{2})")
)
_AGE = re.compile(re.escape(AGE_WORDS).replace(re.escape("{days}"), r"(\d+)") + r"\)$")


@dataclass(frozen=True)
class CheckOutcome:
    asset: str
    name: str
    passed: bool
    severity: str  # "ERROR" or "WARN"
    notes: dict[str, str] = field(default_factory=dict)


@dataclass
class RunFacts:
    succeeded: bool
    planned: list[str]
    built: list[str]
    failed_steps: list[str]
    checks: list[CheckOutcome]
    lake_root: str
    # Rows of the ledger by kind, then status.
    ledger_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    # The claims named, by kind (of CLAIM_KINDS), then status (of NAMED_STATUSES).
    ledger_names: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    # One line per article: its title, publisher and date, and its statements' statuses.
    ledger_articles: list[str] = field(default_factory=list)
    # Statements a revision since their article changed the verdict of, one line each.
    ledger_revised: list[str] = field(default_factory=list)
    # Each named claim's statement, by claim id.
    ledger_statements: dict[str, str] = field(default_factory=dict)
    report_path: str | None = None
    release: str | None = None
    release_created: bool = True  # False: the tables were those of an existing release
    # The publisher's name of each source (the catalog's [publishers]), for the source lines.
    source_names: dict[str, str] = field(default_factory=dict)
    # Why the run failed, one line per failure (labor_lake/present/failures.py).
    failures: list[str] = field(default_factory=list)
    # Each dataset's title (the catalog's), for the source lines.
    dataset_titles: dict[str, str] = field(default_factory=dict)


def _names(names: list[str], most: int = _MAX_NAMES) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def short_title(title: str) -> str:
    """A dataset's title up to its first colon, parenthesis or ", every": "OEWS May 2024 national
    estimates", "AI tracker"."""
    for mark in (":", " (", ", every"):
        title = title.split(mark, 1)[0]
    return title.strip()


def _dataset_words(datasets: list[str], titles: dict[str, str]) -> str:
    """Datasets by their short titles (their ids where the catalog gave none), three at most."""
    words = list(dict.fromkeys(short_title(titles[d]) if d in titles else d for d in datasets))
    shown = "; ".join(words[:3])  # titles may hold commas
    return shown + (f"; and {len(words) - 3} more" if len(words) > 3 else "")


def _table_words(asset: str) -> str:
    """`metrics/postings_divergence` -> `postings divergence`."""
    return asset.rpartition("/")[2].replace("_", " ")


def _check_words(checks: list[CheckOutcome], source_names: dict[str, str]) -> str:
    """Checks by what they found, each with the sources or tables it was found in."""
    where: dict[str, list[str]] = {}
    for check in checks:
        source = check.asset.removeprefix("raw/").removesuffix("_payloads")
        place = (
            source_names.get(source, _table_words(check.asset))
            if check.name == SOURCES_CHECK
            else _table_words(check.asset)
        )
        where.setdefault(CHECK_WORDS.get(check.name, check.name), []).append(place)
    return "; ".join(f"{words} ({_names(places)})" for words, places in where.items())


def claim_words(statement: str) -> str:
    """A claim's statement without its closing parenthesis of caveats (the ledger keeps them)."""
    head = statement.split(" (", 1)[0].rstrip(" .")
    return f"\u201c{head}.\u201d" if head else statement


@dataclass
class _Fallback:
    """Datasets of one source not fetched for one cause, and what they use instead."""

    cause: str
    fallback: str  # with `_SNAPSHOT` where their recorded snapshots are named
    datasets: list[str] = field(default_factory=list)
    days: set[str] = field(default_factory=set)
    ages: list[int] = field(default_factory=list)  # days since each payload in use was taken

    def line(self, titles: dict[str, str]) -> str:
        how = self.cause if self.cause.startswith("not fetched") else f"not fetched: {self.cause}"
        fallback = self.fallback
        if self.days:
            first, last = min(self.days), max(self.days)
            # Several days as when they were recorded, not as a span the data covers.
            fallback = fallback.replace(
                _SNAPSHOT,
                SNAPSHOT_LABEL.format(date=first)
                if first == last
                else f"recorded snapshots (taken {first} to {last})",
            )
        elif self.ages:  # the lake's own vintages: how old the oldest in use is
            fallback += f", the oldest {max(self.ages)} days old"
        return f"{how}; {fallback} ({_dataset_words(self.datasets, titles)})"


def _source_lines(
    checks: list[CheckOutcome], source_names: dict[str, str], titles: dict[str, str]
) -> list[str]:
    """One line per source and fallback: fetched, or not fetched, why, and what is used instead
    (grouped by what the datasets fall back to). The check's notes are the refresh's outcome
    lines, `<dataset>: <status>: <detail> (<age>)`."""
    lines = []
    for check in checks:
        if check.name != SOURCES_CHECK:
            continue
        source = check.asset.removeprefix("raw/").removesuffix("_payloads")
        name = source_names.get(source, source)
        fresh: list[str] = []
        groups: list[_Fallback] = []
        for dataset, line in check.notes.items():
            _, status, rest = [*line.split(": ", 2), "", ""][:3]
            if status in FRESH:
                fresh.append(dataset)
                continue
            detail, _, age = rest.rpartition(" (")
            old = _AGE.match(age)
            cause, _, fallback = detail.rpartition("; ")
            # "GET <url>: HTTP 404 after retries": the cause without the URL, which the check
            # keeps; datasets not asked after the host failed say only that.
            cause = cause.rpartition(": ")[2] or cause or status
            day = None
            if found := _RECORDED_ON.search(fallback):
                day = found.group(1)
                fallback = _RECORDED_ON.sub(_SNAPSHOT, fallback)
            # One line per cause and fallback; "not asked again" joins the host's first failure.
            group = next(
                (g for g in groups if g.fallback == fallback
                 and (g.cause == cause or _GENERIC_CAUSE in (g.cause, cause))),
                None,
            )  # fmt: skip
            if group is None:
                group = _Fallback(cause, fallback)
                groups.append(group)
            if group.cause == _GENERIC_CAUSE:
                group.cause = cause
            group.datasets.append(dataset)
            group.days.update([day] if day else [])
            group.ages += [int(old.group(1))] if old else []
        if fresh or (check.passed and not check.notes):
            lines.append(f"  {name}: fetched" + (f" ({_names(fresh)})" if fresh else ""))
        lines += [f"  {name}: {group.line(titles)}" for group in groups]
    return lines


def summary_lines(facts: RunFacts) -> list[str]:
    """At most about 25 lines, read top to bottom: outcome, assets, checks, sources, ledger,
    paths."""
    skipped = [key for key in facts.planned if key not in set(facts.built)]
    failed = [c for c in facts.checks if not c.passed and c.severity == "ERROR"]
    warned = [c for c in facts.checks if not c.passed and c.severity != "ERROR"]
    outcome = "succeeded" if facts.succeeded else "FAILED"
    lines = [
        f"── labor-lake run {outcome} " + "─" * 40,
        f"Built {len(facts.built)} of {len(facts.planned)} assets"
        + (f"; skipped: {_names(skipped)}" if skipped else "."),
    ]
    if facts.failed_steps:
        lines.append(f"Failed steps: {_names(facts.failed_steps)}")
    lines += [f"Failed: {failure}" for failure in facts.failures]
    lines.append(
        "Checks failed: " + (_check_words(failed, facts.source_names) if failed else "none")
    )
    if warned:
        lines.append("Checks warned: " + _check_words(warned, facts.source_names))
    sources = _source_lines(facts.checks, facts.source_names, facts.dataset_titles)
    if sources:
        lines += ["Sources:", *sources[:8]]
        if len(sources) > 8:
            lines.append(f"  … and {len(sources) - 8} more datasets (see the run's check results)")
    if facts.ledger_counts:
        lines.append("Ledger:")
        for kind, meaning in CHECK_KINDS.items():
            counts = facts.ledger_counts.get(kind, {})
            if not any(counts.values()):
                continue
            lines.append(f"  {meaning.label}: {count_words(counts)}")
            if kind in CLAIM_KINDS:
                named = facts.ledger_names.get(kind, {})
                for status in NAMED_STATUSES:
                    claims = named.get(status, [])
                    lines += [
                        f"    {status}: {claim_words(facts.ledger_statements.get(c, c))}"
                        for c in claims[:_MAX_STATEMENTS]
                    ]
                    if len(claims) > _MAX_STATEMENTS:
                        lines.append(f"    … and {len(claims) - _MAX_STATEMENTS} more {status}")
        if facts.ledger_revised:
            lines.append(
                f"  revised since published ({len(facts.ledger_revised)}; the verdict on the "
                "numbers of the article's day, then on today's):"
            )
            lines += [f"    {line}" for line in facts.ledger_revised[:_MAX_STATEMENTS]]
            if len(facts.ledger_revised) > _MAX_STATEMENTS:
                lines.append(f"    … and {len(facts.ledger_revised) - _MAX_STATEMENTS} more")
        if facts.ledger_articles:
            lines.append(f"Ledger by article ({len(facts.ledger_articles)}):")
            lines += [f"  {line}" for line in facts.ledger_articles]
    else:
        lines.append("Ledger: not rebuilt in this run")
    lines.append(f"Lake:    {facts.lake_root}")
    if facts.report_path:
        lines.append(f"Report:  {facts.report_path}")
    if facts.release:
        where = f"{facts.lake_root.rstrip('/')}/releases/{facts.release}"
        lines.append(
            f"Release: new release {facts.release}: {where}"
            if facts.release_created
            else f"Release: none made, the tables are those of release {facts.release}: {where}"
        )
    details = _details(facts, failed + warned)
    if details:
        lines.append(f"Details: {details}")
    return lines


def _details(facts: RunFacts, checks: list[CheckOutcome]) -> str:
    """The ids a reader looks things up by (in the UI, the ledger, the catalog), on one line."""
    parts = []
    if checks:
        parts.append("checks " + ", ".join(f"{c.asset}:{c.name}" for c in checks))
    claims = [
        claim
        for kind in CLAIM_KINDS
        for status in NAMED_STATUSES
        for claim in facts.ledger_names.get(kind, {}).get(status, [])
    ]
    if claims:
        parts.append("claims " + ", ".join(claims))
    return "; ".join(parts)


def count_words(counts: dict[str, int]) -> str:
    """`4 consistent, 2 inconsistent`: the statuses that occur, in the vocabulary's order."""
    present = [f"{counts[s]} {s}" for s in LEDGER_STATUSES if counts.get(s)]
    return ", ".join(present) or "none"


def status_counts(claim_checks: pl.DataFrame) -> dict[str, dict[str, int]]:
    """Rows of the ledger by kind and status, every kind and status present (zero when none)."""
    counts = {
        (kind, status): n
        for kind, status, n in claim_checks.group_by("kind", "status").len().iter_rows()
    }
    return {
        kind: {status: int(counts.get((kind, status), 0)) for status in LEDGER_STATUSES}
        for kind in CHECK_KINDS
    }


def article_lines(claim_checks: pl.DataFrame, articles: pl.DataFrame) -> list[str]:
    """One line per article with statements in the ledger: `Title (Publisher, 2024-03-14): 3
    consistent, 1 inconsistent`, by date, undated articles last."""
    rows = claim_checks.filter(
        pl.col("kind").is_in(ARTICLE_KINDS) & pl.col("article_id").is_not_null()
    )
    counts = {
        (article, status): n
        for article, status, n in rows.group_by("article_id", "status").len().iter_rows()
    }
    lines = []
    for article in articles.sort("published_on", "title", nulls_last=True).iter_rows(named=True):
        by_status = {s: counts.get((article["article_id"], s), 0) for s in LEDGER_STATUSES}
        if not any(by_status.values()):
            continue
        day = f"{article['published_on']}" if article["published_on"] else "undated"
        lines.append(
            f"{article['title']} ({article['publisher']}, {day}): {count_words(by_status)}"
        )
    return lines


def revised_lines(claim_checks: pl.DataFrame) -> list[str]:
    """`“<the figure as printed>”: consistent as published (2024-07-16), inconsistent now
    (2026-08-19)` for each statement a revision since its article changed the verdict of."""
    revised = claim_checks.filter(pl.col("revised_since").fill_null(False)).sort("claim_id")
    return [
        f"{claim_words(row['statement'])} {row['status']} as published ({row['vintage_as_of']}), "
        f"{row['status_now']} now ({row['vintage_now']})"
        for row in revised.iter_rows(named=True)
    ]


def ledger_metadata(
    claim_checks: pl.DataFrame, articles: pl.DataFrame | None = None
) -> dict[str, int | str]:
    """The ledger as metadata of its materialization: counts by kind and status (numbers, which
    the UI plots over runs), the claims of CLAIM_KINDS with NAMED_STATUSES by name, and the
    counts per article where the articles are given."""
    counts = {
        LEDGER_COUNT_KEY.format(kind=kind, status=status): n
        for kind, by_status in status_counts(claim_checks).items()
        for status, n in by_status.items()
    }
    names: dict[str, int | str] = {}
    for kind in CLAIM_KINDS:
        for status in NAMED_STATUSES:
            named = claim_checks.filter(
                (pl.col("kind") == kind) & (pl.col("status") == status)
            ).sort("claim_id")
            names[LEDGER_NAMES_KEY.format(kind=kind, status=status)] = ", ".join(named["claim_id"])
            names[LEDGER_STATEMENTS_KEY.format(kind=kind, status=status)] = "\n".join(
                named["statement"].fill_null("")
            )
    by_article = (
        {LEDGER_ARTICLES_KEY: "\n".join(article_lines(claim_checks, articles))}
        if articles is not None
        else {}
    )
    revised = {LEDGER_REVISED_KEY: "\n".join(revised_lines(claim_checks))}
    return {**counts, **names, **by_article, **revised}


def ledger_counts_from(metadata: dict[str, object]) -> dict[str, dict[str, int]]:
    """The counts `ledger_metadata` gave, read back from the materialization's metadata."""
    counts: dict[str, dict[str, int]] = {}
    for kind in CHECK_KINDS:
        for status in LEDGER_STATUSES:
            value = metadata.get(LEDGER_COUNT_KEY.format(kind=kind, status=status))
            if isinstance(value, int):
                counts.setdefault(kind, {})[status] = value
    return counts


def ledger_names_from(metadata: dict[str, object]) -> dict[str, dict[str, list[str]]]:
    """The claims `ledger_metadata` named, read back from the materialization's metadata."""
    names: dict[str, dict[str, list[str]]] = {}
    for kind in CLAIM_KINDS:
        for status in NAMED_STATUSES:
            if listed := metadata.get(LEDGER_NAMES_KEY.format(kind=kind, status=status)):
                names.setdefault(kind, {})[status] = str(listed).split(", ")
    return names


def ledger_articles_from(metadata: dict[str, object]) -> list[str]:
    """The per-article lines `ledger_metadata` gave, read back from the metadata."""
    listed = metadata.get(LEDGER_ARTICLES_KEY)
    return str(listed).splitlines() if listed else []


def ledger_statements_from(metadata: dict[str, object]) -> dict[str, str]:
    """Each claim `ledger_metadata` named, by id, with its statement."""
    statements: dict[str, str] = {}
    for kind in CLAIM_KINDS:
        for status in NAMED_STATUSES:
            ids = metadata.get(LEDGER_NAMES_KEY.format(kind=kind, status=status))
            texts = metadata.get(LEDGER_STATEMENTS_KEY.format(kind=kind, status=status))
            ids, texts = str(ids or "").split(", "), str(texts or "").split("\n")
            if len(ids) == len(texts):  # else (an older run's metadata): named by their ids
                statements.update((c, t) for c, t in zip(ids, texts, strict=True) if c and t)
    return statements


def ledger_revised_from(metadata: dict[str, object]) -> list[str]:
    """The revised statements `ledger_metadata` gave, read back from the metadata."""
    listed = metadata.get(LEDGER_REVISED_KEY)
    return str(listed).splitlines() if listed else []
