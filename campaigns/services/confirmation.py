"""What a send or a schedule is about to do, in words, and its fingerprint.

The confirmation page shows the summary and carries the fingerprint; the click that sends brings it
back, and the send goes ahead only when the campaign still has the same fingerprint under its row
lock. So an officer confirms exactly what is sent: a colleague who changes the subject, the content
or the audience in between (or a recipient count that moved) makes the click refused and the page
shown again with what is true now.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _

from campaigns.labels import AUDIENCE_LABELS, EVENT_RELATION_LABELS, TOPIC_LABELS
from campaigns.models import Campaign, ContactList, ContactTag, SubjectTest
from campaigns.services.ab_test import subject_test_of
from campaigns.services.campaigns import Finding, preflight, recipients_of
from events.models import Event
from extensions import db


@dataclass(frozen=True)
class SendSummary:
    subject: str
    sender: str
    audience: list[str]
    recipients: int
    findings: list[Finding]
    fingerprint: str
    moment: datetime | None = None
    subject_test: SubjectTest | None = None

    @property
    def blocked(self) -> bool:
        return any(finding.blocking and not finding.ok for finding in self.findings)


def audience_in_words(campaign: Campaign) -> list[str]:
    """Each condition of the audience as a sentence; every confirmed subscriber when there is none."""
    words = []
    if campaign.list_id and (contact_list := db.session.get(ContactList, campaign.list_id)):
        words.append(_("Op de lijst “%(name)s”", name=contact_list.name))
    if campaign.tag_id and (tag := db.session.get(ContactTag, campaign.tag_id)):
        words.append(_("Met het label “%(name)s”", name=tag.name))
    if campaign.audience_type:
        words.append(_("Doelgroep: %(audience)s", audience=AUDIENCE_LABELS[campaign.audience_type]))
    if campaign.municipality:
        words.append(_("Woonplaats: %(place)s", place=campaign.municipality))
    if campaign.topic:
        words.append(_("Wil mail over: %(topic)s", topic=TOPIC_LABELS[campaign.topic]))
    if campaign.event_id and campaign.event_relation and (event := db.session.get(Event, campaign.event_id)):
        words.append(_("%(relation)s: %(event)s", relation=EVENT_RELATION_LABELS[campaign.event_relation],
                       event=event.title))
    return words or [_("Alle contacten die de nieuwsbrief hebben bevestigd")]


def fingerprint(campaign: Campaign, recipients: int, moment: datetime | None = None) -> str:
    """A hash of everything the send depends on: content, sender, audience, count and moment."""
    sent = {
        "subject": campaign.subject, "preheader": campaign.preheader, "sender": [campaign.sender_name,
        campaign.sender_address], "source": campaign.mjml_source, "events": campaign.event_ids,
        "clicks": campaign.track_clicks, "recipients": recipients,
        "subject_test": _test_settings(campaign), "moment": moment.isoformat() if moment else None,
        "audience": [campaign.list_id, campaign.tag_id, campaign.audience_type, campaign.municipality,
                     campaign.topic, campaign.event_id, campaign.event_relation],
    }
    return hashlib.sha256(json.dumps(sent, sort_keys=True, default=str).encode()).hexdigest()


def _test_settings(campaign: Campaign) -> list[object] | None:
    test = subject_test_of(campaign)
    return [test.subject_b, test.test_percent, test.wait_minutes] if test else None


def summary(campaign: Campaign, moment: datetime | None = None) -> SendSummary:
    """The confirmation page's content with the whole pre-flight; its link check is the pre-flight
    page's when the links are the same (`_checked_once`), so the page is slow at most once."""
    recipients = recipients_of(campaign)
    return SendSummary(
        subject=campaign.subject, sender=f"{campaign.sender_name} <{campaign.sender_address}>",
        audience=audience_in_words(campaign), recipients=recipients,
        findings=preflight(campaign), fingerprint=fingerprint(campaign, recipients, moment),
        moment=moment, subject_test=subject_test_of(campaign),
    )


def still_as_confirmed(campaign: Campaign, confirmed: str, moment: datetime | None = None) -> bool:
    """Call with the campaign row locked (`sending.lock_campaign`), so nothing changes after the check."""
    return bool(confirmed) and fingerprint(campaign, recipients_of(campaign), moment) == confirmed
