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

import functools
import io
import re
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from labor_lake.registry.validation import Problem, ValidationFailed
from labor_lake.sources.bls import oews_series_id
from labor_lake.sources.connector import OBSERVATION_SCHEMA
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
_MARKED_CELL = r"[a-z0-9_]+=(?:\*\*|\*|#|~)"


class OewsFileDamaged(ValueError):
    """The bytes are not a readable zip, workbook or CSV at all (cut short, corrupted): said in
    one line, before any header or cell can be checked."""

    def __init__(self, where: str, kind: str, error: BaseException) -> None:
        lines = str(error).strip().splitlines()
        detail = (lines[0] if lines else "no detail")[:200]
        super().__init__(
            f"{where}: the {kind} is damaged and cannot be read ({type(error).__name__}: {detail})"
        )


@dataclass(frozen=True)
class OewsTable:
    """The cells of one OEWS data sheet or CSV, every cell as text, not yet collected."""

    cells: pl.LazyFrame
    where: str  # file (and member and sheet) for messages
    first_line: int  # line/row of the first data record (the header is the line before)


def reference_year(file_name: str, year: int | None = None) -> int | None:
    """The May the file describes: from `_MYYYY_dl` or `oesmYY...zip` in its name, or the caller;
    None when neither says (then the file must have a YEAR column)."""
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
    return year if year is not None else from_name


def top_code_bound(column: str) -> pl.Expr:
    """The bound a `#` in wage `column` stands for, by each row's reference year."""
    index = 1 if column in ANNUAL_WAGE_COLUMNS else 2
    bound = pl.lit(TOP_CODE_BOUNDS[-1][index])
    for rule in reversed(TOP_CODE_BOUNDS[:-1]):
        bound = pl.when(pl.col("year") >= rule[0]).then(pl.lit(rule[index])).otherwise(bound)
    return bound


def oews_number(raw: pl.Expr) -> pl.Expr:
    """The number in an OEWS cell as Float64: thousands separators dropped; a marker, a blank
    cell or anything that is not a finite number becomes null (`_cell_checks` reports the last).
    Cells are taken as printed: a number with spaces around it is damage, not a number.

    The one place OEWS number text is parsed, so it can be unified with the registry's rule.
    """
    text = raw.str.replace_all(",", "", literal=True)
    number = text.cast(pl.Float64, strict=False)
    return pl.when(number.is_finite()).then(number)


def _is_marker_or_blank(raw: pl.Expr) -> pl.Expr:
    return raw.is_null() | raw.is_in(["", *MARKERS])


def _open_workbook_sheet(content: bytes, where: str) -> OewsTable:
    import fastexcel  # the calamine reader polars uses; imported here so CSV-only users skip it

    try:
        reader = fastexcel.read_excel(content)
    except fastexcel.FastExcelError as error:
        raise OewsFileDamaged(where, "workbook", error) from None
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
    try:
        frame = pl.read_excel(
            io.BytesIO(content), engine="calamine", sheet_name=sheets[0], infer_schema_length=0
        )
    except (fastexcel.FastExcelError, pl.exceptions.PolarsError) as error:
        raise OewsFileDamaged(f"{where} sheet {sheets[0]!r}", "workbook", error) from None
    return OewsTable(frame.lazy(), f"{where} sheet {sheets[0]!r}", first_line=2)


def _open(content: bytes | Path, file_name: str) -> OewsTable:
    name = Path(file_name).name
    if isinstance(content, Path):
        with content.open("rb") as handle:
            is_zip = handle.read(2) == b"PK"
        if not is_zip:
            return _open_csv(content, name)  # scanned lazily
        content = content.read_bytes()  # workbooks and zips are read whole
    if not content.startswith(b"PK"):
        return _open_csv(content, name)
    try:
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
                            "one_member_named_*_MYYYY_dl.xlsx",
                            "member",
                            ", ".join(members),
                            file=name,
                        )
                    ],
                )
            member = archive.read(data_members[0])
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as error:
        # Cut short (a Content-Length that matched a truncated file), or corrupted in transit.
        raise OewsFileDamaged(name, "zip", error) from None
    return _open_workbook_sheet(member, f"{name}:{data_members[0]}")


