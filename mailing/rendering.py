"""MJML to HTML: validated first, so that every author mistake names its element and line.

The `mjml` package renders well but validates nothing: an unknown tag raises a bare `KeyError`,
an `mj-font` named like a built-in font trips an assertion, unclosed tags and text outside an
`mj-text` vanish silently, and `mj-include` reads any file on the server. `validate_mjml()`
catches all of that before `mjml_to_html()` runs.
"""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import mjml
from flask_babel import gettext as _
from mjml.core.registry import components, register_core_components

# Elements whose content is HTML (or CSS/text) that MJML copies through as it is.
CONTENT_ELEMENTS = frozenset({
    "mj-text", "mj-button", "mj-table", "mj-raw", "mj-navbar-link", "mj-accordion-title",
    "mj-accordion-text", "mj-social-element", "mj-style", "mj-title", "mj-preview",
})
# Elements whose children are attribute defaults named after other elements, not content.
DEFAULTS_ELEMENTS = frozenset({"mj-attributes", "mj-html-attributes"})
_BLOCKS = frozenset({
    "mj-accordion", "mj-button", "mj-carousel", "mj-divider", "mj-image", "mj-navbar", "mj-raw",
    "mj-social", "mj-spacer", "mj-table", "mj-text",
})
ALLOWED_CHILDREN: dict[str, frozenset[str]] = {
    "mjml": frozenset({"mj-head", "mj-body"}),
    "mj-head": frozenset({
        "mj-attributes", "mj-breakpoint", "mj-font", "mj-html-attributes", "mj-preview", "mj-style",
        "mj-title", "mj-raw",
    }),
    "mj-body": frozenset({"mj-section", "mj-wrapper", "mj-hero", "mj-raw"}),
    "mj-wrapper": frozenset({"mj-section", "mj-hero", "mj-raw"}),
    "mj-section": frozenset({"mj-column", "mj-group", "mj-raw"}),
    "mj-group": frozenset({"mj-column", "mj-raw"}),
    "mj-column": _BLOCKS,
    "mj-hero": _BLOCKS,
    "mj-accordion": frozenset({"mj-accordion-element", "mj-raw"}),
    "mj-accordion-element": frozenset({"mj-accordion-title", "mj-accordion-text", "mj-raw"}),
    "mj-carousel": frozenset({"mj-carousel-image"}),
    "mj-navbar": frozenset({"mj-navbar-link", "mj-raw"}),
    "mj-social": frozenset({"mj-social-element", "mj-raw"}),
}
# Fonts the renderer already knows; declaring one again crashes it ("Not yet implemented").
BUILT_IN_FONTS = frozenset({"Open Sans", "Droid Sans", "Lato", "Roboto", "Ubuntu"})
_JINJA_TAG = re.compile(r"({{.*?}}|{%.*?%})", re.DOTALL)


