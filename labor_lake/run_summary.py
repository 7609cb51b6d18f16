"""The closing summary of a run: what was built, what failed or warned, where each source's data
came from, what the ledger found, and where the results are. Plain data in, lines of text out;
`pipelines/run_summary.py` gathers the facts from a Dagster run's event log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import polars as pl

from labor_lake.refresh import FRESH
from schemas.vocabulary import CLAIM_STATUSES

LEDGER_STATUSES = tuple(CLAIM_STATUSES)
# Ledger statuses whose claims the summary names (the others are only counted).
NAMED_STATUSES = ("inconsistent", "conflict")
SOURCES_CHECK = "sources_reachable"
# Metadata keys of the claim_checks materialization: counts by status, and the claims named.
LEDGER_COUNT_KEY = "ledger: {status}"
LEDGER_NAMES_KEY = "ledger: {status} claims"
_MAX_NAMES = 6
_GENERIC_CAUSE = "unreachable earlier in this run; not asked again"


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
    ledger_counts: dict[str, int] = field(default_factory=dict)
    ledger_names: dict[str, list[str]] = field(default_factory=dict)
    report_path: str | None = None
    release: str | None = None
    # The publisher's name of each source (the catalog's [publishers]), for the source lines.
    source_names: dict[str, str] = field(default_factory=dict)


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:_MAX_NAMES])
    return shown + (f" and {len(names) - _MAX_NAMES} more" if len(names) > _MAX_NAMES else "")


# A ledger row checked per year and statistic (`<pair>_<year>_<statistic>`, the OEWS proxies).
_PER_YEAR_CLAIM = re.compile(r"^(?P<stem>.+)_(?P<year>\d{4})_[a-z0-9_]+$")


def _claim_names(claim_ids: list[str]) -> str:
    """Claim ids to name, the rows of one per-year series folded into one entry (stem, count,
    years), after the claims that stand alone, so a reader sees the article's own claims first."""
    alone: list[str] = []
    series: dict[str, list[tuple[int, str]]] = {}
    for claim_id in claim_ids:
        match = _PER_YEAR_CLAIM.match(claim_id)
        if match:
            series.setdefault(match["stem"], []).append((int(match["year"]), claim_id))
        else:
            alone.append(claim_id)
    folded = []
    for stem, rows in series.items():
        years = [year for year, _ in rows]
        folded.append(
            f"{stem} ({len(rows)} by year and statistic, {min(years)}-{max(years)})"
            if len(rows) > 1
            else rows[0][1]
        )
    return _names([*alone, *folded])


def _source_lines(checks: list[CheckOutcome], source_names: dict[str, str]) -> list[str]:
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
        by_fallback: dict[str, tuple[str, list[str]]] = {}
        for dataset, line in check.notes.items():
            _, status, rest = [*line.split(": ", 2), "", ""][:3]
            if status in FRESH:
                fresh.append(dataset)
                continue
            detail = rest.rsplit(" (", 1)[0]
            cause, _, fallback = detail.rpartition("; ")
            # "GET <url>: HTTP 404 after retries": the cause without the URL, which the check
            # keeps; datasets not asked after the host failed say only that.
            cause = cause.rpartition(": ")[2] or cause or status
            known_cause, datasets = by_fallback.get(fallback, (cause, []))
            specific = cause if known_cause == _GENERIC_CAUSE else known_cause
            by_fallback[fallback] = (specific, [*datasets, dataset])
        if fresh or (check.passed and not check.notes):
            lines.append(f"  {name}: fetched" + (f" ({_names(fresh)})" if fresh else ""))
        for fallback, (cause, datasets) in by_fallback.items():
            how = cause if cause.startswith("not fetched") else f"not fetched: {cause}"
            lines.append(f"  {name}: {how}; {fallback} ({_names(datasets)})")
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
    lines.append(
        "Checks failed: " + _names([f"{c.asset} {c.name}" for c in failed])
        if failed
        else "Checks failed: none"
    )
    if warned:
        lines.append("Checks warned: " + _names([f"{c.asset} {c.name}" for c in warned]))
    sources = _source_lines(facts.checks, facts.source_names)
    if sources:
        lines += ["Sources:", *sources[:8]]
        if len(sources) > 8:
            lines.append(f"  … and {len(sources) - 8} more datasets (see the run's check results)")
    if facts.ledger_counts:
        counts = ", ".join(f"{facts.ledger_counts.get(s, 0)} {s}" for s in LEDGER_STATUSES)
        lines.append(f"Ledger: {counts}")
        for status in NAMED_STATUSES:
            if facts.ledger_names.get(status):
                lines.append(f"  {status}: {_claim_names(facts.ledger_names[status])}")
    else:
        lines.append("Ledger: not rebuilt in this run")
    lines.append(f"Lake:    {facts.lake_root}")
    if facts.report_path:
        lines.append(f"Report:  {facts.report_path}")
    if facts.release:
        lines.append(f"Release: {facts.lake_root.rstrip('/')}/releases/{facts.release}")
    return lines


def status_counts(claim_checks: pl.DataFrame) -> dict[str, int]:
    """Rows of the ledger by status, every status present (zero when none)."""
    counts = dict(claim_checks.group_by("status").len().iter_rows())
    return {status: int(counts.get(status, 0)) for status in LEDGER_STATUSES}


def claims_with_status(claim_checks: pl.DataFrame, status: str) -> list[str]:
    return sorted(claim_checks.filter(pl.col("status") == status)["claim_id"].to_list())