def _open_csv(content: bytes | Path, name: str) -> OewsTable:
    if isinstance(content, Path):
        with content.open("rb") as handle:
            head = handle.read(4096)
    else:
        head = content[:4096]
    header = head.decode("utf-8-sig", errors="replace").splitlines()[0] if head else ""
    separator = max((",", ";", "\t"), key=header.count)
    options = {"separator": separator, "infer_schema": False, "encoding": "utf8-lossy"}
    # A path is scanned lazily, so a large file is never held as text and as typed rows at once.
    try:
        cells = (
            pl.scan_csv(content, **options)
            if isinstance(content, Path)
            else pl.read_csv(io.BytesIO(content), **options).lazy()
        )
    except pl.exceptions.PolarsError as error:
        raise OewsFileDamaged(name, "CSV export", error) from None
    return OewsTable(cells, name, first_line=2)


def _canonical_header(header: str) -> str:
    """`OCC_GROUP`, `occ_code`, `\ufeffAREA` -> the lowercase name used in the table."""
    name = header.lstrip("\ufeff").strip().lower()
    return HEADER_ALIASES.get(name, name)


def _header_problems(
    columns: list[str], name_is_national: bool, year_known: bool, where: str
) -> tuple[list[Problem], tuple[str, ...]]:
    present = set(columns)
    layout = AREA_LAYOUT if "area" in present or not name_is_national else OLD_LAYOUT
    expected = set(layout) | {"year"} | (set(LATER_COLUMNS) if layout is AREA_LAYOUT else set())
    problems = [
        Problem("known_oews_column", column, column, file=where)
        for column in columns
        if column not in expected
    ]
    required = (*layout, *(() if year_known else ("year",)))
    problems += [
        Problem("required_oews_column", column, None, file=where)
        for column in required
        if column not in present
    ]
    return problems, layout


def _number_column(column: str) -> str:
    return f"__number_{column}"


def _cell_checks(columns: list[str], parsed: bool = False) -> list[tuple[str, str, pl.Expr]]:
    """(column, check, expression true where the cell is damaged) for every checked cell; with
    `parsed`, numbers are read from the `__number_<column>` columns `_typed` computes once, and
    the year is the Int32 `_read_oews` has already cast it to."""
    checks = [
        (
            c,
            "oews_number",
            (pl.col(_number_column(c)) if parsed else oews_number(pl.col(c))).is_null()
            & ~_is_marker_or_blank(pl.col(c)),
        )
        for c in NUMBER_COLUMNS
        if c in columns
    ]
    if "occ_code" in columns:
        code = pl.col("occ_code").fill_null("")
        checks.append(("occ_code", "soc_code_pattern", ~code.str.contains(OCCUPATION_CODE_PATTERN)))
    if "o_group" in columns:
        group = pl.col("o_group").is_in(OCCUPATION_GROUPS).fill_null(False)
        checks.append(("o_group", "occupation_group", ~group))
    for flag in FLAG_COLUMNS:
        if flag in columns:
            ok = pl.col(flag).is_null() | pl.col(flag).is_in(["TRUE", ""])
            checks.append((flag, "flag_is_TRUE_or_blank", ~ok))
    if "year" in columns:
        # On the cast year, the same test as the pattern on its digits (1900-2099, not empty)
        # without turning every year back into text to run a regex on it.
        ok = (
            pl.col("year").is_between(1900, 2099)
            if parsed
            else pl.col("year").str.contains(r"^(19|20)\d{2}$")
        ).fill_null(False)
        checks.append(("year", "four_digit_year", ~ok))
    return checks


def _cell_problems(
    cells: pl.LazyFrame, checks: list[tuple[str, str, pl.Expr]], where: str, first_line: int
) -> list[Problem]:
    """Every damaged cell (up to a limit), with its row and occupation code."""
    flagged = (
        cells.with_row_index("__row", offset=first_line)
        .with_columns(
            *[expr.alias(f"__bad_{i}") for i, (_, _, expr) in enumerate(checks)],
            pl.col("occ_code")
            if "occ_code" in cells.collect_schema()
            else pl.lit(None, pl.String).alias("occ_code"),
        )
        .filter(pl.any_horizontal(pl.col(r"^__bad_\d+$")))
        .head(_MAX_CELL_PROBLEMS)
        .collect()
    )
    return [
        Problem(check, column, record[column], record["occ_code"], record["__row"], where)
        for record in flagged.iter_rows(named=True)
        for i, (column, check, _) in enumerate(checks)
        if record[f"__bad_{i}"]
    ]


def _marker_label(column: str) -> pl.Expr:
    """`<column>=<marker>` where the cell is a marker, else null. Equality tests against the
    few markers cost less than a lookup table building a string per cell."""
    first, *others = MARKERS
    label = pl.when(pl.col(column) == first).then(pl.lit(f"{column}={first}"))
    for marker in others:
        label = label.when(pl.col(column) == marker).then(pl.lit(f"{column}={marker}"))
    return label.alias(column)