class TemplateError(ValueError):
    """A mistake in a mail template; the message (Dutch) names the element or expression and line."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.message = message
        self.line = line
        super().__init__(_("Regel %(line)s: %(message)s", line=line, message=message) if line else message)


def known_elements() -> frozenset[str]:
    register_core_components()
    # mj-include is left out on purpose: it would let a template read files on the server.
    return frozenset(components) | {"mjml"}


class _MjmlValidator(HTMLParser):
    """Walks the MJML tags with their line numbers; raises TemplateError at the first mistake."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.known = known_elements()
        self.open_elements: list[tuple[str, int]] = []
        self.content_element: str | None = None  # inside mj-text & co.: HTML, not checked
        self.defaults_depth = 0
        self.fonts: set[str] = set()
        self.seen_body = False

    @property
    def line(self) -> int:
        return self.getpos()[0]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open(tag, dict(attrs), closes_itself=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open(tag, dict(attrs), closes_itself=True)

    def _open(self, tag: str, attrs: dict[str, str | None], *, closes_itself: bool) -> None:
        if self.content_element:
            return
        if self.defaults_depth:
            self.defaults_depth += 0 if closes_itself else 1
            return
        self._check_place(tag)
        if tag == "mj-font":
            self._check_font(attrs.get("name") or "")
        self.seen_body = self.seen_body or tag == "mj-body"
        if closes_itself:
            return
        self.open_elements.append((tag, self.line))
        if tag in CONTENT_ELEMENTS:
            self.content_element = tag
        elif tag in DEFAULTS_ELEMENTS:
            self.defaults_depth = 1

    def _check_place(self, tag: str) -> None:
        if not self.open_elements:
            if tag != "mjml":
                raise TemplateError(_("de template moet met <mjml> beginnen, niet met <%(tag)s>.", tag=tag), self.line)
            return
        if tag not in self.known:
            raise TemplateError(_("onbekend element <%(tag)s>.", tag=tag), self.line)
        parent = self.open_elements[-1][0]
        if tag not in ALLOWED_CHILDREN.get(parent, frozenset()):
            raise TemplateError(
                _("<%(tag)s> mag niet binnen <%(parent)s> staan.", tag=tag, parent=parent), self.line
            )

    def _check_font(self, name: str) -> None:
        if name in BUILT_IN_FONTS:
            raise TemplateError(
                _("<mj-font name=\"%(name)s\">: dit lettertype is al ingebouwd; laat dit element weg.", name=name),
                self.line,
            )
        if name in self.fonts:
            raise TemplateError(_("<mj-font name=\"%(name)s\"> staat er twee keer in.", name=name), self.line)
        self.fonts.add(name)

    def handle_endtag(self, tag: str) -> None:
        if self.content_element and tag != self.content_element:
            return
        if self.defaults_depth > 1:
            self.defaults_depth -= 1
            return
        if not self.open_elements or self.open_elements[-1][0] != tag:
            expected = self.open_elements[-1][0] if self.open_elements else None
            message = (
                _("</%(tag)s> sluit niets af; verwacht was </%(expected)s>.", tag=tag, expected=expected)
                if expected else _("</%(tag)s> sluit niets af.", tag=tag)
            )
            raise TemplateError(message, self.line)
        self.open_elements.pop()
        self.content_element = None
        self.defaults_depth = 0

    def handle_data(self, data: str) -> None:
        if not self.content_element and not self.defaults_depth and data.strip():
            where = self.open_elements[-1][0] if self.open_elements else None
            raise TemplateError(
                _("tekst \"%(text)s\" staat buiten een <mj-text> (in <%(where)s>) en zou verdwijnen.",
                  text=data.strip()[:40], where=where),
                self.line + data[: len(data) - len(data.lstrip())].count("\n"),
            )

    def finish(self) -> None:
        self.close()
        if self.open_elements:
            tag, line = self.open_elements[-1]
            raise TemplateError(_("<%(tag)s> wordt niet afgesloten.", tag=tag), line)
        if not self.seen_body:
            raise TemplateError(_("de template heeft geen <mj-body>."))


def validate_mjml(source: str) -> None:
    """Raises TemplateError naming the element and line of the first mistake in `source`."""
    validator = _MjmlValidator()
    validator.feed(source)
    validator.finish()


def mjml_to_html(source: str) -> str:
    """The HTML of a valid MJML source; Jinja tags in it come through unchanged."""
    validate_mjml(source)
    try:
        rendered = mjml.mjml_to_html(source).html
    except Exception as error:  # the renderer's own failures carry no position; name them at least
        raise TemplateError(_("de MJML kon niet worden omgezet (%(error)s).", error=repr(error))) from error
    return _unescape_jinja_tags(rendered)


def _unescape_jinja_tags(rendered: str) -> str:
    """The renderer escapes `<`, `>` and `&` in text, also inside `{% if a > b %}`; undo that there."""
    return _JINJA_TAG.sub(lambda match: html.unescape(match.group(0)), rendered)
