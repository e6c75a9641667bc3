"""Bounce mailbox processing: a real Dovecot mailbox with N mixed messages, read by `read_mailbox`.

Usage: .venv/bin/python bench/bounces/run.py [--messages 10000] [--database-url postgresql://...]

Without a database URL it uses a fresh SQLite file. Each message is one of the project's fixtures
(`tests/mailing/bounce_fixtures`: DSNs from Postfix, Exim, Exchange/365, Gmail, KPN and qmail, ARF
complaints, auto-replies, delay warnings and unrelated mail), in turn, each for its own outbox row
(and contact). The mailbox is filled over IMAP APPEND, then timed: one run of the mailbox reader
(fetch, parse, classify, record, apply the rules, commit, delete). Afterwards every row is checked
against what its fixture should give: the share classified right. Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from accounts.models import Organisation  # noqa: E402
from app import create_app  # noqa: E402
from campaigns.models import Contact, ContactAudience, ContactStatus  # noqa: E402
from config import normalise_database_url  # noqa: E402
from extensions import db  # noqa: E402
from mailing.imap import read_mailbox  # noqa: E402
from mailing.models import BounceReport, MessageKind, OutgoingMessage  # noqa: E402
from mailing.verp import return_path  # noqa: E402
from tests.mailing.dovecot import DOVECOT, Dovecot  # noqa: E402

FIXTURES = ROOT / "tests" / "mailing" / "bounce_fixtures"
EXPECTED = {"dsn_postfix_hard": "hard", "dsn_exim_soft": "soft", "dsn_exchange365_hard": "hard",
            "dsn_gmail_hard": "hard", "dsn_kpn_hard": "hard", "dsn_qmail_hard": "hard",
            "arf_complaint": "complaint", "arf_redacted_complaint": "complaint"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--database-url")
    arguments = parser.parse_args()
    if DOVECOT is None:
        sys.exit("dovecot is not installed (apt-get install dovecot-imapd)")
    url = normalise_database_url(arguments.database_url) if arguments.database_url else \
        f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "MAIL_BOUNCE_DOMAIN": "bounces.bench.example"})
    fixtures = sorted(FIXTURES.glob("*.eml"))
    load_before = os.getloadavg()[0]
    server = Dovecot()
    server.start()
    try:
        with app.app_context():
            db.drop_all()
            db.create_all()
            expected, mails = _rows_and_mails(arguments.messages, fixtures)
            server.fill(mails)
            app.config.update(server.settings())
            started = time.perf_counter()
            run = read_mailbox(app.config)
            seconds = time.perf_counter() - started
            right = _classified_right(expected)
            left = len(server.inbox())
    finally:
        server.stop()
    backend = url.split(":")[0]
    print(f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, {backend}, "
          f"load average (1 min) before {load_before:.2f}, after {os.getloadavg()[0]:.2f}")
    print("| messages | seconds | messages/s | recorded | left alone (still in the mailbox) | classified right |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    print(f"| {arguments.messages:,} | {seconds:.1f} | {arguments.messages / seconds:,.0f} | {run.recorded:,} | "
          f"{run.left_alone:,} ({left:,}) | {right / arguments.messages:.2%} |")


def _rows_and_mails(count: int, fixtures: list[Path]) -> tuple[dict[int, str | None], list[bytes]]:
    organisation = Organisation(name="Bench", slug="bench")
    db.session.add(organisation)
    db.session.flush()
    contacts = [Contact(organisation_id=organisation.id, email=f"lezer{i}@example.org", status=ContactStatus.SUBSCRIBED,
                        audience=ContactAudience.CITIZEN) for i in range(count)]
    db.session.add_all(contacts)
    db.session.flush()
    rows = [OutgoingMessage(organisation_id=organisation.id, kind=MessageKind.CAMPAIGN, template="bench",
                            contact_id=c.id, to_address=c.email, from_address="nieuws@bench.example",
                            subject="Nieuws", text_body="Beste lezer") for c in contacts]
    db.session.add_all(rows)
    db.session.commit()
    texts = [(path.stem, path.read_text()) for path in fixtures]
    expected: dict[int, str | None] = {}
    mails = []
    for i, row in enumerate(rows):
        name, text = texts[i % len(texts)]
        expected[row.id] = EXPECTED.get(name)
        mails.append(text.replace("{return_path}", return_path(row.id, row.from_address))
                     .replace("{recipient}", row.to_address).encode())
    return expected, mails


def _classified_right(expected: dict[int, str | None]) -> int:
    found = dict(db.session.execute(sa.select(BounceReport.message_id, BounceReport.kind)).all())
    return sum(1 for row_id, kind in expected.items() if (found[row_id].value if row_id in found else None) == kind)


if __name__ == "__main__":
    main()
