"""CPU time of one contact import, the part that does not depend on how busy the host is.

Usage: .venv/bin/python bench/launch/import_cpu.py --database-url postgresql://... [--contacts 50000] [--profile N]

The database's tables are dropped and created again: give it a database of its own. Stores the same
CSV file as `run.py` (as the upload does), queues it and runs it in this process (as the
background thread does), then prints the CPU seconds per 10,000 rows of this process and of its
PostgreSQL backend (read from /proc, so the server must run on this machine), and the wall time.
With --profile N it prints the N functions with the most cumulative time (cProfile) instead.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import OFFICER, bench_app, csv_file  # noqa: E402

from accounts.models import Organisation, User  # noqa: E402
from campaigns.models import ContactImport, ContactList  # noqa: E402
from campaigns.services import import_jobs  # noqa: E402
from extensions import db  # noqa: E402

MAPPING = {"email": 0, "name": 1, "municipality": 2, "audience": 3, "consent": 4}


def backend_cpu_seconds(pid: int) -> float:
    """utime + stime of a process on this machine (fields 14 and 15 of /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--contacts", type=int, default=50_000)
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    args = parser.parse_args()
    with bench_app(args.database_url).app_context():
        db.drop_all()
        db.create_all()
        organisation = Organisation(name="Gemeente Bench", slug="bench", mail_from_address="nieuws@bench.example")
        officer = User(email=OFFICER, name="Communicatie Bench")
        db.session.add_all([organisation, officer])
        db.session.flush()
        newsletter = ContactList(organisation_id=organisation.id, name="Nieuwsbrief")
        db.session.add(newsletter)
        db.session.flush()
        job = import_jobs.upload(organisation.id, officer.id, "bench.csv", csv_file(args.contacts))
        import_jobs.queue(job, dict(MAPPING), newsletter.id)
        db.session.commit()
        backend = db.session.scalar(sa.text("SELECT pg_backend_pid()"))
        profiler = cProfile.Profile() if args.profile else None
        backend_before, cpu_before, wall_before = backend_cpu_seconds(backend), time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        for _rows in import_jobs.run(job.id):
            pass
        if profiler:
            profiler.disable()
        cpu, wall = time.process_time() - cpu_before, time.perf_counter() - wall_before
        backend_cpu = backend_cpu_seconds(backend) - backend_before
        assert db.session.scalar(sa.text("SELECT pg_backend_pid()")) == backend, "the import used another connection"
        report = db.session.scalar(sa.select(ContactImport.report).where(ContactImport.id == job.id))
        assert report["created"] == report["subscribed"] == args.contacts, report
        per = 10_000 / args.contacts
        print(f"{args.contacts} rows: Python CPU {cpu * per:.3f} s, PostgreSQL backend CPU {backend_cpu * per:.3f} s "
              f"per 10,000 rows; wall {wall:.1f} s; load average {os.getloadavg()[0]:.1f}")
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile)


if __name__ == "__main__":
    main()
