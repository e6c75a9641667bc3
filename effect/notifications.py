"""The effect mails: the evaluation link in the thank-you mail, and the follow-up survey, both
through the outbox in the caller's transaction, with the link minted only when the mail leaves."""
from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import gettext as _

from accounts.branding import organisation_branding, organisation_sender
from effect import tokens
from effect.models import EffectResponse
from events.models import Registration
from events.notifications import FollowupLink, event_url
from mailing.outbox import Mail, queue
from mailing.personalise import render_mail
from mailing.secret_links import placeholder


def evaluation_link(sender: Flask, registration: Registration, **extra: Any) -> FollowupLink | None:
    """Answers the thank-you mail's question: the evaluation link, when this attendee may use it."""
    from effect.services import EffectError, check_evaluation_open

    try:
        check_evaluation_open(registration)
    except EffectError:
        return None
    return FollowupLink(
        link=tokens.evaluation_link(registration.id),
        intro=_("Wat vond u ervan? Vijf korte vragen, in twee minuten. Uw antwoorden gebruiken we alleen "
                "samengeteld, zonder uw naam."),
        button=_("Vragenlijst invullen"),
    )


def followup_survey(registration: Registration, response: EffectResponse) -> None:
    event = registration.event
    context = {
        "registration": registration,
        "event": event,
        "branding": organisation_branding(event.organisation),
        "event_url": event_url(event),
        "survey_url": placeholder(),
        "extra_paragraphs": [],
    }
    mail = render_mail("mail/effect/followup_survey.mjml", context)
    queue(Mail(
        to_address=registration.email,
        to_name=registration.name,
        subject=_("Hoe staat het ervoor? Een korte vraag over %(title)s", title=event.title),
        text_body=mail.text,
        html_body=mail.html,
        template="effect_followup_survey",
        sender=organisation_sender(event.organisation),
        organisation_id=event.organisation_id,
        registration_id=registration.id,
        secret_link=tokens.followup_link(response.id),
    ))
