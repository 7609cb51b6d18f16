"""The OEWS flat files: parsing every layout BLS used, markers, damaged copies, the partitioned
table in the lake. Real files: the recorded snapshots under snapshots/, and the copies (CSV
exports, damaged user copies) under snapshots/copies/bls/oews/ (manifest.csv there says where each
comes from)."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import duckdb
import polars as pl
import pytest

from assets import oews as oews_assets
from labor_lake.lake.files import Lake, partition_files
from labor_lake.lake.reader import read_table
from labor_lake.lake.tables import write_partitioned_table
from labor_lake.registry import validation
from labor_lake.registry.validation import ValidationFailed, schema_problems
from labor_lake.sources.oews import read_oews
from schemas.tables import CORE_OEWS_ESTIMATES

from .conftest import REPO_ROOT, Workspace, recorded_oews_files, run_pipeline

SNAPSHOTS = REPO_ROOT / "snapshots" / "www.bls.gov" / "oes" / "special-requests"
# Data rows per national file, as counted when the files were recorded (docs/SOURCES.md).
ROWS = {2014: 1394, 2015: 1394, 2017: 1382, 2019: 1329, 2020: 1329, 2021: 1403, 2022: 1402,
        2023: 1403, 2024: 1403}  # fmt: skip


def snapshot(year: int) -> Path:
    return SNAPSHOTS / f"oesm{year % 100:02d}nat" / f"national_M{year}_dl.xlsx"


@pytest.fixture(scope="module")
def estimates() -> pl.DataFrame:
    return oews_assets.read_oews_files(recorded_oews_files())


@pytest.fixture
def oews_dir(recorded_copies: Path) -> Path:
    return recorded_copies / "bls" / "oews"


def _value(frame: pl.DataFrame, year: int, code: str, column: str) -> object:
    row = frame.filter(
        (pl.col("year") == year) & (pl.col("occ_code") == code) & (pl.col("o_group") == "detailed")
    )
    assert row.height == 1, (year, code)
    return row.row(0, named=True)[column]


def test_every_recorded_national_file_is_read_whole_and_valid(estimates: pl.DataFrame) -> None:
    assert dict(estimates.group_by("year").len().sort("year").iter_rows()) == ROWS
    assert schema_problems(estimates, CORE_OEWS_ESTIMATES) == []
    assert _value(estimates, 2021, "15-1252", "a_median") == 120_730
    assert _value(estimates, 2024, "15-1252", "a_median") == 133_080
    assert _value(estimates, 2014, "15-1132", "a_median") == 95_510  # SOC 2010, old layout
    hybrid = estimates.filter(pl.col("occ_code") == "15-1256")
    assert hybrid["year"].to_list() == [2019, 2020]
    assert hybrid["occ_title"][0].startswith("Software Developers and Software Quality Assurance")
    # the 2014-2017 layout has no area/industry/ownership: a national file is U.S. cross-industry
    old = estimates.filter(pl.col("year") == 2014)
    assert old.select("area", "naics", "own_code").unique().rows() == [("99", "000000", "1235")]
    assert estimates.filter(pl.col("year") == 2019)["prim_state"].is_null().all()
    assert (estimates.filter(pl.col("year") == 2020)["prim_state"] == "US").all()
    # OCC_CODE alone is not unique: 13-1020 is published as broad and as detailed in 2024
    assert (
        estimates.filter((pl.col("year") == 2024) & (pl.col("occ_code") == "13-1020")).height == 2
    )


def test_a_small_partitioned_table_is_validated_whole_with_the_same_problems(
    estimates: pl.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The nine real national files are validated whole (one query per check, not nine): the
    problems are those found a year at a time, each naming its file, line and record."""
    first_row_of = pl.col("year").cum_count().over("year") == 1
    damaged = estimates.with_columns(
        o_group=pl.when(first_row_of & pl.col("year").is_in([2014, 2024]))
        .then(pl.lit("bogus"))
        .otherwise("o_group")
    )
    whole = schema_problems(damaged, CORE_OEWS_ESTIMATES)
    monkeypatch.setattr(validation, "_WHOLE_BELOW_BYTES", 0)
    by_year = schema_problems(damaged, CORE_OEWS_ESTIMATES)
    assert len(whole) == 2 and sorted(map(repr, whole)) == sorted(map(repr, by_year))
    assert {(p.column, p.value, p.file) for p in whole} == {
        ("o_group", "bogus", "national_M2014_dl.xlsx sheet 'national_dl'"),
        ("o_group", "bogus", "national_M2024_dl.xlsx sheet 'national_M2024_dl'"),
    }
    assert all(p.record is not None for p in whole)


