"""Campaign authoring: the template library, editing with a render check, preview, pre-flight, test send."""
from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from bs4 import BeautifulSoup
from cachetools import LRUCache
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from accounts.branding import may_send_as, organisation_branding, organisation_sender, sender_domain
from accounts.models import Organisation
from campaigns import tokens
from campaigns.models import Campaign, Contact, SavedTemplate
from campaigns.services.audiences import AudienceDefinition, empty_field_count, recipient_count
from core.links import absolute_url
from core.network import LinkResult, check_links, parse_networks
from core.timeutils import utcnow
from events.models import Event, EventStatus
from extensions import db
from mailing.models import MessageKind
from mailing.outbox import Mail, Sender, queue
from mailing.personalise import RenderedMail, check_template, compile_mail, compose, personalise
from mailing.rendering import TemplateError
from selfhelp import links as selfhelp_links

LIBRARY = {
    "awareness": _l("Bewustwordingscampagne"),
    "invitation": _l("Uitnodiging voor bijeenkomsten"),
    "newsletter": _l("Nieuwsbrief voor partners"),
    "follow_up": _l("Na de bijeenkomst: bedankt en hulpbronnen"),
    "blank": _l("Leeg ontwerp voor de visuele editor"),
}
SUBJECT_MAX_ADVISED = 78  # longer subjects are cut off in most mail apps
SAMPLE_CONTACT = {"name": "Voorbeeld Lezer", "email": "lezer@example.org", "municipality": "Voorbeeldstad"}
TEST_SUBJECT_PREFIX = "[TEST] "


class CampaignError(Exception):
    """Refused; `str(error)` is a Dutch message."""


class CampaignLocked(CampaignError):
    """The campaign is sending or done: its content and audience can no longer change."""


class SenderNotAllowed(CampaignError):
    """The sender address is not on the organisation's mail domain."""


@dataclass(frozen=True)
class CampaignContent:
    name: str
    subject: str
    preheader: str
    sender_name: str
    sender_address: str
    mjml_source: str
    audience: AudienceDefinition = field(default_factory=AudienceDefinition)
    event_ids: tuple[int, ...] = ()
    track_clicks: bool = False


@dataclass(frozen=True)
class Finding:
    ok: bool
    message: str
    blocking: bool = False


def create_campaign(organisation: Organisation, name: str, template_key: str, source: str | None = None) -> Campaign:
    """A new draft from a shipped template, or (`source`) from an organisation's own raw MJML one."""
    if source is None and template_key not in LIBRARY:
        raise CampaignError(_("Kies een van de sjablonen."))
    campaign = Campaign(
        organisation_id=organisation.id, name=name, template_key=template_key, subject=name, preheader="",
        sender_name=organisation_sender(organisation).name,
        sender_address=organisation_sender(organisation).address,
        mjml_source=source if source is not None else compose(f"mail/campaigns/library/{template_key}.mjml"),
        event_ids=[],
    )
    db.session.add(campaign)
    db.session.flush()
    store_render(campaign, render_sample(campaign))
    return campaign


def ensure_editable(campaign: Campaign) -> None:
    if not campaign.editable:
        raise CampaignLocked(_("Deze campagne wordt verstuurd of is klaar; aanpassen kan niet meer."))


