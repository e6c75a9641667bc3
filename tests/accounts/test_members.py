"""Users of an organisation: listing, invitations, role changes, removal, last-admin rule, access."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from accounts.models import Membership, Organisation, Role, User
from extensions import db
from tests.factories import as_sent, login, make_organisation, make_user, outbox

NEW_PASSWORD = "mijn eigen sterke wachtwoord"


def members_url(organisation: Organisation) -> str:
    return f"/beheer/organisaties/{organisation.id}/gebruikers"


def membership_of(user: User, organisation: Organisation) -> Membership | None:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(Membership).where(Membership.user_id == user.id, Membership.organisation_id == organisation.id)
    )


def invitee(**extra: str) -> dict[str, str]:
    return {"name": "Piet Jansen", "email": "piet@example.org", "role": "organiser"} | extra


@pytest.fixture
def organisation() -> Organisation:
    return make_organisation()


@pytest.fixture
def admin_client(client: FlaskClient, organisation: Organisation) -> FlaskClient:
    login(client, make_user(organisation, Role.ADMIN))
    return client


def test_admin_sees_the_members_and_their_roles(admin_client: FlaskClient, organisation: Organisation) -> None:
    organiser = make_user(organisation, Role.ORGANISER, name="Olga Organisator")
    page = admin_client.get(members_url(organisation)).get_data(as_text=True)
    assert "Olga Organisator" in page and organiser.email in page
    assert re.search(r'<option value="organiser" selected>Organisator</option>', page)


def test_invited_new_user_sets_name_and_password_and_logs_in(
    app: Flask, admin_client: FlaskClient, organisation: Organisation
) -> None:
    response = admin_client.post(members_url(organisation), data=invitee())
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "piet@example.org"))
    assert user.password_hash is None
    assert membership_of(user, organisation).role == Role.ORGANISER
    (message,) = outbox("invitation")
    assert message.to_address == "piet@example.org" and message.organisation_id == organisation.id
    assert message.from_address == organisation.mail_from_address
    link = re.search(r"http://localhost(/beheer/uitnodiging/[^\s>]+)", as_sent(message).text).group(1)

    invited = app.test_client()
    with app.app_context():  # the invitee's own context: the admin's login is not cached in `g`
        assert invited.post("/beheer/inloggen", data={"email": user.email, "password": NEW_PASSWORD}).status_code == 400
        assert "Piet Jansen" in invited.get(link).get_data(as_text=True)
        form = {"name": "Piet J. Jansen", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
        assert invited.post(link, data=form).status_code == 302
        assert invited.get("/beheer/").get_data(as_text=True).count("Piet J. Jansen") >= 1
        assert invited.post(link, data=form).status_code == 410
        invited.post("/beheer/uitloggen")
        login(invited, user, NEW_PASSWORD)


def test_invitation_password_follows_the_same_rules(admin_client: FlaskClient, organisation: Organisation) -> None:
    admin_client.post(members_url(organisation), data=invitee())
    (message,) = outbox("invitation")
    link = re.search(r"(/beheer/uitnodiging/[^\s>]+)", as_sent(message).text).group(1)
    response = admin_client.post(link, data={"name": "Piet", "password": "kort", "password_again": "kort"})
    assert response.status_code == 400 and "12 tot 200 tekens" in response.get_data(as_text=True)
    response = admin_client.post(link, data={"name": "", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert response.status_code == 400 and "Vul een naam in" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(User).where(User.email == "piet@example.org")).password_hash is None


def test_expired_invitation_answers_410(app: Flask, admin_client: FlaskClient, organisation: Organisation) -> None:
    admin_client.post(members_url(organisation), data=invitee())
    link = re.search(r"(/beheer/uitnodiging/[^\s>]+)", as_sent(outbox("invitation")[0]).text).group(1)
    app.config["INVITATION_MAX_AGE_SECONDS"] = -1  # every token is older than that
    assert admin_client.get(link).status_code == 410


def test_existing_user_is_added_and_gets_a_notice_with_the_login_link(
    admin_client: FlaskClient, organisation: Organisation
) -> None:
    elsewhere = make_user(make_organisation(), Role.ADMIN)
    response = admin_client.post(members_url(organisation), data=invitee(email=elsewhere.email.upper(), role="checkin"))
    assert response.status_code == 302
    assert membership_of(elsewhere, organisation).role == Role.CHECKIN
    assert outbox("invitation") == []
    (notice,) = outbox("added_to_organisation")
    assert notice.to_address == elsewhere.email
    assert "http://localhost/beheer/inloggen" in notice.text_body
    assert db.session.get(User, elsewhere.id).name != "Piet Jansen"


def test_user_invited_elsewhere_without_a_password_gets_a_new_invitation_link(
    admin_client: FlaskClient, organisation: Organisation
) -> None:
    pending = make_user(make_organisation(), Role.ORGANISER)
    pending.password_hash = None  # invited there, not yet accepted
    db.session.commit()
    admin_client.post(members_url(organisation), data=invitee(email=pending.email))
    (message,) = outbox("invitation")
    assert message.to_address == pending.email and "/beheer/uitnodiging/" in as_sent(message).text


def test_inviting_an_existing_member_is_a_409(admin_client: FlaskClient, organisation: Organisation) -> None:
    member = make_user(organisation, Role.ORGANISER)
    response = admin_client.post(members_url(organisation), data=invitee(email=member.email, role="admin"))
    assert response.status_code == 409
    assert "is al lid van" in response.get_data(as_text=True)
    assert membership_of(member, organisation).role == Role.ORGANISER
    assert outbox() == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (invitee(name=""), "Vul een naam in."),
        (invitee(email="geen-adres"), "Dit is geen geldig e-mailadres."),
        (invitee(name="x" * 201), "200"),
        (invitee(role="keizer"), "Kies een van de aangeboden mogelijkheden."),
    ],
)
def test_invalid_invitation_is_a_400_and_stores_nothing(
    admin_client: FlaskClient, organisation: Organisation, data: dict[str, str], message: str
) -> None:
    response = admin_client.post(members_url(organisation), data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1
    assert outbox() == []


def test_line_breaks_in_an_invited_name_never_reach_a_mail_header(
    admin_client: FlaskClient, organisation: Organisation
) -> None:
    admin_client.post(members_url(organisation), data=invitee(name="Piet\r\nBcc: victim@example.org"))
    (message,) = outbox("invitation")
    assert "\n" not in message.to_name and "\r" not in message.to_name
    assert message.to_name == "Piet Bcc: victim@example.org"


def test_admin_changes_a_role(admin_client: FlaskClient, organisation: Organisation) -> None:
    member = make_user(organisation, Role.ORGANISER)
    membership = membership_of(member, organisation)
    response = admin_client.post(f"{members_url(organisation)}/{membership.id}/rol", data={"role": "communications"})
    assert response.status_code == 302
    assert membership_of(member, organisation).role == Role.COMMUNICATIONS


def test_unknown_role_is_a_400_and_changes_nothing(admin_client: FlaskClient, organisation: Organisation) -> None:
    member = make_user(organisation, Role.ORGANISER)
    membership = membership_of(member, organisation)
    response = admin_client.post(f"{members_url(organisation)}/{membership.id}/rol", data={"role": "keizer"})
    assert response.status_code == 400
    assert "Kies een van de aangeboden mogelijkheden." in response.get_data(as_text=True)
    assert membership_of(member, organisation).role == Role.ORGANISER


def test_admin_removes_a_member(admin_client: FlaskClient, organisation: Organisation) -> None:
    member = make_user(organisation, Role.ORGANISER)
    membership = membership_of(member, organisation)
    assert admin_client.post(f"{members_url(organisation)}/{membership.id}/verwijderen").status_code == 302
    assert membership_of(member, organisation) is None
    assert db.session.get(User, member.id) is not None


def test_last_admin_cannot_be_demoted_or_removed(client: FlaskClient, organisation: Organisation) -> None:
    admin = make_user(organisation, Role.ADMIN)
    login(client, admin)
    membership = membership_of(admin, organisation)
    demoted = client.post(f"{members_url(organisation)}/{membership.id}/rol", data={"role": "organiser"})
    removed = client.post(f"{members_url(organisation)}/{membership.id}/verwijderen")
    for response in (demoted, removed):
        assert response.status_code == 409
        assert "minstens één beheerder" in response.get_data(as_text=True)
    assert membership_of(admin, organisation).role == Role.ADMIN


def test_an_admin_may_step_down_when_another_admin_remains(client: FlaskClient, organisation: Organisation) -> None:
    admin = make_user(organisation, Role.ADMIN)
    make_user(organisation, Role.ADMIN)
    login(client, admin)
    membership = membership_of(admin, organisation)
    response = client.post(f"{members_url(organisation)}/{membership.id}/rol", data={"role": "organiser"})
    assert response.status_code == 302
    assert membership_of(admin, organisation).role == Role.ORGANISER


def test_regional_admin_manages_any_organisations_users(client: FlaskClient, organisation: Organisation) -> None:
    login(client, make_user(regional_admin=True))
    assert client.get(members_url(organisation)).status_code == 200
    assert client.post(members_url(organisation), data=invitee()).status_code == 302


@pytest.mark.parametrize("role", [Role.ORGANISER, Role.COMMUNICATIONS, Role.CHECKIN])
def test_other_roles_get_403(client: FlaskClient, organisation: Organisation, role: Role) -> None:
    member = make_user(organisation, role)
    login(client, member)
    membership = membership_of(member, organisation)
    assert client.get(members_url(organisation)).status_code == 403
    assert client.post(members_url(organisation), data=invitee()).status_code == 403
    assert client.post(f"{members_url(organisation)}/{membership.id}/rol", data={"role": "admin"}).status_code == 403
    assert client.post(f"{members_url(organisation)}/{membership.id}/verwijderen").status_code == 403
    assert membership_of(member, organisation).role == role


def test_admin_of_another_organisation_gets_404(client: FlaskClient, organisation: Organisation) -> None:
    member = make_user(organisation, Role.ORGANISER)
    membership = membership_of(member, organisation)
    login(client, make_user(make_organisation(), Role.ADMIN))
    assert client.get(members_url(organisation)).status_code == 404
    assert client.post(members_url(organisation), data=invitee()).status_code == 404
    assert client.post(f"{members_url(organisation)}/{membership.id}/rol", data={"role": "admin"}).status_code == 404
    assert client.post(f"{members_url(organisation)}/{membership.id}/verwijderen").status_code == 404
    assert membership_of(member, organisation).role == Role.ORGANISER
    assert outbox() == []


def test_membership_of_another_organisation_is_404_under_own_url(
    admin_client: FlaskClient, organisation: Organisation
) -> None:
    other = make_organisation()
    stranger = make_user(other, Role.ORGANISER)
    membership = membership_of(stranger, other)
    response = admin_client.post(f"{members_url(organisation)}/{membership.id}/verwijderen")
    assert response.status_code == 404
    assert membership_of(stranger, other) is not None
