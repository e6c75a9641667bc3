"""The QR ticket: the check-in code (never the manage token) on the manage page and in the confirmation mail."""
from __future__ import annotations

import png
import qrcode
from flask.testing import FlaskClient

from accounts.models import Role
from events.models import EventStatus, Registration, RegistrationStatus
from events.tickets import BOX_SIZE, CONTENT_ID, ticket_png, ticket_svg
from events.tokens import manage_token
from extensions import db
from tests.factories import login, make_event, make_organisation, make_registration, make_user, outbox, signup_url


def qrcode_matrix(data: str) -> list[list[bool]]:
    """The reference: the qrcode library's own matrix (with its quiet zone) for the same settings."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, mask_pattern=0)
    code.add_data(data)
    code.make(fit=True)
    return code.get_matrix()


def manage_page(client: FlaskClient, registration: Registration) -> str:
    response = client.get(f"/aanmelding/{manage_token(registration)}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_manage_page_shows_the_checkin_code_as_an_inline_qr_code(client: FlaskClient) -> None:
    registration = make_registration(make_event(make_organisation()))
    page = manage_page(client, registration)
    assert ticket_svg(registration) in page
    assert registration.door_code_shown in page and registration.checkin_code not in page
    assert registration.manage_token not in page


def test_ticket_encodes_the_checkin_code_not_the_manage_token() -> None:
    registration = Registration(checkin_code="code-aan-de-deur", manage_token="geheim-beheer")
    other = Registration(checkin_code="geheim-beheer")
    assert ticket_svg(registration) != ticket_svg(other)
    assert ticket_png(registration).startswith(b"\x89PNG")


def test_ticket_png_is_exactly_the_qr_code_of_the_checkin_code() -> None:
    registration = Registration(checkin_code="AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd")
    width, height, pixels, meta = png.Reader(bytes=ticket_png(registration)).read()
    matrix = qrcode_matrix(registration.checkin_code)
    assert width == height == len(matrix) * BOX_SIZE and meta["greyscale"] and meta["bitdepth"] == 1
    expected = [[0 if matrix[y // BOX_SIZE][x // BOX_SIZE] else 1 for x in range(width)] for y in range(height)]
    assert [list(row) for row in pixels] == expected


def test_waitlisted_cancelled_and_cancelled_event_have_no_ticket(client: FlaskClient) -> None:
    event = make_event(make_organisation())
    waitlisted = make_registration(event, status=RegistrationStatus.WAITLISTED)
    cancelled = make_registration(event, status=RegistrationStatus.CANCELLED)
    assert "toegangsbewijs" not in manage_page(client, waitlisted)
    assert "toegangsbewijs" not in manage_page(client, cancelled)
    confirmed = make_registration(event)
    event.status = EventStatus.CANCELLED
    db.session.commit()
    assert "toegangsbewijs" not in manage_page(client, confirmed)


def test_confirmation_mail_embeds_the_qr_ticket_as_an_inline_image(client: FlaskClient) -> None:
    event = make_event(make_organisation())
    client.post(signup_url(event), data={"name": "Anna de Vries", "email": "anna@example.org"})
    (mail,) = outbox("registration_confirmed")
    registration = db.session.query(Registration).one()
    (ticket,) = [part for part in mail.attachments if part.content_id]
    assert ticket.content_id == CONTENT_ID and ticket.content_type == "image/png"
    assert ticket.data == ticket_png(registration)
    assert f'src="cid:{CONTENT_ID}"' in mail.html_body
    assert registration.door_code_shown in mail.text_body and registration.checkin_code not in mail.text_body
    assert registration.manage_token not in mail.html_body


def test_waitlist_mail_has_no_ticket_and_promotion_mail_has_one(client: FlaskClient) -> None:
    event = make_event(make_organisation(), capacity=1)
    seated = make_registration(event)
    client.post(signup_url(event), data={"name": "Bram", "email": "bram@example.org"})
    (waitlisted,) = outbox("registration_waitlisted")
    assert not any(part.content_id for part in waitlisted.attachments)
    client.post(f"/aanmelding/{manage_token(seated)}/annuleren", data={"confirmed": "ja"})
    (promoted,) = outbox("registration_promoted")
    assert [part.content_id for part in promoted.attachments if part.content_id] == [CONTENT_ID]


def test_mail_catcher_shows_the_ticket_inline(client: FlaskClient) -> None:
    organisation = make_organisation()
    event = make_event(organisation)
    client.post(signup_url(event), data={"name": "Anna", "email": "anna@example.org"})
    login(client, make_user(organisation, Role.ADMIN))
    (mail,) = outbox("registration_confirmed")
    html = client.get(f"/beheer/mail/{mail.id}/html").get_data(as_text=True)
    assert "data:image/png;base64," in html and f"cid:{CONTENT_ID}" not in html
