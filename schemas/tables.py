"""Every lake table, defined once. Shared columns are defined once too, so the same quantity
has the same name, type, unit and description wherever it appears."""

from __future__ import annotations

import polars as pl

from schemas.formulas import FORMULAS
from schemas.model import Column, RowRule, Table
from schemas.vocabulary import (
    CHECK_KINDS,
    CLAIM_STATUSES,
    DEFAULT_READING,
    FREQUENCIES,
    MEASURES,
    PERIOD_PATTERN,
    QUALIFIERS,
    READINGS,
    SOURCE_KINDS,
    SOURCES,
    UNITS,
    VINTAGE_ORIGINS,
    VINTAGE_STATUSES,
)

IDENTIFIER_PATTERN = r"^[a-z][a-z0-9_]*$"
NOT_BLANK_PATTERN = r"\S"
# Indeed's series ids hold the file's own names, spaces included ("indeed:sector:Software
# Development:total postings").
OFFICIAL_SERIES_PATTERN = r"^(bls|fred|indeed):\S(?:.*\S)?$"
# Article ids may start with a digit: the seed article is named by its file, 000_<hash>.
ARTICLE_ID_PATTERN = r"^[a-z0-9][a-z0-9_]*$"
ARTICLE_DOCUMENT_PREFIX = "article:"


def _within_unit_range(column: str, unit_column: str = "unit") -> RowRule:
    def passes() -> pl.Expr:
        chain = None
        for unit_name, unit in UNITS.items():
            ok = pl.lit(True)
            if unit.minimum is not None:
                ok = ok & (
                    pl.col(column) >= unit.minimum
                    if unit.minimum_inclusive
                    else pl.col(column) > unit.minimum
                )
            if unit.maximum is not None:
                ok = ok & (pl.col(column) <= unit.maximum)
            is_unit = pl.col(unit_column) == unit_name
            chain = pl.when(is_unit).then(ok) if chain is None else chain.when(is_unit).then(ok)
        return chain.otherwise(pl.lit(True))

    return RowRule(
        name=f"{column}_within_unit_range",
        description=(
            f"`{column}` lies in the range its `{unit_column}` allows "
            "(percent 0-100, usd_per_year > 0, count >= 0, percent_change >= -100, rank >= 1)"
        ),
        passes=passes,
    )


def _low_le_high(low: str, high: str) -> RowRule:
    return RowRule(
        name=f"{low}_le_{high}",
        description=f"`{low}` <= `{high}`",
        passes=lambda: pl.col(low) <= pl.col(high),
    )


def _both_or_neither(low: str, high: str) -> RowRule:
    return RowRule(
        name=f"{low}_and_{high}_together",
        description=f"`{low}` and `{high}` are both set or both empty",
        passes=lambda: pl.col(low).is_null() == pl.col(high).is_null(),
    )


# Provenance columns, shared by every table read from a registry file.
SOURCE_FILE = Column(
    "source_file", pl.String, "Path of the registry file the record was read from."
)
SOURCE_LINE = Column(
    "source_line", pl.Int64, "Line of the record in its registry file (header is line 1)."
)
SOURCE_SHA256 = Column("source_sha256", pl.String, "SHA-256 of the registry file as read.")

UNIT = Column("unit", pl.String, "Unit of the value columns.", allowed=UNITS)
PERIOD = Column(
    "period",
    pl.String,
    "Period the value refers to: YYYY, YYYY-MM, YYYY-Qn, YYYY-Hn, or an interval A/B.",
    pattern=PERIOD_PATTERN,
)
MEASURE = Column("measure", pl.String, "What is measured.", allowed=MEASURES)
INPUTS = Column(
    "inputs",
    pl.List(pl.String),
    "Figure ids (rows of core/published_figures) the value is computed from, in formula order.",
    rules=(
        RowRule(
            "inputs_not_empty",
            "at least one input figure id",
            lambda: pl.col("inputs").list.len() > 0,
        ),
    ),
)
FORMULA = Column(
    "formula",
    pl.String,
    "Formula applied to the inputs.",
    allowed={name: formula.description for name, formula in FORMULAS.items()},
)

