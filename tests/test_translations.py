"""The English catalogue: complete, consistent with its Dutch msgids, up to date with the code, and used.

After adding or changing UI text: `make translations-update`, translate the new entries in
translations/en/LC_MESSAGES/messages.po, then `make translations`.
"""
from __future__ import annotations

import html
import os
import re
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.util import pathmatch
from flask import Flask
from flask.testing import FlaskClient

from tests.factories import login, make_event, make_organisation, make_user

ROOT = Path(__file__).resolve().parent.parent
ENGLISH_PO = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
# The keywords `make translations-update` passes with -k, on top of Babel's defaults (_, gettext, ngettext ...).
EXTRA_KEYWORDS = ("_l", "lazy_gettext")
KEYWORDS = {**DEFAULT_KEYWORDS, **{keyword: None for keyword in EXTRA_KEYWORDS}}
PLACEHOLDER = re.compile(r"%\([^)]*\)[#0 +\-]*\d*(?:\.\d+)?[a-zA-Z]")
# Folders the extractor never needs to walk (none of babel.cfg's patterns reach into them).
NOT_SOURCE = {"node_modules", "static", "instance", "tests", "bench", "migrations", "translations"}


def english_catalogue() -> Catalog:
    with ENGLISH_PO.open("rb") as f:
        return read_po(f, locale="en")


def entries(catalogue: Catalog) -> list[Message]:
    return [message for message in catalogue if message.id]


def key(message_id: str | tuple[str, ...]) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


def forms(message: Message) -> list[tuple[str, str]]:
    """(msgid, msgstr) pairs: one for a plain entry; singular and plural for a plural entry."""
    if not message.pluralizable:
        return [(message.id, message.string or "")]
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    ids = [message.id[0]] + [message.id[1]] * (len(strings) - 1)
    return list(zip(ids, [s or "" for s in strings], strict=True))


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def test_english_catalogue_is_fully_translated_and_not_fuzzy() -> None:
    catalogue = english_catalogue()
    assert not catalogue.fuzzy, "the catalogue header is marked fuzzy"
    assert entries(catalogue)
    untranslated = [key(m.id) for m in entries(catalogue) if any(not text for _, text in forms(m))]
    fuzzy = [key(m.id) for m in entries(catalogue) if m.fuzzy]
    assert not untranslated, "untranslated entries in messages.po:\n" + "\n".join(untranslated)
    assert not fuzzy, "fuzzy entries in messages.po (check them, then remove the flag):\n" + "\n".join(fuzzy)


def test_english_plural_entries_have_both_forms() -> None:
    catalogue = english_catalogue()
    assert catalogue.num_plurals == 2
    for message in entries(catalogue):
        if message.pluralizable:
            assert len(forms(message)) == 2, key(message.id)


def test_translations_keep_the_placeholders_of_their_msgid() -> None:
    mismatches = []
    for message in entries(english_catalogue()):
        for msgid, text in forms(message):
            if placeholders(msgid) != placeholders(text) or msgid.count("%%") != text.count("%%"):
                mismatches.append(f"{msgid!r} -> {text!r}")
    assert not mismatches, "translations whose %(...)s placeholders differ from the msgid:\n" + "\n".join(mismatches)


def babel_mapping() -> tuple[list[tuple[str, str]], dict[str, dict[str, str]]]:
    with (ROOT / "babel.cfg").open() as f:
        return parse_mapping_cfg(f)


def extracted_messages() -> dict[str, str]:
    """Every msgid in the source, as `make translations-update` collects it, with the file it came from."""
    method_map, options_map = babel_mapping()

    def walk_into(dirname: str) -> bool:
        name = os.path.basename(dirname)
        return not name.startswith((".", "_")) and name not in NOT_SOURCE

    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, KEYWORDS, directory_filter=walk_into
    ):
        found.setdefault(key(message), f"{filename}:{lineno}")
    return found


def test_catalogue_has_every_message_in_the_source() -> None:
    extracted = extracted_messages()
    assert "Bijeenkomsten over digitale veiligheid" in extracted  # a template (jinja2)
    assert "Vul een titel in." in extracted  # a form (_l)
    assert "Deze pagina bestaat niet (meer)." in extracted  # app.py (lazy_gettext)
    catalogue = english_catalogue()
    missing = sorted(f"{where}: {message!r}" for message, where in extracted.items() if message not in catalogue)
    assert not missing, (
        "UI text missing from translations/en/LC_MESSAGES/messages.po; run `make translations-update`, "
        "translate the new entries and run `make translations`:\n" + "\n".join(missing)
    )