def _typed(
    cells: pl.LazyFrame, file_label: str, first_line: int, checks: list[tuple[str, str, pl.Expr]]
) -> pl.LazyFrame:
    """The typed rows, plus `__damaged` (any of `checks`), computed in the same pass."""
    wages = (*ANNUAL_WAGE_COLUMNS, *HOURLY_WAGE_COLUMNS)
    numbers = [
        (
            pl.when(pl.col(c) == TOP_CODED)
            .then(top_code_bound(c))
            .otherwise(pl.col(_number_column(c)))
            if c in wages
            else pl.col(_number_column(c))
        ).alias(c)
        for c in NUMBER_COLUMNS
        if c != "tot_emp"
    ]
    # Join the marked cells of a row into one string, then extract the labels, which is far
    # cheaper in polars than building a list per row from one value per column.
    marked = pl.concat_str(
        [_marker_label(c) for c in NUMBER_COLUMNS], separator=";", ignore_nulls=True
    )
    year = pl.col("year")
    damaged = pl.any_horizontal([expr for _, _, expr in checks]) if checks else pl.lit(False)
    return (
        cells.with_row_index("__index")
        .with_columns(oews_number(pl.col(c)).alias(_number_column(c)) for c in NUMBER_COLUMNS)
        .select(
            year,
            pl.date(year, 5, 1).alias("period_start"),
            pl.date(year, 5, 31).alias("period_end"),
            *[pl.col(c) for c in IDENTITY_COLUMNS],
            *numbers,
            # Parsed as Float64 (thousands separators, markers), then stored as a count.
            pl.col(_number_column("tot_emp")).cast(pl.Int64).alias("tot_emp"),
            (pl.col("annual") == "TRUE").fill_null(False).alias("annual_only"),
            (pl.col("hourly") == "TRUE").fill_null(False).alias("hourly_only"),
            marked.str.extract_all(_MARKED_CELL).alias("markers"),
            pl.lit(file_label).alias("source_file"),
            (pl.col("__index").cast(pl.Int64) + first_line).alias("source_row"),
            damaged.alias("__damaged"),
        )
    )


# Files up to this size are parsed once per process: a build reads every OEWS file three times
# (counting its rows for the raw manifest, for core/observations, for core/oews_estimates), and
# the national files are 0.1-0.3 MB each. Bigger ones (the bulk path) are never kept in memory.
_MEMO_MAX_BYTES = 4_000_000


def read_oews(content: bytes | Path, file_name: str, year: int | None = None) -> pl.DataFrame:
    """Typed rows of one OEWS file (zip, xlsx or CSV export) as core/oews_estimates rows.

    `content` may also be the path of a CSV, read lazily (the bulk path). The reference year
    comes from the file name (`_MYYYY_dl`, `oesmYY...zip`) or `year`, or else from a YEAR column
    (yearly files stacked into one). Raises `ValidationFailed` naming every damaged header and
    cell: file (member, sheet), row, column and value."""
    if isinstance(content, bytes) and len(content) <= _MEMO_MAX_BYTES:
        return _read_oews_memo(content, file_name, year)
    return _read_oews(content, file_name, year)


@functools.lru_cache(maxsize=32)
def _read_oews_memo(content: bytes, file_name: str, year: int | None) -> pl.DataFrame:
    return _read_oews(content, file_name, year)


def _read_oews(content: bytes | Path, file_name: str, year: int | None) -> pl.DataFrame:
    reference = reference_year(file_name, year)
    table = _open(content, file_name)
    headers = table.cells.collect_schema().names()
    canonical = [_canonical_header(c) for c in headers]
    repeated = sorted({c for c in canonical if canonical.count(c) > 1})
    if repeated:  # `AREA` and `area `, say: which one is the column is anyone's guess
        raise ValidationFailed(
            table.where,
            [Problem("unique_oews_column", c, c, file=table.where) for c in repeated],
        )
    cells = table.cells.rename(dict(zip(headers, canonical, strict=True)))
    columns = cells.collect_schema().names()
    national = bool(_NATIONAL_FILE.search(Path(file_name).name))
    problems, layout = _header_problems(columns, national, reference is not None, table.where)
    checks = _cell_checks(columns)
    if problems:  # a damaged header: report it with every damaged cell of the columns present
        problems += _cell_problems(cells, checks, table.where, table.first_line)
        raise ValidationFailed(table.where, problems)
    fill: Mapping[str, str] = NATIONAL_IDENTITY if layout is OLD_LAYOUT else {}
    year_column = (
        pl.col("year").cast(pl.Int32, strict=False)
        if "year" in columns
        else pl.lit(reference, pl.Int32)
    )
    cells = cells.with_columns(
        *[pl.lit(value, pl.String).alias(c) for c, value in fill.items()],
        *[
            pl.lit(None, pl.String).alias(c)
            for c in (*IDENTITY_COLUMNS, *NUMBER_COLUMNS)
            if c not in columns and c not in fill
        ],
    )
    # One pass: the typed rows and a damage flag per row; details only if something is damaged.
    typed = _typed(
        cells.with_columns(year_column.alias("year")),
        table.where,
        table.first_line,
        _cell_checks(columns, parsed=True),
    )
    collected = typed.collect(engine="streaming")
    if collected["__damaged"].any():
        raise ValidationFailed(
            table.where, _cell_problems(cells, checks, table.where, table.first_line)
        )
    return collected.drop("__damaged").select(CORE_OEWS_ESTIMATES.polars_schema.names())


