"""Sign-up throughput on one hot event: gunicorn + PostgreSQL, wrk with 50 connections.

Usage: .venv/bin/python bench/signup/run.py [--database-url URL] [--duration 20] [--connections 50]
                                             [--pretix] [--pretix-venv /work/pretix-venv]

Creates (drops first) the database, migrates it with Alembic, makes one published event with a
waiting list, starts gunicorn with deploy/gunicorn.conf.py, and runs wrk twice in the same run:
against `/livez` (the floor: a bare Flask route on the same server) and against the sign-up form
(every request takes a seat on the same event row). It reads the CPU time of the gunicorn workers
and of PostgreSQL from /proc before and after, counts the SQL statements of one sign-up
in-process, and afterwards checks the database: confirmed == capacity == the seat counter.
Then one mail worker composes and "sends" (outbox transport) the queued confirmations: the
composing moved out of the request is paid there, and measured.

With --pretix, the same is done for pretix (bench/signup/pretix_run.py) in the same run.
Results are saved to bench/results/signup-<date>.json.
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
    parser.add_argument("--pretix", action="store_true", help="also run pretix's order flow (bench/signup/pretix_run.py)")
    parser.add_argument("--pretix-venv", default="/work/pretix-venv")
    parser.add_argument("--profile", action="store_true", help="py-spy one gunicorn worker during the sign-ups")
    parser.add_argument("--app-root", type=Path, default=ROOT,
                        help="the checkout to serve (e.g. an export of main, for a before/after in one run)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/1",
                        help="rate-limit storage (production refuses memory with several workers)")
    return parser.parse_args()


def recreate_database(url: str) -> None:
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin_url = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def server_env(database_url: str, args: argparse.Namespace) -> dict[str, str]:
    return os.environ | {
        "FLASK_APP": "app:create_app",
        "FLASK_CONFIG": "production",
        "SECRET_KEY": "benchmark-secret-not-for-production",
        "DATABASE_URL": database_url,
        "RATELIMIT_ENABLED": "false",  # one client address sends everything
        "RATELIMIT_STORAGE_URI": args.redis_url,
        "BASE_URL": f"http://127.0.0.1:{PORT}",
        "MAIL_TRANSPORT": "outbox",
        "GUNICORN_BIND": f"127.0.0.1:{PORT}",
        "WEB_CONCURRENCY": str(args.workers),
        "GUNICORN_THREADS": str(args.threads),
        "GUNICORN_ACCESS_LOG": "/dev/null",
    }


def prepare_event(env: dict[str, str], app_root: Path) -> str:
    """Migrates and creates the hot event; returns its public path."""
    subprocess.run([VENV_BIN / "flask", "db", "upgrade"], env=env, cwd=app_root, check=True, capture_output=True)
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
    result = subprocess.run([VENV_BIN / "python", "-c", script], env=env, cwd=app_root, check=True,
                            capture_output=True, text=True)
    return result.stdout.strip().splitlines()[-1]


def start_gunicorn(env: dict[str, str], app_root: Path) -> subprocess.Popen[bytes]:
    # No worker recycling during the run (the deployed max_requests), so /proc keeps every worker's CPU.
    command = [str(VENV_BIN / "gunicorn"), "-c", str(app_root / "deploy" / "gunicorn.conf.py"), "--max-requests", "0"]
    server = subprocess.Popen(command, env=env, cwd=app_root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(300):
        try:
            if requests.get(f"http://127.0.0.1:{PORT}/livez", timeout=1).ok:
                return server
        except requests.RequestException:  # refused, or slow while it boots
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("gunicorn did not start: " + server.stderr.read().decode())


def stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM (graceful: requests in flight finish), SIGKILL when that takes too long."""
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=90)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pids: list[int]) -> float:
    """utime + stime of the processes (not their children), from /proc/<pid>/stat."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def postgres_pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _comm(p) == "postgres"]


def _comm(process: Path) -> str:
    try:
        return (process / "comm").read_text().strip()
    except OSError:
        return ""


def statements_per_signup(env: dict[str, str], path: str, app_root: Path) -> int:
    """One sign-up through the Flask test client on the bench database, its SQL statements counted."""
    script = f"""
