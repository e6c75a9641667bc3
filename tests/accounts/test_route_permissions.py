"""Every route declares who may use it (STYLE.md habit 7)."""
from __future__ import annotations

from flask import Flask


def test_every_view_declares_its_access(app: Flask) -> None:
    undeclared = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        if not (getattr(view, "is_public", False) or getattr(view, "required_permission", None)):
            undeclared.append(f"{rule.rule} ({rule.endpoint})")
    assert undeclared == []