# The national cross-industry rows: the U.S. (area 99), all industries, all ownerships.
NATIONAL = {"area": "99", "naics": "000000", "own_code": "1235"}

# BLS OEWS datatype codes (the last two characters of an OEU series id), with the measure and
# unit of core/observations they carry.
OEWS_DATATYPES: dict[str, tuple[str, str, str]] = {
    "tot_emp": ("01", "employment", "count"),
    "h_mean": ("03", "mean_hourly_wage", "usd_per_hour"),
    "a_mean": ("04", "mean_annual_wage", "usd_per_year"),
    "h_pct10": ("06", "hourly_wage_p10", "usd_per_hour"),
    "h_pct25": ("07", "hourly_wage_p25", "usd_per_hour"),
    "h_median": ("08", "median_hourly_wage", "usd_per_hour"),
    "h_pct75": ("09", "hourly_wage_p75", "usd_per_hour"),
    "h_pct90": ("10", "hourly_wage_p90", "usd_per_hour"),
    "a_pct10": ("11", "annual_wage_p10", "usd_per_year"),
    "a_pct25": ("12", "annual_wage_p25", "usd_per_year"),
    "a_median": ("13", "median_annual_wage", "usd_per_year"),
    "a_pct75": ("14", "annual_wage_p75", "usd_per_year"),
    "a_pct90": ("15", "annual_wage_p90", "usd_per_year"),
}
# The BLS API's footnote for a wage at or above the top-coding bound.
TOP_CODED_FOOTNOTE = "5"


def national(estimates: pl.DataFrame) -> pl.DataFrame:
    """National cross-industry rows, one per year and code: the detailed row where a code is
    published at more than one level (a broad code repeated as detailed)."""
    rows = estimates.filter(*[pl.col(c) == v for c, v in NATIONAL.items()])
    return rows.sort(pl.col("o_group") != "detailed").unique(
        ["year", "occ_code"], keep="first", maintain_order=True
    )


def is_top_coded(row: dict, column: str) -> bool:
    return f"{column}={TOP_CODED}" in row["markers"]


def national_observations(estimates: pl.DataFrame, occupation_codes: list[str]) -> pl.DataFrame:
    """core/observations rows (without vintage columns) for the national cross-industry rows of
    `occupation_codes`, under their BLS API series ids (`bls:OEUN...<SOC6><datatype>`), so
    published figures can be checked against OEWS from the files. Top-coded wages are empty
    values with footnote `5`, as the BLS API gives them."""
    rows = []
    wanted = national(estimates).filter(pl.col("occ_code").is_in(occupation_codes))
    for row in wanted.iter_rows(named=True):
        soc = row["occ_code"].replace("-", "")
        for column, (datatype, measure, unit) in OEWS_DATATYPES.items():
            top_coded = is_top_coded(row, column)
            if row[column] is None and not any(
                f"{column}={marker}" in row["markers"] for marker in MARKERS
            ):
                continue
            rows.append(
                {
                    "source": "bls",
                    "dataset": f"bls_oews_national_{row['year']}",
                    "series_id": f"bls:{oews_series_id(soc, datatype)}",
                    "subject": f"{row['occ_title']} (SOC {row['occ_code']})",
                    "measure": measure,
                    "geography": "US",
                    "frequency": "annual",
                    "period_start": date(row["year"], 5, 1),
                    "period_end": date(row["year"], 5, 31),
                    "value": None if top_coded else row[column],
                    "unit": unit,
                    "footnote_codes": [TOP_CODED_FOOTNOTE] if top_coded else [],
                }
            )
    return pl.DataFrame(rows, schema=OBSERVATION_SCHEMA)