import re, sqlalchemy as sa
from app import create_app
from extensions import db
app = create_app()
app.config.update(WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False)
with app.app_context():
    statements = []
    sa.event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    client = app.test_client()
    response = client.post("{path}", data={{"name": "Teller", "email": "teller@example.org",
                                            "company_name": "Telbedrijf"}})
    assert response.status_code == 302, response.status_code
    print(len(statements) + 1)  # + the COMMIT, which the DBAPI sends without a cursor
"""
    result = subprocess.run([VENV_BIN / "python", "-c", script], env=env, cwd=app_root, check=True,
                            capture_output=True, text=True)
    return int(result.stdout.strip().splitlines()[-1])


def run_mail_worker(env: dict[str, str], app_root: Path) -> dict[str, float]:
    """`flask mailing worker --once` over the queued sign-up mails (composes, then the outbox transport)."""
    started = time.monotonic()
    worker = subprocess.Popen([VENV_BIN / "flask", "mailing", "worker", "--once"], env=env, cwd=app_root,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(worker.pid, 0)
    if status:
        raise RuntimeError("mail worker failed: " + worker.stderr.read().decode()[-2000:])
    return {"seconds": round(time.monotonic() - started, 2), "cpu_seconds": usage.ru_utime + usage.ru_stime}


def session_and_token(path: str) -> tuple[str, str]:
    """One session cookie + its CSRF token, shared by every benchmark request (as a browser tab would)."""
    response = requests.get(f"http://127.0.0.1:{PORT}{path}", timeout=60)
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
        outbox = dict(connection.execute("SELECT status, count(*) FROM outgoing_messages GROUP BY status").fetchall())
        try:
            counter = connection.execute("SELECT seats_taken FROM events").fetchone()[0]
        except psycopg.errors.UndefinedColumn:  # a checkout from before the counter
            counter = None
    return dict(rows) | {"outbox": outbox, "seat_counter": counter}


PACKAGES = {"sqlalchemy": "SQLAlchemy", "psycopg": "psycopg", "flask": "Flask/Werkzeug/gunicorn",
            "werkzeug": "Flask/Werkzeug/gunicorn", "gunicorn": "Flask/Werkzeug/gunicorn", "wtforms": "WTForms",
            "flask_wtf": "WTForms", "jinja2": "Jinja", "mjml": "mail composition", "qrcode": "mail composition",
            "icalendar": "mail composition", "flask_babel": "Babel", "babel": "Babel", "flask_limiter": "limiter"}


def start_profiler(pid: int, duration: int) -> tuple[subprocess.Popen[bytes], Path]:
    out = ROOT / "bench" / "results" / f"signup-profile-{datetime.now():%Y%m%d-%H%M%S}.txt"
    out.parent.mkdir(exist_ok=True)
    command = [str(VENV_BIN / "py-spy"), "record", "--pid", str(pid), "--duration", str(max(duration - 2, 1)),
               "--format", "raw", "--output", str(out), "--nonblocking", "--gil"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), out


OWN = {"events", "mailing", "core", "accounts", "campaigns", "effect", "results", "app.py", "extensions.py"}
IDLE = ("select (selectors.py", "wait (threading.py", "accept (socket.py", "_worker (concurrent/futures/thread.py:81")


def summarise_profile(profiler: tuple[subprocess.Popen[bytes], Path]) -> dict[str, float]:
    process, out = profiler
    process.wait(timeout=120)
    return profile_shares(out)


def profile_shares(out: Path) -> dict[str, float]:
    """Share of the worker's busy samples by the package of the innermost frame that is a known
    library or the app's own code (py-spy raw format: `thread;frame;frame count`)."""
    shares: dict[str, int] = {}
    for line in out.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if len(frames) < 2 or frames[-1].startswith(IDLE):
            continue
        owner = "other (stdlib)"
        for frame in reversed(frames[1:]):
            match = re.search(r"\(([A-Za-z0-9_.]+)[/:]", frame)
            top = match.group(1) if match else ""
            if top.lower() in PACKAGES:
                owner = PACKAGES[top.lower()]
                break
            if top in OWN:
                owner = "own code"
                break
        shares[owner] = shares.get(owner, 0) + int(count)
    total = sum(shares.values()) or 1
    return {name: round(100 * n / total, 1) for name, n in sorted(shares.items(), key=lambda kv: -kv[1])}


