"""One unit of work per request (core/db.py): committed once after a good answer, rolled back on a 4xx
or an exception (before the error page renders); commands use the same helper explicitly."""
from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from accounts.models import Organisation, Role
from core.audit import AuditEntry
from core.db import after_commit, unit_of_work
from events.models import EventStatus
from extensions import db
from tests import conftest
from tests.campaigns.helpers import signed_in
from tests.factories import login, make_campaign, make_contact, make_event, make_import, make_organisation, make_user


def committed_count(model: type, *conditions: sa.ColumnElement[bool]) -> int:
    """Counted on a connection of its own: only what was committed."""
    with db.engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).select_from(model).where(*conditions))


def audit_entries(action: str) -> int:
    return committed_count(AuditEntry, AuditEntry.action == action)


def test_every_view_is_one_unit_of_work(app: Flask) -> None:
    """A route registered after `register_unit_of_work` would commit nothing: the factory registers it last."""
    outside = [endpoint for endpoint, view in app.view_functions.items() if not getattr(view, "is_unit_of_work", False)]
    assert outside == []


def test_a_good_answer_is_committed_once_the_view_returned(client: FlaskClient) -> None:
    organisation = make_organisation()
    event = make_event(organisation, status=EventStatus.DRAFT)
    login(client, make_user(organisation, Role.ORGANISER))
    assert client.post(f"/beheer/evenementen/{event.id}/publiceren").status_code == 302
    assert committed_count(type(event), type(event).id == event.id, type(event).status == EventStatus.PUBLISHED) == 1


def test_a_view_that_fails_after_writing_commits_nothing(app: Flask, client: FlaskClient,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False  # the 500 page, as in production
    organisation = make_organisation()
    event = make_event(organisation, status=EventStatus.DRAFT)
    login(client, make_user(organisation, Role.ORGANISER))

    def broken_flash(*_args: object) -> None:
        raise RuntimeError("after the change, before the answer")

    monkeypatch.setattr("events.views.admin.flash", broken_flash)
    response = client.post(f"/beheer/evenementen/{event.id}/publiceren")
    assert response.status_code == 500 and "Er ging iets mis aan onze kant" in response.get_data(as_text=True)
    assert committed_count(type(event), type(event).id == event.id, type(event).status == EventStatus.DRAFT) == 1


def test_a_page_that_fails_leaves_no_audit_entry_for_what_nobody_saw(app: Flask, client: FlaskClient,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    organisation = make_organisation()
    contact = make_contact(organisation)
    signed_in(client, organisation)
    assert client.get(f"/beheer/contacten/{contact.id}").status_code == 200
    assert audit_entries("contact.viewed") == 1

    def broken_render(*_args: object, **_kwargs: object) -> str:
        raise RuntimeError("the page could not be rendered")

    monkeypatch.setattr("campaigns.views.contact.render_template", broken_render)
    assert client.get(f"/beheer/contacten/{contact.id}").status_code == 500
    assert audit_entries("contact.viewed") == 1


def test_an_answer_of_400_stores_nothing_the_view_wrote(client: FlaskClient) -> None:
    """The mapping page records that the file was previewed; a refused mapping (no e-mail column) is a 400
    and its record goes with the rest of the request."""
    organisation = make_organisation()
    job = make_import(organisation)
    signed_in(client, organisation)
    assert client.get(f"/beheer/contacten/import/{job.id}/kolommen").status_code == 200
    assert audit_entries("contacts.import_previewed") == 1
    refused = client.post(f"/beheer/contacten/import/{job.id}/kolommen", data={"kolom_email": ""})
    assert refused.status_code == 400 and "e-mailadres" in refused.get_data(as_text=True)
    assert audit_entries("contacts.import_previewed") == 1


def test_a_refused_change_is_undone_before_its_page_is_shown(client: FlaskClient) -> None:
    """Removing the last admin is recorded in the audit log first, then refused by the service: the page
    (409) shows the member still there, and neither the removal nor its audit entry is stored."""
    organisation = make_organisation()
    admin = make_user(organisation, Role.ADMIN)
    login(client, admin)
    (membership,) = admin.memberships
    response = client.post(f"/beheer/organisaties/{organisation.id}/gebruikers/{membership.id}/verwijderen")
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "minstens één beheerder" in page and admin.email in page
    assert audit_entries("member.removed") == 0
    assert committed_count(type(membership), type(membership).id == membership.id) == 1


def test_a_domain_error_a_view_lets_through_becomes_its_page(client: FlaskClient) -> None:
    """CampaignError is a 409 with its own message (app.refusal_codes), after the rollback."""
    organisation = make_organisation()
    make_contact(organisation)
    campaign = make_campaign(organisation)
    signed_in(client, organisation)
    response = client.post(f"/beheer/campagnes/{campaign.id}/pauzeren")
    assert response.status_code == 409
    assert "Alleen een campagne die verstuurd wordt kan worden gepauzeerd." in response.get_data(as_text=True)


def test_unit_of_work_commits_the_block_and_rolls_back_on_an_exception_or_discard(app: Flask) -> None:
    with unit_of_work():
        db.session.add(Organisation(name="Bewaard", slug="bewaard"))
    with pytest.raises(RuntimeError), unit_of_work():
        db.session.add(Organisation(name="Fout", slug="fout"))
        db.session.flush()
        raise RuntimeError
    with unit_of_work() as work:
        db.session.add(Organisation(name="Proef", slug="proef"))
        work.discard()
    assert [row.slug for row in db.session.scalars(sa.select(Organisation))] == ["bewaard"]
    assert committed_count(Organisation) == 1


def test_after_commit_runs_once_the_work_is_committed_and_never_after_a_rollback(app: Flask) -> None:
    ran: list[str] = []

    def later(name: str) -> Callable[[], None]:
        return lambda: ran.append(f"{name}: {committed_count(Organisation)} committed")

    with unit_of_work():
        db.session.add(Organisation(name="Een", slug="een"))
        after_commit(later("committed"))
        db.session.flush()
        assert ran == []
    with pytest.raises(RuntimeError), unit_of_work():
        after_commit(later("failed"))
        raise RuntimeError
    with unit_of_work() as work:
        after_commit(later("discarded"))
        work.discard()
    with unit_of_work():
        db.session.add(Organisation(name="Twee", slug="twee"))
    assert ran == ["committed: 1 committed"]


def test_the_suites_guard_catches_a_get_that_writes(app_with: Callable[..., Flask],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The negative control of conftest's guard: a tracked click (a GET that writes by design) is caught
    once it is no longer on the list of allowed ones."""
    import re

    from tests.campaigns.test_click_tracking import launch_with_link

    other = app_with()
    monkeypatch.setattr(conftest, "WRITING_GET_ENDPOINTS", set())
    with other.app_context(), conftest.refusing_writes_in_get_requests() as writes:
        client = other.test_client()
        _campaign, mail = launch_with_link(client, track=True)
        (link,) = re.findall(r'href="http://localhost(/nieuwsbrief/klik/[^"]+)"[^>]*>Meer tips', mail.html)
        assert client.get(link).status_code == 302
    assert len(writes) == 1 and "UPDATE campaign_links" in writes[0] and writes[0].startswith("GET /nieuwsbrief/klik/")