def update_campaign(campaign: Campaign, content: CampaignContent) -> None:
    """Stores the new content only when it renders; a TemplateError (with its line) leaves all as it was."""
    ensure_editable(campaign)
    organisation = db.session.get_one(Organisation, campaign.organisation_id)
    if not may_send_as(organisation, content.sender_address):
        raise SenderNotAllowed(_sender_refusal(organisation))
    rendered = render_sample(campaign, content.mjml_source, list(content.event_ids), content.preheader)
    campaign.name = content.name
    campaign.subject = content.subject
    campaign.preheader = content.preheader
    campaign.sender_name = content.sender_name
    campaign.sender_address = content.sender_address
    if content.mjml_source != campaign.mjml_source:
        campaign.visual_body = None  # the raw MJML was changed: it is what counts from now on
    campaign.mjml_source = content.mjml_source
    campaign.event_ids = list(content.event_ids)
    campaign.track_clicks = content.track_clicks
    audience = content.audience
    campaign.list_id = audience.list_id
    campaign.tag_id = audience.tag_id
    campaign.audience_type = audience.audience_type
    campaign.municipality = audience.municipality
    campaign.topic = audience.topic
    campaign.event_id = audience.event_id if audience.event_relation else None
    campaign.event_relation = audience.event_relation if audience.event_id else None
    store_render(campaign, rendered)


def refresh_preview(campaign: Campaign, source: str, event_ids: list[int]) -> None:
    """Keeps the render of a source being typed as the preview (the source itself is saved by
    `update_campaign`); raises TemplateError and keeps the last good render when it fails."""
    ensure_editable(campaign)
    store_render(campaign, render_sample(campaign, source, event_ids))


def store_render(campaign: Campaign, rendered: RenderedMail) -> None:
    campaign.rendered_html = rendered.html
    campaign.rendered_text = rendered.text
    db.session.flush()


def invitation_events(organisation_id: int) -> list[Event]:
    """Published events still to come, the ones an invitation may list."""
    return list(db.session.scalars(
        sa.select(Event).where(Event.organisation_id == organisation_id, Event.status == EventStatus.PUBLISHED,
                               Event.starts_at > utcnow()).order_by(Event.starts_at)
    ))


def audience_events(organisation_id: int) -> list[Event]:
    return list(db.session.scalars(
        sa.select(Event).where(Event.organisation_id == organisation_id).order_by(Event.starts_at.desc())
    ))


# What the editor edits: a campaign, or an organisation's own template (campaigns.services.editor).
Document = Campaign | SavedTemplate


