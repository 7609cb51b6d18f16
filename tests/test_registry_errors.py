"""A malformed registry fails the run with a message that names the file, line, column and value,
and loses nothing: the core and metrics tables already in the lake stay byte-identical."""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from assets import settings

from .conftest import REGISTRY, Workspace, failure_text, run_pipeline
from .lake_checks import assert_datapackage_matches_files

Rows = list[dict[str, str]]


def _rows(text: str) -> tuple[list[str], Rows]:
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames or []), list(reader)


def _text(header: list[str], rows: Rows) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def set_cell(record_id: str, column: str, value: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        header, rows = _rows(text)
        id_column = header[0]
        for row in rows:
            if row[id_column] == record_id:
                row[column] = value
        return _text(header, rows)

    return edit


def rename_column(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        first, _, rest = text.partition("\n")
        return first.replace(old, new) + "\n" + rest

    return edit


def drop_column(column: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        header, rows = _rows(text)
        header.remove(column)
        return _text(header, [{k: v for k, v in r.items() if k != column} for r in rows])

    return edit


def duplicate_record(record_id: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        header, rows = _rows(text)
        return _text(header, [*rows, next(r for r in rows if r[header[0]] == record_id)])

    return edit


def line_of(file: str, record_id: str | None = None) -> str:
    """`<file>:<line>` of a record of the committed registry file, or (no record) of a row
    appended to it: the cases follow the registry as figures and claims are added."""
    lines = (REGISTRY / file).read_text().splitlines()
    if record_id is None:
        return f"{file}:{len(lines) + 1}"
    return (
        f"{file}:{next(n for n, line in enumerate(lines, 1) if line.startswith(record_id + ','))}"
    )


def _lake_digest(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def good_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("good") / "lake"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(settings.LAKE_ROOT_ENV, str(root))
        patch.setenv(settings.FIGURES_ENV, str(REGISTRY / "published_figures.csv"))
        patch.setenv(settings.CLAIMS_ENV, str(REGISTRY / "claims.csv"))
        patch.setenv(settings.SOURCES_ENV, "offline")
        assert run_pipeline().success
    return root


FIGURES, CLAIMS, ARTICLES = "published_figures.csv", "claims.csv", "articles.csv"

# (case id, file edited, edit, strings the error must contain: file, line, column, value, check)
CASES = [
    (
        "non_numeric_value",
        FIGURES,
        set_cell("swdev_unemployment_rate_2025", "value", "3.3%"),
        ["published_figures.csv:2", "'value'", "'3.3%'", "numeric"],
    ),
    (
        "unknown_unit",
        FIGURES,
        set_cell("computer_programmers_unemployment_rate_2025", "unit", "percnt"),
        ["published_figures.csv:3", "'unit'", "'percnt'", "isin"],
    ),
    (
        "duplicate_id",
        FIGURES,
        duplicate_record("dice_ai_ml_skills_2024"),
        ["published_figures.csv:", "'figure_id'", "'dice_ai_ml_skills_2024'", "uniqueness"],
    ),
    (
        "rate_above_100",
        FIGURES,
        set_cell("infosec_analysts_unemployment_rate_2025", "value", "210"),
        ["published_figures.csv:4", "'value'", "'210.0'", "value_within_unit_range"],
    ),
    (
        "negative_wage",
        FIGURES,
        set_cell("oews_15_1252_median_wage_2024", "value", "-133080"),
        ["published_figures.csv:", "'value'", "'-133080.0'", "value_within_unit_range"],
    ),
    (
        "low_above_high",
        FIGURES,
        set_cell("ai_tool_code_output_gain", "low", "70"),
        ["published_figures.csv:13", "'low'", "'70.0'", "low_le_high"],
    ),
    (
        "missing_publisher",
        FIGURES,
        set_cell("ai_postings_growth_since_2024", "publisher", ""),
        ["published_figures.csv:9", "'publisher'", "not_nullable"],
    ),
    (
        "official_without_url",
        FIGURES,
        set_cell("oews_15_2051_median_wage_2024", "citation_url", ""),
        ["published_figures.csv:", "'citation_url'", "official_figure_has_url"],
    ),
    (
        "bad_period",
        FIGURES,
        set_cell("swdev_median_wage_may2024", "period", "May 2024"),
        ["published_figures.csv:", "'period'", "'May 2024'", "period_format"],
    ),
    (
        "renamed_column",
        FIGURES,
        rename_column("qualifier", "qualifer"),
        ["published_figures.csv:1", "'qualifier'", "required_column", "'qualifer'", "known_column"],
    ),
    (
        "missing_column",
        FIGURES,
        drop_column("unit"),
        ["published_figures.csv:1", "'unit'", "required_column"],
    ),
    ("empty_file", FIGURES, lambda _: "", ["published_figures.csv:1", "not_empty"]),
    (
        "header_only",
        FIGURES,
        lambda text: text.partition("\n")[0] + "\n",
        ["published_figures.csv:1", "has_records"],
    ),
    (
        "ragged_row",
        FIGURES,
        lambda text: text + "extra_figure,article,employment\n",
        [line_of(FIGURES), "'extra_figure'", "field_count"],
    ),
    (
        "unknown_figure_in_claim",
        CLAIMS,
        set_cell(
            "ml_swe_total_comp_premium",
            "input_figure_ids",
            "ml_engineer_median_total_comp_2026;swe_median_comp",
        ),
        ["claims.csv:2", "'input_figure_ids'", "'swe_median_comp'", "known_figure_id"],
    ),
    (
        "claim_low_above_high",
        CLAIMS,
        set_cell("ml_swe_total_comp_premium", "stated_low", "40"),
        ["claims.csv:2", "'stated_low'", "'40.0'", "stated_low_le_stated_high"],
    ),
    (
        "claim_wrong_arity",
        CLAIMS,
        set_cell("dice_taxonomy_expansion_150pct", "input_figure_ids", "dice_ai_ml_skills_2026"),
        ["claims.csv:", "'input_figure_ids'", "growth_pct_takes_2_inputs"],
    ),
    # Strict numbers: only the forms publishers write, of a magnitude the unit allows.
    *(
        (
            f"number_{case_id}",
            FIGURES,
            set_cell("swdev_unemployment_rate_2025", "value", text),
            ["published_figures.csv:2", "'value'", repr(text), "failed numeric:", why],
        )
        for case_id, text, why in [
            ("underscore", "2_1", "'2_1' uses '_' digit grouping"),
            ("full_width", "\uff13.\uff13", "non-ASCII character '\uff13' (U+FF13)"),
            ("arabic_indic", "\u0663.\u0663", "non-ASCII character '\u0663' (U+0663)"),
            ("exponent_huge", "1e308", "has an exponent"),
            ("exponent_tiny", "1e-300", "has an exponent"),
            ("inf", "inf", "not a finite number"),
            ("nan", "nan", "not a finite number"),
        ]
    ),
    (
        "absurdly_small_wage",
        FIGURES,
        set_cell("oews_15_1252_median_wage_2024", "value", "0." + "0" * 299 + "1"),
        [
            line_of(FIGURES, "oews_15_1252_median_wage_2024"),
            "'value'",
            "magnitude: magnitude 1e-300 is below 1",
        ],
    ),
    (
        "absurdly_large_wage",
        FIGURES,
        set_cell("oews_15_1252_median_wage_2024", "value", "1" + "0" * 308),
        [
            line_of(FIGURES, "oews_15_1252_median_wage_2024"),
            "'value'",
            "magnitude: magnitude 1e+308 is above 1e+09",
        ],
    ),
    # Registry limits: control characters, cell length, encoding, file size.
    (
        "nul_in_text",
        FIGURES,
        set_cell("swdev_unemployment_rate_2025", "subject", "Software\x00developers"),
        ["published_figures.csv:2", "'subject'", "Software\\\\x00developers", "U+0000"],
    ),
    (
        "cell_too_long",
        CLAIMS,
        set_cell("ml_swe_total_comp_premium", "notes", "x" * 200_000),
        ["claims.csv:2", "'notes'", "(200,000 characters)", "max_cell_length"],
    ),
    (
        "latin1_byte",
        FIGURES,
        # One Latin-1 byte in an otherwise UTF-8 file (the registry's own notes hold dashes that
        # Latin-1 cannot encode).
        lambda text: text.replace("Software developers", "Software d\udce9velopers", 1).encode(
            "utf-8", errors="surrogateescape"
        ),
        ["published_figures.csv:2", "'subject'", "byte 0xe9 at character", "utf8_encoding"],
    ),
    # Readings, days, series and articles (the "any statement" registry).
    (
        "unknown_reading",
        FIGURES,
        set_cell("hl2403_ai_feb", "reading", "peak"),
        [line_of(FIGURES, "hl2403_ai_feb"), "'reading'", "'peak'", "isin"],
    ),
    (
        "day_not_a_date",
        FIGURES,
        set_cell("hl2403_ai_feb", "period", "2024-02-30"),
        [line_of(FIGURES, "hl2403_ai_feb"), "'period'", "'2024-02-30'", "not a date"],
    ),
    (
        "reading_unit_mismatch",
        FIGURES,
        # An index read `on` a day is an index level, not the figure's percent above its base.
        set_cell("hl2403_jpi", "reading", "on"),
        [
            line_of(FIGURES, "hl2403_jpi"),
            "'reading'",
            "'on'",
            "reading_unit: on reads a series in index as index, not percent_change",
        ],
    ),
    (
        "unknown_series",
        FIGURES,
        set_cell("hl2403_ai_feb", "official_series_id", "indeed:ai_shares:US"),
        [
            line_of(FIGURES, "hl2403_ai_feb"),
            "'official_series_id'",
            "'indeed:ai_shares:US'",
            "no catalog dataset produces it; nearest known: 'indeed:ai_share:US'",
        ],
    ),
    (
        "unknown_article",
        FIGURES,
        set_cell("hl2403_ai_feb", "source_document", "article:no_such_article"),
        [
            line_of(FIGURES, "hl2403_ai_feb"),
            "'source_document'",
            "'article:no_such_article'",
            "known_article",
        ],
    ),
    (
        "article_day_not_a_date",
        ARTICLES,
        set_cell("hiringlab_2024_03_lmu_ai", "published_on", "2024-02-30"),
        [
            line_of(ARTICLES, "hiringlab_2024_03_lmu_ai"),
            "'published_on'",
            "'2024-02-30'",
            "not a date",
        ],
    ),
    (
        "file_too_large",
        CLAIMS,
        lambda text: text + "\n" * (3 * 1024 * 1024),
        ["claims.csv", "3,149,", "max_file_size"],
    ),
]


@pytest.mark.parametrize(
    ("file", "edit", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_malformed_registry_fails_clearly_and_keeps_the_lake(
    workspace: Workspace,
    good_lake: Path,
    file: str,
    edit: Callable[[str], str | bytes],
    expected: list[str],
) -> None:
    shutil.copytree(good_lake, workspace.lake_root)
    before = _lake_digest(workspace.lake_root)
    edited = edit((REGISTRY / file).read_text())
    target = {FIGURES: workspace.figures, CLAIMS: workspace.claims, ARTICLES: workspace.articles}[
        file
    ]
    if isinstance(edited, bytes):  # an encoding error is only expressible as bytes
        target.write_bytes(edited)
    else:
        target.write_text(edited)

    result = run_pipeline()

    assert not result.success
    message = failure_text(result)
    for fragment in expected:
        assert fragment in message, f"{fragment!r} not in:\n{message}"
    after = _lake_digest(workspace.lake_root)
    # Tables downstream of the bad file keep their last good bytes. (raw/ holds inputs as read,
    # and core/published_figures is rebuilt from a valid figures file when only claims are bad;
    # datapackage.json follows raw/ so that it always describes the files beside it.)
    protected = (
        "metrics/",
        "core/claims",
        *(("core/",) if file in (FIGURES, ARTICLES) else ()),
    )
    # core/articles is read from its own file, upstream of the figures: protected only when
    # the bad file is the articles file itself.
    kept = {
        p: d
        for p, d in before.items()
        if p.startswith(protected) and (file == ARTICLES or "articles" not in p)
    }
    assert len(kept) >= 6
    assert_datapackage_matches_files(workspace.lake_root)
    assert {p: after.get(p) for p in kept} == kept, "tables downstream of the bad file changed"
    assert not [p for p in after if p.endswith(".tmp")], "partial files left behind"


def test_schema_failure_is_a_failed_blocking_check_with_failure_cases(workspace: Workspace) -> None:
    workspace.edit_figures(set_cell("infosec_analysts_unemployment_rate_2025", "value", "210"))
    result = run_pipeline()
    failed = [
        e for e in result.get_asset_check_evaluations() if not e.passed and e.check_name == "schema"
    ]
    assert [(e.asset_key.to_user_string(), e.check_name) for e in failed] == [
        ("core/published_figures", "schema")
    ]
    assert failed[0].blocking
    records = failed[0].metadata["failure_cases"].value.records
    assert [(r.data["record"], r.data["column"], r.data["value"]) for r in records] == [
        ("infosec_analysts_unemployment_rate_2025", "value", "210.0")
    ]
    # Downstream of the failed check nothing ran.
    materialized = {m.asset_key.to_user_string() for m in result.get_asset_materialization_events()}
    assert "core/published_figures" not in materialized
    assert not any(key.startswith("metrics/") for key in materialized)
