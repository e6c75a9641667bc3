"""CPU time per sign-up, in-process: the request's and the mail worker's, for one or more checkouts.

Usage: .venv/bin/python bench/signup/cpu.py [--signups 400] [--app-root DIR ...]

For each checkout (default: this one; pass an export of main as well for a before/after in one
run) the bench database is recreated and migrated, the hot event made (bench/signup/run.py), and
one process signs N people up through the Flask test client (production config, CSRF off, every
seat free so every mail is the confirmation with QR ticket and .ics), measuring its process CPU
time (`time.process_time`, which a busy shared host disturbs far less than wall-clock throughput)
and the SQL statements. Then the same process runs the mail worker over the queued rows (outbox
transport) and measures its CPU per mail: what the sign-up no longer composes is paid there.
No HTTP server, so gunicorn's share is not in it; run.py measures that under load.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import run  # noqa: E402 (the bench's database and event set-up)

MEASURE = """
import json, sys, time
import sqlalchemy as sa
from app import create_app
from extensions import db
from mailing.worker import run_worker
app = create_app()
app.config.update(WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False, MAIL_TRANSPORT="outbox")
signups, path = int(sys.argv[1]), sys.argv[2]
client = app.test_client()
def sign_up(n):
    data = {"name": f"Deelnemer {n}", "email": f"cpu{n}@example.org", "company_name": f"Bedrijf {n}"}
    assert client.post(path, data=data).status_code == 302
for n in range(30):
    sign_up(n)  # warm-up: templates compiled, caches filled
with app.app_context():
    run_worker(once=True)
statements = []
with app.app_context():
    sa.event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(1))
started = time.process_time()
for n in range(30, 30 + signups):
    sign_up(n)
request_cpu = time.process_time() - started
count = len(statements)
with app.app_context():
    started = time.process_time()
    sent = run_worker(once=True)
    worker_cpu = time.process_time() - started
print(json.dumps({"request_cpu_ms": 1000 * request_cpu / signups, "statements": count / signups + 1,
                  "worker_cpu_ms_per_mail": 1000 * worker_cpu / max(sent, 1), "mails": sent}))
"""


def measure(app_root: Path, database_url: str, signups: int, args: argparse.Namespace) -> dict:
    run.recreate_database(database_url)
    env = run.server_env(database_url, args)
    path = run.prepare_event(env, app_root)
    result = subprocess.run([str(run.VENV_BIN / "python"), "-c", MEASURE, str(signups), path], env=env,
                            cwd=app_root, check=True, capture_output=True, text=True)
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    return {name: round(value, 2) if isinstance(value, float) else value for name, value in figures.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/weerbaar_bench")
    parser.add_argument("--signups", type=int, default=400)
    parser.add_argument("--app-root", type=Path, action="append", default=None)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/1")
    args = parser.parse_args()
    roots = [root.resolve() for root in (args.app_root or [run.ROOT])]
    result = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": run.machine(),
              "load_average_before": run.load_average(), "signups": args.signups,
              "runs": {str(root): measure(root, args.database_url, args.signups, args) for root in roots},
              "load_average_after": run.load_average()}
    out = run.ROOT / "bench" / "results" / f"signup-cpu-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
