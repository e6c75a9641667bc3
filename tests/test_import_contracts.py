"""The import contracts in pyproject.toml catch a backwards import (`make test` runs `lint-imports` on the tree).

Each case copies the packages to a temporary folder, adds one forbidden import and runs `lint-imports` there:
a contract that no longer sees the packages (a renamed root package, a layer left out) would keep passing on
the real tree, but fails here.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["core", "mailing", "accounts", "events", "selfhelp", "campaigns", "results"]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def run_lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([str(LINT_IMPORTS), "--no-logo", "--no-cache"], cwd=tree, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The packages and the contracts, without tests, templates or the virtualenv."""
    copy = tmp_path_factory.mktemp("tree")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, copy / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


@pytest.mark.parametrize(("module", "line", "complaint"), [
    ("mailing/backwards.py", "import campaigns.models", "mailing is not allowed to import campaigns"),
    ("core/backwards.py", "from accounts.models import User", "core is not allowed to import accounts"),
    ("events/backwards.py", "from campaigns.services import consent", "events is not allowed to import campaigns"),
    ("campaigns/services/backwards.py", "from events.views import admin",
     "campaigns.services is not allowed to import events.views"),
    ("mailing/backwards.py", "import app", "mailing is not allowed to import app"),
    ("selfhelp/backwards.py", "from events.models import Event", "selfhelp is not allowed to import events"),
    ("accounts/backwards.py", "import selfhelp.models", "accounts is not allowed to import selfhelp"),
])
def test_a_backwards_import_breaks_a_contract(tree: Path, module: str, line: str, complaint: str) -> None:
    added = tree / module
    added.write_text(f"{line}  # noqa: F401\n")
    try:
        result = run_lint_imports(tree)
    finally:
        added.unlink()
    assert result.returncode == 1, result.stdout + result.stderr
    assert complaint in result.stdout


def test_the_copied_tree_keeps_every_contract(tree: Path) -> None:
    result = run_lint_imports(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
