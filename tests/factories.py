"""Test data builders: each call makes fresh rows with sensible defaults and commits them."""
from __future__ import annotations

import itertools
import re
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from accounts.models import Membership, Organisation, Role, User
from accounts.services import set_password
from campaigns.models import Campaign, Contact, ContactAudience, ContactImport, ContactList, ContactStatus, ImportStatus
from campaigns.services.campaigns import create_campaign
from core.timeutils import utcnow
from events.models import (
    Audience,
    Event,
    EventKind,
    EventStatus,
    Question,
    QuestionKind,
    Registration,
    RegistrationStatus,
)
from extensions import db
from mailing.models import MessageStatus, OutgoingMessage
from mailing.outbox import Mail, Sender, compose_row, queue
from mailing.personalise import RenderedMail
from mailing.secret_links import unsealed
from selfhelp.models import PageAudience, SelfHelpPage

PASSWORD = "correct horse battery staple"
_sequence = itertools.count(1)


def make_organisation(**fields: Any) -> Organisation:
    n = next(_sequence)
    defaults: dict[str, Any] = {
        "name": f"Gemeente Test {n}",
        "slug": f"gemeente-test-{n}",
        "mail_from_address": f"noreply@gemeente{n}.example",
        "mail_from_name": f"Gemeente Test {n}",
        "privacy_contact": f"privacy@gemeente{n}.example",
        "privacy_statement": "Wij gebruiken uw gegevens alleen voor deze bijeenkomst.",
    }
    organisation = Organisation(**(defaults | fields))
    db.session.add(organisation)
    db.session.commit()
    return organisation


def make_user(
    organisation: Organisation | None = None,
    role: Role | None = Role.ADMIN,
    *,
    regional_admin: bool = False,
    **fields: Any,
) -> User:
    n = next(_sequence)
    user = User(email=f"user{n}@example.org", name=f"Gebruiker {n}", is_regional_admin=regional_admin)
    for name, value in fields.items():
        setattr(user, name, value)
    set_password(user, PASSWORD)
    db.session.add(user)
    if organisation is not None and role is not None:
        db.session.add(Membership(user=user, organisation=organisation, role=role))
    db.session.commit()
    return user


def make_event(organisation: Organisation, **fields: Any) -> Event:
    n = next(_sequence)
    starts_at = fields.pop("starts_at", utcnow() + timedelta(days=14))
    defaults: dict[str, Any] = {
        "title": f"Veilig online {n}",
        "slug": f"veilig-online-{n}",
        "audience": Audience.CITIZENS,
        "kind": EventKind.SESSION,
        "description": "Leer hoe u phishing herkent.",
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=2),
        "venue_name": "Stadhuis",
        "venue_address": "Markt 1, Teststad",
        "capacity": 10,
        "waitlist_enabled": True,
        "status": EventStatus.PUBLISHED,
        "published_at": utcnow(),
    }
    event = Event(organisation=organisation, **(defaults | fields))
    db.session.add(event)
    db.session.commit()
    return event


def make_registration(event: Event, **fields: Any) -> Registration:
    n = next(_sequence)
    defaults: dict[str, Any] = {
        "name": f"Deelnemer {n}",
        "email": f"deelnemer{n}@example.org",
        "status": RegistrationStatus.CONFIRMED,
    }
    registration = Registration(event=event, **(defaults | fields))
    db.session.add(registration)
    if registration.status == RegistrationStatus.CONFIRMED:  # the seat counter, as register() keeps it
        event.seats_taken = Event.seats_taken + 1
    db.session.commit()
    return registration


def login(client: FlaskClient, user: User, password: str = PASSWORD) -> None:
    """`user` logged in on `client`, whoever was before (the login page sends a logged-in user on)."""
    client.post("/beheer/uitloggen")
    response = client.post("/beheer/inloggen", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)


def signup_url(event: Event) -> str:
    return f"/evenementen/{event.id}/{event.slug}"


def outbox(template: str | None = None) -> list[Any]:
    """The outbox rows, oldest first, optionally only those of one mail template; a row queued to
    be composed is composed first, as the worker does before it sends it (mailing.outbox.compose_row)."""
    query = sa.select(OutgoingMessage).order_by(OutgoingMessage.id)
    if template:
        query = query.where(OutgoingMessage.template == template)
    messages = list(db.session.scalars(query))
    if any(message.composer is not None for message in messages):
        for message in messages:
            if message.composer is not None and not compose_row(message):
                message.status = MessageStatus.CANCELLED
        db.session.commit()
    return messages


def as_sent(message: OutgoingMessage) -> RenderedMail:
    """The bodies as the recipient gets them: the worker mints a credential link as the mail leaves
    (mailing.secret_links), so the stored row never holds one. Call it when the mail would be sent."""
    stored = RenderedMail(html=message.html_body, text=message.text_body)
    return unsealed(stored, message.secret_link) if message.secret_link else stored