FIGURE_REGISTRY_COLUMNS: tuple[Column, ...] = (
    Column(
        "figure_id",
        pl.String,
        "Stable identifier of the figure.",
        unique=True,
        pattern=IDENTIFIER_PATTERN,
    ),
    Column("source_kind", pl.String, "Where the figure comes from.", allowed=SOURCE_KINDS),
    MEASURE,
    Column(
        "subject",
        pl.String,
        "Occupation, segment or group the figure describes.",
        pattern=NOT_BLANK_PATTERN,
    ),
    Column(
        "value",
        pl.Float64,
        "Point value; empty when the figure is a range.",
        nullable=True,
        rules=(
            _within_unit_range("value"),
            RowRule(
                "value_or_range",
                "exactly one of `value` or the range `low`/`high` is given",
                lambda: pl.col("value").is_null() != pl.col("low").is_null(),
            ),
        ),
    ),
    Column(
        "low",
        pl.Float64,
        "Lower end of a stated range.",
        nullable=True,
        rules=(
            _within_unit_range("low"),
            _low_le_high("low", "high"),
            _both_or_neither("low", "high"),
        ),
    ),
    Column(
        "high",
        pl.Float64,
        "Upper end of a stated range.",
        nullable=True,
        rules=(_within_unit_range("high"),),
    ),
    Column("qualifier", pl.String, "How the figure is hedged in its source.", allowed=QUALIFIERS),
    UNIT,
    PERIOD,
    Column(
        "publisher",
        pl.String,
        "Organisation the figure is attributed to, or 'unattributed'.",
        pattern=NOT_BLANK_PATTERN,
    ),
    Column(
        "publication",
        pl.String,
        "Report, survey or data release named for the figure.",
        pattern=NOT_BLANK_PATTERN,
    ),
    Column(
        "citation_url",
        pl.String,
        "Address of the official publication; required for official_reference figures.",
        nullable=True,
        rules=(
            RowRule(
                "official_figure_has_url",
                "official_reference figures carry a citation_url",
                lambda: (
                    (pl.col("source_kind") != "official_reference")
                    | pl.col("citation_url").is_not_null()
                ),
            ),
        ),
    ),
    Column(
        "source_document",
        pl.String,
        "Where the figure was taken from: `article:<article_id>` of registry/articles.csv, or "
        "the address of an official file.",
        pattern=NOT_BLANK_PATTERN,
    ),
    Column(
        "article_location",
        pl.String,
        "Where in the article the figure appears; required for article figures.",
        nullable=True,
        rules=(
            RowRule(
                "article_figure_has_location",
                "article figures say where in the article they appear",
                lambda: (
                    (pl.col("source_kind") != "article") | pl.col("article_location").is_not_null()
                ),
            ),
        ),
    ),
    Column(
        "as_printed",
        pl.String,
        "The figure exactly as printed in its source.",
        pattern=NOT_BLANK_PATTERN,
    ),
    Column(
        "conflict_group",
        pl.String,
        "Records that are one figure attributed to different publishers share a conflict group.",
        nullable=True,
        pattern=IDENTIFIER_PATTERN,
    ),
    Column(
        "official_series_id",
        pl.String,
        "Series in core/observations that officially measures this figure, if any; a series "
        "the source catalog can produce.",
        nullable=True,
        pattern=OFFICIAL_SERIES_PATTERN,
    ),
    Column(
        "reading",
        pl.String,
        "How the stated value reads its official series over the figure's period.",
        allowed={name: reading.description for name, reading in READINGS.items()},
        default=DEFAULT_READING,
    ),
    Column(
        "official_note",
        pl.String,
        "Why no official series is given, or what to know when comparing with it.",
        nullable=True,
    ),
    Column("notes", pl.String, "Reading notes, in our own words.", nullable=True),
)

ARTICLE_REGISTRY_COLUMNS: tuple[Column, ...] = (
    Column(
        "article_id",
        pl.String,
        "Stable identifier of the article; figures name it as `article:<article_id>`.",
        unique=True,
        pattern=ARTICLE_ID_PATTERN,
    ),
    Column("title", pl.String, "The article's title as published.", pattern=NOT_BLANK_PATTERN),
    Column(
        "publisher",
        pl.String,
        "Who published the article (outlet, blog or agency).",
        pattern=NOT_BLANK_PATTERN,
    ),
    Column(
        "url",
        pl.String,
        "Public address of the article; empty where it has none (the seed is a text file).",
        nullable=True,
        pattern=r"^https?://\S+$",
    ),
    Column(
        "published_on",
        pl.Date,
        "Day the article was published, as it states; empty where it gives no date.",
        nullable=True,
    ),
    Column(
        "retrieved_on",
        pl.Date,
        "Day the copy its figures were transcribed from was retrieved.",
        nullable=True,
    ),
    Column("notes", pl.String, "Reading notes, in our own words.", nullable=True),
)

