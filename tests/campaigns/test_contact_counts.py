"""The contacts page counts no further than it needs: "meer dan" beyond COUNT_CAP, for the matches and each
status, while the pages and the bulk actions still reach every match."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from campaigns.models import Contact, ContactStatus
from campaigns.services import contacts as service
from extensions import db
from tests.campaigns.helpers import signed_in
from tests.factories import make_contact, make_organisation


@pytest.fixture
def small_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "COUNT_CAP", 3)
    monkeypatch.setattr(service, "PAGE_SIZE", 2)


def _shown(client: FlaskClient, query: str) -> tuple[str, list[str]]:
    page = client.get("/beheer/contacten/" + query).get_data(as_text=True)
    found = re.search(r'role="status">([^<]+)<', page)
    assert found
    return found[1], re.findall(r'href="/beheer/contacten/\d+">([^<]+)</a>', page)


def test_beyond_the_cap_the_page_says_more_than_and_still_pages_to_the_end(client: FlaskClient, small_cap: None) -> None:
    organisation = make_organisation()
    for number in range(5):
        make_contact(organisation, email=f"lezer{number}@example.org")
    make_contact(organisation, email="weg@example.org", name="Weg", status=ContactStatus.UNSUBSCRIBED)
    signed_in(client, organisation)

    found, first = _shown(client, "?zoek=lezer")
    assert found == "Meer dan 3 contacten gevonden" and first == ["lezer0@example.org", "lezer1@example.org"]
    page = client.get("/beheer/contacten/?zoek=lezer").get_data(as_text=True)
    assert "Pagina 1 van meer dan 1" in page and 'rel="next"' in page
    assert "Aangemeld: meer dan 3" in page and "Afgemeld: 1" in page
    # The last page counts to its own end: the exact number again, and no page beyond it.
    found, last = _shown(client, "?zoek=lezer&pagina=3")
    assert found == "5 contacten gevonden" and last == ["lezer4@example.org"]
    assert "Pagina 3 van 3" in client.get("/beheer/contacten/?zoek=lezer&pagina=3").get_data(as_text=True)
    # Up to the cap the count is exact.
    assert _shown(client, "?zoek=lezer1")[0] == "1 contact gevonden"
    assert _shown(client, "?status=unsubscribed")[0] == "1 contact gevonden"


def test_the_capped_counts_match_the_exact_ones_up_to_the_cap(client: FlaskClient, small_cap: None) -> None:
    organisation = make_organisation()
    other = make_organisation()
    for status, number in [(ContactStatus.SUBSCRIBED, 2), (ContactStatus.UNCONFIRMED, 3), (ContactStatus.BOUNCED, 7)]:
        for _ in range(number):
            make_contact(organisation, status=status)
    make_contact(other, status=ContactStatus.UNCONFIRMED)
    counts = service.status_counts(organisation.id)
    exact = dict(db.session.execute(sa.select(Contact.status, sa.func.count()).where(
        Contact.organisation_id == organisation.id).group_by(Contact.status)).all())
    assert counts == {status: min(exact.get(status, 0), service.COUNT_CAP + 1) for status in ContactStatus}
    assert counts[ContactStatus.BOUNCED] == 4 and counts[ContactStatus.UNCONFIRMED] == 3