def event_values(campaign: Document, event_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """The chosen events as the template sees them; sign-up links carry the campaign (`bron`). A saved
    template has no attribution: its links get one when a campaign is made from it (saved_templates)."""
    ids = (campaign.event_ids if isinstance(campaign, Campaign) else []) if event_ids is None else event_ids
    if not ids:
        return []
    events = {event.id: event for event in db.session.scalars(
        sa.select(Event).where(Event.id.in_(ids), Event.organisation_id == campaign.organisation_id))}
    return [
        {
            "title": event.title, "starts_at": event.starts_at, "ends_at": event.ends_at,
            "venue": event.venue_name or _("Online"),
            "signup_url": tokens.public_url(f"/evenementen/{event.id}/{event.slug}{_attribution(campaign)}"),
        }
        for event_id in ids if (event := events.get(event_id))
    ]


SOURCE_TAG_PREFIX = "campagne-"


def _attribution(document: Document) -> str:
    return f"?bron={source_tag(document)}" if isinstance(document, Campaign) else ""


def source_tag(campaign: Campaign) -> str:
    """The `bron` a sign-up from this campaign stores (Registration.source)."""
    return f"{SOURCE_TAG_PREFIX}{campaign.id}"


def mail_context(campaign: Document, organisation: Organisation, contact: Mapping[str, Any],
                 unsubscribe_url: str, preferences_url: str, events: list[dict[str, Any]],
                 preheader: str | None = None) -> dict[str, Any]:
    return {
        "contact": dict(contact), "branding": organisation_branding(organisation), "events": events,
        "unsubscribe_url": unsubscribe_url, "preferences_url": preferences_url,
        "preheader": _preheader(campaign) if preheader is None else preheader,
        # An archived campaign's mail links to its web version (campaigns/services/archive.py).
        "web_version_url": absolute_url("archive.show", slug=organisation.slug, campaign_id=campaign.id)
        if isinstance(campaign, Campaign) and campaign.public_archive else None,
        "selfhelp_url": selfhelp_links.list_url(organisation), "selfhelp_pages": selfhelp_links.page_links(organisation),
    }


def _preheader(document: Document) -> str:
    return document.preheader if isinstance(document, Campaign) else ""


def sample_urls() -> tuple[str, str]:
    return tokens.public_url("/nieuwsbrief/afmelden/voorbeeld"), tokens.public_url("/nieuwsbrief/voorkeuren/voorbeeld")


def render_sample(campaign: Document, source: str | None = None, event_ids: list[int] | None = None,
                  preheader: str | None = None) -> RenderedMail:
    """The campaign (or saved template) as a sample reader gets it; raises TemplateError naming the line."""
    unsubscribe, preferences = sample_urls()
    organisation = db.session.get_one(Organisation, campaign.organisation_id)
    context = mail_context(campaign, organisation, SAMPLE_CONTACT, unsubscribe, preferences,
                           event_values(campaign, event_ids), preheader)
    return check_template(campaign.mjml_source if source is None else source, context)


def recipients_of(campaign: Campaign) -> int:
    return recipient_count(campaign.organisation_id, AudienceDefinition.of(campaign))


def preflight(campaign: Campaign, *, check_links: bool = True) -> list[Finding]:
    """Everything to know before sending; a blocking finding stops the launch."""
    try:
        soup = _sample_soup(campaign)
    except TemplateError as error:
        return [_template_error(error)]
    findings = [_subject_finding(campaign), _sender_finding(campaign), _unsubscribe_finding(soup), _recipients_finding(campaign),
                _alt_text_finding(soup), *_empty_value_findings(campaign)]
    if check_links:
        findings.append(_links_finding(soup))
    return findings


def content_findings(document: Document, source: str | None = None) -> list[Finding]:
    """The checks on the content alone (it renders, the footer's unsubscribe link, alt texts): the
    pre-flight of a saved template, which has no subject, sender or audience yet."""
    try:
        soup = _sample_soup(document, source)
    except TemplateError as error:
        return [_template_error(error)]
    return [_unsubscribe_finding(soup), _alt_text_finding(soup)]


def _sample_soup(document: Document, source: str | None = None) -> BeautifulSoup:
    return BeautifulSoup(render_sample(document, source).html, "html.parser")


def _template_error(error: TemplateError) -> Finding:
    return Finding(False, _("De template geeft een fout: %(error)s", error=str(error)), blocking=True)


def blocking_findings(campaign: Campaign) -> list[Finding]:
    return [finding for finding in preflight(campaign, check_links=False) if finding.blocking and not finding.ok]


def _subject_finding(campaign: Campaign) -> Finding:
    if not campaign.subject.strip():
        return Finding(False, _("Het onderwerp is leeg."), blocking=True)
    if len(campaign.subject) > SUBJECT_MAX_ADVISED:
        return Finding(False, _("Het onderwerp is %(length)s tekens; na %(max)s tekens wordt het vaak afgekapt.",
                                length=len(campaign.subject), max=SUBJECT_MAX_ADVISED))
    return Finding(True, _("Het onderwerp heeft een goede lengte."))


def _sender_refusal(organisation: Organisation) -> str:
    return _("Het afzenderadres moet op @%(domain)s eindigen: alleen voor dat domein mag de mailserver van "
             "uw organisatie versturen (anders belandt de mail als vervalst in de spam).",
             domain=sender_domain(organisation))


def _sender_finding(campaign: Campaign) -> Finding:
    """Also for campaigns saved before the organisation changed its sender address."""
    organisation = db.session.get_one(Organisation, campaign.organisation_id)
    if may_send_as(organisation, campaign.sender_address):
        return Finding(True, _("Het afzenderadres hoort bij het maildomein van uw organisatie."))
    return Finding(False, _sender_refusal(organisation), blocking=True)


_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden|opacity\s*:\s*0(?![.\d]*[1-9])|"
                           r"max-height\s*:\s*0(?![.\d]*[1-9])|mso-hide\s*:\s*all", re.IGNORECASE)