CLAIM_REGISTRY_COLUMNS: tuple[Column, ...] = (
    Column(
        "claim_id",
        pl.String,
        "Stable identifier of the claim.",
        unique=True,
        pattern=IDENTIFIER_PATTERN,
    ),
    Column("statement", pl.String, "The claim, in our own words.", pattern=NOT_BLANK_PATTERN),
    FORMULA,
    Column(
        "input_figure_ids",
        pl.List(pl.String),
        "Figure ids the claim is recomputed from, in formula order (';'-separated in the file).",
        rules=(
            RowRule(
                "input_figure_ids_not_empty",
                "at least one input figure id",
                lambda: pl.col("input_figure_ids").list.len() > 0,
            ),
        ),
    ),
    Column(
        "stated_low",
        pl.Float64,
        "Low end of the value the article states; empty if none.",
        nullable=True,
        rules=(
            _low_le_high("stated_low", "stated_high"),
            _both_or_neither("stated_low", "stated_high"),
        ),
    ),
    Column(
        "stated_high",
        pl.Float64,
        "High end of the stated value (equal to low for a point).",
        nullable=True,
    ),
    Column("stated_unit", pl.String, "Unit of the stated value.", allowed=UNITS),
    Column(
        "tolerance",
        pl.Float64,
        "Allowed absolute distance, in stated_unit, between the recomputed value and the stated range.",
        rules=(
            RowRule("tolerance_non_negative", "`tolerance` >= 0", lambda: pl.col("tolerance") >= 0),
        ),
    ),
    Column(
        "article_location",
        pl.String,
        "Where in the article the claim is made.",
        pattern=NOT_BLANK_PATTERN,
    ),
    Column("notes", pl.String, "Reading notes, in our own words.", nullable=True),
)


def _raw_table(name: str, registry_columns: tuple[Column, ...], description: str) -> Table:
    text_columns = tuple(
        Column(c.name, pl.String, f"{c.description} (as text, unparsed)", nullable=True)
        for c in registry_columns
    )
    return Table(
        zone="raw",
        name=name,
        description=description,
        columns=(*text_columns, SOURCE_FILE, SOURCE_LINE, SOURCE_SHA256),
    )


RAW_PUBLISHED_FIGURES = _raw_table(
    "published_figures",
    FIGURE_REGISTRY_COLUMNS,
    "The published-figures registry file, every cell as text, with file, line and checksum.",
)
RAW_ARTICLES = _raw_table(
    "articles",
    ARTICLE_REGISTRY_COLUMNS,
    "The articles registry file, every cell as text, with file, line and checksum.",
)
RAW_CLAIMS = _raw_table(
    "claims",
    CLAIM_REGISTRY_COLUMNS,
    "The claims registry file, every cell as text, with file, line and checksum.",
)

CORE_ARTICLES = Table(
    zone="core",
    name="articles",
    description=(
        "The articles whose figures the registry transcribes, one row per article: title, "
        "publisher, address and the day it was published."
    ),
    primary_key="article_id",
    columns=(*ARTICLE_REGISTRY_COLUMNS, SOURCE_FILE, SOURCE_LINE),
)

CORE_PUBLISHED_FIGURES = Table(
    zone="core",
    name="published_figures",
    description=(
        "Every numeric figure transcribed from the articles of core/articles, plus official "
        "reference figures, typed and validated, one row per figure, with its citation, the "
        "calendar bounds of its period and how it reads its official series."
    ),
    schema_version="2.0.0",
    primary_key="figure_id",
    columns=(
        *FIGURE_REGISTRY_COLUMNS,
        Column("period_start", pl.Date, "First day covered by `period`."),
        Column(
            "period_end",
            pl.Date,
            "Last day covered by `period`.",
            rules=(_low_le_high("period_start", "period_end"),),
        ),
        SOURCE_FILE,
        SOURCE_LINE,
    ),
)

CORE_CLAIMS = Table(
    zone="core",
    name="claims",
    description=(
        "Derived claims the article makes, each with its formula, input figure ids, stated "
        "value or range and tolerance; every input id resolves to core/published_figures."
    ),
    primary_key="claim_id",
    columns=(*CLAIM_REGISTRY_COLUMNS, SOURCE_FILE, SOURCE_LINE),
)


def _payload_manifest(source: str) -> Table:
    return Table(
        zone="raw",
        name=f"{source}_payloads",
        description=(
            f"Every response fetched from {source}, one row per vintage: the bytes are stored as "
            "received under raw/payloads/ and never overwritten; a fetch whose bytes equal the "
            "newest vintage adds no row."
        ),
        primary_key="payload_id",
        columns=(
            Column(
                "payload_id",
                pl.String,
                "Identifier of the vintage: '<dataset>/<fetched_at>-<sha256 prefix>'.",
                unique=True,
            ),
            Column("source", pl.String, "Source the payload came from.", allowed=SOURCES),
            Column(
                "dataset",
                pl.String,
                "Dataset (file or query) within the source.",
                pattern=IDENTIFIER_PATTERN,
            ),
            Column(
                "url",
                pl.String,
                "Address fetched, with secret query parameters redacted.",
                pattern=NOT_BLANK_PATTERN,
            ),
            Column("http_status", pl.Int64, "HTTP status of the final response."),
            Column("fetched_at", pl.Datetime("us", "UTC"), "When the payload was received (UTC)."),
            Column("bytes", pl.Int64, "Size of the payload as received.", unit="bytes"),
            Column(
                "sha256",
                pl.String,
                "SHA-256 of the payload bytes as received.",
                pattern=r"^[0-9a-f]{64}$",
            ),
            Column(
                "path",
                pl.String,
                "Lake-relative path of the stored payload, gzip-compressed when it ends in `.gz`.",
                pattern=NOT_BLANK_PATTERN,
            ),
            Column("content_type", pl.String, "Content-Type the source declared.", nullable=True),
            Column(
                "origin",
                pl.String,
                "fetched: answered by the source to this lake; recorded_snapshot: seeded from the "
                "repository's snapshots/ (no network, or the source failed and the lake had none).",
                allowed=VINTAGE_ORIGINS,
            ),
            Column(
                "rows",
                pl.Int64,
                "Observations the payload holds for the dataset, as parsed when it was stored.",
            ),
            Column(
                "complete",
                pl.Boolean,
                "True when the payload holds the whole dataset; False for an incremental answer "
                "that is merged over earlier vintages.",
            ),
        ),
    )