def make_message(organisation: Organisation | None, **fields: Any) -> OutgoingMessage:
    """An outbox row (`organisation` None: system mail such as a password reset)."""
    n = next(_sequence)
    defaults: dict[str, Any] = {
        "template": "registration_confirmed",
        "to_address": f"ontvanger{n}@example.org",
        "to_name": f"Ontvanger {n}",
        "from_address": "noreply@gemeente.example",
        "from_name": "Gemeente Test",
        "subject": f"Aanmelding bevestigd {n}",
        "text_body": f"Beste Ontvanger {n},\n\nU bent aangemeld.",
        "html_body": f"<p>Beste Ontvanger {n}, u bent aangemeld.</p>",
    }
    message = OutgoingMessage(organisation_id=organisation.id if organisation else None, **(defaults | fields))
    db.session.add(message)
    db.session.commit()
    return message


def make_question(event: Event, **fields: Any) -> Question:
    n = next(_sequence)
    defaults: dict[str, Any] = {
        "label": f"Vraag {n}",
        "kind": QuestionKind.SHORT_TEXT,
        "position": n,
        "options": [],
    }
    question = Question(event=event, **(defaults | fields))
    db.session.add(question)
    db.session.commit()
    return question


def admin_url(event: Event, page: str = "bewerken") -> str:
    return f"/beheer/evenementen/{event.id}/{page}"


def queue_mail(count: int = 1, **fields: Any) -> list[OutgoingMessage]:
    """`count` outbox rows queued the way features queue them, each to its own recipient, committed."""
    n = next(_sequence)
    messages = []
    for i in range(count):
        defaults: dict[str, Any] = {
            "to_address": f"ontvanger{n}-{i}@example.org",
            "to_name": f"Ontvanger {i}",
            "subject": "Nieuws over digitale weerbaarheid",
            "text_body": f"Beste ontvanger {i},\n\nLees verder.\n",
            "html_body": f"<p>Beste ontvanger {i},</p><p>Lees verder.</p>",
            "template": "test",
            "sender": Sender("nieuws@gemeente.example", "Gemeente Test", "info@gemeente.example"),
        }
        messages.append(queue(Mail(**(defaults | fields))))
    db.session.commit()
    return messages


def make_contact(organisation: Organisation, **fields: Any) -> Contact:
    """A contact; subscribed (confirmed) unless told otherwise."""
    n = next(_sequence)
    defaults: dict[str, Any] = {
        "email": f"contact{n}@example.org",
        "name": f"Lezer {n}",
        "audience": ContactAudience.CITIZEN,
        "status": ContactStatus.SUBSCRIBED,
        "confirmed_at": utcnow(),
    }
    lists = fields.pop("lists", [])
    contact = Contact(organisation_id=organisation.id, **(defaults | fields))
    contact.lists = lists
    db.session.add(contact)
    db.session.commit()
    return contact


def make_contact_list(organisation: Organisation, **fields: Any) -> ContactList:
    n = next(_sequence)
    contact_list = ContactList(organisation_id=organisation.id, **({"name": f"Lijst {n}"} | fields))
    db.session.add(contact_list)
    db.session.commit()
    return contact_list


def make_campaign(organisation: Organisation, template: str = "awareness", **fields: Any) -> Campaign:
    """A draft campaign from a library template (rendered as the editor would)."""
    campaign = create_campaign(organisation, fields.pop("name", f"Campagne {next(_sequence)}"), template)
    for name, value in fields.items():
        setattr(campaign, name, value)
    db.session.commit()
    return campaign


def make_import(organisation: Organisation, data: bytes = b"email;naam\r\nalfa-lezer@example.org;Alfa\r\n",
                **fields: Any) -> ContactImport:
    """A contacts file as the upload step leaves it (its columns not chosen yet), unless told otherwise."""
    defaults: dict[str, Any] = {"filename": "contacten.csv", "status": ImportStatus.UPLOADED, "total_rows": 1}
    job = ContactImport(organisation_id=organisation.id, data=data, **(defaults | fields))
    db.session.add(job)
    db.session.commit()
    return job


FINGERPRINT = re.compile(r'name="vingerafdruk" value="([0-9a-f]+)"')


def shown_fingerprint(page: str) -> str:
    """The fingerprint a confirmation page carries ("" when it offers no button)."""
    found = FINGERPRINT.search(page)
    return found.group(1) if found else ""


def confirm_and_send(client: FlaskClient, campaign: Campaign, **options: Any) -> Any:
    """What an officer does: open the confirmation page, then click its button."""
    url = f"/beheer/campagnes/{campaign.id}/versturen"
    return client.post(url, data={"vingerafdruk": shown_fingerprint(client.get(url).get_data(as_text=True))},
                       **options)


def confirm_and_schedule(client: FlaskClient, campaign: Campaign, moment: str, **options: Any) -> Any:
    url = f"/beheer/campagnes/{campaign.id}/inplannen"
    page = client.get(url, query_string={"moment": moment}).get_data(as_text=True)
    return client.post(url, data={"moment": moment, "vingerafdruk": shown_fingerprint(page)}, **options)
def make_selfhelp_page(organisation: Organisation, **fields: Any) -> SelfHelpPage:
    n = next(_sequence)
    defaults: dict[str, Any] = {
        "title": f"Opgelicht? Dit doet u nu {n}",
        "slug": f"opgelicht-{n}",
        "audience": PageAudience.CITIZENS,
        "summary": "Bel uw bank en doe aangifte.",
        "body": "## Bel direct uw bank\n\nBlokkeer uw pas.",
        "published": True,
    }
    page = SelfHelpPage(organisation_id=organisation.id, **(defaults | fields))
    db.session.add(page)
    db.session.commit()
    return page
