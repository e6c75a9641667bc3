"""The visual editor's content: what an officer may build, and how the server turns it into a mail.

The officer edits only the content sections (text, image, button, columns, divider, spacer, the
event block and the self-help block). What the editor sends is never trusted as MJML: `clean_body()` keeps an allow-list
of elements and attributes and refuses anything else, and `compose()` puts the clean sections into
the organisation's layout (`mail/campaigns/visual.mjml`: header with logo and colour, footer with the
privacy, unsubscribe and preference links) on the server. A stored content can hold no layout, so no
content can remove the footer.

Three forms of the same content:
The same editor serves a campaign and an organisation's own template (`Document`, the two models share
`organisation_id`, `visual_body` and `mjml_source`): a template is composed into the same layout, but
its event blocks carry no attribution (`bron`) until a campaign is made from it, and it stores no render.

- the *stored body* (`Campaign.visual_body`, `SavedTemplate.visual_body`): clean sections with merge tags (`*|NAAM|*`) and an
  empty marker section per event block; braces are plain text;
- the *composed source* (`Campaign.mjml_source`): the layout around the body, with every literal
  brace made harmless, the merge tags as the sandboxed Jinja of `mailing.personalise`, and each
  event block drawn by the server from the event itself (its sign-up link carries the campaign);
- the *editor body*: the stored body with the event blocks drawn for the canvas.
`body_from_source()` reads a composed source back into a stored body, or says why it cannot.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

from bs4 import BeautifulSoup, NavigableString, Tag
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from accounts.models import Organisation
from campaigns.models import Campaign
from campaigns.services.campaigns import (
    CampaignError,
    Document,
    content_findings,
    ensure_editable,
    event_values,
    invitation_events,
    render_sample,
    store_render,
)
from events.models import Event
from extensions import db
from mailing.personalise import RenderedMail, wrap_in_layout
from selfhelp import links as selfhelp_links

VISUAL_LAYOUT = "mail/campaigns/visual.mjml"
MAX_BODY_CHARS = 200_000


@dataclass(frozen=True)
class MergeTag:
    token: str
    label: object
    jinja: str


# Single quotes in the Jinja: a merge tag may stand in an attribute value (an image's alt text).
MERGE_TAGS = (
    MergeTag("*|AANHEF|*", _l("Aanhef (Beste naam,)"), "Beste {{ contact.name or 'lezer' }},"),
    MergeTag("*|NAAM|*", _l("Naam"), "{{ contact.name or 'lezer' }}"),
    MergeTag("*|GEMEENTE|*", _l("Woonplaats of gemeente"), "{{ contact.municipality or 'uw gemeente' }}"),
)
# A brace the officer typed is text: it must never start a Jinja tag in the composed source.
_LITERAL_BRACE = "{{ '{' }}"
_JINJA_START = re.compile(r"{[{%#]")
_EVENT_CLASS = re.compile(r"^weerbaar-event-(\d+)$")
_EVENT_MARKER = re.compile(r'<mj-section css-class="weerbaar-event-(\d+)"></mj-section>')
# The self-help block: the organisation's published self-help pages, drawn by the server like an event.
_SELFHELP_CLASS = "weerbaar-selfhelp"
SELFHELP_MARKER = f'<mj-section css-class="{_SELFHELP_CLASS}"></mj-section>'

_PADDING = {"padding", "padding-top", "padding-bottom", "padding-left", "padding-right"}
_BORDER = {"border", "border-top", "border-bottom", "border-left", "border-right", "border-radius"}
_TYPE = {"color", "font-family", "font-size", "font-style", "font-weight", "line-height", "letter-spacing",
         "text-decoration", "text-transform", "align", "container-background-color"}
MJML_ATTRIBUTES: dict[str, set[str]] = {
    "mj-section": {"background-color", "text-align", "css-class", "full-width", *_PADDING, *_BORDER},
    "mj-column": {"width", "background-color", "vertical-align", *_PADDING, *_BORDER},
    "mj-text": {*_TYPE, *_PADDING, "height"},
    "mj-image": {"src", "alt", "href", "title", "width", "height", "align", "container-background-color",
                 *_PADDING, *_BORDER},
    "mj-button": {"href", "title", "background-color", "inner-padding", "width", "height", "vertical-align",
                  *_TYPE, *_PADDING, *_BORDER},
    "mj-divider": {"border-color", "border-style", "border-width", "width", "align", "container-background-color",
                   *_PADDING},
    "mj-spacer": {"height", "container-background-color", *_PADDING},
}
MJML_CHILDREN = {
    "mj-body": {"mj-section"},
    "mj-section": {"mj-column"},
    "mj-column": {"mj-text", "mj-image", "mj-button", "mj-divider", "mj-spacer"},
}
# What an officer writes inside a text or a button (the rich-text bar), nothing more.
HTML_TAGS = {"p", "br", "strong", "b", "em", "i", "u", "s", "strike", "a", "ul", "ol", "li", "h1", "h2", "h3",
             "h4", "span", "div", "blockquote", "sub", "sup"}
HTML_ATTRIBUTES = {"style", "href", "title"}
_URL_ATTRIBUTES = {"href", "src"}
_SAFE_URL = re.compile(r"^(https?://|mailto:)", re.IGNORECASE)


class NotRepresentable(CampaignError):
    """The content has something the visual editor does not make; `str(error)` says what (Dutch)."""


def clean_body(body: str, *, strict: bool = False) -> str:
    """The stored body of what the editor sent: only allowed elements, attributes and links.

    A disallowed element is refused (NotRepresentable). A disallowed attribute or link is dropped,
    or refused when `strict` (reading a raw source, where dropping would lose the author's work)."""
    if len(body) > MAX_BODY_CHARS:
        raise NotRepresentable(_("De inhoud is te groot."))
    soup = BeautifulSoup(body, "html.parser")
    root = soup.find("mj-body") or soup
    if soup.find("mj-head") is not None and strict:
        raise NotRepresentable(_("De MJML heeft een eigen <mj-head>."))
    sections = []
    for child in root.children:
        if isinstance(child, NavigableString):
            if child.strip():
                raise NotRepresentable(_("Tekst buiten een tekstblok: \"%(text)s\".", text=child.strip()[:40]))
            continue
        sections.append(_clean_section(child, strict))
    return "\n".join(sections)


def _clean_section(section: Tag, strict: bool) -> str:
    _check_element(section, "mj-body")
    if section.get("css-class") == _SELFHELP_CLASS:
        return SELFHELP_MARKER
    event_id = _event_id(section)
    if event_id is not None:
        return f'<mj-section css-class="weerbaar-event-{event_id}"></mj-section>'
    _clean_mjml(section, strict)
    return str(section)


def _event_id(section: Tag) -> int | None:
    match = _EVENT_CLASS.match(section.get("css-class") or "")
    return int(match.group(1)) if match else None


def _check_element(element: Tag, parent: str) -> None:
    if element.name not in MJML_CHILDREN[parent]:
        raise NotRepresentable(_("<%(tag)s> in <%(parent)s> kan de visuele editor niet maken.",
                                 tag=element.name, parent=parent))


def _clean_mjml(element: Tag, strict: bool) -> None:
    _clean_attributes(element, MJML_ATTRIBUTES[element.name], strict)
    if element.name == "mj-section":
        element.attrs.pop("css-class", None)
    if element.name in ("mj-text", "mj-button"):
        _clean_html(element, strict)
        return
    for child in list(element.children):
        if isinstance(child, NavigableString):
            if child.strip():
                raise NotRepresentable(_("Tekst buiten een tekstblok: \"%(text)s\".", text=child.strip()[:40]))
            continue
        if element.name not in MJML_CHILDREN:
            raise NotRepresentable(_("<%(tag)s> mag geen onderdelen bevatten.", tag=element.name))
        _check_element(child, element.name)
        _clean_mjml(child, strict)


def _clean_html(element: Tag, strict: bool) -> None:
    for tag in element.find_all(True):
        if tag.name not in HTML_TAGS:
            raise NotRepresentable(_("<%(tag)s> in een tekst kan de visuele editor niet maken.", tag=tag.name))
        _clean_attributes(tag, HTML_ATTRIBUTES, strict)


def _clean_attributes(element: Tag, allowed: set[str], strict: bool) -> None:
    for name, value in list(element.attrs.items()):
        value = " ".join(value) if isinstance(value, list) else value
        refused = name not in allowed or (name in _URL_ATTRIBUTES and not _SAFE_URL.match(value.strip()))
        if refused and strict and not (name == "css-class" and element.name == "mj-section"):
            raise NotRepresentable(_("Het kenmerk %(name)s=\"%(value)s\" van <%(tag)s> kan de visuele editor "
                                     "niet maken.", name=name, value=value[:60], tag=element.name))
        if refused:
            del element.attrs[name]


def event_ids_of(body: str) -> list[int]:
    return [int(event_id) for event_id in _EVENT_MARKER.findall(body)]


def compose(campaign: Document, body: str) -> str:
    """The whole MJML source of a stored body in the organisation's locked layout.

    Raises CampaignError when an event block names an event that is no longer published."""
    safe = body.replace("{", _LITERAL_BRACE)
    for tag in MERGE_TAGS:
        safe = safe.replace(tag.token, tag.jinja)
    events = _published_events(campaign, event_ids_of(body))
    safe = _EVENT_MARKER.sub(lambda match: event_section(campaign, events[int(match.group(1))],
                                                         "{{ branding.colour }}"), safe)
    if SELFHELP_MARKER in safe:
        drawn = selfhelp_section(campaign, "{{ branding.colour }}")
        if drawn is None:
            raise CampaignError(_("Een zelfhulpblok, maar de organisatie heeft geen gepubliceerde zelfhulppagina's; "
                                  "publiceer er een of haal het blok weg."))
        safe = safe.replace(SELFHELP_MARKER, drawn)
    return wrap_in_layout(safe, VISUAL_LAYOUT)


def _published_events(campaign: Document, event_ids: list[int]) -> dict[int, Event]:
    published = {event.id: event for event in invitation_events(campaign.organisation_id)}
    missing = [event_id for event_id in event_ids if event_id not in published]
    if missing:
        raise CampaignError(_("Een bijeenkomstblok noemt een bijeenkomst die niet (meer) gepubliceerd is of al "
                              "voorbij is; kies een andere of haal het blok weg."))
    return published


def event_section(campaign: Document, event: Event, colour: str) -> str:
    """The event block as the reader sees it: title, date, place and a sign-up button whose link
    names the campaign (`bron`, counted in the campaign's statistics)."""
    values = event_values(campaign, [event.id])[0]

    def text(value: str) -> str:
        return escape(value).replace("{", _LITERAL_BRACE) if colour.startswith("{") else escape(value)

    when = format_datetime(event.starts_at, "EEEE d MMMM y, HH:mm")
    return (
        f'<mj-section css-class="weerbaar-event-{event.id}" padding="8px 0"><mj-column border="1px solid #d0d0d0">'
        f'<mj-text><h2 style="font-size:20px;margin:0 0 4px">{text(event.title)}</h2>'
        f'<p style="margin:0">{text(when)}<br>{text(values["venue"])}</p></mj-text>'
        f'<mj-button href="{escape(values["signup_url"])}" background-color="{colour}" align="left">'
        f'{escape(_("Aanmelden"))}</mj-button></mj-column></mj-section>'
    )


def selfhelp_section(campaign: Document, colour: str) -> str | None:
    """The self-help block as the reader sees it: each published page as a link, and a button to
    the organisation's list; None while it has no published page."""
    organisation = db.session.get_one(Organisation, campaign.organisation_id)
    list_url, pages = selfhelp_links.list_url(organisation), selfhelp_links.page_links(organisation)
    if list_url is None:
        return None

    def text(value: str) -> str:
        return escape(value).replace("{", _LITERAL_BRACE) if colour.startswith("{") else escape(value)

    items = "".join(f'<li><a href="{escape(page["url"])}">{text(page["title"])}</a></li>' for page in pages)
    button = escape(_("Alle zelfhulppagina's"))
    return (
        f'<mj-section css-class="{_SELFHELP_CLASS}" padding="8px 0"><mj-column border="1px solid #d0d0d0">'
        f'<mj-text><h2 style="font-size:20px;margin:0 0 4px">{escape(_("Hulp als het toch misgaat"))}</h2>'
        f'<ul style="margin:0;padding-left:20px">{items}</ul></mj-text>'
        f'<mj-button href="{escape(list_url)}" background-color="{colour}" align="left">'
        f'{button}</mj-button></mj-column></mj-section>'
    )


def editor_body(campaign: Document, body: str, colour: str) -> str:
    """The stored body for the canvas: each event and self-help block drawn as the reader will see it."""
    events = {event.id: event for event in invitation_events(campaign.organisation_id)}

    def draw(match: re.Match[str]) -> str:
        event = events.get(int(match.group(1)))
        return event_section(campaign, event, colour) if event else ""

    drawn = _EVENT_MARKER.sub(draw, body)
    if SELFHELP_MARKER in drawn:
        drawn = drawn.replace(SELFHELP_MARKER, selfhelp_section(campaign, colour) or "")
    return drawn


def body_from_source(source: str) -> str:
    """The stored body of a composed source, if it is the locked layout around sections the visual
    editor can make; otherwise NotRepresentable says why (the source itself is left alone)."""
    before, after = (part.strip() for part in wrap_in_layout("\0", VISUAL_LAYOUT).split("\0"))
    text = source.strip()
    if not (text.startswith(before) and text.endswith(after)) or len(text) < len(before) + len(after):
        raise NotRepresentable(_("De kop of de voet van de mail is in de MJML aangepast, of de MJML gebruikt een "
                                 "ander sjabloon."))
    body = text[len(before):len(text) - len(after)]
    for tag in MERGE_TAGS:
        body = body.replace(tag.jinja, tag.token)
    soup = BeautifulSoup(body, "html.parser")
    for section in soup.find_all("mj-section", recursive=False):
        if (event_id := _event_id(section)) is not None:
            section.replace_with(BeautifulSoup(f'<mj-section css-class="weerbaar-event-{event_id}"></mj-section>',
                                               "html.parser"))
        elif section.get("css-class") == _SELFHELP_CLASS:
            section.replace_with(BeautifulSoup(SELFHELP_MARKER, "html.parser"))
    body = str(soup)
    if _JINJA_START.search(body.replace(_LITERAL_BRACE, "")):
        raise NotRepresentable(_("De MJML bevat eigen code tussen accolades ({{ … }} of {% … %}); alleen de "
                                 "persoonlijke velden uit het menu kan de visuele editor tonen."))
    return clean_body(body.replace(_LITERAL_BRACE, "{"), strict=True)


def visual_form(document: Document) -> tuple[str | None, str | None]:
    """The stored body the visual editor shows, or None and why it cannot: the document was made
    there, or its source is the locked layout around sections the editor makes (a shipped design
    such as the newsletter)."""
    if document.visual_body is not None:
        return document.visual_body, None
    return _read_back(document.mjml_source)


def _read_back(source: str) -> tuple[str | None, str | None]:
    try:
        return body_from_source(source), None
    except NotRepresentable as error:
        return None, str(error)


def opens_visually(document: Document) -> bool:
    return visual_form(document)[0] is not None


def _event_ids(document: Document, body: str) -> list[int]:
    """The events the content shows: a campaign's chosen ones, then the blocks' new ones."""
    known = document.event_ids if isinstance(document, Campaign) else []
    return [*known, *(i for i in event_ids_of(body) if i not in known)]


def save_visual(document: Document, sent_body: str) -> None:
    """Stores what the visual editor sent: cleaned, composed into the layout, and rendered once
    with sample values; any refusal (NotRepresentable, CampaignError, TemplateError) stores nothing."""
    _ensure_editable(document)
    body = clean_body(sent_body)
    source = compose(document, body)
    event_ids = _event_ids(document, body)
    rendered = render_sample(document, source, event_ids)
    if isinstance(document, Campaign):
        document.event_ids = event_ids
    document.visual_body = body
    document.mjml_source = source
    _store(document, rendered)


def preview_visual(document: Document, sent_body: str) -> RenderedMail:
    """The live preview of an unsaved visual content (the stored content stays as it is; a campaign
    keeps it as its last render, a template has none)."""
    _ensure_editable(document)
    body = clean_body(sent_body)
    source = compose(document, body)
    rendered = render_sample(document, source, _event_ids(document, body))
    _store(document, rendered)
    return rendered


def save_raw_template(document: Document, source: str) -> None:
    """A saved template's raw MJML: refused (CampaignError) unless it renders with the footer's
    unsubscribe link and every image's alt text, the template's pre-flight. A source that is the
    locked layout around sections the editor makes is stored as a visual body, composed afresh."""
    body = _read_back(source)[0]
    if body is not None:
        save_visual(document, body)
        return
    refused = [finding.message for finding in content_findings(document, source) if finding.blocking and not finding.ok]
    if refused:
        raise CampaignError(" ".join(refused))
    document.visual_body = None
    document.mjml_source = source
    db.session.flush()


def _ensure_editable(document: Document) -> None:
    if isinstance(document, Campaign):
        ensure_editable(document)


def _store(document: Document, rendered: RenderedMail) -> None:
    if isinstance(document, Campaign):
        store_render(document, rendered)


def leave_visual(campaign: Campaign) -> None:
    """From now on the composed source is the campaign's raw MJML (a power user takes over)."""
    ensure_editable(campaign)
    campaign.visual_body = None
    db.session.flush()
