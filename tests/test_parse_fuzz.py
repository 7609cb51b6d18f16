"""Property-based: every catalog dataset's parser, fed random and mangled payloads, either reads
them or raises the one source error type (SourceError, one line) and nothing else, so that no
damaged answer can escape its dataset and fail the whole source (issue 22).

Payloads start from what each dataset really receives (its recorded snapshot; the synthetic FRED
files and BLS OEWS answer of tests/data where nothing real is recorded) and are then: left empty,
cut at any byte, replaced by an HTML page, by another dataset's payload, by JSON of any shape
(including the dataset's own JSON with any value swapped for another type), by random bytes, or
flipped at random bytes. The number of examples run is counted and checked, and printed with
`-s` (docs/reliability.md records a run).
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assets import settings as lake_settings
from labor_lake.sources.catalog import Dataset, load_catalog
from labor_lake.sources.http import SourceError
from labor_lake.sources.protocols import connectors
from labor_lake.sources.snapshots import load_manifest

from .conftest import SYNTHETIC

CATALOG = load_catalog(lake_settings.catalog_path())
PARSERS = connectors(lambda _name: None)
# Enough to cover every kind of damage several times per dataset and extension while keeping the
# module to about a minute on two loaded cores (the OEWS workbooks are the slow ones to open).
EXAMPLES = 150
EXAMPLES_RUN: Counter[str] = Counter()

HTML_PAGES = (
    b"<!DOCTYPE html><html><head><title>Access Denied</title></head><body>Access Denied</body></html>",
    b"\n  <html><body><h1>429 Too Many Requests</h1></body></html>",
)


def _synthetic_fred_json(csv: bytes) -> bytes:
    """The FRED JSON API layout over the synthetic FRED CSV (synthetic values, real layout)."""
    lines = csv.decode().splitlines()[1:]
    observations = [
        {"date": day, "value": value} for day, value in (line.split(",") for line in lines)
    ]
    return json.dumps({"observations": observations}).encode()


@cache
def real_payloads() -> dict[tuple[str, str], bytes]:
    """(dataset, extension) -> what the dataset receives: recorded, or synthetic (tests/data)."""
    payloads = {}
    for snapshot in load_manifest(lake_settings.SNAPSHOT_MANIFEST):
        dataset = CATALOG.get(snapshot.dataset)
        assert dataset is not None
        payloads[(dataset.id, dataset.format)] = snapshot.read()
    for dataset in CATALOG.by_source("fred"):
        (series,) = dataset.series
        csv = (SYNTHETIC / "fred" / f"{series.id}.csv").read_bytes()
        payloads[(dataset.id, "csv")] = csv
        payloads[(dataset.id, "json")] = _synthetic_fred_json(csv)
    payloads[("bls_oews_api", "json")] = (SYNTHETIC / "bls" / "oews_synthetic.json").read_bytes()
    return payloads


CASES = sorted(real_payloads())


def test_every_catalog_dataset_has_a_payload_to_mangle() -> None:
    assert {dataset for dataset, _ in CASES} == {d.id for d in CATALOG.datasets}


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _swap_a_value(document: object, path: list[int], replacement: object) -> object:
    """`document` with the value that `path` picks (indexes into lists and dicts, taken modulo
    their sizes) replaced by `replacement`."""
    if not path or not isinstance(document, (list, dict)) or not document:
        return replacement
    if isinstance(document, list):
        index = path[0] % len(document)
        return [
            _swap_a_value(item, path[1:], replacement) if i == index else item
            for i, item in enumerate(document)
        ]
    key = sorted(document)[path[0] % len(document)]
    return {
        k: _swap_a_value(v, path[1:], replacement) if k == key else v for k, v in document.items()
    }


@st.composite
def mangled(draw: st.DrawFn, dataset: str, extension: str) -> tuple[str, bytes]:
    real = real_payloads()[(dataset, extension)]
    kind = draw(
        st.sampled_from(
            ["empty", "cut", "html", "other_dataset", "json", "json_swapped", "random", "flipped"]
        )
    )
    if kind == "empty":
        return kind, b""
    if kind == "cut":
        return kind, real[: draw(st.integers(0, len(real) - 1))]
    if kind == "html":
        return kind, draw(st.sampled_from(HTML_PAGES))
    if kind == "other_dataset":
        other = draw(st.sampled_from([case for case in CASES if case != (dataset, extension)]))
        return kind, real_payloads()[other]
    if kind == "json":
        return kind, json.dumps(draw(JSON_VALUES)).encode()
    if kind == "json_swapped" and extension == "json":
        path = draw(st.lists(st.integers(0, 50), max_size=7))
        swapped = _swap_a_value(json.loads(real), path, draw(JSON_VALUES))
        return kind, json.dumps(swapped).encode()
    if kind == "flipped":
        flipped = bytearray(real)
        for position in draw(st.lists(st.integers(0, len(real) - 1), min_size=1, max_size=8)):
            flipped[position] = draw(st.integers(0, 255))
        return kind, bytes(flipped)
    return "random", draw(st.binary(max_size=2048))


@pytest.mark.parametrize(("dataset_id", "extension"), CASES, ids=[f"{d}-{e}" for d, e in CASES])
def test_a_mangled_payload_is_read_or_refused_with_one_source_error(
    dataset_id: str, extension: str
) -> None:
    dataset = CATALOG.get(dataset_id)
    assert isinstance(dataset, Dataset)
    parser = PARSERS[dataset.protocol]
    kinds: Counter[str] = Counter()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(mangled(dataset_id, extension))
    def property_holds(example: tuple[str, bytes]) -> None:
        kind, content = example
        kinds[kind] += 1
        try:
            parser.parse(dataset, content, dataset.url, extension)
        except SourceError as error:
            message = str(error)
            assert "\n" not in message and message.startswith(dataset.id), message
        # Anything else (CatalogError, a polars, zip or JSON error) fails the property.

    property_holds()
    EXAMPLES_RUN[f"{dataset_id}-{extension}"] = sum(kinds.values())
    print(
        f"{dataset_id} ({extension}): {sum(kinds.values())} examples, {dict(sorted(kinds.items()))}"
    )
    assert sum(kinds.values()) >= EXAMPLES  # the property really ran (more with shrinking)
