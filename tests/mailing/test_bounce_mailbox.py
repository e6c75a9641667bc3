"""`flask mailing bounces` against a real IMAP server (Debian's Dovecot, started by the test)."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from campaigns.models import ContactStatus
from extensions import db
from mailing.models import BounceKind, BounceReport
from tests.factories import make_contact, make_organisation
from tests.mailing.dovecot import DOVECOT, Dovecot
from tests.mailing.test_bounces import BOUNCE_DOMAIN, LEAVE_ALONE, campaign_row, filled, status_of

pytestmark = pytest.mark.skipif(DOVECOT is None, reason="dovecot is not installed (apt-get install dovecot-imapd)")


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    server = Dovecot()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mailbox_app(app: Flask, dovecot: Dovecot) -> Flask:
    app.config.update(MAIL_BOUNCE_DOMAIN=BOUNCE_DOMAIN, **dovecot.settings())
    return app


def run(app: Flask) -> str:
    result = app.test_cli_runner().invoke(args=["mailing", "bounces"])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_the_mailbox_gives_up_its_bounces_and_complaints_and_keeps_the_rest_unread(
        mailbox_app: Flask, dovecot: Dovecot) -> None:
    organisation = make_organisation()
    hard, soft, complainer, bystander = (make_contact(organisation) for _ in range(4))
    others = [filled(name, campaign_row(bystander)) for name in LEAVE_ALONE]
    dovecot.fill([
        filled("dsn_exchange365_hard.eml", campaign_row(hard)), others[0],
        filled("dsn_exim_soft.eml", campaign_row(soft)), *others[1:],
        filled("arf_complaint.eml", campaign_row(complainer)),
    ])
    assert run(mailbox_app) == f"3 recorded, 0 already known, {len(others)} left alone"
    assert [status_of(c) for c in (hard, soft, complainer, bystander)] == [
        ContactStatus.BOUNCED, ContactStatus.SUBSCRIBED, ContactStatus.COMPLAINED, ContactStatus.SUBSCRIBED]
    kinds = sorted(db.session.scalars(sa.select(BounceReport.kind)))
    assert kinds == sorted([BounceKind.HARD, BounceKind.SOFT, BounceKind.COMPLAINT])
    left = dovecot.inbox()
    assert [message for _, message in left] == [raw.replace(b"\n", b"\r\n") for raw in others]
    assert all(b"\\Seen" not in flags for flags, _ in left)  # still unread for a person


def test_a_second_run_changes_nothing(mailbox_app: Flask, dovecot: Dovecot) -> None:
    contact = make_contact(make_organisation())
    raw = filled("dsn_postfix_hard.eml", campaign_row(contact))
    dovecot.fill([raw])
    run(mailbox_app)
    dovecot.fill([raw])  # the same report again (say: also delivered to a second mailbox)
    assert run(mailbox_app) == "0 recorded, 1 already known, 0 left alone"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BounceReport)) == 1
    assert dovecot.inbox() == []


def test_a_message_larger_than_the_limit_stays_in_the_mailbox_unread(mailbox_app: Flask, dovecot: Dovecot) -> None:
    mailbox_app.config["MAIL_BOUNCE_MAX_BYTES"] = 64 * 1024
    contact = make_contact(make_organisation())
    dovecot.fill([filled("dsn_postfix_hard.eml", campaign_row(contact)) + b"x" * (100 * 1024)])
    assert run(mailbox_app) == "0 recorded, 0 already known, 0 left alone"
    assert status_of(contact) == ContactStatus.SUBSCRIBED and len(dovecot.inbox()) == 1


def test_a_wrong_password_is_a_clear_error(mailbox_app: Flask) -> None:
    mailbox_app.config["MAIL_BOUNCE_IMAP_PASSWORD"] = "fout"
    result = mailbox_app.test_cli_runner().invoke(args=["mailing", "bounces"])
    assert result.exit_code != 0 and "Inloggen op de bounce-mailbox mislukt" in result.output