# One payload manifest per source in the vocabulary: a new source is a vocabulary entry.
PAYLOAD_MANIFESTS: dict[str, Table] = {source: _payload_manifest(source) for source in SOURCES}
RAW_INDEED_PAYLOADS = PAYLOAD_MANIFESTS["indeed_hiring_lab"]
RAW_FRED_PAYLOADS = PAYLOAD_MANIFESTS["fred"]
RAW_BLS_PAYLOADS = PAYLOAD_MANIFESTS["bls"]

CORE_OBSERVATIONS = Table(
    zone="core",
    name="observations",
    description=(
        "Official series in one long table: one row per series and period, from the newest "
        "vintage of each dataset, with the vintage it came from."
    ),
    unique_together=("series_id", "period_start", "period_end"),
    schema_version="1.1.0",
    columns=(
        Column("source", pl.String, "Publisher of the series.", allowed=SOURCES),
        Column("dataset", pl.String, "Dataset within the source.", pattern=IDENTIFIER_PATTERN),
        Column(
            "series_id",
            pl.String,
            "Identifier of the series, prefixed by its source.",
            pattern=NOT_BLANK_PATTERN,
        ),
        Column(
            "subject",
            pl.String,
            "Occupation, sector or group the series describes.",
            pattern=NOT_BLANK_PATTERN,
        ),
        MEASURE,
        Column("geography", pl.String, "Country or area code (e.g. US)."),
        Column("frequency", pl.String, "Observation frequency.", allowed=FREQUENCIES),
        Column("period_start", pl.Date, "First day the observation covers."),
        Column(
            "period_end",
            pl.Date,
            "Last day the observation covers.",
            rules=(_low_le_high("period_start", "period_end"),),
        ),
        Column(
            "value",
            pl.Float64,
            "Observed value; empty where the source publishes none.",
            nullable=True,
            rules=(_within_unit_range("value"),),
        ),
        UNIT,
        Column("footnote_codes", pl.List(pl.String), "Source footnote codes for the observation."),
        Column(
            "release",
            pl.String,
            "The publication the value comes from, where the source names one (e.g. 'OEWS May "
            "2024 estimates').",
            nullable=True,
        ),
        Column(
            "vintage_fetched_at",
            pl.Datetime("us", "UTC"),
            "When the payload holding this row was fetched.",
        ),
        Column(
            "vintage_origin",
            pl.String,
            "Where that payload came from: fetched by this lake, or a recorded snapshot shipped "
            "with the repository (offline, or when the source failed and the lake had none); its "
            "vintage_fetched_at is then the day it was recorded.",
            allowed=VINTAGE_ORIGINS,
            nullable=True,
        ),
        Column(
            "payload_sha256",
            pl.String,
            "SHA-256 of that payload (raw/<source>_payloads).",
            pattern=r"^[0-9a-f]{64}$",
        ),
    ),
)


# Columns the bitemporal table adds to core/observations (ALFRED's names for the real-time span).
REALTIME_START = Column(
    "realtime_start",
    pl.Datetime("us", "UTC"),
    "When the publisher first published this value for this series and period: the date of "
    "the first vintage holding it (a commit of the publisher's repository, FRED's realtime_start "
    "at 00:00 UTC, or a fetch); equal to vintage_fetched_at.",
)
REALTIME_END = Column(
    "realtime_end",
    pl.Datetime("us", "UTC"),
    "When the value was superseded: the date of the first later vintage that changed it or no "
    "longer held it (for FRED, the day after ALFRED's inclusive realtime_end, 00:00 UTC); empty "
    "while it is current.",
    nullable=True,
    rules=(
        RowRule(
            name="realtime_start_lt_realtime_end",
            description="`realtime_start` < `realtime_end`",
            passes=lambda: pl.col("realtime_start") < pl.col("realtime_end"),
        ),
    ),
)
VINTAGE_ID = Column(
    "vintage_id",
    pl.String,
    "The vintage that first published the value: the commit sha of the publisher's repository "
    "(publisher_history), or the lake's payload id (<dataset>/<fetched_at>-<sha256[:12]>).",
    pattern=NOT_BLANK_PATTERN,
)

