"""The permission matrix: every admin route (from the URL map) × every kind of caller, with the expected answer.

Callers: anonymous, each role of organisation A on A's objects, and the admin of organisation B on A's
objects. The expected status follows from the route's declared access (`required_permission`) and
`ROLE_PERMISSIONS`, so a new route is covered the day it is added; a route whose URL parameter the
PARAMETERS table cannot fill fails here until someone adds it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from accounts.models import ROLE_PERMISSIONS, Membership, Organisation, Role, User
from campaigns.models import Campaign, Contact, ContactImport, ContactList, ContactTag, SavedTemplate
from core.permissions import Permission
from events.models import Event, Question, Registration
from extensions import db
from mailing.models import OutgoingAttachment, OutgoingMessage
from selfhelp.models import SelfHelpPage
from tests.factories import (
    login,
    make_campaign,
    make_contact,
    make_contact_list,
    make_event,
    make_import,
    make_message,
    make_organisation,
    make_question,
    make_registration,
    make_selfhelp_page,
    make_user,
)

ADMIN_PREFIX = "/beheer/"
ANONYMOUS = "anonymous"
OTHER_ORGANISATION = "admin-of-another-organisation"
CALLERS = [ANONYMOUS, *(role.value for role in Role), OTHER_ORGANISATION]
# Text only organisation A's objects carry: never on a page shown to organisation B.
A_MARKERS = ("Gemeente Alfa", "Alfa-avond", "alfa-deelnemer@example.org", "Alfa-bericht", "Alfa-campagne",
             "Alfa-lijst", "alfa-lezer@example.org", "Alfa-label", "Alfa-bestand.csv", "Alfa-zelfhulp",
             "Alfa-sjabloon")
# Plausible form fields for every POST, pointing at organisation A where a form names an organisation.
POST_FIELDS = ("name", "email", "role", "reason", "richting", "title", "label", "kind", "organisation_id",
               "organisatie", "wissen-email", "wissen-organisation_id", "wissen-confirm")


@dataclass
class World:
    organisation: Organisation
    other: Organisation
    event: Event
    registration: Registration
    question: Question
    message: OutgoingMessage
    attachment: OutgoingAttachment
    membership: Membership
    campaign: Campaign
    contact_list: ContactList
    contact: Contact
    tag: ContactTag
    contact_import: ContactImport
    selfhelp_page: SelfHelpPage
    saved_template: SavedTemplate
    users: dict[str, User]


PARAMETERS: dict[str, Callable[[World], int | str]] = {
    "event_id": lambda world: world.event.id,
    "registration_id": lambda world: world.registration.id,
    "question_id": lambda world: world.question.id,
    "message_id": lambda world: world.message.id,
    "attachment_id": lambda world: world.attachment.id,
    "organisation_id": lambda world: world.organisation.id,
    "membership_id": lambda world: world.membership.id,
    "campaign_id": lambda world: world.campaign.id,
    "list_id": lambda world: world.contact_list.id,
    "contact_id": lambda world: world.contact.id,
    "tag_id": lambda world: world.tag.id,
    "import_id": lambda world: world.contact_import.id,
    "page_id": lambda world: world.selfhelp_page.id,
    "template_id": lambda world: world.saved_template.id,
}


def admin_rules(app: Flask) -> list[Rule]:
    """Every non-public route under /beheer/ (login, password reset and invitations are public)."""
    def is_public(rule: Rule) -> bool:
        return getattr(app.view_functions[rule.endpoint], "is_public", False)

    rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith(ADMIN_PREFIX) and not is_public(rule)]
    return sorted(rules, key=lambda rule: rule.rule)


def declared_access(app: Flask, rule: Rule) -> str | None:
    return getattr(app.view_functions[rule.endpoint], "required_permission", None)


def test_every_admin_route_declares_its_access_and_has_fillable_parameters(app: Flask) -> None:
    problems = []
    for rule in admin_rules(app):
        if declared_access(app, rule) is None:
            problems.append(f"{rule.rule}: declares no access (@requires, @requires_login, ...)")
        for name in sorted(rule.arguments - PARAMETERS.keys()):
            problems.append(f"{rule.rule}: parameter <{name}> is not in PARAMETERS of "
                            "tests/test_permission_matrix.py; add a fixture for it so the route is covered")
    assert problems == []
    assert len(admin_rules(app)) > 30


def build_world() -> World:
    organisation = make_organisation(name="Gemeente Alfa")
    other = make_organisation(name="Gemeente Beta")
    event = make_event(organisation, title="Alfa-avond")
    registration = make_registration(event, email="alfa-deelnemer@example.org")
    message = make_message(organisation, subject="Alfa-bericht", registration_id=registration.id,
                           attachments=[OutgoingAttachment(filename="t.ics", content_type="text/calendar", data=b"X")])
    users = {role.value: make_user(organisation, role) for role in Role}
    users[OTHER_ORGANISATION] = make_user(other, Role.ADMIN)
    colleague = make_user(organisation, Role.ORGANISER)
    contact_list = make_contact_list(organisation, name="Alfa-lijst")
    tag = ContactTag(organisation_id=organisation.id, name="Alfa-label")
    db.session.add(tag)
    contact = make_contact(organisation, email="alfa-lezer@example.org", lists=[contact_list])
    contact.tags = [tag]
    saved_template = SavedTemplate(organisation_id=organisation.id, name="Alfa-sjabloon", mjml_source="<mjml></mjml>")
    db.session.add(saved_template)
    db.session.commit()
    return World(
        organisation=organisation, other=other, event=event, registration=registration,
        question=make_question(event), message=message, attachment=message.attachments[0],
        membership=db.session.scalar(sa.select(Membership).where(Membership.user_id == colleague.id)),
        campaign=make_campaign(organisation, name="Alfa-campagne"), contact_list=contact_list, contact=contact,
        tag=tag, contact_import=make_import(organisation, filename="Alfa-bestand.csv"),
        selfhelp_page=make_selfhelp_page(organisation, title="Alfa-zelfhulp"), saved_template=saved_template, users=users,
    )


def url_for_rule(rule: Rule, world: World) -> str:
    values = {name: PARAMETERS[name](world) for name in rule.arguments}
    return rule.build(values, append_unknown=False)[1]


def post_data(world: World) -> dict[str, Any]:
    values = {"role": "admin", "richting": "omhoog", "kind": "short_text", "wissen-confirm": "y"}
    data = {name: values.get(name, "Indringer") for name in POST_FIELDS}
    data |= {name: world.organisation.id for name in ("organisation_id", "organisatie", "wissen-organisation_id")}
    data |= {"email": "alfa-deelnemer@example.org", "wissen-email": "alfa-deelnemer@example.org"}
    return data


def allowed(access: str, role: Role) -> bool:
    if access == "login":
        return True
    if access == "regional_admin":
        return False
    return Permission(access) in ROLE_PERMISSIONS[role]


def expected_statuses(access: str, caller: str, rule: Rule) -> set[int]:
    """What a GET must answer; 200 for another organisation's admin means "allowed, but none of A's data"."""
    if caller == ANONYMOUS:
        return {302}
    if caller == OTHER_ORGANISATION:
        if access == "regional_admin":
            return {403}
        return {403, 404} if rule.arguments else {200}
    return {200} if allowed(access, Role(caller)) else {403}


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table: a refused request must leave all of them as they were."""
    db.session.expire_all()
    with db.engine.connect() as connection:
        return {table.name: sorted(map(tuple, connection.execute(table.select())), key=repr)
                for table in db.metadata.sorted_tables}


def check_get(client: FlaskClient, caller: str, access: str, rule: Rule, world: World) -> str | None:
    url = url_for_rule(rule, world)
    response = client.get(url)
    expected = expected_statuses(access, caller, rule)
    if response.status_code not in expected:
        return f"GET {url} as {caller}: {response.status_code}, expected {sorted(expected)} ({access})"
    if caller == ANONYMOUS and "/beheer/inloggen" not in response.headers.get("Location", ""):
        return f"GET {url} as {caller}: redirect to {response.headers.get('Location')}, not the login page"
    if caller == OTHER_ORGANISATION:
        leaked = [marker for marker in A_MARKERS if marker in response.get_data(as_text=True)]
        if leaked:
            return f"GET {url} as {caller}: shows organisation A's {leaked}"
    return None


def post_is_refused(caller: str, access: str, rule: Rule) -> bool:
    """Whether this caller must be refused a POST here (callers allowed to POST are not exercised)."""
    if caller in (ANONYMOUS, OTHER_ORGANISATION):
        return caller == ANONYMOUS or access != "login"
    return not allowed(access, Role(caller))


def check_post(client: FlaskClient, caller: str, access: str, rule: Rule, world: World) -> str | None:
    url = url_for_rule(rule, world)
    before = snapshot()
    response = client.post(url, data=post_data(world))
    refused = {302} if caller == ANONYMOUS else {403, 404} if rule.arguments or caller != OTHER_ORGANISATION \
        else {400, 403, 404}
    if response.status_code not in refused:
        return f"POST {url} as {caller}: {response.status_code}, expected a refusal {sorted(refused)} ({access})"
    if caller == ANONYMOUS and "/beheer/inloggen" not in response.headers.get("Location", ""):
        return f"POST {url} as {caller}: redirect to {response.headers.get('Location')}, not the login page"
    changed = [name for name, rows in snapshot().items() if rows != before[name]]
    if changed:
        return f"POST {url} as {caller}: refused but changed {changed}"
    return None


@pytest.mark.parametrize("caller", CALLERS)
def test_admin_routes_answer_each_caller_as_their_declared_permission_says(
    app: Flask, client: FlaskClient, caller: str
) -> None:
    world = build_world()
    if caller != ANONYMOUS:
        login(client, world.users[caller])
    rules = [rule for rule in admin_rules(app)
             if declared_access(app, rule) and not rule.arguments - PARAMETERS.keys()]
    failures = []
    for rule in rules:
        access = str(declared_access(app, rule))
        if "GET" in rule.methods:
            failures.append(check_get(client, caller, access, rule, world))
        if "POST" in rule.methods and post_is_refused(caller, access, rule):
            failures.append(check_post(client, caller, access, rule, world))
    assert [failure for failure in failures if failure] == []


LONG_NUMBER = "9" * 4301  # past Python's int() limit for strings (4,300 digits)
NUMBER_FIELDS = ("organisatie", "organisation_id", "pagina", "event_ids", "list_id", "tag_id", "contact_ids",
                 "kolom", "periode", "actie", "wissen-organisation_id")


@pytest.mark.parametrize("caller", [Role.ADMIN.value, Role.COMMUNICATIONS.value])
def test_an_absurd_number_in_any_field_of_any_admin_route_is_never_a_500(
    app: Flask, client: FlaskClient, caller: str
) -> None:
    """Attack: `organisatie=` with 4,301 digits once gave ValueError → 500 on the contact pages."""
    world = build_world()
    login(client, world.users[caller])
    hostile = {name: LONG_NUMBER for name in (*POST_FIELDS, *NUMBER_FIELDS)}
    failures = []
    for rule in admin_rules(app):
        if rule.arguments - PARAMETERS.keys() or rule.endpoint == "accounts.logout":
            continue
        url = url_for_rule(rule, world)
        answers = []
        if "GET" in rule.methods:
            answers.append(("GET", client.get(url, query_string=hostile)))
        if "POST" in rule.methods:
            answers.append(("POST", client.post(url, data=hostile, query_string={"organisatie": LONG_NUMBER})))
        failures += [f"{method} {url}: {response.status_code}" for method, response in answers if response.status_code >= 500]
    assert failures == []
