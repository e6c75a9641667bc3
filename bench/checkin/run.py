"""Check-in by code on a big event, and the attendance export of a very big one (PostgreSQL).

Usage: .venv/bin/python bench/checkin/run.py [--database-url URL] [--scans 1000] [--registrations 10000]
                                              [--export-rows 100000] [--xlsx]

1. Recreates the database (dropped first), migrates it with Alembic, and inserts one event with
   `--registrations` confirmed registrations and one with `--export-rows`.
2. Check-in: an organiser's session scans `--scans` distinct tickets through `POST scan.json`
   in-process (Flask test client: the whole request, no network), then scans 200 of them again
   ("already checked in"). Reports median, p95 and max per request.
3. Export: a fresh process streams the CSV (and with --xlsx the XLSX) of both events and reports
   wall time, bytes, and the process's resident memory before and at most during the stream
   (sampled every 500 chunks); flat memory means the growth is the same for the small and the
   big event.
Results are printed as JSON and saved to bench/results/checkin-<date>.json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlparse

import psycopg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from config import normalise_database_url  # noqa: E402

PASSWORD = "benchmark-password"
REPEATS = 200


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/weerbaar_bench_checkin")
    parser.add_argument("--scans", type=int, default=1000)
    parser.add_argument("--registrations", type=int, default=10_000)
    parser.add_argument("--export-rows", type=int, default=100_000)
    parser.add_argument("--xlsx", action="store_true", help="also time the XLSX export")
    return parser.parse_args()


def recreate_database(url: str) -> None:
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    with psycopg.connect(parsed._replace(path="/postgres").geturl(), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def app_for(url: str):  # noqa: ANN201 - a Flask app
    from app import create_app

    return create_app("development", {"SQLALCHEMY_DATABASE_URI": normalise_database_url(url), "DEBUG": False,
                                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                                      # argon2 at its production 64 MiB would hide the export in the peak
                                      "ARGON2_MEMORY_COST": 1024, "ARGON2_TIME_COST": 1})


def migrate(url: str) -> None:
    env = os.environ | {"FLASK_APP": "app:create_app", "DATABASE_URL": url}
    subprocess.run([Path(sys.executable).parent / "flask", "db", "upgrade"], env=env, cwd=ROOT, check=True,
                   capture_output=True)


def populate(url: str, registrations: int, export_rows: int) -> tuple[int, int, str]:
    """Returns (door event id, export event id, organiser email)."""
    import sqlalchemy as sa

    from accounts.models import Membership, Organisation, Role, User
    from accounts.services import set_password
    from core.timeutils import utcnow
    from events.models import Audience, Event, EventKind, EventStatus, Registration
    from extensions import db

    app = app_for(url)
    with app.app_context():
        organisation = Organisation(name="Gemeente Bench", slug="gemeente-bench")
        user = User(email="organisator@bench.example", name="Organisator Bench")
        set_password(user, PASSWORD)
        db.session.add_all([organisation, user, Membership(user=user, organisation=organisation, role=Role.ORGANISER)])
        start = utcnow() - timedelta(minutes=15)
        events = [Event(organisation=organisation, title=title, slug=title.lower().replace(" ", "-"),
                        audience=Audience.CITIZENS, kind=EventKind.SESSION, starts_at=start,
                        ends_at=start + timedelta(hours=3), venue_name="Sporthal", capacity=count,
                        status=EventStatus.PUBLISHED) for title, count in
                  (("Grote avond", registrations), ("Regiodag", export_rows))]
        db.session.add_all(events)
        db.session.commit()
        for event, count in zip(events, (registrations, export_rows), strict=True):
            for first in range(0, count, 5000):
                db.session.execute(sa.insert(Registration), [
                    {"event_id": event.id, "name": f"Deelnemer {n}", "email": f"deelnemer{n}@bench.example",
                     "company_name": f"Bedrijf {n % 500}", "status": "confirmed", "answers": {},
                     "manage_token": secrets.token_urlsafe(24), "checkin_code": secrets.token_urlsafe(24),
                     "created_at": start - timedelta(days=10, seconds=n), "updated_at": start}
                    for n in range(first, min(first + 5000, count))])
            db.session.commit()
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
        return events[0].id, events[1].id, user.email


def time_check_ins(url: str, event_id: int, email: str, scans: int) -> dict[str, object]:
    import sqlalchemy as sa

    from events.models import Registration
    from extensions import db

    app = app_for(url)
    with app.app_context():
        codes = list(db.session.scalars(sa.select(Registration.checkin_code)
                                        .where(Registration.event_id == event_id).limit(scans)))
        db.session.remove()
        client = app.test_client()
        assert client.post("/beheer/inloggen", data={"email": email, "password": PASSWORD}).status_code == 302
        url_path = f"/beheer/check-in/{event_id}/scan.json"

        def timed(code: str, n: int, expected: int) -> float:
            started = time.perf_counter()
            response = client.post(url_path, json={"code": code, "nonce": f"bench-nonce-{n}"})
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == expected, response.get_data(as_text=True)
            return elapsed

        first = [timed(code, n, 200) for n, code in enumerate(codes)]
        again = [timed(code, scans + n, 409) for n, code in enumerate(codes[:REPEATS])]
    return {"check_in": _summary(first), "already_checked_in": _summary(again)}


def _summary(milliseconds: list[float]) -> dict[str, float]:
    ordered = sorted(milliseconds)
    return {"requests": len(ordered), "median_ms": round(statistics.median(ordered), 2),
            "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 2), "max_ms": round(ordered[-1], 2)}


EXPORT_SCRIPT = """
import json, os, resource, sys, time
sys.path.insert(0, {root!r})
from bench.checkin.run import app_for, PASSWORD
PAGE = os.sysconf("SC_PAGE_SIZE")
def rss_mb():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE / 2**20
app = app_for({url!r})
client = app.test_client()
client.post("/beheer/inloggen", data={{"email": {email!r}, "password": PASSWORD}})
client.get("/beheer/")
before = rss_mb()
largest = before
started = time.perf_counter()
response = client.get("/beheer/evenementen/{event_id}/aanmeldingen.{kind}")
size = 0
for number, chunk in enumerate(response.response):
    size += len(chunk)
    if number % 500 == 0:
        largest = max(largest, rss_mb())
seconds = time.perf_counter() - started
print(json.dumps({{"status": response.status_code, "bytes": size, "seconds": round(seconds, 2),
                  "rss_mb_before": round(before, 1), "rss_mb_max_during": round(largest, 1),
                  "peak_rss_mb_process": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}}))
"""


def time_export(url: str, event_id: int, email: str, kind: str) -> dict[str, object]:
    """In a fresh process, so its peak memory is the export's own."""
    script = EXPORT_SCRIPT.format(root=str(ROOT), url=url, email=email, event_id=event_id, kind=kind)
    output = subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, capture_output=True, text=True)
    return json.loads(output.stdout.strip().splitlines()[-1])


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def main() -> None:
    args = parse_args()
    recreate_database(args.database_url)
    migrate(args.database_url)
    door_event, export_event, email = populate(args.database_url, args.registrations, args.export_rows)
    result: dict[str, object] = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": vars(args),
        **time_check_ins(args.database_url, door_event, email, args.scans),
    }
    for kind in ["csv"] + (["xlsx"] if args.xlsx else []):
        result[f"export_{kind}_{args.registrations}"] = time_export(args.database_url, door_event, email, kind)
        result[f"export_{kind}_{args.export_rows}"] = time_export(args.database_url, export_event, email, kind)
    out = ROOT / "bench" / "results" / f"checkin-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