_FONT_SIZE = re.compile(r"font-size\s*:\s*([\d.]+)", re.IGNORECASE)


def visible_link(soup: BeautifulSoup, href: str) -> bool:
    """A link to `href` with text that no style of its own or around it hides (MJML's own
    `font-size:0` on columns is reset inside, so only the nearest font size counts)."""
    for link in soup.find_all("a", href=href):
        if not link.get_text(strip=True):
            continue
        chain = [element for element in (link, *link.parents) if element.name]
        sizes = [float(match.group(1)) for element in chain if (match := _FONT_SIZE.search(element.get("style") or ""))]
        hidden = any(_HIDDEN_STYLE.search(element.get("style") or "") or element.has_attr("hidden") for element in chain)
        if not hidden and (not sizes or sizes[0] > 0):
            return True
    return False


def _unsubscribe_finding(soup: BeautifulSoup) -> Finding:
    unsubscribe, preferences = sample_urls()
    if not visible_link(soup, unsubscribe):
        return Finding(False, _("De afmeldlink ontbreekt of is onzichtbaar: zet {{ unsubscribe_url }} in een "
                                "zichtbare link."), blocking=True)
    if not visible_link(soup, preferences):
        return Finding(False, _("De link naar de voorkeuren ontbreekt of is onzichtbaar: zet {{ preferences_url }} "
                                "in een zichtbare link."), blocking=True)
    return Finding(True, _("De afmeldlink staat in de mail, zichtbaar, met de link naar de voorkeuren."))


def _recipients_finding(campaign: Campaign) -> Finding:
    count = recipients_of(campaign)
    if not count:
        return Finding(False, _("Deze doelgroep heeft geen bevestigde ontvangers."), blocking=True)
    return Finding(True, _("%(count)s bevestigde ontvangers.", count=count))


def _alt_text_finding(soup: BeautifulSoup) -> Finding:
    missing = [img.get("src", "") for img in soup.find_all("img") if not (img.get("alt") or "").strip()]
    if missing:
        return Finding(False, _("Afbeeldingen zonder alt-tekst: %(images)s", images=", ".join(missing)),
                       blocking=True)
    return Finding(True, _("Alle afbeeldingen hebben een alt-tekst."))


def _empty_value_findings(campaign: Campaign) -> list[Finding]:
    definition = AudienceDefinition.of(campaign)
    findings = []
    for name, column in (("name", Contact.name), ("municipality", Contact.municipality)):
        if re.search(rf"contact\.{name}\b(?!\s*or\b)", campaign.mjml_source):
            empty = empty_field_count(campaign.organisation_id, definition, column)
            if empty:
                findings.append(Finding(False, _(
                    "%(count)s ontvangers hebben geen waarde voor contact.%(name)s; schrijf bijvoorbeeld "
                    "{{ contact.%(name)s or \"lezer\" }}.", count=empty, name=name)))
    return findings


def shared_links(soup: BeautifulSoup) -> list[str]:
    """The web links in a sample render that every reader gets (not their own unsubscribe links)."""
    own_links = set(sample_urls())
    return sorted({a["href"] for a in soup.find_all("a", href=True)
                   if a["href"].startswith(("http://", "https://")) and a["href"] not in own_links})


def campaign_links(campaign: Campaign) -> list[str]:
    return shared_links(BeautifulSoup(render_sample(campaign).html, "html.parser"))


