"""The import contract (pyproject's [tool.importlinter]): the layers only import downward, and the
domain and the table metadata never import Dagster. Checked with import-linter on the repository,
and shown to fail on a deliberate upward import in a copy of it."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO_ROOT

PACKAGES = ("pipelines", "assets", "labor_lake", "schemas")


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    lint = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(lint), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        timeout=300,
    )


def test_the_repository_keeps_its_import_contracts() -> None:
    result = _lint_imports(REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("labor_lake/registry/periods.py", "import dagster", "No Dagster"),
        ("labor_lake/checks/lineage.py", "import assets.lake_table", "Layers pipelines"),
        ("schemas/vocabulary.py", "import labor_lake.checks.formulas", "Layers pipelines"),
        ("labor_lake/sources/refresh.py", "import labor_lake.checks.ledger", "Layers inside"),
        ("labor_lake/checks/formulas.py", "import labor_lake.present.report", "Layers inside"),
        ("labor_lake/lake/releases.py", "import labor_lake.registry.periods", "Layers inside"),
        ("labor_lake/lake/files.py", "import labor_lake.lake.tables", "No import circles"),
    ],
    ids=[
        "domain_imports_dagster",
        "domain_imports_wiring",
        "metadata_imports_domain",
        "sources_import_checks",
        "checks_import_present",
        "lake_imports_its_sibling_registry",
        "lake_files_and_tables_in_a_circle",
    ],
)
def test_an_upward_import_breaks_a_contract(
    tmp_path: Path, module: str, line: str, broken: str
) -> None:
    for package in PACKAGES:
        shutil.copytree(
            REPO_ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(REPO_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / module
    target.write_text(f"{line}\n{target.read_text()}")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    broken_contracts = [text for text in result.stdout.splitlines() if text.endswith("BROKEN")]
    assert any(broken in text for text in broken_contracts), result.stdout


def test_the_domain_is_sub_packages_only() -> None:
    """Every module of labor_lake/ lives in a sub-package (one per stage of the flow), and every
    sub-package says in its docstring what it holds and what it may import."""
    domain = REPO_ROOT / "labor_lake"
    assert sorted(p.name for p in domain.glob("*.py")) == ["__init__.py"]
    packages = sorted(p for p in domain.iterdir() if (p / "__init__.py").exists())
    assert [p.name for p in packages] == ["checks", "lake", "pay", "present", "registry", "sources"]
    for package in packages:
        docstring = ast.get_docstring(ast.parse((package / "__init__.py").read_text()))
        assert docstring and "May import" in docstring, package.name


def test_importing_the_reader_loads_neither_dagster_nor_the_validation_stack() -> None:
    """A notebook reading a table pays for polars and pyarrow, not for Dagster or for pandera and
    the pandas it brings (about a second each), which only validation needs."""
    probe = (
        "import sys\n"
        "from labor_lake.lake.reader import read_table\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert "polars" in loaded and "pyarrow" in loaded
    assert not {"dagster", "pandera", "pandas"} & set(loaded)