CORE_OBSERVATION_VINTAGES = Table(
    zone="core",
    name="observation_vintages",
    description=(
        "Every published vintage of the official series, bitemporally: each value of a series "
        "and period once per span of vintages in which it did not change (realtime_start to "
        "realtime_end, as ALFRED keeps them), with the vintage that first published it. The "
        "series as published on a day is a filter (labor_lake.lake.bitemporal.observations_as_of"
        "; read_table('core/observations', as_of=...); the DuckDB macro observations_as_of)."
    ),
    unique_together=("series_id", "period_start", "period_end", "realtime_start"),
    schema_version="2.0.0",
    columns=(
        *CORE_OBSERVATIONS.columns[:-3],
        Column(
            "vintage_fetched_at",
            pl.Datetime("us", "UTC"),
            "Date of the vintage that first published the value (its commit's date, FRED's "
            "realtime_start for an ALFRED vintage, or when the lake fetched it).",
        ),
        Column(
            "vintage_origin",
            pl.String,
            "Where that vintage came from: the publisher's history (a commit of its repository), "
            "FRED's own record of its vintages (alfred, fetched with FRED_API_KEY), fetched by "
            "this lake, or a recorded snapshot shipped with the repository.",
            allowed=VINTAGE_ORIGINS,
        ),
        Column(
            "payload_sha256",
            pl.String,
            "SHA-256 of that vintage's file (the raw bytes at the commit, or the fetched payload).",
            pattern=r"^[0-9a-f]{64}$",
        ),
        Column(
            "vintage_id",
            pl.String,
            "The vintage that first published the value: the commit sha of the publisher's "
            "repository (publisher_history), FRED's vintage as ALFRED dates it (alfred: "
            "<series_id>@<realtime_start>, e.g. fred:IHLIDXUS@2024-01-05), or the lake's payload "
            "id (<dataset>/<fetched_at>-<sha256[:12]>).",
            pattern=NOT_BLANK_PATTERN,
        ),
        REALTIME_START,
        REALTIME_END,
    ),
)

# Every vintage considered for core/observation_vintages, folded or not, and why not: also
# the vintage in force on a day where it repeated its predecessor and added no row.
CORE_VINTAGES = Table(
    zone="core",
    name="vintages",
    description=(
        "Every vintage of every dataset considered for core/observation_vintages: the versions "
        "of publisher files in their git history (commit, blob) and the lake's own fetches, with "
        "what became of each (folded, unchanged, deleted, missing, damaged)."
    ),
    unique_together=("dataset", "vintage_id"),
    schema_version="1.0.0",
    columns=(
        Column("dataset", pl.String, "Catalog dataset.", pattern=IDENTIFIER_PATTERN),
        VINTAGE_ID,
        Column(
            "origin",
            pl.String,
            "publisher_history, fetched or recorded_snapshot.",
            allowed=VINTAGE_ORIGINS,
        ),
        Column("vintage_at", pl.Datetime("us", "UTC"), "The vintage's date (commit or fetch)."),
        Column(
            "url",
            pl.String,
            "Where its bytes are served: the raw address at the commit, or the fetched address.",
        ),
        Column("blob", pl.String, "Git blob sha of the file at the commit.", nullable=True),
        Column(
            "sha256",
            pl.String,
            "SHA-256 of the file's bytes.",
            nullable=True,
            pattern=r"^[0-9a-f]{64}$",
        ),
        Column("bytes", pl.Int64, "Size of the file.", unit="bytes", nullable=True),
        Column(
            "status",
            pl.String,
            "What became of the vintage.",
            allowed=VINTAGE_STATUSES,
        ),
        Column("detail", pl.String, "Why, for a vintage not folded.", nullable=True),
    ),
)


def _oews_number(name: str, description: str, unit: str | None = None) -> Column:
    return Column(name, pl.Float64, description, unit=unit, nullable=True)


def _oews_wage(name: str, statistic: str, unit: str) -> Column:
    per = "hour" if unit == "usd_per_hour" else "year"
    return Column(
        name,
        pl.Float64,
        f"{statistic} wage per {per}; the top-coding bound where `markers` holds `{name}=#`; "
        "empty where BLS publishes none (`*`).",
        unit=unit,
        nullable=True,
        rules=(RowRule(f"{name}_positive", f"`{name}` > 0", lambda: pl.col(name) > 0),),
    )


_OEWS_STATISTICS = (
    ("mean", "Mean"),
    ("pct10", "10th percentile"),
    ("pct25", "25th percentile"),
    ("median", "Median"),
    ("pct75", "75th percentile"),
    ("pct90", "90th percentile"),
)

