"""The open API (`/api/v1`): read-only JSON for municipal websites, apps and the agenda widget.

Its contract is `events/openapi.json`, served as it is at `/api/v1/openapi.json`; the tests run
schemathesis against it. Open to every origin for GET (no credentials, no cookies) and rate limited.
"""
from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from core.links import absolute_url
from core.permissions import public
from core.webutils import MAX_ID
from events.feed import event_document
from events.models import Audience, EventKind
from events.services import queries
from extensions import limiter

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
OPENAPI_PATH = Path(__file__).resolve().parents[1] / "openapi.json"
MAX_PER_PAGE = 100
MAX_PAGE = 10_000
MAX_SLUG = 100
SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
CACHE_SECONDS = 60


def _api_rate_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


limiter.limit(_api_rate_limit)(blueprint)


@blueprint.after_request
def allow_any_origin(response: Response) -> Response:
    """CORS for reading only: any origin may GET, nobody may send credentials or other methods."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
    response.headers["Access-Control-Max-Age"] = "86400"
    response.headers["Access-Control-Expose-Headers"] = "Retry-After, X-RateLimit-Remaining"
    response.vary.add("Origin")
    if response.status_code < 400:
        response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return response


def problem(error: HTTPException) -> Response:
    """RFC 9457 problem details instead of the HTML error page."""
    code = error.code or 500
    body: dict[str, Any] = {"title": error.name, "status": code}
    if type(error).description != error.description and error.description:
        body["detail"] = error.description
    response = jsonify(body)
    response.status_code = code
    response.mimetype = "application/problem+json"
    passed_on = {"retry-after", "allow"}
    response.headers.extend((name, value) for name, value in error.get_headers() if name.lower() in passed_on)
    return response


# By code as well: Flask prefers the app's handler for a code over a blueprint's handler for a class.
for _code in (400, 404, 405, 410, 413, 429, 500, 503):
    blueprint.register_error_handler(_code, problem)
blueprint.register_error_handler(HTTPException, problem)


def _one_arg(name: str) -> str | None:
    values = request.args.getlist(name)
    if len(values) > 1:
        abort(400, description=_("Geef %(name)s hoogstens één keer op.", name=name))
    return values[0] if values else None


def _enum_arg(name: str, enum_class: type[Audience] | type[EventKind]) -> Any:
    value = _one_arg(name)
    if value is None:
        return None
    if value not in enum_class._value2member_map_:
        abort(400, description=_("Onbekende waarde voor %(name)s.", name=name))
    return enum_class(value)


def _int_arg(name: str, default: int, maximum: int) -> int:
    value = _one_arg(name)
    if value is None:
        return default
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= maximum:
        abort(400, description=_("%(name)s moet een geheel getal van 1 tot en met %(maximum)s zijn.",
                                 name=name, maximum=maximum))
    return int(value)


def _organisation_arg() -> str | None:
    value = _one_arg("organisation")
    if value is not None and not (len(value) <= MAX_SLUG and SLUG.fullmatch(value)):
        abort(400, description=_("organisation moet een korte naam (slug) zijn."))
    return value


@blueprint.get("/events")
@public
def events() -> Response:
    filters = queries.EventFilters(audience=_enum_arg("audience", Audience), kind=_enum_arg("kind", EventKind),
                                   organisation_slug=_organisation_arg())
    page = _int_arg("page", 1, MAX_PAGE)
    per_page = _int_arg("per_page", queries.PAGE_SIZE, MAX_PER_PAGE)
    listings, total = queries.upcoming_events(filters, page, page_size=per_page)
    return jsonify({"total": total, "page": page, "per_page": per_page,
                    "events": [event_document(item) for item in listings]})


@blueprint.get("/events/<event_id>")
@public
def event(event_id: str) -> Response:
    """The id is parsed here, not by the route's converter: an absurd id is this API's 404, not the site's."""
    listing = queries.public_event(int(event_id)) if _is_id(event_id) else None
    if listing is None:
        abort(404, description=_("Deze bijeenkomst bestaat niet of is niet gepubliceerd."))
    return jsonify(event_document(listing))


def _is_id(value: str) -> bool:
    return value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_ID


@blueprint.get("/<path:_unknown>")
@public
def unknown(_unknown: str) -> Response:
    """Any other path under the API (an id out of range, a typo) answers as the API does: a problem."""
    abort(404)


@blueprint.get("/organisations")
@public
def organisations() -> Response:
    return jsonify({"organisations": [
        {"name": organisation.name, "slug": organisation.slug, "colour": organisation.brand_colour,
         "events_url": absolute_url("events.listing", organisatie=organisation.slug),
         "newsletter_url": absolute_url("newsletter.subscribe", slug=organisation.slug)}
        for organisation in queries.organisations_with_events()
    ]})


@cache
def openapi_document() -> dict[str, Any]:
    return json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))


@blueprint.get("/openapi.json")
@public
def openapi() -> Response:
    return jsonify(openapi_document())
