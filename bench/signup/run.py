"""Sign-up throughput on one hot event: gunicorn + PostgreSQL, wrk with 50 connections.

Usage: .venv/bin/python bench/signup/run.py [--database-url URL] [--duration 20] [--connections 50]

Creates (drops first) the database, migrates it with Alembic, makes one published event with a
waiting list, starts gunicorn, and runs wrk twice in the same run: against `/livez` (the floor:
a bare Flask route on the same server) and against the sign-up form (every request contends for
the same event lock). Afterwards it checks the database: confirmed == capacity, nothing lost.
Results are printed as a Markdown table and saved to bench/results/signup-<date>.json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlparse

import psycopg
import requests

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
PORT = 5055
CAPACITY = 500


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/weerbaar_bench")
    parser.add_argument("--duration", type=int, default=20, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    return parser.parse_args()


def recreate_database(url: str) -> None:
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin_url = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def server_env(database_url: str) -> dict[str, str]:
    return os.environ | {
        "FLASK_APP": "app:create_app",
        "FLASK_CONFIG": "production",
        "SECRET_KEY": "benchmark-secret-not-for-production",
        "DATABASE_URL": database_url,
        "RATELIMIT_ENABLED": "false",  # one client address sends everything
        "BASE_URL": f"http://127.0.0.1:{PORT}",
    }


def prepare_event(env: dict[str, str]) -> str:
    """Migrates and creates the hot event; returns its public path."""
    subprocess.run([VENV_BIN / "flask", "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    script = f"""
from datetime import timedelta
from app import create_app
from extensions import db
from accounts.models import Organisation
from events.models import Event, EventStatus, Audience, EventKind
from core.timeutils import utcnow
app = create_app()
with app.app_context():
    org = Organisation(name="Gemeente Bench", slug="gemeente-bench", mail_from_address="noreply@bench.example")
    start = utcnow() + timedelta(days=7)
    event = Event(organisation=org, title="Drukke workshop", slug="drukke-workshop", audience=Audience.SMES,
                  kind=EventKind.WORKSHOP, starts_at=start, ends_at=start + timedelta(hours=2),
                  venue_name="Stadhuis", capacity={CAPACITY}, waitlist_enabled=True,
                  status=EventStatus.PUBLISHED, published_at=utcnow())
    db.session.add(event)
    db.session.commit()
    print(f"/evenementen/{{event.id}}/{{event.slug}}")
"""
    result = subprocess.run([VENV_BIN / "python", "-c", script], env=env, cwd=ROOT, check=True,
                            capture_output=True, text=True)
    return result.stdout.strip().splitlines()[-1]


def start_gunicorn(env: dict[str, str], workers: int, threads: int) -> subprocess.Popen[bytes]:
    command = [str(VENV_BIN / "gunicorn"), "-b", f"127.0.0.1:{PORT}", "-w", str(workers),
               "--threads", str(threads), "--worker-class", "gthread", "app:create_app()"]
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(100):
        try:
            if requests.get(f"http://127.0.0.1:{PORT}/livez", timeout=1).ok:
                return server
        except requests.RequestException:  # refused, or slow while it boots
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("gunicorn did not start: " + server.stderr.read().decode())


def session_and_token(path: str) -> tuple[str, str]:
    """One session cookie + its CSRF token, shared by every benchmark request (as a browser tab would)."""
    response = requests.get(f"http://127.0.0.1:{PORT}{path}", timeout=5)
    response.raise_for_status()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.text)
    if token is None:
        raise RuntimeError("no CSRF token in the sign-up page")
    cookie = f"session={response.cookies['session']}"
    return cookie, token.group(1)


def run_wrk(url: str, connections: int, duration: int, script: Path | None = None,
            extra_env: dict[str, str] | None = None) -> dict[str, float]:
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{duration}s", "--latency", "--timeout", "10s"]
    if script:
        command += ["-s", str(script)]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True,
                            env=os.environ | (extra_env or {})).stdout
    return parse_wrk(output)


def _milliseconds(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def parse_wrk(output: str) -> dict[str, float]:
    percentiles = dict(re.findall(r"^\s+(50|99)(?:\.000)?%\s+(\S+)", output, re.MULTILINE))
    requests_done = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {
        "requests": requests_done,
        "per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        "p50_ms": _milliseconds(percentiles["50"]),
        "p99_ms": _milliseconds(percentiles["99"]),
        "bad_status": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def count_registrations(database_url: str) -> dict[str, int]:
    with psycopg.connect(database_url) as connection:
        rows = connection.execute("SELECT status, count(*) FROM registrations GROUP BY status").fetchall()
        outbox = connection.execute("SELECT count(*) FROM outgoing_messages").fetchone()[0]
    return dict(rows) | {"outbox_rows": outbox}


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def main() -> None:
    args = parse_args()
    recreate_database(args.database_url)
    env = server_env(args.database_url)
    path = prepare_event(env)
    server = start_gunicorn(env, args.workers, args.threads)
    try:
        cookie, token = session_and_token(path)
        floor = run_wrk(f"http://127.0.0.1:{PORT}/livez", args.connections, args.duration)
        signup = run_wrk(f"http://127.0.0.1:{PORT}{path}", args.connections, args.duration,
                         script=Path(__file__).with_name("signup.lua"),
                         extra_env={"SIGNUP_PATH": path, "SIGNUP_COOKIE": cookie, "SIGNUP_CSRF": token})
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    counts = count_registrations(args.database_url)
    result = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": vars(args) | {"capacity": CAPACITY},
        "floor_healthz": floor,
        "signup": signup,
        "ratio_signup_to_floor": round(signup["per_second"] / floor["per_second"], 3),
        "database_after": counts,
        "overbooked": counts.get("confirmed", 0) > CAPACITY,
        # Every accepted request left exactly one registration row (wrk may cut the last few in flight).
        "rows_minus_accepted": counts.get("confirmed", 0) + counts.get("waitlisted", 0)
        - (signup["requests"] - signup["bad_status"]),
    }
    out = ROOT / "bench" / "results" / f"signup-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    if result["overbooked"] or signup["bad_status"]:
        sys.exit("FAILED: overbooking or error responses, see above")


if __name__ == "__main__":
    main()