def test_markers_keep_their_meaning_and_top_coding_stores_the_bound(
    estimates: pl.DataFrame,
) -> None:
    # Chief executives' 90th percentile is top-coded: the bound of the year, flagged as a bound
    assert _value(estimates, 2021, "11-1011", "a_pct90") == 208_000
    assert _value(estimates, 2024, "11-1011", "a_pct90") == 239_200
    assert _value(estimates, 2024, "11-1011", "h_pct90") == 115.0
    assert "a_pct90=#" in _value(estimates, 2024, "11-1011", "markers")
    # `*`: legislators are annual-only; their hourly wages are not available, not zero
    assert _value(estimates, 2024, "11-1031", "h_median") is None
    assert "h_median=*" in _value(estimates, 2024, "11-1031", "markers")
    assert _value(estimates, 2024, "11-1031", "annual_only") is True
    # no marker in a row means an empty list, not a missing one
    assert _value(estimates, 2024, "15-1252", "markers") == []


def test_sector_file_employment_not_available_and_rare_markers(oews_dir: Path) -> None:
    sectors = read_oews(
        (oews_dir / "natsector_M2024_dl.xlsx").read_bytes(), "natsector_M2024_dl.xlsx"
    )
    assert sectors.height == 16_434
    assert sectors["tot_emp"].null_count() == 1061  # `**` rows, per SOURCES.md
    marked = sectors["markers"].explode().drop_nulls()
    assert marked.str.starts_with("pct_rpt=~").sum() == 8896
    assert set(sectors["naics"]) >= {"31-33", "44-45", "48-49", "99"}
    assert schema_problems(sectors, CORE_OEWS_ESTIMATES) == []


@pytest.mark.parametrize("year", [2023, 2024])
def test_csv_exports_equal_the_workbook(oews_dir: Path, year: int) -> None:
    # 2023: UTF-8 BOM and CRLF; both: quoted thousands separators ("133,080")
    workbook = read_oews(snapshot(year).read_bytes(), snapshot(year).name)
    export = oews_dir / f"national_M{year}_dl.csv"
    for content in (export.read_bytes(), export):  # bytes, and a path read lazily
        exported = read_oews(content, export.name)
        assert exported.drop("source_file").equals(workbook.drop("source_file"))


def test_semicolon_delimited_export_is_split_into_its_columns(oews_dir: Path) -> None:
    # a reduced state file, `;`-delimited: its five columns are recognised, the rest are missing
    damaged = oews_dir / "reduced" / "lucasweyrich958-DATA608" / "state_M2023_dl.csv"
    with pytest.raises(ValidationFailed) as error:
        read_oews(damaged.read_bytes(), damaged.name)
    checks = {(p.check, p.column) for p in error.value.problems}
    assert ("required_oews_column", "tot_emp") in checks
    assert not any(check == "known_oews_column" for check, _ in checks)


