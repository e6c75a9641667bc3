"""Absolute links for mail, built from the route map under `BASE_URL`.

Mail is composed outside any request (the worker, ticks, a launch), so `url_for` has no host to
use. Building from the route map instead of a path string means that renaming a route changes
every link made afterwards; links in mail already sent keep working only while the old route stays.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app


def absolute_url(endpoint: str, **values: Any) -> str:
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)
