"""The attacks of the security review, replayed against the deployed stack (nginx → gunicorn in production
configuration → PostgreSQL and Redis, the worker sending to the SMTP sink), with real CSRF tokens."""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from tests.deployed.browsing import Browser
from tests.deployed.conftest import Seed
from tests.deployed.stack import Stack

pytestmark = pytest.mark.deployed
VICTIM = "pas-uitgenodigd@deployed.example"
CREDENTIAL_LINK = re.compile(r"/(?:beheer/uitnodiging|beheer/wachtwoord|nieuwsbrief/bevestigen)/[A-Za-z0-9_.\-]{20,}")


@dataclass(frozen=True)
class TwoAdmins:
    first_id: int
    second_id: int
    first_admin: str
    second_admin: str


@pytest.fixture(scope="module")
def two_admins(seed: Seed) -> TwoAdmins:
    from accounts.models import Role
    from tests.factories import make_organisation, make_user

    def make() -> TwoAdmins:
        first = make_organisation(name="Gemeente Eerstestad", mail_from_address="noreply@eerstestad.example")
        second = make_organisation(name="Gemeente Tweedestad", mail_from_address="noreply@tweedestad.example")
        return TwoAdmins(first.id, second.id, make_user(first, Role.ADMIN).email, make_user(second, Role.ADMIN).email)

    return seed(make)  # type: ignore[return-value]


def _invite(admin: Browser, organisation_id: int, role: str) -> None:
    page = f"/beheer/organisaties/{organisation_id}/gebruikers"
    answer = admin.submit(page, {"name": "Pas Uitgenodigd", "email": VICTIM, "role": role})
    assert answer.status_code == 302, answer.text[:500]


def test_a_second_organisation_cannot_take_over_an_account_invited_by_the_first(stack: Stack, two_admins: TwoAdmins) -> None:
    first_admin, second_admin = Browser(stack), Browser(stack)
    assert first_admin.log_in(two_admins.first_admin).status_code == 302
    assert second_admin.log_in(two_admins.second_admin).status_code == 302
    before = len(stack.mail.mails)
    _invite(first_admin, two_admins.first_id, "admin")
    _invite(second_admin, two_admins.second_id, "organiser")

    catcher = second_admin.get(f"/beheer/mail/?organisatie={two_admins.second_id}")
    assert catcher.status_code == 200
    ids = sorted(set(re.findall(r'href="/beheer/mail/(\d+)"', catcher.text)))
    assert ids, "the second organisation's admin sees its own invitation in its mailbox"
    for message_id in ids:
        for page in (f"/beheer/mail/{message_id}", f"/beheer/mail/{message_id}/html"):
            shown = second_admin.get(page)
            assert shown.status_code == 200 and not CREDENTIAL_LINK.search(shown.text), page

    invitations = [stack.mail.wait_for(VICTIM, "Eerstestad", after=before),
                   stack.mail.wait_for(VICTIM, "Tweedestad", after=before)]
    link = invitations[-1].link(stack.base_url, "/beheer/uitnodiging/")
    person = Browser(stack)
    path = link.removeprefix(stack.base_url)
    own = "mijn eigen lange wachtwoord"
    chosen = {"name": "Pas Uitgenodigd", "password": own, "password_again": own}
    assert person.submit(path, chosen).status_code == 302
    assert person.get(f"/beheer/organisaties/{two_admins.first_id}/gebruikers").status_code == 200
    assert second_admin.submit(path, chosen | {"password": "x" * 20, "password_again": "x" * 20}).status_code == 410


def test_login_with_a_tab_in_next_stays_on_the_site(stack: Stack, two_admins: TwoAdmins) -> None:
    answer = Browser(stack).log_in(two_admins.first_admin, next_target="/%09/evil.example/")
    assert answer.status_code == 302 and answer.headers["Location"] == "/beheer/"


def test_a_number_of_4301_digits_is_refused_not_a_500(stack: Stack, two_admins: TwoAdmins) -> None:
    admin = Browser(stack)
    admin.log_in(two_admins.first_admin)
    long_number = "9" * 4301
    for page in ("/beheer/contacten/", "/beheer/contacten/lijsten/", "/beheer/campagnes/nieuw", "/beheer/mail/"):
        answer = admin.get(f"{page}?organisatie={long_number}")
        assert 400 <= answer.status_code < 500, (page, answer.status_code)  # nginx's 414, or the app's 404
    created = admin.submit("/beheer/contacten/labels/", {"name": "Wijk Noord", "organisatie": long_number})
    assert created.status_code == 404  # in the body it reaches gunicorn: the app's own answer
