"""The audience in SQL against an independent pure-Python filter over the same contacts, for many random
combinations of conditions: the count (`recipient_count`), the recipients and the launched outbox rows."""
from __future__ import annotations

import random
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import Flask

from accounts.models import Organisation
from campaigns.models import (
    Campaign,
    ContactAudience,
    ContactList,
    ContactStatus,
    ContactTag,
    ContactTopic,
    EventRelation,
    Topic,
)
from campaigns.services.audiences import AudienceDefinition, recipient_count, recipients
from campaigns.services.sending import write_outbox_rows
from core.timeutils import utcnow
from events.models import Event, RegistrationStatus
from extensions import db
from mailing.models import OutgoingMessage
from tests.factories import make_campaign, make_contact, make_event, make_organisation, make_registration

CONTACTS = 80
COMBINATIONS = 150
LAUNCHES = 12
MUNICIPALITIES = [None, "", "Teststad", "teststad", "TESTSTAD", "Dorp", "Súdwest-Fryslân"]


@dataclass(frozen=True)
class Person:
    """What the pure-Python filter knows of a contact."""

    id: int
    status: ContactStatus
    audience: ContactAudience | None
    municipality: str | None
    topics: frozenset[Topic]
    list_ids: frozenset[int]
    tag_ids: frozenset[int]
    # event id -> (registered and not cancelled, checked in)
    events: dict[int, tuple[bool, bool]]


@dataclass(frozen=True)
class World:
    organisation_id: int
    people: list[Person]
    list_ids: list[int]
    tag_ids: list[int]
    event_ids: list[int]


def _registrations(rng: random.Random, events: list[Event], email: str) -> dict[int, tuple[bool, bool]]:
    """Random registrations of `email`, with what they mean for the filter."""
    seen: dict[int, tuple[bool, bool]] = {}
    for event in events:
        kind = rng.choice(["none", "none", "confirmed", "attended", "cancelled"])
        if kind == "none":
            continue
        status = RegistrationStatus.CANCELLED if kind == "cancelled" else RegistrationStatus.CONFIRMED
        make_registration(event, email=email, status=status, checked_in_at=utcnow() if kind == "attended" else None)
        seen[event.id] = (kind != "cancelled", kind == "attended")
    return seen


def _world(rng: random.Random) -> World:
    organisation = make_organisation()
    lists = [ContactList(organisation_id=organisation.id, name=f"Lijst {n}") for n in range(3)]
    tags = [ContactTag(organisation_id=organisation.id, name=f"Label {n}") for n in range(3)]
    db.session.add_all(lists + tags)
    db.session.commit()
    events = [make_event(organisation) for _ in range(2)]
    people = []
    for number in range(CONTACTS):
        contact = make_contact(
            organisation, email=f"lezer{number}@example.org", status=rng.choice(list(ContactStatus)),
            audience=rng.choice([None, *ContactAudience]), municipality=rng.choice(MUNICIPALITIES),
            lists=rng.sample(lists, rng.randint(0, 2)))
        contact.tags = rng.sample(tags, rng.randint(0, 2))
        topics = frozenset(rng.sample(list(Topic), rng.randint(0, 2)))
        db.session.add_all(ContactTopic(contact_id=contact.id, topic=topic) for topic in topics)
        db.session.commit()
        people.append(Person(contact.id, contact.status, contact.audience, contact.municipality, topics,
                             frozenset(group.id for group in contact.lists), frozenset(tag.id for tag in contact.tags),
                             _registrations(rng, events, contact.email)))
    make_contact(make_organisation(), email="lezer0@example.org")  # the same address in another organisation
    return World(organisation.id, people, [group.id for group in lists], [tag.id for tag in tags],
                 [event.id for event in events])


def _random_definition(rng: random.Random, world: World) -> AudienceDefinition:
    def maybe(choices: list) -> object:
        return rng.choice(choices) if rng.random() < 0.4 else None

    event_id = maybe(world.event_ids + [10**6])  # an event nobody registered for, too
    return AudienceDefinition(
        list_id=maybe(world.list_ids), audience_type=maybe(list(ContactAudience)),
        municipality=maybe(["Teststad", "TESTSTAD", "dorp", "Súdwest-Fryslân", "Nergens"]),
        topic=maybe(list(Topic)), event_id=event_id,
        event_relation=rng.choice(list(EventRelation)) if event_id is not None else maybe(list(EventRelation)),
        tag_id=maybe(world.tag_ids))


def _event_matches(person: Person, event_id: int, relation: EventRelation) -> bool:
    registered, attended = person.events.get(event_id, (False, False))
    return {EventRelation.REGISTERED: registered, EventRelation.ATTENDED: attended,
            EventRelation.ABSENT: registered and not attended}[relation]


def _expected(world: World, definition: AudienceDefinition) -> set[int]:
    """The audience's rules written out once more, in Python, without SQL."""
    def meets(person: Person) -> bool:
        return all([
            person.status == ContactStatus.SUBSCRIBED,
            definition.list_id is None or definition.list_id in person.list_ids,
            definition.tag_id is None or definition.tag_id in person.tag_ids,
            definition.audience_type is None or person.audience == definition.audience_type,
            not definition.municipality or (person.municipality or "").lower() == definition.municipality.lower(),
            definition.topic is None or definition.topic in person.topics,
            definition.event_id is None or definition.event_relation is None
            or _event_matches(person, definition.event_id, definition.event_relation),
        ])

    return {person.id for person in world.people if meets(person)}


@pytest.mark.parametrize("seed", [1404, 2026])
def test_the_count_and_the_recipients_equal_an_independent_filter(app: Flask, seed: int) -> None:
    rng = random.Random(seed)
    world = _world(rng)
    nonempty = 0
    for _ in range(COMBINATIONS):
        definition = _random_definition(rng, world)
        expected = _expected(world, definition)
        assert recipient_count(world.organisation_id, definition) == len(expected), definition
        found = [row.id for row in db.session.execute(recipients(world.organisation_id, definition))]
        assert found == sorted(expected), definition
        nonempty += bool(expected)
    assert nonempty > COMBINATIONS // 4  # the random conditions do select someone, not only nobody


def _apply(campaign: Campaign, definition: AudienceDefinition) -> None:
    for name in ("list_id", "audience_type", "municipality", "topic", "event_id", "event_relation", "tag_id"):
        setattr(campaign, name, getattr(definition, name))
    db.session.flush()


def test_a_launch_writes_exactly_the_independent_filters_recipients(app: Flask) -> None:
    rng = random.Random(77)
    world = _world(rng)
    campaign = make_campaign(db.session.get_one(Organisation, world.organisation_id))
    for _ in range(LAUNCHES):
        definition = _random_definition(rng, world)
        definition = AudienceDefinition(**{**definition.__dict__, "event_id": definition.event_id
                                          if definition.event_id in world.event_ids else None})
        _apply(campaign, definition)
        written = write_outbox_rows(campaign)
        launched = set(db.session.scalars(sa.select(OutgoingMessage.contact_id)
                                          .where(OutgoingMessage.campaign_id == campaign.id)))
        assert launched == _expected(world, definition) and written == len(launched), definition
        db.session.rollback()  # the next combination starts from an empty outbox
