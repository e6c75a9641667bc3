"""The audit page reads as a sentence: Dutch action names, the record's title with a link, the
browser and system instead of the whole User-Agent, and filters by person, action and date."""
from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient

from accounts.models import Role
from core import audit
from core.audit import AuditEntry
from core.timeutils import utcnow
from extensions import db
from tests.factories import admin_url, login, make_event, make_organisation, make_registration, make_user

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
                 "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")


def test_user_agents_are_shortened_to_browser_and_system() -> None:
    assert audit.short_user_agent(FIREFOX) == "Firefox 133 op Windows 10"
    assert audit.short_user_agent(SAFARI_IPHONE) == "Mobile Safari 17 op iOS 17.5"
    assert audit.short_user_agent("curl/8.5.0") == "curl 8"
    assert audit.short_user_agent("zomaar iets") == "Onbekend programma"
    assert audit.short_user_agent(None) == ""


def test_the_page_shows_dutch_actions_titles_with_links_and_short_agents(client: FlaskClient) -> None:
    organisation = make_organisation()
    event = make_event(organisation, title="Phishing-avond Noord")
    make_registration(event)
    client.environ_base |= {"HTTP_USER_AGENT": FIREFOX}
    login(client, make_user(organisation))
    assert client.get(admin_url(event, "aanmeldingen.csv")).status_code == 200

    page = client.get("/beheer/audit/").get_data(as_text=True)

    assert "Aanmeldingen geëxporteerd" in page and "registrations.exported" not in page.split("<select")[0]
    assert f'href="/beheer/evenementen/{event.id}/aanmeldingen">Phishing-avond Noord</a>' in page
    assert "Evenement:" in page and "Firefox 133 op Windows 10" in page
    assert f">{FIREFOX}<" not in page


def test_filters_by_person_action_and_date(client: FlaskClient) -> None:
    organisation = make_organisation()
    admin = make_user(organisation, email="beheer@example.org")
    now = utcnow()
    for days_ago, email, action in ((0, "anna@example.org", "contact.viewed"), (3, "bob@example.org", "contact.viewed"),
                                    (10, "anna@example.org", "registrations.exported")):
        db.session.add(AuditEntry(user_email=email, action=action, organisation_id=organisation.id,
                                  created_at=now - timedelta(days=days_ago), details={}))
    db.session.commit()
    login(client, admin)

    def shown(**query: str) -> str:
        return client.get("/beheer/audit/", query_string=query).get_data(as_text=True)

    assert "1 regel<" in shown(gebruiker="bob@example.org")
    assert "2 regels" in shown(actie="contact.viewed")
    assert "2 regels" in shown(van=(now - timedelta(days=5)).date().isoformat())
    assert "1 regel<" in shown(tot=(now - timedelta(days=5)).date().isoformat())
    assert "1 regel<" in shown(gebruiker="anna@example.org", actie="contact.viewed")
    assert "3 regels" in shown(van="gisteren", tot="31-02-2026")  # not a date: no filter, no error


def test_only_organisation_admins_read_the_audit_log_of_their_own_organisation(client: FlaskClient) -> None:
    organisation, other = make_organisation(), make_organisation()
    db.session.add(AuditEntry(user_email="x@example.org", action="contact.viewed", organisation_id=other.id, details={}))
    db.session.commit()
    login(client, make_user(organisation, Role.COMMUNICATIONS))
    assert client.get("/beheer/audit/").status_code == 403
    client.post("/beheer/uitloggen")
    login(client, make_user(organisation, Role.ADMIN))
    assert "0 regels" in client.get("/beheer/audit/").get_data(as_text=True)
