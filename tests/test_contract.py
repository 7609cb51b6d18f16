"""The published-schema contract: a change to a published table needs a version bump and a
changelog entry; the version travels with the data."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from schemas.contract import actual_bump, published_schema, required_bump
from schemas.tables import ALL_TABLES

from .conftest import REPO_ROOT

SNAPSHOT = Path(__file__).parent / "snapshots" / "published_schemas.json"
PUBLISHED = [t for t in ALL_TABLES if t.published]


def _current() -> dict:
    return {table.id: published_schema(table) for table in PUBLISHED}


@pytest.fixture(scope="module", autouse=True)
def _accept_changes_on_request() -> None:
    """`UPDATE_SNAPSHOTS=1` records the current published schemas as the new contract."""
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(json.dumps(_current(), indent=2) + "\n")


@pytest.mark.parametrize("table", PUBLISHED, ids=lambda t: t.id)
def test_every_published_change_is_versioned_and_logged(table) -> None:
    snapshot = json.loads(SNAPSHOT.read_text())
    assert table.id in snapshot, (
        f"{table.id} is new: add it with UPDATE_SNAPSHOTS=1 and a CHANGELOG entry"
    )
    old, new = snapshot[table.id], published_schema(table)
    needed = required_bump(old, new)
    done = actual_bump(old["version"], new["version"])
    order = ("none", "patch", "minor", "major")
    assert order.index(done) >= order.index(needed), (
        f"{table.id}: this change needs a {needed} version bump (schema_version is still {new['version']})"
    )
    if done != "none" or new != old:
        pytest.fail(
            f"{table.id}: accept the change with UPDATE_SNAPSHOTS=1 after bumping and logging it"
        )
    assert f"{table.id} {table.schema_version}" in (REPO_ROOT / "docs" / "CHANGELOG.md").read_text()


BASE = {
    "version": "1.0.0",
    "columns": [
        {"name": "value", "type": "Float64", "unit": None, "nullable": False, "description": "d"}
    ],
}


@pytest.mark.parametrize(
    ("change", "bump"),
    [
        (lambda s: s, "none"),
        (
            lambda s: {
                **s,
                "columns": [*s["columns"], {**s["columns"][0], "name": "note", "nullable": True}],
            },
            "minor",
        ),
        (lambda s: {**s, "columns": [*s["columns"], {**s["columns"][0], "name": "note"}]}, "major"),
        (lambda s: {**s, "columns": [{**s["columns"][0], "name": "value_usd"}]}, "major"),
        (lambda s: {**s, "columns": [{**s["columns"][0], "type": "String"}]}, "major"),
        (
            lambda s: {**s, "columns": [{**s["columns"][0], "description": "something else"}]},
            "major",
        ),
    ],
    ids=["unchanged", "nullable_added", "required_added", "renamed", "retyped", "meaning_changed"],
)
def test_required_bumps(change, bump) -> None:
    assert required_bump(BASE, change(BASE)) == bump


def test_version_comparison() -> None:
    assert actual_bump("1.0.0", "1.0.0") == "none"
    assert actual_bump("1.0.0", "1.1.0") == "minor"
    assert actual_bump("1.2.3", "2.0.0") == "major"
    assert actual_bump("1.0.0", "1.0.1") == "patch"
