"""SECURITY.md names real tests: a renamed or deleted test cannot leave a promise unproven unnoticed."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _named_tests() -> list[tuple[str, str]]:
    """(file, test) for each `path::name`, where a bare `::name` continues the file named before it."""
    named, current = [], ""
    for path, name in re.findall(r"`(tests/[\w/]+\.py)?::(\w+)`", (ROOT / "SECURITY.md").read_text()):
        current = path or current
        named.append((current, name))
    return named


def _tests_in(path: str) -> set[str]:
    tree = ast.parse((ROOT / path).read_text())
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def test_every_test_named_in_security_md_exists() -> None:
    named = _named_tests()
    assert len(named) > 40
    missing = [f"{path}::{name}" for path, name in named if name not in _tests_in(path)]
    assert missing == []
