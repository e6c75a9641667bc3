"""Contact import and campaign launch at scale, on PostgreSQL.

Usage: .venv/bin/python bench/launch/run.py --database-url postgresql://... [--contacts 100000]

The database's tables are dropped and created again: give it a database of its own. In one run:
1. imports a CSV of N rows (e-mail, name, municipality, consent "ja") end to end through the admin, in
   a child process (so that its memory does not hide the launch's): the upload request (parse and
   store the file), the mapping request (queue it), then the background thread that the mapping
   request starts, polled through the progress JSON every POLL_SECONDS until it is done; timed from
   the upload until the JSON says done, with the thread's own time from the import row;
2. through the admin (a test client, logged in as the officer): the contacts page unfiltered, a few
   searches and a status filter, and the live audience count (`ontvangers.json`) for a set of
   combinations of conditions, each the best of REPEATS requests, after VACUUM ANALYZE;
3. launches a campaign (the awareness template) to a tenth of them (one municipality) and then
   one to all N, timing each and reading the process's peak RSS before and after, to show
   whether memory grows with the audience (rows are read and written in chunks).
Prints Markdown tables. Goals (issue 14.4, at 1,000,000): import under 120 s, every contacts page
and search under 0.3 s, every audience count under 1 s, the launch to all under 15 s, RSS flat.
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
from flask import Flask, current_app

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from accounts.models import Membership, Organisation, Role, User  # noqa: E402
from accounts.services import set_password  # noqa: E402
from app import create_app  # noqa: E402
from campaigns.models import ContactImport, ContactList  # noqa: E402
from campaigns.services import sending  # noqa: E402
from campaigns.services.campaigns import create_campaign  # noqa: E402
from config import normalise_database_url  # noqa: E402
from extensions import db  # noqa: E402
from mailing.models import OutgoingMessage  # noqa: E402

SMALL_TOWN = "Kleindorp"
OFFICER = "communicatie@bench.example"
PASSWORD = "bench-wachtwoord"
POLL_SECONDS = 0.5
REPEATS = 3
# (label, query string) of the contacts page; the searches as in the issue: one contact, a tenth, all.
CONTACT_PAGES = [
    ("no filter (page + count)", ""),
    ("search one contact `lezer4242@`", "zoek=lezer4242@"),
    ("search by name `lezer 1` (about a ninth)", "zoek=lezer 1"),
    ("search matching all `voorbeeld`", "zoek=voorbeeld"),
    ("status filter `unconfirmed` (none)", "status=unconfirmed"),
    ("page 50", "pagina=50"),
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--contacts", type=int, default=100_000)
    return parser.parse_args()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def csv_file(count: int) -> bytes:
    """Every tenth contact in the small town, every third an entrepreneur."""
    lines = ["e-mail;naam;gemeente;doelgroep;toestemming"]
    lines += [f"lezer{n}@voorbeeld.example;Lezer {n};{SMALL_TOWN if n % 10 == 0 else 'Grootstad'};"
              f"{'ondernemer' if n % 3 == 0 else 'inwoner'};ja" for n in range(count)]
    return ("\n".join(lines) + "\n").encode("cp1252")


def audience_combinations(list_id: int) -> list[tuple[str, dict[str, str]]]:
    return [
        ("everyone subscribed", {}),
        ("the list", {"list_id": str(list_id)}),
        ("one municipality", {"municipality": SMALL_TOWN}),
        ("audience type", {"audience_type": "sme"}),
        ("municipality + audience type", {"municipality": SMALL_TOWN, "audience_type": "sme"}),
        ("list + municipality + audience type", {"list_id": str(list_id), "municipality": SMALL_TOWN,
                                                 "audience_type": "citizen"}),
        ("topic", {"topic": "phishing"}),
        ("municipality + topic", {"municipality": SMALL_TOWN, "topic": "phishing"}),
        ("list + topic", {"list_id": str(list_id), "topic": "phishing"}),
    ]


def best_of(request: Any) -> tuple[float, Any]:
    """The fastest of REPEATS calls of `request` (seconds) and its last answer."""
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        answer = request()
        times.append(time.perf_counter() - started)
    return min(times), answer


def timed_queries(app: Flask, organisation_id: int, list_id: int, campaign_id: int) -> list[tuple[str, str, float]]:
    """(kind, label + what it found, seconds) of the contacts pages and the audience counts, as an officer asks."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE"))  # as autovacuum does after a million inserts
    client = app.test_client()
    assert client.post("/beheer/inloggen", data={"email": OFFICER, "password": PASSWORD}).status_code == 302
    timings = []
    for label, query in CONTACT_PAGES:
        seconds, page = best_of(lambda query=query: client.get(f"/beheer/contacten/?organisatie={organisation_id}&{query}"))
        assert page.status_code == 200, page.status_code
        found = page.get_data(as_text=True).split('role="status">', 1)[1].split("<", 1)[0]
        timings.append(("contacts page", f"{label}: {found}", seconds))
    for label, audience in audience_combinations(list_id):
        seconds, answer = best_of(lambda audience=audience: client.get(
            f"/beheer/campagnes/{campaign_id}/ontvangers.json", query_string=audience))
        assert answer.status_code == 200, answer.status_code
        timings.append(("audience count", f"{label}: {answer.get_json()['count']:,}", seconds))
    return timings


def timed_import(database_url: str, organisation_id: int, list_id: int, count: int, result: Any) -> None:
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
        queued = client.post(uploaded.location, data={"kolom_email": "0", "kolom_name": "1", "kolom_municipality": "2",
                                                      "kolom_audience": "3", "kolom_consent": "4", "lijst": str(list_id)})
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
        newsletter = ContactList(organisation_id=organisation.id, name="Nieuwsbrief")
        db.session.add(newsletter)
        db.session.commit()
        context = multiprocessing.get_context("spawn")
        figures = context.Array("d", 4)
        child = context.Process(target=timed_import, args=(args.database_url, organisation.id, newsletter.id, args.contacts,
                                                                    figures))
        child.start()
        child.join()
        assert child.exitcode == 0, "the import failed"
        import_seconds, upload_seconds, thread_seconds, progress_steps = figures[:]
        probe = create_campaign(organisation, "Bench telling", "awareness")
        db.session.commit()
        queries = timed_queries(current_app._get_current_object(), organisation.id, newsletter.id, probe.id)
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
    print("\n| query (best of %d, through the admin) | what it found | ms |" % REPEATS)
    print("|---|---|---:|")
    for kind, label, seconds in queries:
        print(f"| {kind} | {label} | {seconds * 1000:.0f} |")
    print(f"\n{rows} outbox rows, {outbox_mb:.0f} MB on disk ({outbox_mb * 2**20 / rows / 1024:.1f} KB per row)")


if __name__ == "__main__":
    main()
