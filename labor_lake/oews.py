"""BLS OEWS flat files (national, by-industry, state, area) into typed rows of core/oews_estimates.

BLS distributes each May's estimates as `oesmYYnat.zip` (holding `oesmYYnat/national_MYYYY_dl.xlsx`)
and `oesmYYin4.zip` (the natsector file). People pass them around as bare `.xlsx` files and as
Excel CSV exports (thousands separators, a BOM, CRLF, `;` delimiters); all of these are read here.

Header layouts differ by year and are mapped onto one set of lowercase names:
- 2014-2017: 20 columns, group column `OCC_GROUP`, no AREA/NAICS/OWN_CODE (national files only:
  the national cross-industry identity is filled in, as the later layouts print it);
- 2019: 30 columns, lowercase; 2020: `PRIM_STATE` added; 2021 on: `PCT_RPT` added.

Markers keep their meaning (see `MARKERS`): a cell holding one becomes an empty value, except `#`
(top-coded), which becomes the published bound; every marker is recorded in the `markers` column as
`<column>=<marker>`, so a bound is never mistaken for an estimate.

Damaged input (an Excel-mangled code like `Nov-00`, a missing or renamed column, a cell that is
not a number) raises `ValidationFailed` naming file, sheet, row, column and value.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from labor_lake.validation import Problem, ValidationFailed
from schemas.tables import CORE_OEWS_ESTIMATES

MARKERS: dict[str, str] = {
    "*": "wage estimate not available",
    "**": "employment estimate not available",
    "#": "top-coded: the wage is at least the published bound",
    "~": "fewer than 0.5% of establishments report the occupation",
}
TOP_CODED = "#"

# Top-coding bounds by first reference year they apply to: (annual USD, hourly USD).
# Through May 2021: >= $208,000/yr or $100.00/hr; from May 2022: >= $239,200/yr or $115.00/hr.
TOP_CODE_BOUNDS: tuple[tuple[int, float, float], ...] = (
    (2022, 239_200.0, 115.0),
    (0, 208_000.0, 100.0),
)

IDENTITY_COLUMNS = (
    "area",
    "area_title",
    "area_type",
    "prim_state",
    "naics",
    "naics_title",
    "i_group",
    "own_code",
    "occ_code",
    "occ_title",
    "o_group",
)
HOURLY_WAGE_COLUMNS = ("h_mean", "h_pct10", "h_pct25", "h_median", "h_pct75", "h_pct90")
ANNUAL_WAGE_COLUMNS = ("a_mean", "a_pct10", "a_pct25", "a_median", "a_pct75", "a_pct90")
SHARE_COLUMNS = ("emp_prse", "jobs_1000", "loc_quotient", "pct_total", "pct_rpt", "mean_prse")
NUMBER_COLUMNS = ("tot_emp", *SHARE_COLUMNS, *HOURLY_WAGE_COLUMNS, *ANNUAL_WAGE_COLUMNS)
FLAG_COLUMNS = ("annual", "hourly")

# The 2014-2017 national layout: 20 columns, no area/industry/ownership.
OLD_LAYOUT = (
    "occ_code", "occ_title", "o_group", "tot_emp", "emp_prse", "h_mean", "a_mean", "mean_prse",
    "h_pct10", "h_pct25", "h_median", "h_pct75", "h_pct90",
    "a_pct10", "a_pct25", "a_median", "a_pct75", "a_pct90", "annual", "hourly",
)  # fmt: skip
# 2019 on: area, industry and ownership identify each row; PRIM_STATE (2020) and PCT_RPT (2021)
# came later and are empty where a file predates them.
AREA_LAYOUT = (
    "area", "area_title", "area_type", "naics", "naics_title", "i_group", "own_code",
    *OLD_LAYOUT[:5], "jobs_1000", "loc_quotient", "pct_total", *OLD_LAYOUT[5:],
)  # fmt: skip
LATER_COLUMNS = ("prim_state", "pct_rpt")
HEADER_ALIASES: dict[str, str] = {"occ_group": "o_group"}

# What a national file's rows are, as the 2019+ national files print it: the U.S., all
# industries, all ownerships. The 2014-2017 layout leaves these out because they never vary.
NATIONAL_IDENTITY: dict[str, str] = {
    "area": "99",
    "area_title": "U.S.",
    "area_type": "1",
    "naics": "000000",
    "naics_title": "Cross-industry",
    "i_group": "cross-industry",
    "own_code": "1235",
}

OCCUPATION_CODE_PATTERN = r"^\d{2}-\d{4}$"
OCCUPATION_GROUPS = ("total", "major", "minor", "broad", "detailed")
_FILE_YEAR = re.compile(r"_M(\d{4})_dl\b", re.IGNORECASE)
_ZIP_YEAR = re.compile(r"oesm(\d{2})[a-z0-9]*\.zip$", re.IGNORECASE)
_DATA_MEMBER = re.compile(r"(^|/)[a-z]+_M\d{4}_dl\.xlsx$", re.IGNORECASE)
_NATIONAL_FILE = re.compile(r"^(national_M\d{4}_dl\.(xlsx|csv)|oesm\d{2}nat\.zip)$", re.IGNORECASE)
_MAX_CELL_PROBLEMS = 200


@dataclass(frozen=True)
class OewsTable:
    """The cells of one OEWS data sheet, every cell as text, headers already lowercase."""

    frame: pl.DataFrame
    where: str  # file (and member and sheet) for messages
    first_line: int  # line/row of the first data record (the header is the line before)


def reference_year(file_name: str, year: int | None = None) -> int:
    """The May the file describes: from `_MYYYY_dl` or `oesmYY...zip` in its name, or the caller."""
    name = Path(file_name).name
    found = _FILE_YEAR.search(name) or _ZIP_YEAR.search(name)
    from_name = None
    if found:
        digits = found.group(1)
        from_name = int(digits) if len(digits) == 4 else 2000 + int(digits)
    if year is not None and from_name is not None and year != from_name:
        raise ValidationFailed(
            name, [Problem("year_matches_file_name", "year", str(year), file=name)]
        )
    if year is None and from_name is None:
        raise ValidationFailed(
            name,
            [Problem("year_in_file_name", "file_name", name, file=name)],
        )
    return year if year is not None else from_name  # type: ignore[return-value]


def top_code_bounds(year: int) -> tuple[float, float]:
    """(annual, hourly) bound a `#` stands for in the May `year` estimates."""
    return next((annual, hourly) for first, annual, hourly in TOP_CODE_BOUNDS if year >= first)


def oews_number(raw: pl.Expr) -> pl.Expr:
    """The number in an OEWS cell as Float64: thousands separators dropped; a marker, a blank
    cell or anything that is not a finite number becomes null (`number_problems` reports the last).

    The one place OEWS number text is parsed, so it can be unified with the registry's rule.
    """
    text = raw.str.strip_chars().str.replace_all(",", "", literal=True)
    number = text.cast(pl.Float64, strict=False)
    return pl.when(number.is_finite()).then(number)


def _is_marker_or_blank(raw: pl.Expr) -> pl.Expr:
    text = raw.str.strip_chars()
    return raw.is_null() | (text == "") | text.is_in(list(MARKERS))


def _open_workbook_sheet(content: bytes, where: str) -> OewsTable:
    import fastexcel  # the calamine reader polars uses; imported here so CSV-only users skip it

    reader = fastexcel.read_excel(content)
    sheets = [s for s in reader.sheet_names if s.lower().endswith("_dl")]
    if len(sheets) != 1:
        raise ValidationFailed(
            where,
            [
                Problem(
                    "one_data_sheet_named_*_dl", "sheet", ", ".join(reader.sheet_names), file=where
                )
            ],
        )
    frame = pl.read_excel(
        io.BytesIO(content), engine="calamine", sheet_name=sheets[0], infer_schema_length=0
    )
    return OewsTable(frame, f"{where} sheet {sheets[0]!r}", first_line=2)


def _open(content: bytes | Path, file_name: str) -> OewsTable:
    name = Path(file_name).name
    if isinstance(content, Path) or not content.startswith(b"PK"):
        return _open_csv(content, name)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        members = archive.namelist()
        if "[Content_Types].xml" in members:  # the file itself is a workbook
            return _open_workbook_sheet(content, name)
        data_members = [m for m in members if _DATA_MEMBER.search(m)]
        if len(data_members) != 1:
            raise ValidationFailed(
                name,
                [
                    Problem(
                        "one_member_named_*_MYYYY_dl.xlsx", "member", ", ".join(members), file=name
                    )
                ],
            )
        return _open_workbook_sheet(archive.read(data_members[0]), f"{name}:{data_members[0]}")


def _open_csv(content: bytes | Path, name: str) -> OewsTable:
    head = content.open("rb").read(4096) if isinstance(content, Path) else content[:4096]
    header = head.decode("utf-8-sig", errors="replace").splitlines()[0] if head else ""
    separator = max((",", ";", "\t"), key=header.count)
    frame = pl.read_csv(
        content if isinstance(content, Path) else io.BytesIO(content),
        separator=separator,
        infer_schema=False,
        encoding="utf8-lossy",
    )
    return OewsTable(frame, name, first_line=2)


def _canonical_header(header: str) -> str:
    """`OCC_GROUP`, `occ_code`, `\ufeffAREA` -> the lowercase name used in the table."""
    name = header.lstrip("\ufeff").strip().lower()
    return HEADER_ALIASES.get(name, name)


def _header_problems(
    columns: list[str], name_is_national: bool, where: str
) -> tuple[list[Problem], tuple[str, ...]]:
    present = set(columns)
    layout = AREA_LAYOUT if "area" in present or not name_is_national else OLD_LAYOUT
    expected = set(layout) | (set(LATER_COLUMNS) if layout is AREA_LAYOUT else set())
    problems = [
        Problem("known_oews_column", column, column, file=where)
        for column in columns
        if column not in expected
    ]
    problems += [
        Problem("required_oews_column", column, None, file=where)
        for column in layout
        if column not in present
    ]
    return problems, layout


def _cell_problems(frame: pl.DataFrame, table: OewsTable) -> list[Problem]:
    """Every cell that is neither a number, a marker nor blank where a number belongs, and every
    malformed occupation code, group or flag, with its row."""
    row = pl.int_range(pl.len()).alias("__row") + table.first_line
    checks: list[tuple[str, str, pl.Expr]] = [
        (c, "oews_number", ~_is_marker_or_blank(pl.col(c)) & oews_number(pl.col(c)).is_null())
        for c in NUMBER_COLUMNS
        if c in frame.columns
    ]
    if "occ_code" in frame.columns:
        checks.append(
            (
                "occ_code",
                "soc_code_pattern",
                ~pl.col("occ_code").fill_null("").str.contains(OCCUPATION_CODE_PATTERN),
            )
        )
    if "o_group" in frame.columns:
        checks.append(
            (
                "o_group",
                "occupation_group",
                ~pl.col("o_group").is_in(OCCUPATION_GROUPS).fill_null(False),
            )
        )
    for flag in FLAG_COLUMNS:
        if flag in frame.columns:
            checks.append(
                (
                    flag,
                    "flag_is_TRUE_or_blank",
                    ~(pl.col(flag).is_null() | pl.col(flag).is_in(["TRUE", ""])),
                )
            )
    if not checks:
        return []
    bad = frame.select(
        row,
        pl.col("occ_code") if "occ_code" in frame.columns else pl.lit(None).alias("occ_code"),
        *[expr.alias(f"__bad_{i}") for i, (_, _, expr) in enumerate(checks)],
    )
    bad = bad.filter(pl.any_horizontal(pl.col(r"^__bad_\d+$")))
    problems: list[Problem] = []
    for record in bad.head(_MAX_CELL_PROBLEMS).iter_rows(named=True):
        for i, (column, check, _) in enumerate(checks):
            if record[f"__bad_{i}"]:
                value = frame[column][record["__row"] - table.first_line]
                problems.append(
                    Problem(check, column, value, record["occ_code"], record["__row"], table.where)
                )
    return problems


def _typed(frame: pl.DataFrame, year: int, file_label: str, first_line: int) -> pl.LazyFrame:
    annual_bound, hourly_bound = top_code_bounds(year)
    wages = {
        **dict.fromkeys(ANNUAL_WAGE_COLUMNS, annual_bound),
        **dict.fromkeys(HOURLY_WAGE_COLUMNS, hourly_bound),
    }
    numbers = [
        (
            pl.when(pl.col(c).str.strip_chars() == TOP_CODED)
            .then(pl.lit(wages[c]))
            .otherwise(oews_number(pl.col(c)))
            if c in wages
            else oews_number(pl.col(c))
        ).alias(c)
        for c in NUMBER_COLUMNS
    ]
    marker_cells = [
        pl.when(pl.col(c).str.strip_chars().is_in(list(MARKERS))).then(
            pl.lit(f"{c}=") + pl.col(c).str.strip_chars()
        )
        for c in NUMBER_COLUMNS
    ]
    return (
        frame.lazy()
        .select(
            pl.lit(year, pl.Int32).alias("year"),
            pl.lit(date(year, 5, 1)).alias("period_start"),
            pl.lit(date(year, 5, 31)).alias("period_end"),
            *[pl.col(c) for c in IDENTITY_COLUMNS],
            *numbers[:1],
            *numbers[1:],
            (pl.col("annual") == "TRUE").fill_null(False).alias("annual_only"),
            (pl.col("hourly") == "TRUE").fill_null(False).alias("hourly_only"),
            pl.concat_list(marker_cells).list.drop_nulls().alias("markers"),
            pl.lit(file_label).alias("source_file"),
            (pl.int_range(pl.len(), dtype=pl.Int64) + first_line).alias("source_row"),
        )
        .with_columns(pl.col("tot_emp").cast(pl.Int64))
    )


def read_oews(content: bytes | Path, file_name: str, year: int | None = None) -> pl.DataFrame:
    """Typed rows of one OEWS file (zip, xlsx or CSV export) as core/oews_estimates rows. `content` may be a local CSV path for files too large to
    hold twice in memory. Raises `ValidationFailed` naming every damaged header and cell."""
    reference = reference_year(file_name, year)
    table = _open(content, file_name)
    renamed = {
        c: HEADER_ALIASES.get(c.strip().lower(), c.strip().lower()) for c in table.frame.columns
    }
    frame = table.frame.rename(renamed)
    national = bool(_NATIONAL_FILE.search(Path(file_name).name))
    problems, layout = _header_problems(frame.columns, national, table.where)
    problems += _cell_problems(frame, table)
    if problems:
        raise ValidationFailed(table.where, problems)
    fill: Mapping[str, str | None] = NATIONAL_IDENTITY if layout is OLD_LAYOUT else {}
    frame = frame.with_columns(
        *[pl.lit(value, pl.String).alias(c) for c, value in fill.items()],
        *[
            pl.lit(None, pl.String).alias(c)
            for c in (*IDENTITY_COLUMNS, *NUMBER_COLUMNS)
            if c not in frame.columns and c not in fill
        ],
    )
    typed = _typed(frame, reference, table.where, table.first_line)
    return typed.select(CORE_OEWS_ESTIMATES.polars_schema.names()).collect()