CORE_OEWS_ESTIMATES = Table(
    zone="core",
    name="oews_estimates",
    description=(
        "Every row of the BLS OEWS flat files read (May estimates: employment, mean and percentile "
        "wages), one row per year x area x industry x ownership x occupation x group, typed, "
        "with BLS markers kept in `markers`. Partitioned by year."
    ),
    unique_together=("year", "area", "naics", "own_code", "occ_code", "o_group"),
    partition_by="year",
    columns=(
        Column("year", pl.Int32, "Reference year: the estimates are for May of this year."),
        Column("period_start", pl.Date, "First day of the reference month (May 1)."),
        Column(
            "period_end",
            pl.Date,
            "Last day of the reference month (May 31).",
            rules=(_low_le_high("period_start", "period_end"),),
        ),
        Column("area", pl.String, "OEWS area code (99 = U.S.).", pattern=r"^\d+$"),
        Column("area_title", pl.String, "Area name.", pattern=NOT_BLANK_PATTERN),
        Column(
            "area_type", pl.String, "OEWS area type (1 = U.S., 2 = state, ...).", pattern=r"^\d+$"
        ),
        Column(
            "prim_state",
            pl.String,
            "Primary state of the area (files from 2020 on; empty before).",
            nullable=True,
        ),
        Column(
            "naics",
            pl.String,
            "Industry code: 000000 = cross-industry; NAICS sectors may be ranges like 31-33.",
            pattern=r"^\d{2,6}(-\d{2})?$",
        ),
        Column("naics_title", pl.String, "Industry name.", pattern=NOT_BLANK_PATTERN),
        Column(
            "i_group",
            pl.String,
            "Industry level (cross-industry, sector, ...).",
            pattern=NOT_BLANK_PATTERN,
        ),
        Column(
            "own_code",
            pl.String,
            "Ownership: 1235 = all (private, federal, state, local), 5 = private, ...",
            pattern=r"^\d+$",
        ),
        Column(
            "occ_code",
            pl.String,
            "SOC occupation code as BLS prints it for that year (SOC 2010, hybrid or SOC 2018; see "
            "registry/oews_concordance.csv).",
            pattern=r"^\d{2}-\d{4}$",
        ),
        Column(
            "occ_title",
            pl.String,
            "Occupation title as printed that year.",
            pattern=NOT_BLANK_PATTERN,
        ),
        Column(
            "o_group",
            pl.String,
            "Level of the code in the SOC hierarchy (`OCC_GROUP` before 2019).",
            allowed={
                "total": "All occupations.",
                "major": "SOC major group (xx-0000).",
                "minor": "SOC minor group.",
                "broad": "SOC broad occupation.",
                "detailed": "SOC detailed occupation (or a broad code published at the detailed level).",
            },
        ),
        Column(
            "tot_emp",
            pl.Int64,
            "Employment, rounded by BLS; empty where not available (`**`).",
            unit="count",
            nullable=True,
            rules=(
                RowRule("tot_emp_non_negative", "`tot_emp` >= 0", lambda: pl.col("tot_emp") >= 0),
            ),
        ),
        _oews_number(
            "emp_prse", "Percent relative standard error of the employment estimate.", "percent"
        ),
        _oews_number(
            "jobs_1000", "Jobs in the occupation per 1,000 jobs in the area (area files)."
        ),
        _oews_number("loc_quotient", "Location quotient (area files)."),
        _oews_number(
            "pct_total",
            "Percent of industry employment in the occupation (industry files).",
            "percent",
        ),
        _oews_number(
            "pct_rpt", "Percent of establishments reporting the occupation (from 2021).", "percent"
        ),
        *(_oews_wage(f"h_{key}", label, "usd_per_hour") for key, label in _OEWS_STATISTICS[:1]),
        *(_oews_wage(f"a_{key}", label, "usd_per_year") for key, label in _OEWS_STATISTICS[:1]),
        _oews_number("mean_prse", "Percent relative standard error of the mean wage.", "percent"),
        *(_oews_wage(f"h_{key}", label, "usd_per_hour") for key, label in _OEWS_STATISTICS[1:]),
        *(_oews_wage(f"a_{key}", label, "usd_per_year") for key, label in _OEWS_STATISTICS[1:]),
        Column("annual_only", pl.Boolean, "BLS publishes only annual wages (ANNUAL = TRUE)."),
        Column("hourly_only", pl.Boolean, "BLS publishes only hourly wages (HOURLY = TRUE)."),
        Column(
            "markers",
            pl.List(pl.String),
            "Cells that held a BLS marker instead of a number, as `<column>=<marker>`: `*` not "
            "available, `**` employment not available, `#` top-coded (value is the bound), `~` "
            "under 0.5% of establishments report.",
        ),
        Column("source_file", pl.String, "File (zip member, sheet) the row was read from."),
        Column("source_row", pl.Int64, "Row of the record in its sheet or CSV (header is row 1)."),
    ),
)