def load_average() -> str:
    return Path("/proc/loadavg").read_text().split(" 1")[0].strip()


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def main() -> None:
    args = parse_args()
    app_root = args.app_root.resolve()
    recreate_database(args.database_url)
    env = server_env(args.database_url, args)
    path = prepare_event(env, app_root)
    load_before = load_average()
    server = start_gunicorn(env, app_root)
    try:
        cookie, token = session_and_token(path)
        floor = run_wrk(f"http://127.0.0.1:{PORT}/livez", args.connections, args.duration)
        workers = children(server.pid)
        profiler = start_profiler(workers[0], args.duration) if args.profile else None
        app_cpu, db_cpu = process_cpu_seconds(workers), process_cpu_seconds(postgres_pids())
        signup = run_wrk(f"http://127.0.0.1:{PORT}{path}", args.connections, args.duration,
                         script=Path(__file__).with_name("signup.lua"),
                         extra_env={"SIGNUP_PATH": path, "SIGNUP_COOKIE": cookie, "SIGNUP_CSRF": token})
        app_cpu = process_cpu_seconds(workers) - app_cpu
        db_cpu = process_cpu_seconds(postgres_pids()) - db_cpu
    finally:
        stop(server)
    counts = count_registrations(args.database_url)
    rows = counts.get("confirmed", 0) + counts.get("waitlisted", 0)  # what the CPU was spent on
    mail = run_mail_worker(env, app_root)
    statements = statements_per_signup(env, path, app_root)
    accepted = signup["requests"] - signup["bad_status"]
    result = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "settings": {name: str(value) for name, value in vars(args).items()} | {"capacity": CAPACITY},
        "floor_livez": floor,
        "signup": signup,
        "ratio_signup_to_floor": round(signup["per_second"] / floor["per_second"], 3),
        "app_cpu_ms_per_signup": round(1000 * app_cpu / rows, 2),
        "postgres_cpu_ms_per_signup": round(1000 * db_cpu / rows, 2),
        "profile": summarise_profile(profiler) if profiler else None,
        "sql_statements_per_signup": statements,
        "database_after": counts,
        "mail_worker": mail | {"cpu_ms_per_mail": round(1000 * mail["cpu_seconds"] / max(sum(counts["outbox"].values()), 1), 2)},
        "overbooked": counts.get("confirmed", 0) > CAPACITY,
        "counter_true": counts["seat_counter"] in (None, counts.get("confirmed", 0)),
        # Every accepted request left exactly one registration row (wrk may cut the last few in flight).
        "rows_minus_accepted": counts.get("confirmed", 0) + counts.get("waitlisted", 0) - accepted,
    }
    if args.pretix:
        sys.path.insert(0, str(Path(__file__).parent))
        import pretix_run
        result["pretix"] = pretix_run.run(Path(args.pretix_venv), args.database_url, args.connections, args.duration)
        if result["pretix"].get("per_second"):
            result["ratio_weerbaar_to_pretix"] = round(signup["per_second"] / result["pretix"]["per_second"], 1)
    out = ROOT / "bench" / "results" / f"signup-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    if result["overbooked"] or signup["bad_status"] or not result["counter_true"]:
        sys.exit("FAILED: overbooking, a wrong seat counter or error responses, see above")


if __name__ == "__main__":
    main()