def test_bls_zip_is_read_by_its_member_name() -> None:
    data = snapshot(2024).read_bytes()
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("oesm24nat/field_descriptions.xlsx", b"not the data")
        bundle.writestr("oesm24nat/national_M2024_dl.xlsx", data)
    from_zip = read_oews(archive.getvalue(), "oesm24nat.zip")
    assert from_zip.drop("source_file").equals(
        read_oews(data, "national_M2024_dl.xlsx").drop("source_file")
    )
    assert from_zip["source_file"][0].startswith("oesm24nat.zip:oesm24nat/national_M2024_dl.xlsx")
    from_path = read_oews(snapshot(2024), snapshot(2024).name)  # a workbook given by its path
    assert from_path.drop("source_file").equals(from_zip.drop("source_file"))

    empty = io.BytesIO()
    with zipfile.ZipFile(empty, "w") as bundle:
        bundle.writestr("oesm24nat/readme.txt", b"synthetic")
    with pytest.raises(ValidationFailed, match=r"oesm24nat/readme\.txt"):
        read_oews(empty.getvalue(), "oesm24nat.zip")


def _edited_workbook(year: int, old: bytes, new: bytes) -> bytes:
    """The recorded workbook with one shared string edited, as a user's damaged copy would be."""
    source = zipfile.ZipFile(io.BytesIO(snapshot(year).read_bytes()))
    edited = io.BytesIO()
    with zipfile.ZipFile(edited, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "xl/sharedStrings.xml":
                assert old in data
                data = data.replace(old, new)
            target.writestr(member, data)
    return edited.getvalue()


def test_damaged_workbook_names_file_sheet_row_column_and_value() -> None:
    mangled = _edited_workbook(2024, b">15-1252<", b">Dec-52<")  # Excel-mangled code
    with pytest.raises(ValidationFailed) as error:
        read_oews(mangled, "national_M2024_dl.xlsx")
    [problem] = error.value.problems
    assert problem.file == "national_M2024_dl.xlsx sheet 'national_M2024_dl'"
    assert (problem.line, problem.column, problem.value) == (151, "occ_code", "Dec-52")
    assert "national_M2024_dl.xlsx sheet 'national_M2024_dl':151" in str(error.value)

    renamed = _edited_workbook(2024, b">A_MEDIAN<", b">A_MEDIAN_WAGE<")
    with pytest.raises(ValidationFailed) as error:
        read_oews(renamed, "national_M2024_dl.xlsx")
    checks = {(p.check, p.column) for p in error.value.problems}
    assert checks == {("known_oews_column", "a_median_wage"), ("required_oews_column", "a_median")}


def test_damaged_user_copies_give_clear_errors(oews_dir: Path) -> None:
    mangled = oews_dir / "reduced" / "Yilendi-Job-Management-System-" / "national_M2021_dl.csv"
    with pytest.raises(ValidationFailed) as error:
        read_oews(mangled.read_bytes(), mangled.name)
    codes = [p for p in error.value.problems if p.check == "soc_code_pattern"]
    assert len(codes) == 65  # every date-mangled code, per SOURCES.md
    assert (codes[0].line, codes[0].value) == (11, "Nov-00")
    missing = {p.column for p in error.value.problems if p.check == "required_oews_column"}
    assert missing == {"tot_emp", "emp_prse", "jobs_1000", "loc_quotient", "pct_total", "h_mean"}

    retyped = oews_dir / "reduced" / "EliasLMann-occupation-bias" / "national_M2021_dl.csv"
    with pytest.raises(ValidationFailed, match="required_oews_column"):
        read_oews(retyped.read_bytes(), retyped.name)


def test_a_cell_that_is_not_a_number_is_named(oews_dir: Path) -> None:
    export = (oews_dir / "national_M2024_dl.csv").read_text()
    damaged = export.replace('"133,080"', '"133,O80"')  # a letter O typed for a zero
    with pytest.raises(ValidationFailed) as error:
        read_oews(damaged.encode(), "national_M2024_dl.csv")
    [problem] = error.value.problems
    assert (problem.record, problem.column, problem.value) == ("15-1252", "a_median", "133,O80")
    assert problem.line == 151


def test_year_comes_from_the_file_name_or_must_agree_with_it() -> None:
    with pytest.raises(ValidationFailed, match="year_matches_file_name"):
        read_oews(snapshot(2024).read_bytes(), "national_M2024_dl.xlsx", year=2023)
    renamed = read_oews(snapshot(2024).read_bytes(), "national_dl.xlsx", year=2024)
    assert renamed["period_start"][0].isoformat() == "2024-05-01"
    with pytest.raises(ValidationFailed, match="required_oews_column"):
        read_oews(snapshot(2024).read_bytes(), "national_dl.xlsx")  # no year anywhere


def test_partitioned_write_is_per_year_unchanged_rewrites_nothing_and_drops_stale_years(
    tmp_path: Path, estimates: pl.DataFrame
) -> None:
    lake = Lake(str(tmp_path))
    write_partitioned_table(lake, estimates, CORE_OEWS_ESTIMATES, {"run_id": "first"})
    files = partition_files(lake, CORE_OEWS_ESTIMATES)
    assert files[0] == "core/oews_estimates/year=2014/part-0.parquet" and len(files) == 9
    before = {f: hashlib.sha256(lake.read_bytes(f)).hexdigest() for f in files}
    again = write_partitioned_table(lake, estimates, CORE_OEWS_ESTIMATES, {"run_id": "second"})
    assert not any(w.changed for w in again)
    assert {f: hashlib.sha256(lake.read_bytes(f)).hexdigest() for f in files} == before
    write_partitioned_table(
        lake, estimates.filter(pl.col("year") != 2014), CORE_OEWS_ESTIMATES, {"run_id": "third"}
    )
    assert len(partition_files(lake, CORE_OEWS_ESTIMATES)) == 8
    read = read_table("core/oews_estimates", root=str(tmp_path))
    assert read.height == estimates.filter(pl.col("year") != 2014).height


def test_asset_writes_the_lake_and_a_damaged_file_keeps_the_last_good_table(
    workspace: Workspace, oews_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_pipeline("raw/bls_payloads,core/oews_estimates").success
    root = workspace.lake_root
    files = sorted((root / "core" / "oews_estimates").rglob("*.parquet"))
    assert len(files) == 9
    count = duckdb.sql(
        f"select count(*) from read_parquet('{root}/core/oews_estimates/*/*.parquet')"
    ).fetchall()
    assert count == [(sum(ROWS.values()),)]
    before = {f: f.read_bytes() for f in files}

    damaged = oews_dir / "reduced" / "Yilendi-Job-Management-System-" / "national_M2021_dl.csv"
    newest = oews_assets.oews_payloads
    monkeypatch.setattr(
        oews_assets,
        "oews_payloads",
        lambda *args: [*newest(*args), (damaged.name, damaged.read_bytes())],
    )
    result = run_pipeline("raw/bls_payloads,core/oews_estimates")
    assert not result.success
    [check] = [
        c
        for c in result.get_asset_check_evaluations()
        if c.asset_key.path == ["core", "oews_estimates"]
    ]
    assert not check.passed and check.metadata["failure_count"].value >= 65
    assert {f: f.read_bytes() for f in sorted(before)} == before


def test_snapshots_match_the_manifest() -> None:
    manifest = pl.read_csv(REPO_ROOT / "snapshots" / "manifest.csv", infer_schema=False)
    oews = manifest.filter(pl.col("dataset").str.starts_with("bls_oews_national_"))
    assert oews.height == len(ROWS)
    for row in oews.iter_rows(named=True):
        data = (REPO_ROOT / row["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row["sha256"]
        assert len(data) == int(row["bytes"])
        year = int(row["dataset"].rsplit("_", 1)[1])
        assert row["url"] == f"https://www.bls.gov/oes/special-requests/oesm{year % 100:02d}nat.zip"
        assert row["member"] == f"oesm{year % 100:02d}nat/national_M{year}_dl.xlsx"