def _links_finding(soup: BeautifulSoup) -> Finding:
    """All links checked at once within LINK_CHECK_SECONDS (the officer waits for the page), from
    this server but never to a non-public address (core.network)."""
    config = current_app.config
    links = shared_links(soup)
    checked, unchecked = links[: config["LINK_CHECK_MAX_LINKS"]], links[config["LINK_CHECK_MAX_LINKS"]:]
    results = _checked_once(checked)
    if results is None:
        return Finding(False, _("De links zijn nu niet gecontroleerd: de server controleert al links voor anderen. "
                                "Probeer het zo opnieuw."))
    broken = [f"{result.url} ({problem})" for result in results if (problem := link_problem(result))]
    if unchecked:
        broken.append(_("%(count)s links niet gecontroleerd (meer dan %(max)s)",
                        count=len(unchecked), max=config["LINK_CHECK_MAX_LINKS"]))
    if broken:
        return Finding(False, _("Links die niet werken: %(links)s", links="; ".join(broken)))
    return Finding(True, _("Alle %(count)s links werken.", count=len(links)))


# Links checked lately, by a fingerprint of the links and the networks allowed: the confirmation page
# and the pre-flight page of one content check its links once, not at every look (per process).
_checked_links: LRUCache[str, tuple[float, list[LinkResult]]] = LRUCache(maxsize=512)
_checked_links_lock = threading.Lock()


def _checked_once(links: list[str]) -> list[LinkResult] | None:
    """The check of these links, reused for LINK_CHECK_REUSE_SECONDS; None (busy) is never kept."""
    config = current_app.config
    key = hashlib.sha256("\n".join([config["LINK_CHECK_ALLOWED_NETWORKS"], *links]).encode()).hexdigest()
    with _checked_links_lock:
        checked_at, results = _checked_links.get(key, (float("-inf"), []))
    if time.monotonic() - checked_at < config["LINK_CHECK_REUSE_SECONDS"]:
        return results
    fresh = check_links(links, seconds=config["LINK_CHECK_SECONDS"], workers=8,
                        allowed_networks=parse_networks(config["LINK_CHECK_ALLOWED_NETWORKS"]))
    if fresh is not None:
        with _checked_links_lock:
            _checked_links[key] = (time.monotonic(), fresh)
    return fresh


def link_problem(result: LinkResult) -> str | None:
    """Why a link does not work, as the officer reads it (None: it answers below 400)."""
    if result.refused is not None:
        if result.refused.reason == "address":
            return _("niet gecontroleerd: %(address)s is geen openbaar adres", address=result.refused.address)
        if result.refused.reason == "name":
            return _("onbekende naam")
        if result.refused.reason == "url":
            return _("ongeldige link")
        return _("alleen http- en https-links")
    if result.timed_out:
        return _("geen antwoord binnen %(seconds)s seconden", seconds=f"{current_app.config['LINK_CHECK_SECONDS']:g}")
    if result.error == "redirects":
        return _("te veel doorverwijzingen")
    if result.error:
        return result.error
    return str(result.status) if result.status is not None and result.status >= 400 else None


def send_test(campaign: Campaign, addresses: list[str]) -> int:
    """The sample mail to each address, marked as a test; it belongs to no contact."""
    organisation = db.session.get_one(Organisation, campaign.organisation_id)
    unsubscribe, preferences = sample_urls()
    compiled = compile_mail(campaign.mjml_source)
    rendered = personalise(compiled, mail_context(campaign, organisation, SAMPLE_CONTACT, unsubscribe,
                                                  preferences, event_values(campaign)))
    for address in addresses:
        queue(Mail(
            to_address=address, subject=TEST_SUBJECT_PREFIX + campaign.subject, text_body=rendered.text,
            html_body=rendered.html, template="campaign_test", organisation_id=campaign.organisation_id,
            sender=Sender(campaign.sender_address, campaign.sender_name, organisation.reply_to),
        ), kind=MessageKind.CAMPAIGN)
    return len(addresses)


def campaigns_for(organisation_id: int) -> list[Campaign]:
    return list(db.session.scalars(
        sa.select(Campaign).where(Campaign.organisation_id == organisation_id)
        .order_by(Campaign.created_at.desc(), Campaign.id.desc())
    ))

