"""The lake: atomic writes, unchanged-content skips, and fsspec URLs for object storage."""

from __future__ import annotations

from dataclasses import replace

import polars as pl
import pytest

from labor_lake.lake.files import (
    Lake,
    content_sha256,
    parquet_bytes,
    parquet_bytes_with_content_hash,
    parquet_data_region,
    parquet_facts,
)
from labor_lake.lake.tables import write_table
from schemas.tables import METRICS_GROWTH_RATES

from .conftest import synthetic_metric_row

PROVENANCE = {"produced_at": "2026-01-01T00:00:00+00:00", "code_version": "test", "run_id": "r1"}


def _growth(value: float) -> pl.DataFrame:
    row = synthetic_metric_row(
        metric_id="growth_pct:new:old",
        value=value,
        value_low=value,
        value_high=value,
        formula="growth_pct",
    )
    return pl.DataFrame([row], schema=METRICS_GROWTH_RATES.polars_schema)


def test_failed_write_leaves_previous_file_and_no_temporary(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = Lake(str(tmp_path))
    write_table(lake, _growth(150.8), METRICS_GROWTH_RATES, PROVENANCE)
    target = tmp_path / METRICS_GROWTH_RATES.relative_path
    before = target.read_bytes()

    def fail_fsync(_fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("labor_lake.lake.files.os.fsync", fail_fsync)
    with pytest.raises(OSError, match="disk full"):
        write_table(lake, _growth(99.0), METRICS_GROWTH_RATES, PROVENANCE)
    assert target.read_bytes() == before
    assert [p.name for p in target.parent.iterdir()] == [target.name]


def test_same_content_is_not_rewritten(tmp_path) -> None:
    lake = Lake(str(tmp_path))
    first = write_table(lake, _growth(150.8), METRICS_GROWTH_RATES, PROVENANCE)
    again = write_table(lake, _growth(150.8), METRICS_GROWTH_RATES, {**PROVENANCE, "run_id": "r2"})
    changed = write_table(
        lake, _growth(151.0), METRICS_GROWTH_RATES, {**PROVENANCE, "run_id": "r3"}
    )
    assert first.changed and not again.changed and changed.changed
    assert again.sha256 == first.sha256
    facts = parquet_facts(lake.read_bytes(METRICS_GROWTH_RATES.relative_path))
    assert facts.rows == 1 and facts.provenance["run_id"] == "r3"


def test_the_data_region_does_not_depend_on_the_provenance() -> None:
    # What makes hashing the data region sound: the key-value metadata lives in the footer only.
    frame = _growth(150.8)
    first = parquet_bytes(frame, METRICS_GROWTH_RATES, PROVENANCE)
    other = parquet_bytes(
        frame, METRICS_GROWTH_RATES, {**PROVENANCE, "run_id": "another-run" * 20, "extra": "x"}
    )
    assert first != other
    assert parquet_data_region(first) == parquet_data_region(other)
    assert parquet_data_region(first) != parquet_data_region(
        parquet_bytes(_growth(151.0), METRICS_GROWTH_RATES, PROVENANCE)
    )


def test_the_content_hash_is_the_content_not_the_run() -> None:
    stable = {"table": METRICS_GROWTH_RATES.id, "rows": "1"}

    def written(frame: pl.DataFrame, table=METRICS_GROWTH_RATES, run: str = "r1") -> str:
        data, content = parquet_bytes_with_content_hash(
            frame, table, stable, {**PROVENANCE, "run_id": run}
        )
        # Recorded in the footer, equal to the hash of the file as written, and readable.
        assert parquet_facts(data).provenance["content_sha256"] == content
        assert parquet_facts(data).provenance["run_id"] == run
        assert content == content_sha256(data, table, stable)
        assert pl.read_parquet(data).equals(frame)
        return content

    value = METRICS_GROWTH_RATES.columns[1]
    assert value.name == "value"
    redescribed = replace(
        METRICS_GROWTH_RATES,
        columns=tuple(
            replace(c, description="Another meaning.") if c is value else c
            for c in METRICS_GROWTH_RATES.columns
        ),
    )
    other_unit = replace(
        METRICS_GROWTH_RATES,
        columns=tuple(
            replace(c, unit="percent_points") if c is value else c
            for c in METRICS_GROWTH_RATES.columns
        ),
    )
    same = written(_growth(150.8))
    assert written(_growth(150.8), run="r2") == same
    assert written(_growth(151.0)) != same
    assert written(_growth(150.8), redescribed) != same
    assert written(_growth(150.8), other_unit) != same
    assert (
        content_sha256(
            parquet_bytes(_growth(150.8), METRICS_GROWTH_RATES, PROVENANCE),
            METRICS_GROWTH_RATES,
            {**stable, "rows": "2"},
        )
        != same
    )


def test_lake_on_an_fsspec_url_round_trips() -> None:
    # memory:// stands in for s3:// or gs://: the same code path (single PUT, no rename).
    lake = Lake("memory://labor-lake-test/lake")
    written = write_table(lake, _growth(150.8), METRICS_GROWTH_RATES, PROVENANCE)
    assert written.path == "memory://labor-lake-test/lake/metrics/growth_rates.parquet"
    assert lake.read_table(METRICS_GROWTH_RATES)["value"].to_list() == [150.8]
    assert lake.exists(METRICS_GROWTH_RATES.relative_path)
