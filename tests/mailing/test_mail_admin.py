"""The outbox pages and the mail catcher: scoping, roles, retry/cancel rules, the sandboxed HTML."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.http import parse_options_header

from accounts.models import Organisation, Role, User
from core.timeutils import utcnow
from extensions import db
from mailing.models import MessageStatus, OutgoingAttachment, OutgoingMessage
from tests.conftest import QueryCounter
from tests.factories import login, make_event, make_message, make_organisation, make_user, outbox, signup_url


@pytest.fixture
def organisation() -> Organisation:
    return make_organisation()


@pytest.fixture
def admin(client: FlaskClient, organisation: Organisation) -> User:
    user = make_user(organisation, Role.ADMIN)
    login(client, user)
    return user


def reloaded(message: OutgoingMessage) -> OutgoingMessage:
    db.session.expire_all()
    return db.session.get_one(OutgoingMessage, message.id)


def page(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_overview_counts_messages_by_status_and_shows_failures_with_their_error(
    client: FlaskClient, organisation: Organisation, admin: User
) -> None:
    make_message(organisation, status=MessageStatus.SENT)
    make_message(organisation, status=MessageStatus.SENT)
    make_message(organisation, status=MessageStatus.FAILED, subject="Kapot bericht",
                 last_error="550 5.1.1 mailbox unavailable", smtp_response="550 5.1.1 <x@example.org>: no such user")
    html = page(client, "/beheer/mail/")
    assert "Verstuurd</a></th>\n          <td class=\"utrecht-table__cell\">2</td>" in html
    assert "Mislukt</a></th>\n          <td class=\"utrecht-table__cell\">1</td>" in html
    assert "Mislukte berichten" in html
    assert "550 5.1.1 mailbox unavailable" in html and "no such user" in html


def test_list_is_newest_first_and_filters_by_status_template_and_recipient(
    client: FlaskClient, organisation: Organisation, admin: User
) -> None:
    now = utcnow()
    make_message(organisation, subject="Oudste", created_at=now - timedelta(hours=2))
    make_message(organisation, subject="Nieuwste", created_at=now, status=MessageStatus.SENT)
    make_message(organisation, subject="Wachtlijst", template="registration_waitlisted",
                 to_name="Piet Jansen", to_address="piet@example.org", created_at=now - timedelta(hours=1))
    html = page(client, "/beheer/mail/")
    assert html.index("Nieuwste") < html.index("Wachtlijst") < html.index("Oudste")
    sent_only = page(client, "/beheer/mail/?status=sent")
    assert "Nieuwste" in sent_only and "Oudste" not in sent_only
    waitlisted = page(client, "/beheer/mail/?sjabloon=registration_waitlisted")
    assert "Wachtlijst" in waitlisted and "Nieuwste" not in waitlisted
    by_name = page(client, "/beheer/mail/?ontvanger=jANSEN")
    assert "Wachtlijst" in by_name and "Oudste" not in by_name
    assert "Wachtlijst" not in page(client, "/beheer/mail/?ontvanger=%25")  # a LIKE wildcard is literal


def test_list_is_paginated(client: FlaskClient, organisation: Organisation, admin: User) -> None:
    for n in range(51):
        make_message(organisation, subject=f"Bericht nummer {n:02d}", created_at=utcnow() + timedelta(seconds=n))
    first = page(client, "/beheer/mail/")
    assert "Bericht nummer 50" in first and "Bericht nummer 00" not in first
    assert "Pagina 1 van 2" in first
    assert "Bericht nummer 00" in page(client, "/beheer/mail/?pagina=2")
    assert client.get("/beheer/mail/?pagina=0").status_code == 404


@pytest.mark.parametrize("url", [
    "/beheer/mail/99999999999999999999",
    "/beheer/mail/2147483648/html",
    "/beheer/mail/{id}/bijlagen/2147483648",
    "/beheer/mail/?organisatie=%C2%B2",
    "/beheer/mail/?organisatie=99999999999999999999",
    "/beheer/mail/?organisatie=x",
])
def test_numbers_out_of_range_are_404_not_500(
    client: FlaskClient, organisation: Organisation, admin: User, url: str
) -> None:
    message = make_message(organisation)
    assert client.get(url.format(id=message.id)).status_code == 404


def test_a_page_beyond_the_last_is_empty(client: FlaskClient, organisation: Organisation, admin: User) -> None:
    make_message(organisation, subject="Het enige bericht")
    html = page(client, "/beheer/mail/?pagina=7")
    assert "Het enige bericht" not in html and "Er zijn geen berichten" in html


def test_user_never_sees_another_organisations_messages(
    client: FlaskClient, organisation: Organisation, admin: User
) -> None:
    other = make_organisation()
    attachment = OutgoingAttachment(filename="uitnodiging.ics", content_type="text/calendar", data=b"BEGIN")
    theirs = make_message(other, subject="Bericht van de buren", status=MessageStatus.FAILED,
                          attachments=[attachment])
    queued = make_message(other, subject="Wachtend bij de buren")
    system = make_message(None, subject="Wachtwoord herstellen", template="password_reset")
    make_message(organisation, subject="Ons eigen bericht")
    html = page(client, "/beheer/mail/")
    assert "Ons eigen bericht" in html
    assert "buren" not in html and "Wachtwoord herstellen" not in html
    for url in (
        f"/beheer/mail/?organisatie={other.id}",
        "/beheer/mail/?organisatie=systeem",
        f"/beheer/mail/{theirs.id}",
        f"/beheer/mail/{theirs.id}/html",
        f"/beheer/mail/{theirs.id}/bijlagen/{attachment.id}",
        f"/beheer/mail/{system.id}",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/beheer/mail/{theirs.id}/opnieuw").status_code == 404
    assert client.post(f"/beheer/mail/{queued.id}/annuleren").status_code == 404
    assert client.post("/beheer/mail/opnieuw", data={"organisatie": other.id}).status_code == 404
    assert reloaded(theirs).status == MessageStatus.FAILED
    assert reloaded(queued).status == MessageStatus.QUEUED


def test_attachment_of_another_message_is_not_found(
    client: FlaskClient, organisation: Organisation, admin: User
) -> None:
    own = make_message(organisation)
    attachment = OutgoingAttachment(filename="uitnodiging.ics", content_type="text/calendar", data=b"BEGIN")
    make_message(make_organisation(), attachments=[attachment])
    assert client.get(f"/beheer/mail/{own.id}/bijlagen/{attachment.id}").status_code == 404


def test_regional_admin_sees_every_organisation_and_the_system_mail(
    client: FlaskClient, organisation: Organisation
) -> None:
    login(client, make_user(regional_admin=True))
    theirs = make_message(organisation, subject="Bericht van de gemeente")
    system = make_message(None, subject="Wachtwoord herstellen", template="password_reset")
    assert "Bericht van de gemeente" in page(client, f"/beheer/mail/?organisatie={organisation.id}")
    assert "Wachtwoord herstellen" in page(client, "/beheer/mail/?organisatie=systeem")
    assert "Wachtwoord herstellen" in page(client, f"/beheer/mail/{system.id}")
    assert "Bericht van de gemeente" in page(client, f"/beheer/mail/{theirs.id}")


@pytest.mark.parametrize("role", [Role.ORGANISER, Role.CHECKIN])
def test_only_admins_and_communication_officers_may_view_mail(
        client: FlaskClient, organisation: Organisation, role: Role) -> None:
    message = make_message(organisation, status=MessageStatus.FAILED)
    login(client, make_user(organisation, role))
    for url in ("/beheer/mail/", f"/beheer/mail/{message.id}", f"/beheer/mail/{message.id}/html"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/beheer/mail/{message.id}/opnieuw").status_code == 403
    assert reloaded(message).status == MessageStatus.FAILED


def test_anonymous_visitor_is_sent_to_login(client: FlaskClient, organisation: Organisation) -> None:
    message = make_message(organisation)
    response = client.get(f"/beheer/mail/{message.id}/html")
    assert response.status_code == 302 and "/beheer/inloggen" in response.headers["Location"]


def test_retry_queues_a_failed_message_now_and_keeps_its_last_error(
    client: FlaskClient, organisation: Organisation, admin: User
) -> None:
    message = make_message(organisation, status=MessageStatus.FAILED, attempts=5, last_error="421 try later",
                           next_attempt_at=utcnow() + timedelta(days=1))
    response = client.post(f"/beheer/mail/{message.id}/opnieuw")
    assert response.status_code == 302
    retried = reloaded(message)
    assert retried.status == MessageStatus.QUEUED
    assert retried.next_attempt_at <= utcnow()
    assert retried.last_error == "421 try later"


@pytest.mark.parametrize("status", [MessageStatus.SENT, MessageStatus.QUEUED, MessageStatus.SENDING,
                                    MessageStatus.CANCELLED])
def test_retrying_a_message_that_did_not_fail_is_409_with_a_message(
    client: FlaskClient, organisation: Organisation, admin: User, status: MessageStatus
) -> None:
    message = make_message(organisation, status=status)
    response = client.post(f"/beheer/mail/{message.id}/opnieuw")
    assert response.status_code == 409
    assert "Alleen een mislukt bericht" in response.get_data(as_text=True)
    assert reloaded(message).status == status


def test_retry_needs_the_csrf_token_of_the_page(
    app: Flask, client: FlaskClient, organisation: Organisation, admin: User
) -> None:
    message = make_message(organisation, status=MessageStatus.FAILED)
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(f"/beheer/mail/{message.id}/opnieuw").status_code == 400
    assert client.post("/beheer/mail/opnieuw", data={"organisatie": organisation.id}).status_code == 400
    assert reloaded(message).status == MessageStatus.FAILED
    token = re.search(r'name="csrf_token" value="([^"]+)"', page(client, f"/beheer/mail/{message.id}")).group(1)
    assert client.post(f"/beheer/mail/{message.id}/opnieuw", data={"csrf_token": token}).status_code == 302
    assert reloaded(message).status == MessageStatus.QUEUED


def test_retry_all_requeues_only_this_organisations_failures(
    client: FlaskClient, organisation: Organisation, admin: User
) -> None:
    failed = [make_message(organisation, status=MessageStatus.FAILED) for _ in range(3)]
    sent = make_message(organisation, status=MessageStatus.SENT)
    elsewhere = make_message(make_organisation(), status=MessageStatus.FAILED)
    response = client.post("/beheer/mail/opnieuw", data={"organisatie": organisation.id}, follow_redirects=True)
    assert "3 mislukte berichten staan weer in de wachtrij" in response.get_data(as_text=True)
    assert [reloaded(m).status for m in failed] == [MessageStatus.QUEUED] * 3
    assert reloaded(sent).status == MessageStatus.SENT
    assert reloaded(elsewhere).status == MessageStatus.FAILED


def test_retry_all_without_a_chosen_organisation_is_400(
    client: FlaskClient, organisation: Organisation, admin: User
) -> None:
    failed = make_message(organisation, status=MessageStatus.FAILED)
    assert client.post("/beheer/mail/opnieuw").status_code == 400
    assert reloaded(failed).status == MessageStatus.FAILED


def test_cancel_stops_a_queued_message(client: FlaskClient, organisation: Organisation, admin: User) -> None:
    message = make_message(organisation)
    assert client.post(f"/beheer/mail/{message.id}/annuleren").status_code == 302
    assert reloaded(message).status == MessageStatus.CANCELLED


@pytest.mark.parametrize("status", [MessageStatus.SENT, MessageStatus.SENDING, MessageStatus.FAILED])
def test_cancelling_a_message_that_is_not_queued_is_409(
    client: FlaskClient, organisation: Organisation, admin: User, status: MessageStatus
) -> None:
    message = make_message(organisation, status=status)
    response = client.post(f"/beheer/mail/{message.id}/annuleren")
    assert response.status_code == 409
    assert "wachtrij" in response.get_data(as_text=True)
    assert reloaded(message).status == status


def test_message_page_shows_headers_text_and_html_in_a_sandboxed_frame(
    client: FlaskClient, organisation: Organisation, admin: User
) -> None:
    message = make_message(
        organisation,
        from_name="Gemeente Test", from_address="noreply@gemeente.example", to_name="Anna de Vries",
        to_address="anna@example.org", reply_to="events@gemeente.example", subject="Aanmelding <bevestigd>",
        message_id="<abc123@gemeente.example>", headers={"List-Unsubscribe": "<https://x.example/afmelden>"},
        text_body="Beste Anna,\n\n<script>alert(1)</script>", html_body="<p>Hallo</p><script>alert(1)</script>",
    )
    html = page(client, f"/beheer/mail/{message.id}")
    assert "Gemeente Test &lt;noreply@gemeente.example&gt;" in html
    assert "Anna de Vries &lt;anna@example.org&gt;" in html
    assert "events@gemeente.example" in html and "Aanmelding &lt;bevestigd&gt;" in html
    assert "&lt;abc123@gemeente.example&gt;" in html
    assert "List-Unsubscribe" in html and "&lt;https://x.example/afmelden&gt;" in html
    assert '<pre class="mail-text">Beste Anna,\n\n&lt;script&gt;' in html
    assert "<script>" not in html
    assert f'<iframe class="mail-preview" sandbox src="/beheer/mail/{message.id}/html"' in html


def test_html_part_is_served_with_its_own_strict_csp(
    client: FlaskClient, organisation: Organisation, admin: User
) -> None:
    message = make_message(organisation, html_body="<p>Hallo</p><script>alert(1)</script>")
    response = client.get(f"/beheer/mail/{message.id}/html")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.get_data(as_text=True) == "<p>Hallo</p><script>alert(1)</script>"
    policy = [directive.strip() for directive in response.headers["Content-Security-Policy"].split(";")]
    assert policy[:4] == ["sandbox", "default-src 'none'", "img-src data: cid:", "style-src 'unsafe-inline'"]
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_message_without_html_has_no_html_route(
    client: FlaskClient, organisation: Organisation, admin: User
) -> None:
    message = make_message(organisation, html_body=None)
    assert "geen HTML-versie" in page(client, f"/beheer/mail/{message.id}")
    assert client.get(f"/beheer/mail/{message.id}/html").status_code == 404


def test_inline_image_is_shown_as_a_data_url(client: FlaskClient, organisation: Organisation, admin: User) -> None:
    qr = OutgoingAttachment(filename="ticket.png", content_type="image/png", data=b"\x89PNG", content_id="ticket")
    message = make_message(organisation, html_body='<img src="cid:ticket" alt="ticket">', attachments=[qr])
    body = client.get(f"/beheer/mail/{message.id}/html").get_data(as_text=True)
    assert body == '<img src="data:image/png;base64,iVBORw==" alt="ticket">'


def test_attachment_downloads_with_a_safe_content_disposition(
    client: FlaskClient, organisation: Organisation, admin: User
) -> None:
    filename = 'uitnodiging "café"; filename=evil.html.ics'
    attachment = OutgoingAttachment(filename=filename, content_type="text/calendar", data=b"BEGIN:VCALENDAR")
    message = make_message(organisation, attachments=[attachment])
    assert filename.replace('"', "&#34;") in page(client, f"/beheer/mail/{message.id}")
    response = client.get(f"/beheer/mail/{message.id}/bijlagen/{attachment.id}")
    assert response.status_code == 200
    assert response.data == b"BEGIN:VCALENDAR"
    assert response.mimetype == "text/calendar"
    disposition, params = parse_options_header(response.headers["Content-Disposition"])
    assert disposition == "attachment"
    assert params["filename"] == filename


def test_mail_catcher_shows_a_real_sign_up_confirmation(
    client: FlaskClient, organisation: Organisation, admin: User
) -> None:
    event = make_event(organisation, title="Phishing herkennen")
    client.post(signup_url(event), data={"name": "Anna de Vries", "email": "anna@example.org"})
    overview = page(client, "/beheer/mail/")
    assert "Aanmelding bevestigd: Phishing herkennen" in overview
    (queued,) = db.session.scalars(db.select(OutgoingMessage)).all()
    assert "Phishing herkennen" in page(client, f"/beheer/mail/{queued.id}")  # composed for the page, not stored
    (message,) = outbox()  # composed and stored as the worker does before sending
    detail = page(client, f"/beheer/mail/{message.id}")
    assert "uitnodiging.ics" in detail and "/aanmelding/" in detail
    assert "Phishing herkennen" in client.get(f"/beheer/mail/{message.id}/html").get_data(as_text=True)
    calendar = client.get(f"/beheer/mail/{message.id}/bijlagen/{message.attachments[0].id}")
    assert calendar.status_code == 200 and b"BEGIN:VCALENDAR" in calendar.data


def _mixed_messages(organisation: Organisation, count: int) -> None:
    statuses = [MessageStatus.FAILED, MessageStatus.QUEUED, MessageStatus.SENT, MessageStatus.CANCELLED]
    for n in range(count):
        make_message(organisation, status=statuses[n % len(statuses)], last_error="421 busy",
                     template=f"template_{n % 4}")


@pytest.mark.parametrize("url", ["/beheer/mail/", "/beheer/mail/?status=failed&ontvanger=example"])
def test_overview_runs_a_constant_number_of_queries(
    client: FlaskClient, organisation: Organisation, admin: User, count_queries: QueryCounter, url: str
) -> None:
    _mixed_messages(organisation, 3)
    with count_queries() as few:
        page(client, url)
    _mixed_messages(organisation, 27)
    with count_queries() as many:
        page(client, url)
    assert len(few) == len(many)