def test_makefile_extracts_with_the_same_keywords() -> None:
    makefile = (ROOT / "Makefile").read_text()
    extract = next(line for line in makefile.splitlines() if "pybabel" in line and " extract " in line)
    assert set(re.findall(r"-k\s+(\S+)", extract)) == set(EXTRA_KEYWORDS), extract


def test_babel_cfg_covers_every_module_that_translates() -> None:
    """A module that imports flask_babel's gettext functions but matches no babel.cfg pattern is never extracted."""
    method_map, _options = babel_mapping()
    python_patterns = [pattern for pattern, method in method_map if method == "python"]
    uncovered = []
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = [d for d in dirnames if not d.startswith((".", "_")) and d not in NOT_SOURCE]
        for filename in filenames:
            if not filename.endswith(".py"):
                continue
            path = Path(dirpath, filename)
            if not re.search(r"from flask_babel import .*gettext", path.read_text(encoding="utf-8")):
                continue
            relative = path.relative_to(ROOT).as_posix()
            if not any(pathmatch(pattern, relative) for pattern in python_patterns):
                uncovered.append(relative)
    assert not uncovered, "modules with UI text that babel.cfg does not list:\n" + "\n".join(uncovered)


def translation_of(message_id: str) -> str:
    message = english_catalogue()[message_id]
    assert message is not None and message.string and message.string != message_id, message_id
    return message.string


def shows(response_text: str, text: str) -> bool:
    return html.escape(text) in response_text


# Each request in its own app context, as on a real server: flask-babel caches the locale in `g`,
# and the `app` fixture's context would otherwise carry it from one request to the next.
def switch_language(app: Flask, client: FlaskClient, lang: str) -> None:
    with app.app_context():
        response = client.post("/taal", data={"lang": lang, "next": "/"})
    assert response.status_code == 302


def get_page(app: Flask, client: FlaskClient, url: str, status: int = 200) -> str:
    with app.app_context():
        response = client.get(url)
    assert response.status_code == status, url
    return response.get_data(as_text=True)


def test_public_listing_switches_to_english(app: Flask, client: FlaskClient) -> None:
    make_event(make_organisation())
    heading = "Bijeenkomsten over digitale veiligheid"
    introduction = (
        "Gratis bijeenkomsten en workshops van gemeenten en partners in de regio. Leer phishing herkennen, "
        "uw accounts beveiligen en wat u doet bij online fraude."
    )
    assert shows(get_page(app, client, "/"), heading)

    switch_language(app, client, "en")
    english = get_page(app, client, "/")
    assert '<html lang="en">' in english
    assert shows(english, translation_of(heading))
    assert shows(english, translation_of(introduction))
    assert not shows(english, heading)

    switch_language(app, client, "nl")
    assert shows(get_page(app, client, "/"), heading)


def test_unknown_language_is_ignored(app: Flask, client: FlaskClient) -> None:
    switch_language(app, client, "xx")
    assert shows(get_page(app, client, "/"), "Bijeenkomsten over digitale veiligheid")


def test_admin_pages_switch_to_english(app: Flask, client: FlaskClient) -> None:
    organisation = make_organisation()
    make_event(organisation)
    user = make_user(organisation)

    with app.app_context():
        login(client, user)
    assert shows(get_page(app, client, "/beheer/evenementen/"), "Nieuw evenement")

    switch_language(app, client, "en")
    text = get_page(app, client, "/beheer/evenementen/")
    assert '<html lang="en">' in text
    for dutch in ("Nieuw evenement", "Evenementen filteren", "Aangemeld / plaatsen"):
        assert shows(text, translation_of(dutch)), dutch
        assert not shows(text, dutch), dutch


def test_language_choice_survives_login(app: Flask, client: FlaskClient) -> None:
    user = make_user(make_organisation())
    switch_language(app, client, "en")
    with app.app_context():
        login(client, user)
    assert '<html lang="en">' in get_page(app, client, "/beheer/evenementen/")


def test_error_pages_switch_to_english(app: Flask, client: FlaskClient) -> None:
    switch_language(app, client, "en")
    text = get_page(app, client, "/bestaat-niet", status=404)
    assert shows(text, translation_of("Deze pagina bestaat niet (meer)."))
