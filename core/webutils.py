"""Request parsing shared by every blueprint: ids in URLs, page numbers, form filters, NUL bytes."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, abort, request, session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter, Map

MAX_ID = 2**31 - 1  # our primary keys are 32-bit; a larger number exists nowhere
MAX_PAGE = 100_000
NOT_OFFERED = _l("Kies een van de aangeboden mogelijkheden.")


class IdConverter(IntegerConverter):
    """`<int:...>` bounded to the id range, so an absurd number is a 404, not a database error."""

    def __init__(self, url_map: Map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = MAX_ID, signed: bool = False) -> None:  # noqa: A002
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def single_line(value: str | None) -> str | None:
    """Form filter: trims and folds line breaks (names end up in mail headers and CSV cells)."""
    return " ".join(value.split()) if isinstance(value, str) else value


def strip(value: str | None) -> str | None:
    """Form filter: trims surrounding white space."""
    return value.strip() if isinstance(value, str) else value


def optional_id(value: str) -> int | None:
    """An id typed in a query string or form field, or None when it is not one: at most 9 digits,
    so always inside the 32-bit key range."""
    return int(value) if value.isdecimal() and len(value) < 10 else None


def safe_local_target(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None: the one rule for every `next=` redirect.

    Refused: anything with a scheme or host, scheme-relative `//host`, a backslash (browsers read
    it as a slash) and any control character (browsers drop tab and newline, so `/\t/evil.example`
    would become `//evil.example`).
    """
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(character) < 32 or ord(character) == 127 for character in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def page_number(name: str = "pagina") -> int:
    """The 1-based page from the query string; a page below 1 or beyond any real list is a 404."""
    page = request.args.get(name, 1, type=int)
    if not 1 <= page <= MAX_PAGE:
        abort(404)
    return page


def refuse_nul_bytes() -> None:
    """No stored text contains NUL, and PostgreSQL refuses it in a query: answer 400 at the door."""
    values = [*request.args.values(), *(request.view_args or {}).values()]
    if request.method == "POST" and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values += request.form.values()
    if any("\x00" in value for value in values if isinstance(value, str)):
        abort(400, description=_("Het verzoek bevat ongeldige tekens."))


def renew_session() -> None:
    """Empties the session (login, logout, a timed-out login) but keeps the visitor's language."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


def register_input_guards(app: Flask) -> None:
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_nul_bytes)
