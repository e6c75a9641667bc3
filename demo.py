"""`flask demo load`: a region with three municipalities, users, events and registrations.

Everything here is fictional: the municipalities, the people, and every address (``.example``).
Registrations go through the real sign-up service, so the outbox holds the real mails.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from accounts.models import Membership, Organisation, OrganisationKind, Role, User
from accounts.services import set_password
from campaigns.models import (
    ConsentRecord,
    ConsentSource,
    Contact,
    ContactAudience,
    ContactList,
    ContactStatus,
    ContactTag,
)
from campaigns.services.campaigns import create_campaign, invitation_events, source_tag
from campaigns.services.consent import CONSENT_TEXT_VERSION, unsubscribe
from campaigns.services.sending import finish_sent, launch
from core.db import unit_of_work
from core.timeutils import local_to_utc, to_local, utcnow
from effect import demo as effect_demo
from events.models import (
    Audience,
    CheckinLog,
    CheckinResult,
    Event,
    EventKind,
    EventStatus,
    Question,
    QuestionKind,
    Registration,
    RegistrationStatus,
    new_token,
)
from events.services.management import cancel_event, slugify
from events.services.registration import SignupData, register
from extensions import db
from mailing.models import MessageStatus, OutgoingMessage
from selfhelp.models import PageAudience
from selfhelp.services import PageData, create_page

DEMO_PASSWORD = "weerbaar-demo"
REGIONAL_ADMIN = ("regio@weerbaar.example", "Regiobeheer Weerbaar")

# slug, name, kind, brand colour
ORGANISATIONS = [
    ("rivierenland-oost", "Gemeente Rivierenland-Oost", OrganisationKind.MUNICIPALITY, "#00689e"),
    ("polderwaard", "Gemeente Polderwaard", OrganisationKind.MUNICIPALITY, "#2e7d32"),
    ("duinwijck", "Gemeente Duinwijck", OrganisationKind.MUNICIPALITY, "#a63d00"),
    ("cyberweerbaar-midden", "Cyberweerbaar Regio Midden", OrganisationKind.PARTNER, "#5b2c83"),
]
# The first part of each user's address and the role it gets in a municipality.
MUNICIPAL_USERS = [
    ("beheer", Role.ADMIN),
    ("communicatie", Role.COMMUNICATIONS),
    ("organisator", Role.ORGANISER),
    ("checkin", Role.CHECKIN),
]
PARTNER_USERS = [("beheer", Role.ADMIN), ("organisator", Role.ORGANISER)]
ROLE_NAMES = {Role.ADMIN: "Beheer", Role.COMMUNICATIONS: "Communicatie", Role.ORGANISER: "Organisator",
              Role.CHECKIN: "Check-in"}

PRIVACY_STATEMENT = (
    "{name} gebruikt uw naam en e-mailadres alleen om uw aanmelding te verwerken en u over deze "
    "bijeenkomst te informeren. Wij geven uw gegevens niet aan anderen.\n\n"
    "Een jaar na de bijeenkomst maken wij uw gegevens anoniem. U kunt uw aanmelding altijd inzien "
    "en annuleren via de link in uw bevestigingsmail. Vragen over privacy? Mail {contact}."
)

COMPANY_SIZE = ("Hoeveel mensen werken er in uw bedrijf?", QuestionKind.SINGLE_CHOICE, True,
                ["Alleen ikzelf (zzp)", "2 tot 10", "11 tot 50", "Meer dan 50"])
TOPICS = ("Waar wilt u vooral meer over weten?", QuestionKind.MULTIPLE_CHOICE, False,
          ["Back-ups", "Wachtwoorden en tweestapsverificatie", "Phishing", "Wat te doen bij een hack"])
OWN_LAPTOP = ("Ik neem mijn eigen laptop mee", QuestionKind.CHECKBOX, False, [])
PHONE_TYPE = ("Welke telefoon heeft u?", QuestionKind.SINGLE_CHOICE, True, ["Android", "iPhone", "Weet ik niet"])
ACCESSIBILITY = ("Heeft u iets nodig om goed mee te kunnen doen, zoals een ringleiding?",
                 QuestionKind.SHORT_TEXT, False, [])
CONTINUITY_PLAN = ("Heeft uw bedrijf een plan voor als de computers uitvallen?", QuestionKind.SINGLE_CHOICE,
                   True, ["Ja", "Nee", "Weet ik niet"])

ONLINE = "https://meet.weerbaar.example/"
# `days` from today at local `start` for `hours`; `signups` people register through the sign-up
# service; `state` "draft" or "cancelled" for the two events that are not simply published.
EVENTS: list[dict[str, Any]] = [
    dict(organisation="rivierenland-oost", kind=EventKind.SESSION, audience=Audience.CITIZENS,
         title="Phishing herkennen: klik niet zomaar", days=6, start="19:30", hours=2,
         venue=("Bibliotheek De Waard", "Kerkstraat 12, Oosterwaarde"), capacity=40, signups=6,
         questions=[ACCESSIBILITY],
         description="Een mail van 'de bank', een sms van 'het pakketbedrijf': oplichters worden steeds "
                     "handiger. In deze avond leert u aan de hand van echte voorbeelden hoe u een nepbericht "
                     "herkent.\n\nU gaat naar huis met een handige checklist. Voorkennis is niet nodig."),
    dict(organisation="rivierenland-oost", kind=EventKind.WORKSHOP, audience=Audience.SMES,
         title="Back-ups die werken: workshop voor ondernemers", days=13, start="15:00", hours=2.5,
         venue=("Ondernemershuis Rivierenland", "Havenweg 3, Oosterwaarde"), capacity=12, signups=10,
         questions=[COMPANY_SIZE, TOPICS, OWN_LAPTOP],
         description="Zonder goede back-up kan één ransomware-aanval of kapotte laptop uw bedrijf stilleggen. "
                     "In deze praktische workshop richt u de 3-2-1-back-up in voor uw eigen bedrijf.\n\n"
                     "Neem als het kan uw laptop mee: we oefenen ook met het terugzetten van bestanden."),
    dict(organisation="rivierenland-oost", kind=EventKind.SESSION, audience=Audience.EVERYONE,
         title="Veilig online bankieren en betalen", days=20, start="14:00", hours=1.5,
         venue=("Wijkcentrum De Brug", "Molenstraat 40, Oosterwaarde"), capacity=30, signups=4,
         description="Hoe betaalt u veilig met uw telefoon en hoe herkent u een valse betaalpagina? "
                     "Medewerkers van de gemeente en de regionale fraudehelpdesk beantwoorden al uw vragen."),
    dict(organisation="rivierenland-oost", kind=EventKind.WEBINAR, audience=Audience.CITIZENS,
         title="Nepwebwinkels herkennen", days=35, start="20:00", hours=1, online="nepwebwinkels",
         capacity=100, signups=0, state="draft",
         description="Te mooi om waar te zijn? Zo controleert u een webwinkel voordat u betaalt."),
    dict(organisation="polderwaard", kind=EventKind.SESSION, audience=Audience.CITIZENS,
         title="Sterke wachtwoorden en tweestapsverificatie", days=8, start="19:30", hours=2,
         venue=("Dorpshuis De Meerkoet", "Dorpsstraat 5, Polderwaard"), capacity=25, signups=5,
         questions=[OWN_LAPTOP],
         description="Eén wachtwoord voor alles? Dan is één lek genoeg. U leert hoe een wachtwoordmanager werkt "
                     "en zet samen met ons tweestapsverificatie aan op uw belangrijkste accounts."),
    dict(organisation="polderwaard", kind=EventKind.WORKSHOP, audience=Audience.CITIZENS,
         title="Uw smartphone veilig instellen", days=15, start="10:00", hours=2,
         venue=("Bibliotheek Polderwaard", "Stationsplein 2, Polderwaard"), capacity=8, signups=11,
         questions=[PHONE_TYPE],
         description="In een kleine groep loopt u met een vrijwilliger de instellingen van uw eigen telefoon "
                     "langs: updates, schermvergrendeling, apps en privacy.\n\nNeem uw telefoon en uw "
                     "inloggegevens mee."),
    dict(organisation="polderwaard", kind=EventKind.WEBINAR, audience=Audience.SMES,
         title="CEO-fraude en valse facturen", days=11, start="12:00", hours=1, online="ceo-fraude",
         capacity=100, signups=5, questions=[COMPANY_SIZE],
         description="Een dringend verzoek van 'de directeur' om snel te betalen, een factuur met een nieuw "
                     "rekeningnummer: zo werkt betalingsfraude, en zo spreekt u in uw bedrijf af dat het "
                     "niet lukt."),
    dict(organisation="polderwaard", kind=EventKind.SESSION, audience=Audience.EVERYONE,
         title="Informatieavond WhatsApp-fraude", days=18, start="19:00", hours=1.5,
         venue=("Gemeentehuis Polderwaard", "Raadhuisplein 1, Polderwaard"), capacity=60, signups=3,
         state="cancelled",
         description="'Hoi mam, ik heb een nieuw nummer.' Wat u doet als u zo'n bericht krijgt."),
    dict(organisation="duinwijck", kind=EventKind.SESSION, audience=Audience.CITIZENS,
         title="Online fraude: zo herkent u oplichters", days=10, start="19:00", hours=2,
         venue=("Cultuurhuis Duinwijck", "Zeeweg 21, Duinwijck"), capacity=50, signups=4,
         description="Van vriend-in-noodfraude tot nep-beleggingen: een wijkagent en een fraude-expert "
                     "vertellen hoe oplichters te werk gaan en wat u doet als het toch misgaat."),
    dict(organisation="duinwijck", kind=EventKind.WORKSHOP, audience=Audience.SMES,
         title="Ransomware: is uw bedrijf voorbereid?", days=22, start="09:00", hours=3,
         venue=("Bedrijvencentrum Duinwijck", "Industrieweg 8, Duinwijck"), capacity=20, signups=6,
         questions=[COMPANY_SIZE, CONTINUITY_PLAN],
         description="Wat als morgen al uw bestanden versleuteld zijn? In deze workshop oefent u met een "
                     "realistisch scenario en maakt u een eerste noodplan voor uw bedrijf."),
    dict(organisation="duinwijck", kind=EventKind.WEBINAR, audience=Audience.EVERYONE,
         title="Veilig thuiswerken", days=16, start="20:00", hours=1, online="thuiswerken",
         capacity=200, signups=3,
         description="Uw wifi, uw laptop en de gedeelde gezinscomputer: in een uur weet u hoe u thuis net zo "
                     "veilig werkt als op kantoor."),
    dict(organisation="duinwijck", kind=EventKind.MEETING, audience=Audience.PARTNERS,
         title="Partneroverleg Duinwijck digitaal weerbaar", days=27, start="13:30", hours=2,
         venue=("Gemeentehuis Duinwijck", "Duinplein 1, Duinwijck"), capacity=25, signups=4,
         description="Overleg met ondernemersverenigingen, bibliotheek en welzijnswerk over de aanpak van "
                     "digitale weerbaarheid in Duinwijck in het komende jaar."),
    dict(organisation="cyberweerbaar-midden", kind=EventKind.MEETING, audience=Audience.PARTNERS,
         title="Regionaal partneroverleg cybercriminaliteit", days=30, start="10:00", hours=2.5,
         venue=("Regiokantoor Cyberweerbaar", "Vaartweg 100, Oosterwaarde"), capacity=40, signups=5,
         description="Gemeenten, politie en partners delen wat zij het afgelopen kwartaal zagen aan "
                     "cybercriminaliteit in de regio en stemmen de voorlichting voor het voorjaar af."),
    dict(organisation="cyberweerbaar-midden", kind=EventKind.WEBINAR, audience=Audience.SMES,
         title="Vijf basismaatregelen tegen cybercrime voor het mkb", days=12, start="16:00", hours=1,
         online="basismaatregelen", capacity=150, signups=4, questions=[COMPANY_SIZE, TOPICS],
         description="Updates, back-ups, tweestapsverificatie, wachtwoordbeheer en bewustwording: met deze "
                     "vijf maatregelen houdt u de meeste aanvallen tegen. Met een gratis checklist."),
]

PEOPLE = [
    "Anna de Vries", "Mohamed El Amrani", "Sanne Bakker", "Pieter Visser", "Fatima Yilmaz", "Johan Smit",
    "Lotte Meijer", "Kees de Boer", "Noor Mulder", "Willem de Groot", "Emma Bos", "Ahmed Benali",
    "Ineke Vos", "Thijs Peters", "Priya Ramdin", "Gerrit Hendriks", "Sophie van Dijk", "Daan Jansen",
    "Marieke Dekker", "Youssef Haddou",
]
COMPANIES = ["Bakkerij Van der Molen", "Installatiebedrijf Visser", "Kapsalon Knip & Zo",
             "Administratiekantoor Rivierzicht", "Fietsenmaker De Spaak", "Hoveniersbedrijf Groen"]
CAMPAIGN_ORGANISATION = "rivierenland-oost"
CANCELLATION_REASON = "De spreker is helaas verhinderd. We plannen snel een nieuwe datum."

# Held events for the results dashboard: `days` ago, `registered` confirmed people of whom `attended`
# were checked in at the door (through the check-in log, as on the night).
PAST_EVENTS: list[dict[str, Any]] = [
    dict(organisation="rivierenland-oost", kind=EventKind.SESSION, audience=Audience.CITIZENS,
         title="Phishing herkennen (najaar)", days=9, registered=18, attended=14),
    dict(organisation="rivierenland-oost", kind=EventKind.WORKSHOP, audience=Audience.SMES,
         title="Wachtwoordbeheer voor ondernemers", days=40, registered=11, attended=8),
    dict(organisation="rivierenland-oost", kind=EventKind.SESSION, audience=Audience.CITIZENS,
         title="Veilig online voor senioren", days=95, registered=20, attended=17),
    dict(organisation="polderwaard", kind=EventKind.WORKSHOP, audience=Audience.CITIZENS,
         title="Uw tablet veilig instellen", days=25, registered=8, attended=7),
    dict(organisation="polderwaard", kind=EventKind.WEBINAR, audience=Audience.SMES,
         title="Phishing in uw bedrijf", days=70, registered=16, attended=9),
    dict(organisation="duinwijck", kind=EventKind.SESSION, audience=Audience.EVERYONE,
         title="Oplichting via WhatsApp", days=15, registered=19, attended=16),
    dict(organisation="duinwijck", kind=EventKind.WORKSHOP, audience=Audience.SMES,
         title="Noodplan bij een hack", days=130, registered=12, attended=10),
    dict(organisation="cyberweerbaar-midden", kind=EventKind.MEETING, audience=Audience.PARTNERS,
         title="Partneroverleg najaar", days=55, registered=14, attended=12),
]


@click.group("demo", help="Demogegevens.")
def demo_cli() -> None:
    pass


@demo_cli.command("load", help="Laad een demoregio met gemeenten, gebruikers, bijeenkomsten en aanmeldingen.")
@click.option("--if-empty", is_flag=True, help="Niets doen als er al een organisatie bestaat.")
@with_appcontext
def load(if_empty: bool) -> None:
    if not current_app.config["DEMO_ALLOWED"]:
        raise click.ClickException(
            "de demo wordt niet geladen onder de productieconfiguratie (FLASK_CONFIG=production): "
            "de demo-accounts hebben een openbaar wachtwoord. "
            "Maak de eerste beheerder met `flask accounts create-admin`.")
    if db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)):
        if if_empty:
            click.echo("Er zijn al gegevens; de demo wordt niet geladen.")
            return
        raise click.ClickException("de database bevat al organisaties; laad de demo in een lege database")
    with unit_of_work():
        organisations = {slug: create_organisation(slug, name, kind, colour)
                         for slug, name, kind, colour in ORGANISATIONS}
        accounts = create_users(organisations)
        db.session.flush()
        for number, fields in enumerate(EVENTS):
            create_event(organisations[fields["organisation"]], number, fields)
        create_past_events(organisations)
        create_selfhelp_pages(organisations[CAMPAIGN_ORGANISATION])
        create_contacts_and_campaign(organisations[CAMPAIGN_ORGANISATION])
    print_accounts(accounts)


def create_organisation(slug: str, name: str, kind: OrganisationKind, colour: str) -> Organisation:
    contact = f"privacy@{slug}.example"
    organisation = Organisation(
        slug=slug, name=name, kind=kind, brand_colour=colour,
        mail_from_name=name, mail_from_address=f"bijeenkomsten@{slug}.example", reply_to=f"info@{slug}.example",
        privacy_contact=contact, privacy_statement=PRIVACY_STATEMENT.format(name=name, contact=contact),
    )
    db.session.add(organisation)
    return organisation


def create_users(organisations: dict[str, Organisation]) -> list[tuple[str, str, str]]:
    """All demo users; returns (email, role, organisation) rows for the console table."""
    email, name = REGIONAL_ADMIN
    create_user(email, name, regional_admin=True)
    accounts = [(email, "Regionale beheerder", "alle organisaties")]
    for organisation in organisations.values():
        users = MUNICIPAL_USERS if organisation.kind == OrganisationKind.MUNICIPALITY else PARTNER_USERS
        for mailbox, role in users:
            email = f"{mailbox}@{organisation.slug}.example"
            user = create_user(email, f"{ROLE_NAMES[role]} {organisation.name}")
            db.session.add(Membership(user=user, organisation=organisation, role=role))
            accounts.append((email, ROLE_NAMES[role], organisation.name))
    return accounts


def create_user(email: str, name: str, *, regional_admin: bool = False) -> User:
    user = User(email=email, name=name, is_regional_admin=regional_admin)
    set_password(user, DEMO_PASSWORD)
    db.session.add(user)
    return user


def create_event(organisation: Organisation, number: int, fields: dict[str, Any]) -> Event:
    starts_at = local_to_utc(datetime.combine(
        to_local(utcnow()).date() + timedelta(days=fields["days"]), time.fromisoformat(fields["start"])
    ))
    venue_name, venue_address = fields.get("venue", (None, None))
    draft = fields.get("state") == "draft"
    event = Event(
        organisation=organisation, title=fields["title"], slug=slugify(fields["title"]),
        kind=fields["kind"], audience=fields["audience"], description=fields["description"],
        starts_at=starts_at, ends_at=starts_at + timedelta(hours=fields["hours"]),
        venue_name=venue_name, venue_address=venue_address,
        online_url=ONLINE + fields["online"] if "online" in fields else None,
        capacity=fields["capacity"], waitlist_enabled=True,
        status=EventStatus.DRAFT if draft else EventStatus.PUBLISHED, published_at=None if draft else utcnow(),
        questions=[Question(position=position, label=label, kind=kind, required=required, options=options)
                   for position, (label, kind, required, options) in enumerate(fields.get("questions", []))],
    )
    db.session.add(event)
    db.session.flush()
    sign_up_people(event, number, fields["signups"])
    if fields.get("state") == "cancelled":
        cancel_event(event.id, CANCELLATION_REASON)
    return event


def sign_up_people(event: Event, number: int, count: int) -> None:
    """`count` people sign up through the real service: seats, then the waiting list, and their mails."""
    with_company = event.audience in (Audience.SMES, Audience.PARTNERS)
    for n in range(count):
        name = PEOPLE[(number * 3 + n) % len(PEOPLE)]
        register(event.id, SignupData(
            name=name,
            email=f"{slugify(name).replace('-', '.')}@voorbeeld.example",
            company_name=COMPANIES[(number + n) % len(COMPANIES)] if with_company else None,
            answers={str(question.id): demo_answer(question, n) for question in event.questions},
        ))


def create_past_events(organisations: dict[str, Organisation]) -> None:
    """Held events with registrations and check-ins; written as history, so nobody is mailed."""
    for number, fields in enumerate(PAST_EVENTS):
        organisation = organisations[fields["organisation"]]
        door = db.session.scalar(sa.select(User).where(User.email.in_(
            [f"checkin@{organisation.slug}.example", f"organisator@{organisation.slug}.example"])))
        starts_at = local_to_utc(datetime.combine(to_local(utcnow()).date() - timedelta(days=fields["days"]),
                                                  time(19, 30)))
        event = Event(
            organisation=organisation, title=fields["title"], slug=slugify(fields["title"]),
            kind=fields["kind"], audience=fields["audience"], description=fields["title"] + ".",
            starts_at=starts_at, ends_at=starts_at + timedelta(hours=2), venue_name="Gemeentehuis",
            capacity=fields["registered"] + 5, seats_taken=fields["registered"], status=EventStatus.PUBLISHED,
            published_at=starts_at - timedelta(days=30),
            reminder_sent_at=starts_at - timedelta(hours=24), followup_sent_at=starts_at + timedelta(hours=3),
        )
        db.session.add(event)
        attendees = []
        for n in range(fields["registered"]):
            name = PEOPLE[(number * 5 + n) % len(PEOPLE)]
            registration = Registration(
                event=event, name=name, email=f"{slugify(name).replace('-', '.')}.{number}@voorbeeld.example",
                status=RegistrationStatus.CONFIRMED, created_at=starts_at - timedelta(days=20 - n % 15),
                checkin_code=new_token(),
                company_name=COMPANIES[n % len(COMPANIES)] if fields["audience"] == Audience.SMES else None,
            )
            db.session.add(registration)
            if n < fields["attended"]:
                arrived = starts_at - timedelta(minutes=15) + timedelta(minutes=n)
                registration.checked_in_at, registration.checked_in_by = arrived, door
                db.session.add(CheckinLog(event=event, registration=registration, code=registration.checkin_code,
                                          nonce=f"demo-{number}-{n}", scanned_at=arrived, received_at=arrived,
                                          device="Ingang", user=door, result=CheckinResult.CHECKED_IN))
                attendees.append(registration)
        db.session.flush()
        effect_demo.answer_for_event(event, attendees, seed=number)
    db.session.flush()


SELFHELP_PAGES = [
    ("Opgelicht? Dit doet u nu", PageAudience.CITIZENS, "Geld overgemaakt aan een oplichter: de eerste stappen.",
     "## Bel direct uw bank\n\nBel het nummer op de achterkant van uw pas en vraag of de betaling nog "
     "kan worden teruggehaald. Elke minuut telt.\n\n## Doe aangifte\n\n- Online via [politie.nl]"
     "(https://www.politie.nl/aangifte-of-melding-doen)\n- Of bel 0900-8844\n\n## Waarschuw anderen\n\n"
     "Meld de oplichting bij de [Fraudehelpdesk](https://www.fraudehelpdesk.nl)."),
    ("Account gehackt", PageAudience.CITIZENS, "Iemand anders zit in uw e-mail, WhatsApp of sociale media.",
     "## Neem uw account terug\n\n1. Wijzig uw wachtwoord vanaf een ander, veilig apparaat.\n"
     "2. Zet **tweestapsverificatie** aan.\n3. Log overal uit waar u niet zelf bent ingelogd.\n\n"
     "## Waarschuw uw contacten\n\nVertel dat berichten van de afgelopen dagen misschien niet van u kwamen."),
    ("Valse factuur betaald", PageAudience.BUSINESSES, "Uw bedrijf betaalde een factuur die niet echt was.",
     "## Vandaag nog\n\n- Bel uw bank en vraag de betaling terug te halen.\n- Doe aangifte bij de politie.\n\n"
     "## Voorkom herhaling\n\nSpreek af dat een gewijzigd rekeningnummer altijd telefonisch wordt "
     "gecontroleerd, via een nummer dat u al had."),
]


def create_selfhelp_pages(organisation: Organisation) -> None:
    for title, audience, summary, body in SELFHELP_PAGES:
        create_page(organisation.id, PageData(title=title, audience=audience, summary=summary, body=body,
                                              published=True))


def create_contacts_and_campaign(organisation: Organisation) -> None:
    """Newsletter readers (with their consent records), one list, a few tags, and an invitation campaign that
    was sent: its outbox rows are marked sent as the worker would, two readers signed up through
    its links and one unsubscribed through it, so its statistics page has something to show."""
    newsletter = ContactList(organisation_id=organisation.id, name="Nieuwsbrief")
    db.session.add(newsletter)
    tags = [ContactTag(organisation_id=organisation.id, name=name)
            for name in ("Pilot Noord", "Ondernemersvereniging", "Buurtpreventie")]
    for n, name in enumerate(PEOPLE[:10]):
        status = ContactStatus.UNCONFIRMED if n == 9 else ContactStatus.SUBSCRIBED
        contact = Contact(organisation_id=organisation.id, email=reader_address(name), name=name,
                          audience=ContactAudience.SME if n % 3 == 0 else ContactAudience.CITIZEN,
                          municipality="Oosterwaarde", status=status, lists=[newsletter],
                          confirmed_at=utcnow() if status == ContactStatus.SUBSCRIBED else None,
                          tags=[tag for k, tag in enumerate(tags) if n % (k + 2) == 0])
        if status == ContactStatus.SUBSCRIBED:
            contact.consents.append(ConsentRecord(text_version=CONSENT_TEXT_VERSION,
                                                  source=ConsentSource.SUBSCRIBE_FORM))
        db.session.add(contact)
    db.session.flush()
    campaign = create_campaign(organisation, "Uitnodiging: bijeenkomsten deze maand", "invitation")
    campaign.list_id = newsletter.id
    campaign.event_ids = [event.id for event in invitation_events(organisation.id)[:3]]
    db.session.flush()
    launch(campaign.id)
    db.session.execute(sa.update(OutgoingMessage).where(OutgoingMessage.campaign_id == campaign.id)
                       .values(status=MessageStatus.SENT, attempts=1, sent_at=utcnow(), smtp_response="250 demo"))
    event = db.session.get_one(Event, campaign.event_ids[0])
    for name in PEOPLE[:2]:
        register(event.id, SignupData(name=name, email=reader_address(name),
                                      company_name=COMPANIES[0] if event.audience == Audience.SMES else None,
                                      answers={str(q.id): demo_answer(q, 0) for q in event.questions},
                                      source=source_tag(campaign)))
    unsubscribe(db.session.scalar(sa.select(Contact).where(Contact.email == reader_address(PEOPLE[5]))), campaign.id)
    finish_sent([campaign.id])


def reader_address(name: str) -> str:
    return f"{slugify(name).replace('-', '.')}@lezer.example"


def demo_answer(question: Question, n: int) -> str | list[str] | bool:
    match question.kind:
        case QuestionKind.SINGLE_CHOICE:
            return question.options[n % len(question.options)]
        case QuestionKind.MULTIPLE_CHOICE:
            return question.options[n % len(question.options):][:2]
        case QuestionKind.CHECKBOX:
            return n % 2 == 0
        case _:
            return ""


def print_accounts(accounts: list[tuple[str, str, str]]) -> None:
    width = max(len(email) for email, _, _ in accounts)
    click.echo(f"\nDemo geladen. Inloggen op /beheer/inloggen, wachtwoord voor iedereen: {DEMO_PASSWORD}\n")
    click.echo(f"{'E-mailadres'.ljust(width)}  {'Rol'.ljust(20)}  Organisatie")
    for email, role, organisation in accounts:
        click.echo(f"{email.ljust(width)}  {role.ljust(20)}  {organisation}")
