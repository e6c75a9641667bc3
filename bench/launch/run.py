"""Contact import and campaign launch at scale, on PostgreSQL.

Usage: .venv/bin/python bench/launch/run.py --database-url postgresql://... [--contacts 100000]

The database's tables are dropped and created again: give it a database of its own. In one run:
1. imports a CSV of N rows (e-mail, name, municipality, consent "ja") end to end through the admin, in
   a child process (so that its memory does not hide the launch's): the upload request (parse and
   store the file), the mapping request (queue it), then the background thread that the mapping
   request starts, polled through the progress JSON every POLL_SECONDS until it is done; timed from
   the upload until the JSON says done, with the thread's own time from the import row;
2. launches a campaign (the awareness template) to a tenth of them (one municipality) and then
   one to all N, timing each and reading the process's peak RSS before and after, to show
   whether memory grows with the audience (rows are read and written in chunks).
Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import io
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

from accounts.models import Membership, Organisation, Role, User  # noqa: E402
from accounts.services import set_password  # noqa: E402
from app import create_app  # noqa: E402
from campaigns.models import ContactImport  # noqa: E402
from campaigns.services import sending  # noqa: E402
from campaigns.services.campaigns import create_campaign  # noqa: E402
from config import normalise_database_url  # noqa: E402
from extensions import db  # noqa: E402
from mailing.models import OutgoingMessage  # noqa: E402

SMALL_TOWN = "Kleindorp"
OFFICER = "communicatie@bench.example"
PASSWORD = "bench-wachtwoord"
POLL_SECONDS = 0.5


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


def timed_import(database_url: str, organisation_id: int, count: int, result: Any) -> None:
    """In a child process: upload, map and wait for a freshly made CSV file; its figures go into `result`."""
    data = csv_file(count)
    app = bench_app(database_url, CONTACT_IMPORT_THREAD=True)
    with app.app_context():
        client = app.test_client()
        assert client.post("/beheer/inloggen", data={"email": OFFICER, "password": PASSWORD}).status_code == 302
        started = time.perf_counter()
        uploaded = client.post(f"/beheer/contacten/import?organisatie={organisation_id}", content_type="multipart/form-data",
                               data={"file": (io.BytesIO(data), "bench.csv")})
        assert uploaded.status_code == 302, uploaded.get_data(as_text=True)
        upload_seconds = time.perf_counter() - started
        queued = client.post(uploaded.location, data={"kolom_email": "0", "kolom_name": "1",
                                                      "kolom_municipality": "2", "kolom_consent": "3"})
        assert queued.status_code == 302, queued.get_data(as_text=True)
        seen = set()
        while (progress := client.get(f"{queued.location}/voortgang.json").get_json())["running"]:
            seen.add(progress["done"])
            time.sleep(POLL_SECONDS)
        result[0] = time.perf_counter() - started
        job = db.session.get(ContactImport, int(queued.location.rsplit("/", 1)[1]))
        assert progress["status"] == "done" and job.report["subscribed"] == count, (progress, job.report)
        result[1] = upload_seconds
        result[2] = (job.finished_at - job.started_at).total_seconds()
        result[3] = len(seen - {0})


def bench_app(database_url: str, **overrides: Any) -> Flask:
    return create_app("testing", {"SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url), **overrides})


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
        officer = User(email=OFFICER, name="Communicatie Bench")
        set_password(officer, PASSWORD)
        db.session.add_all([organisation, officer, Membership(user=officer, organisation=organisation,
                                                              role=Role.COMMUNICATIONS)])
        db.session.commit()
        context = multiprocessing.get_context("spawn")
        figures = context.Array("d", 4)
        child = context.Process(target=timed_import, args=(args.database_url, organisation.id, args.contacts, figures))
        child.start()
        child.join()
        assert child.exitcode == 0, "the import failed"
        import_seconds, upload_seconds, thread_seconds, progress_steps = figures[:]
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
    print(f"| import CSV (Windows-1252, `;`): upload to done, through the admin | {args.contacts} | "
          f"{import_seconds:.1f} | {args.contacts / import_seconds:,.0f} | |")
    for label, (seconds, written, before, after) in (("launch to 10%", small), ("launch to all", full)):
        print(f"| {label} | {written} | {seconds:.1f} | {written / seconds:,.0f} | {before:.0f} → {after:.0f} |")
    print(f"\nImport: upload request {upload_seconds:.1f} s, background thread {thread_seconds:.1f} s, "
          f"progress seen at {progress_steps:.0f} different row counts (JSON polled every {POLL_SECONDS} s).")
    print(f"\n{rows} outbox rows, {outbox_mb:.0f} MB on disk ({outbox_mb * 2**20 / rows / 1024:.1f} KB per row)")


if __name__ == "__main__":
    main()