METRIC_COLUMNS: tuple[Column, ...] = (
    Column(
        "metric_id",
        pl.String,
        "Identifier of the computation: '<formula>:<input id>:<input id>'.",
        unique=True,
        pattern=NOT_BLANK_PATTERN,
    ),
    Column(
        "value",
        pl.Float64,
        "Computed value (from range midpoints where an input is a range).",
        rules=(_within_unit_range("value"),),
    ),
    Column(
        "value_low",
        pl.Float64,
        "Lowest value over the input ranges; equals `value` for point inputs.",
        rules=(_low_le_high("value_low", "value_high"),),
    ),
    Column(
        "value_high",
        pl.Float64,
        "Highest value over the input ranges; equals `value` for point inputs.",
    ),
    UNIT,
    Column(
        "period",
        pl.String,
        "Period of the inputs: as in the registry, or an ISO 8601 interval 'start/end' for a change.",
    ),
    INPUTS,
    FORMULA,
    Column(
        "formula_text",
        pl.String,
        "The formula with the input values substituted.",
        pattern=NOT_BLANK_PATTERN,
    ),
    MEASURE,
    Column("subjects", pl.List(pl.String), "Subjects of the inputs, in formula order."),
    Column(
        "flags",
        pl.List(pl.String),
        "Caveats on the inputs, e.g. a figure that is only a lower bound.",
    ),
)


def _metric_table(name: str, description: str) -> Table:
    return Table(
        zone="metrics",
        name=name,
        description=description,
        primary_key="metric_id",
        columns=METRIC_COLUMNS,
    )


# The OEWS occupation pair a premium compares (registry/occupation_pairs.csv), so that "the
# premium of this pair by year and statistic" is one filter: `pair_id`, then `period` and `measure`.
PAY_PAIR_COLUMNS: tuple[Column, ...] = (
    Column(
        "pair_id",
        pl.String,
        "The occupation pair of registry/occupation_pairs.csv whose OEWS premium the row is; "
        "empty for premiums between published figures.",
        nullable=True,
    ),
    Column(
        "numerator_occ_code",
        pl.String,
        "SOC code of the numerator occupation `a` of an OEWS pair premium (the subject); empty "
        "where the row is not a pair premium.",
        nullable=True,
        pattern=r"^\d{2}-\d{4}$",
    ),
    Column(
        "numerator_occ_title",
        pl.String,
        "BLS title of the numerator occupation (registry/oews_concordance.csv, checked against "
        "the OEWS files).",
        nullable=True,
    ),
    Column(
        "denominator_occ_code",
        pl.String,
        "SOC code of the denominator occupation `b` of an OEWS pair premium (the base); empty "
        "where the row is not a pair premium.",
        nullable=True,
        pattern=r"^\d{2}-\d{4}$",
    ),
    Column(
        "denominator_occ_title",
        pl.String,
        "BLS title of the denominator occupation (registry/oews_concordance.csv, checked "
        "against the OEWS files).",
        nullable=True,
    ),
)

METRICS_PAY_PREMIUMS = Table(
    zone="metrics",
    name="pay_premiums",
    description=(
        "Pay premiums (a / b - 1) x 100 and pay differences a - b between like-for-like pay "
        "figures, and the OEWS premiums of each occupation pair by year and statistic."
    ),
    schema_version="1.1.0",
    primary_key="metric_id",
    columns=METRIC_COLUMNS + PAY_PAIR_COLUMNS,
)
METRICS_POSTINGS_DIVERGENCE = _metric_table(
    "postings_divergence",
    "Spreads, in percentage points, between the growth of two kinds of job postings over one window.",
)
METRICS_UNEMPLOYMENT_GAPS = _metric_table(
    "unemployment_gaps",
    "Gaps, in percentage points, between unemployment rates of occupations in one period.",
)
METRICS_GROWTH_RATES = _metric_table(
    "growth_rates",
    "Growth rates (new / old - 1) x 100 between two periods of one measure and subject.",
)

