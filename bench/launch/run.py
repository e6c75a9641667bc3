"""Contact import and campaign launch at scale, on PostgreSQL.

Usage: .venv/bin/python bench/launch/run.py --database-url postgresql://... [--contacts 100000]

The database's tables are dropped and created again: give it a database of its own. In one run:
1. imports a CSV of N rows (e-mail, name, municipality, consent "ja") through the same code as the
   admin import (decode, parse, validate, bulk insert with consent records), timed, in a child
   process (so that its memory does not hide the launch's);
2. launches a campaign (the awareness template) to a tenth of them (one municipality) and then
   one to all N, timing each and reading the process's peak RSS before and after, to show
   whether memory grows with the audience (rows are read and written in chunks).
Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import multiprocessing
import platform
import resource
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from accounts.models import Organisation  # noqa: E402
from app import create_app  # noqa: E402
from campaigns.services import importing, sending  # noqa: E402
from campaigns.services.campaigns import create_campaign  # noqa: E402
from config import normalise_database_url  # noqa: E402
from extensions import db  # noqa: E402
from mailing.models import OutgoingMessage  # noqa: E402

SMALL_TOWN = "Kleindorp"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--contacts", type=int, default=100_000)
    return parser.parse_args()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def csv_file(count: int) -> bytes:
    lines = ["e-mail;naam;gemeente;toestemming"]
    lines += [f"lezer{n}@voorbeeld.example;Lezer {n};{SMALL_TOWN if n % 10 == 0 else 'Grootstad'};ja"
              for n in range(count)]
    return ("\n".join(lines) + "\n").encode("cp1252")


def timed_import(database_url: str, organisation_id: int, count: int, seconds: Any) -> None:
    """In a child process: the import of a freshly made CSV file; its time goes into `seconds`."""
    data = csv_file(count)
    with bench_app(database_url).app_context():
        started = time.perf_counter()
        parsed = importing.parse(data)
        mapping = importing.guess_mapping(parsed.header)
        report = importing.import_contacts(organisation_id, parsed, mapping, "bench.csv")
        db.session.commit()
        seconds.value = time.perf_counter() - started
        assert report.subscribed == count, report


def bench_app(database_url: str) -> Flask:
    return create_app("testing", {"SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url)})


def timed_launch(organisation: Organisation, municipality: str | None) -> tuple[float, int, float, float]:
    campaign = create_campaign(organisation, f"Bench {municipality or 'iedereen'}", "awareness")
    campaign.municipality = municipality
    db.session.commit()
    rss_before = peak_rss_mb()
    started = time.perf_counter()
    written = sending.launch(campaign.id)
    db.session.commit()
    seconds = time.perf_counter() - started
    return seconds, written, rss_before, peak_rss_mb()


def main() -> None:
    args = parse_args()
    with bench_app(args.database_url).app_context():
        db.drop_all()
        db.create_all()
        organisation = Organisation(name="Gemeente Bench", slug="bench", mail_from_address="nieuws@bench.example")
        db.session.add(organisation)
        db.session.commit()
        context = multiprocessing.get_context("spawn")
        seconds = context.Value("d", 0.0)
        child = context.Process(target=timed_import, args=(args.database_url, organisation.id, args.contacts, seconds))
        child.start()
        child.join()
        import_seconds = seconds.value
        small = timed_launch(organisation, SMALL_TOWN)
        full = timed_launch(organisation, None)
        rows = db.session.scalar(sa.select(sa.func.count()).select_from(OutgoingMessage))
        outbox_mb = db.session.scalar(sa.text("SELECT pg_total_relation_size('outgoing_messages')")) / 2**20
        db.session.remove()
        db.drop_all()
    print(f"\n{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}, {args.contacts} contacts\n")
    print("| step | rows | seconds | rows/s | peak RSS before → after (MB) |")
    print("|---|---:|---:|---:|---|")
    print(f"| import CSV (Windows-1252, `;`) | {args.contacts} | {import_seconds:.1f} | "
          f"{args.contacts / import_seconds:,.0f} | |")
    for label, (seconds, written, before, after) in (("launch to 10%", small), ("launch to all", full)):
        print(f"| {label} | {written} | {seconds:.1f} | {written / seconds:,.0f} | {before:.0f} → {after:.0f} |")
    print(f"\n{rows} outbox rows, {outbox_mb:.0f} MB on disk ({outbox_mb * 2**20 / rows / 1024:.1f} KB per row)")


if __name__ == "__main__":
    main()
