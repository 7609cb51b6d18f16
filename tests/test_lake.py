"""The lake: atomic writes, unchanged-content skips, and fsspec URLs for object storage."""

from __future__ import annotations

import polars as pl
import pytest

from labor_lake.lake.files import Lake, parquet_facts
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


def test_lake_on_an_fsspec_url_round_trips() -> None:
    # memory:// stands in for s3:// or gs://: the same code path (single PUT, no rename).
    lake = Lake("memory://labor-lake-test/lake")
    written = write_table(lake, _growth(150.8), METRICS_GROWTH_RATES, PROVENANCE)
    assert written.path == "memory://labor-lake-test/lake/metrics/growth_rates.parquet"
    assert lake.read_table(METRICS_GROWTH_RATES)["value"].to_list() == [150.8]
    assert lake.exists(METRICS_GROWTH_RATES.relative_path)