METRICS_CLAIM_CHECKS = Table(
    zone="metrics",
    name="claim_checks",
    description=(
        "The claim ledger: each claim of an article recomputed from its inputs, each published "
        "figure against its official series, and each claim's OEWS proxy by year and statistic, "
        "with a status and a one-line reason."
    ),
    schema_version="3.0.0",
    primary_key="claim_id",
    columns=(
        Column(
            "claim_id",
            pl.String,
            "Identifier of the check: the claim's id (core/claims) for an `article_claim` or an "
            "`oews_proxy_claim`; "
            "`official_<figure_id>` for a `figure_vs_official`; "
            "`<pair>_<year>_<statistic>` and `<pair>_trend_median_annual_wage` for OEWS proxies.",
            unique=True,
            pattern=IDENTIFIER_PATTERN,
        ),
        Column("kind", pl.String, "What the row checks.", allowed=CHECK_KINDS),
        Column(
            "about_claim_id",
            pl.String,
            "The claim of core/claims the row is about: the claim itself, or the OEWS proxy "
            "claim a year-by-year row or a trend is evidence for; empty for a published figure "
            "checked against its official series.",
            nullable=True,
            pattern=IDENTIFIER_PATTERN,
        ),
        Column(
            "article_id",
            pl.String,
            "The article of core/articles whose figures the row checks; empty where the figures "
            "come from no article (official reference figures).",
            nullable=True,
            pattern=ARTICLE_ID_PATTERN,
        ),
        Column("statement", pl.String, "The claim, in our own words."),
        Column(
            "status",
            pl.String,
            "Outcome of the check; for a figure checked as of its article's day "
            "(`checked_as_of`), the verdict against the numbers published that day.",
            allowed=CLAIM_STATUSES,
        ),
        Column("stated_low", pl.Float64, "Low end of the stated value.", nullable=True),
        Column("stated_high", pl.Float64, "High end of the stated value.", nullable=True),
        Column("stated_unit", pl.String, "Unit of the stated value.", allowed=UNITS),
        Column("tolerance", pl.Float64, "Allowed absolute distance from the stated range."),
        Column(
            "computed_value",
            pl.Float64,
            "Value recomputed from the inputs (for a figure checked as of its article's day, "
            "read from the numbers published that day); empty when refused.",
            nullable=True,
        ),
        Column(
            "computed_low", pl.Float64, "Lowest recomputed value over input ranges.", nullable=True
        ),
        Column(
            "computed_high",
            pl.Float64,
            "Highest recomputed value over input ranges.",
            nullable=True,
        ),
        Column(
            "metric_id",
            pl.String,
            "Row of the metrics table holding the computation, if any.",
            nullable=True,
        ),
        FORMULA,
        INPUTS,
        Column(
            "explanation",
            pl.String,
            "One line saying why the claim got its status.",
            pattern=NOT_BLANK_PATTERN,
        ),
        Column(
            "checked_as_of",
            pl.Date,
            "The day whose published numbers `status` and `computed_value` use: the article's "
            "`published_on`, for a figure checked against its series when a vintage of that "
            "series was published by then; empty when the row is checked against the newest "
            "numbers only (the explanation says why).",
            nullable=True,
        ),
        Column(
            "vintage_as_of",
            pl.Date,
            "Date of the vintage in force on `checked_as_of` (the newest published on or before "
            "it).",
            nullable=True,
        ),
        Column(
            "status_now",
            pl.String,
            "The verdict against the newest vintage, where `status` is the verdict as published.",
            nullable=True,
            allowed=CLAIM_STATUSES,
        ),
        Column(
            "computed_value_now",
            pl.Float64,
            "The official value read from the newest vintage, where `computed_value` is the one "
            "read as published.",
            nullable=True,
        ),
        Column(
            "vintage_now",
            pl.Date,
            "Date of the newest vintage the row was checked against.",
            nullable=True,
        ),
        Column(
            "revised_since",
            pl.Boolean,
            "True when a revision since `checked_as_of` changed the verdict (`status_now` differs "
            "from `status`); False when it did not; empty when the row is not checked as of a day.",
            nullable=True,
        ),
    ),
)

_METRIC_TABLES = (
    METRICS_PAY_PREMIUMS,
    METRICS_POSTINGS_DIVERGENCE,
    METRICS_UNEMPLOYMENT_GAPS,
    METRICS_GROWTH_RATES,
)
# Where each formula's rows go, from its declaration in schemas/formulas.py.
METRIC_TABLE_BY_FORMULA: dict[str, Table] = {
    name: next(t for t in _METRIC_TABLES if t.name == formula.table)
    for name, formula in FORMULAS.items()
    if formula.table is not None
}

ALL_TABLES: tuple[Table, ...] = (
    RAW_ARTICLES,
    RAW_PUBLISHED_FIGURES,
    RAW_CLAIMS,
    *PAYLOAD_MANIFESTS.values(),
    CORE_ARTICLES,
    CORE_PUBLISHED_FIGURES,
    CORE_CLAIMS,
    CORE_OBSERVATIONS,
    CORE_OBSERVATION_VINTAGES,
    CORE_VINTAGES,
    CORE_OEWS_ESTIMATES,
    METRICS_PAY_PREMIUMS,
    METRICS_POSTINGS_DIVERGENCE,
    METRICS_UNEMPLOYMENT_GAPS,
    METRICS_GROWTH_RATES,
    METRICS_CLAIM_CHECKS,
)
TABLES_BY_ID: dict[str, Table] = {table.id: table for table in ALL_TABLES}
