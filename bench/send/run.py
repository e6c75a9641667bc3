"""Sending throughput: the outbox worker against a bare smtplib floor, into Postfix's smtp-sink.

Usage: .venv/bin/python bench/send/run.py [--messages 20000] [--database-url URL] [--memory-check 100000]

Needs PostgreSQL and `/usr/sbin/smtp-sink` (`apt-get install postfix`; the Postfix daemon itself
is not used, and no mail leaves the machine: smtp-sink listens on loopback and discards).
In one run it:
1. recreates the database (dropped first) and queues N copies of a newsletter as a campaign launch
   does: each row references the compiled template and carries its recipient's values (the
   contact, unsubscribe and preferences links, List-Unsubscribe headers); the worker personalises.
   `--newsletter library` (default): the app's own newsletter from the template library
   (templates/mail/campaigns/library/newsletter.mjml, in the visual layout), about 11.6 KiB (11,901 bytes) on
   the wire; `--newsletter demo`: bench/render/newsletter.mjml in the layout, 75.6 KB;
2. measures the floor: one smtplib connection pushing N identical pre-built (personalised) messages
   of the same size into the sink;
3. runs one `flask mailing worker --once` process over the N rows (throughput from the first to
   the last `sent_at`, peak memory of the process);
4. requeues the rows and runs two worker processes side by side;
5. with --memory-check M, queues M rows and runs one worker again to compare its peak memory.
Results are printed as a Markdown table and saved to bench/results/send-<date>.json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import smtplib
import socket
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import psycopg
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from bench.render.run import BRANDING, NEWSLETTER  # noqa: E402
from config import normalise_database_url  # noqa: E402
from extensions import db  # noqa: E402
from mailing.message import build_message  # noqa: E402
from mailing.models import MailTemplate, MessageKind, MessageStatus, OutgoingMessage  # noqa: E402
from mailing.models import unsettled as unsettled_rows  # noqa: E402
from mailing.outbox import new_message_id  # noqa: E402
from mailing.personalise import (  # noqa: E402
    CompiledMail,
    compile_mail,
    compose,
    from_plain,
    personalise,
    source_hash,
    to_plain,
    wrap_in_layout,
)

SINK = "/usr/sbin/smtp-sink"
SENDER = "nieuws@weerbaar.example"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/weerbaar_bench_send")
    parser.add_argument("--sink-port", type=int, default=2526)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--newsletter", choices=("library", "demo"), default="library",
                        help="library: the app's 11.6 KiB library newsletter; demo: the 75.6 KB demo newsletter")
    parser.add_argument("--memory-check", type=int, default=0, help="also run one worker over this many rows")
    return parser.parse_args()


def recreate_database(url: str) -> None:
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin_url = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def start_sink(port: int) -> subprocess.Popen:
    sink = subprocess.Popen([SINK, "-u", "postfix", f"127.0.0.1:{port}", "1000"])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            smtplib.SMTP("127.0.0.1", port, timeout=1).quit()
            return sink
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("smtp-sink did not start")


def newsletter_source(which: str) -> str:
    if which == "demo":
        return wrap_in_layout(NEWSLETTER.read_text())
    return compose("mail/campaigns/library/newsletter.mjml")


def shared_values() -> dict[str, Any]:
    """What every recipient shares, as campaigns.services.campaigns.mail_context gives it."""
    events = [{"date": f"{day} december", "title": f"Veilig online {day}", "place": "Stadhuis",
               "url": f"https://weerbaar.example/evenementen/{day}"} for day in range(1, 6)]
    return {"branding": BRANDING, "events": events, "preheader": "Nieuws uit het netwerk", "web_version_url": None}


def recipient_values(contact: int) -> dict[str, Any]:
    """One recipient's values as a launch stores them in the row's `context`."""
    token = f"{contact:016x}"
    return {"contact": {"id": contact, "first_name": f"Anna{contact}", "name": f"Anna{contact} de Vries",
                        "email": f"contact{contact}@ontvanger.example", "municipality": "Utrecht"},
            "unsubscribe_url": f"https://weerbaar.example/nieuwsbrief/afmelden/{token}.1",
            "preferences_url": f"https://weerbaar.example/nieuwsbrief/voorkeuren/{token}"}


def queue_campaign(compiled: CompiledMail, count: int, first_contact: int = 1) -> float:
    """Inserts `count` rows as a campaign launch does (a template reference and each recipient's
    plain values; the worker personalises); returns messages/second."""
    started = time.perf_counter()
    template = MailTemplate(source_hash=source_hash(compiled.source), source=compiled.source,
                            html_source=compiled.html_source, text_source=compiled.text_source,
                            shared=to_plain(shared_values()), redirects={})
    db.session.add(template)
    db.session.flush()
    rows: list[dict[str, Any]] = []
    for contact in range(first_contact, first_contact + count):
        context = recipient_values(contact)
        rows.append({
            "kind": MessageKind.CAMPAIGN, "template": "newsletter", "campaign_id": first_contact,
            "contact_id": contact, "to_address": context["contact"]["email"],
            "to_name": context["contact"]["name"], "from_address": SENDER, "from_name": BRANDING.name,
            "subject": "Nieuws uit het netwerk", "text_body": "", "template_id": template.id,
            "context": context,
            "headers": {"List-Unsubscribe": f"<{context['unsubscribe_url']}>",
                        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
            "message_id": new_message_id(SENDER),
        })
        if len(rows) == 1000:
            db.session.execute(sa.insert(OutgoingMessage), rows)
            rows = []
    if rows:
        db.session.execute(sa.insert(OutgoingMessage), rows)
    db.session.commit()
    return count / (time.perf_counter() - started)


def sample_message(compiled: CompiledMail) -> tuple[str, bytes]:
    """(recipient, the personalised message as the worker builds it) of one queued row."""
    sample = db.session.scalars(sa.select(OutgoingMessage).limit(1)).one()
    context = from_plain(to_plain(shared_values())) | sample.context
    return sample.to_address, build_message(sample, bodies=personalise(compiled, context))


def floor(sample: tuple[str, bytes], count: int, port: int) -> float:
    """A bare smtplib loop: the same number of identical pre-built messages over one connection
    (smtplib waits for each of MAIL, RCPT, DATA and the content: four round trips a message)."""
    recipient, data = sample
    connection = smtplib.SMTP("127.0.0.1", port)
    started = time.perf_counter()
    for _ in range(count):
        connection.sendmail(SENDER, [recipient], data)
    elapsed = time.perf_counter() - started
    connection.quit()
    return count / elapsed


def pipelined_floor(sample: tuple[str, bytes], count: int, port: int) -> float:
    """The same pre-built messages over a raw socket with PIPELINING as the worker uses it: the
    content of message N and the envelope of N+1 in one write, then their four replies read, so
    one round trip a message and no more (what the duplicate window allows). No parsing beyond
    counting reply lines: the ceiling of one connection for a sender that waits for each 250."""
    recipient, data = sample
    envelope = f"MAIL FROM:<{SENDER}>\r\nRCPT TO:<{recipient}>\r\nDATA\r\n".encode("ascii")
    content = data + (b"" if data.endswith(b"\r\n") else b"\r\n") + b".\r\n"
    with socket.create_connection(("127.0.0.1", port)) as sock:
        replies = sock.makefile("rb")
        replies.readline()
        sock.sendall(b"EHLO bench.localhost\r\n")
        while replies.readline()[3:4] == b"-":
            pass
        started = time.perf_counter()
        sock.sendall(envelope)
        for _ in range(3):
            _expect(replies.readline(), (b"250", b"354"))
        for number in range(count):
            last = number == count - 1
            sock.sendall(content if last else content + envelope)
            for _ in range(1 if last else 4):
                _expect(replies.readline(), (b"250", b"354"))
        elapsed = time.perf_counter() - started
        sock.sendall(b"QUIT\r\n")
    return count / elapsed


def _expect(reply: bytes, codes: tuple[bytes, ...]) -> None:
    if reply[:3] not in codes:
        raise RuntimeError(f"smtp-sink answered {reply!r}")


def worker_environment(database_url: str, port: int) -> dict[str, str]:
    return os.environ | {
        "FLASK_APP": "app:create_app", "FLASK_CONFIG": "development",
        "DATABASE_URL": database_url, "MAIL_TRANSPORT": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port),
    }


def worker_command(batch_size: int) -> list[str]:
    return [sys.executable, "-m", "flask", "mailing", "worker", "--once", "--batch-size", str(batch_size)]


def idle_worker_cpu_seconds(database_url: str, port: int, batch_size: int) -> float:
    """CPU time of a worker that finds nothing to send: importing and starting the app (about 2.5 s
    here), paid once per process, not per message; subtracted for the per-message figure."""
    worker = subprocess.Popen(worker_command(batch_size), cwd=ROOT, env=worker_environment(database_url, port),
                              stdout=subprocess.DEVNULL)
    _peak, user, system, _samples = wait_for([worker])
    return user[0] + system[0]


def run_workers(processes: int, database_url: str, port: int, batch_size: int, sink_pid: int,
                idle_cpu: float) -> dict[str, Any]:
    environment = worker_environment(database_url, port)
    before = cpu_snapshot(sink_pid)
    workers = [subprocess.Popen(worker_command(batch_size), cwd=ROOT, env=environment, stdout=subprocess.DEVNULL)
               for _ in range(processes)]
    queued = db.session.scalar(sa.select(sa.func.count()).where(unsettled_rows()))
    db.session.commit()
    peak_kb, worker_user, worker_system, rss_samples = wait_for(workers, settled_of=queued if processes == 1 else None)
    after = cpu_snapshot(sink_pid)
    first, last, sent = db.session.execute(
        sa.select(sa.func.min(OutgoingMessage.sent_at), sa.func.max(OutgoingMessage.sent_at), sa.func.count())
        .where(OutgoingMessage.status == MessageStatus.SENT)
    ).one()
    per_message_ms = {name: round((after[name] - before[name]) * 1000 / sent, 3) for name in ("sink", "postgres")}
    worker_cpu = sum(worker_user) + sum(worker_system)
    return {"sent": sent, "per_second": round((sent - 1) / (last - first).total_seconds(), 1),
            "peak_mb": [round(kb / 1024, 1) for kb in peak_kb],
            "rss_mb_by_messages_settled": rss_samples,
            "cpu_ms_per_message": {"workers": round(worker_cpu * 1000 / sent, 3),
                                   "workers_without_startup": round((worker_cpu - processes * idle_cpu) * 1000 / sent, 3),
                                   "workers_system": round(sum(worker_system) * 1000 / sent, 3)} | per_message_ms,
            "host_busy": round(1 - (after["idle"] - before["idle"]) / (after["total"] - before["total"]), 3)}


RSS_SAMPLE_SECONDS = 2.0


def wait_for(workers: list[subprocess.Popen], *, settled_of: int | None = None
             ) -> tuple[list[int], list[float], list[float], list[tuple[int, float]]]:
    """Waits for the workers; returns each one's peak memory (kB), user and system CPU time (s, from
    wait4) and, with `settled_of` (one worker; the rows queued), its resident memory (MB) against the number of rows
    settled so far, sampled every few seconds: flat memory shows as the same RSS after 20,000
    messages as after 1,000,000."""
    peak_kb, user_seconds, system_seconds = [0] * len(workers), [0.0] * len(workers), [0.0] * len(workers)
    samples: list[tuple[int, float]] = []
    next_sample = time.monotonic() + RSS_SAMPLE_SECONDS
    pending = dict(enumerate(workers))
    while pending:
        for index, worker in list(pending.items()):
            peak_kb[index] = max(peak_kb[index], high_water_kb(worker.pid))
            if settled_of is not None and time.monotonic() >= next_sample:
                settled, resident = settled_of - unsettled_count(), resident_kb(worker.pid)
                if resident:  # 0: the worker has just exited (a zombie has no memory left)
                    samples.append((settled, round(resident / 1024, 1)))
                next_sample = time.monotonic() + RSS_SAMPLE_SECONDS
            pid, status, usage = os.wait4(worker.pid, os.WNOHANG)
            if pid:
                if os.waitstatus_to_exitcode(status) != 0:
                    raise RuntimeError(f"worker {pid} failed: {os.waitstatus_to_exitcode(status)}")
                user_seconds[index], system_seconds[index] = usage.ru_utime, usage.ru_stime
                worker.returncode = 0
                del pending[index]
        time.sleep(0.1)
    return peak_kb, user_seconds, system_seconds, samples


def unsettled_count() -> int:
    """Rows still queued or in hand: the shrinking partial index of unsettled rows, cheap to count."""
    unsettled = db.session.scalar(sa.select(sa.func.count()).where(unsettled_rows()))
    db.session.commit()
    return unsettled or 0


def cpu_snapshot(sink_pid: int) -> dict[str, float]:
    """CPU seconds used so far by smtp-sink and by all PostgreSQL processes, ended ones included
    (the postmaster's children time; on a shared host this includes other databases' work), and
    the host's idle and total CPU time."""
    ticks = os.sysconf("SC_CLK_TCK")
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    snapshot = {"sink": process_cpu(sink_pid) / ticks, "postgres": 0.0,
                "idle": (int(fields[3]) + int(fields[4])) / ticks, "total": sum(map(int, fields[:8])) / ticks}
    for entry in Path("/proc").iterdir():
        if entry.name.isdecimal() and read_or_empty(entry / "comm").strip() == "postgres":
            snapshot["postgres"] += process_cpu(int(entry.name), with_ended_children=True) / ticks
    return snapshot


def process_cpu(pid: int, *, with_ended_children: bool = False) -> int:
    """utime + stime of a process in clock ticks (0 once it is gone), optionally with cutime +
    cstime: the time of its children that ended (for the postmaster: closed connections)."""
    fields = read_or_empty(Path(f"/proc/{pid}/stat")).rsplit(")", 1)[-1].split()
    if len(fields) < 15:
        return 0
    return sum(map(int, fields[11:15] if with_ended_children else fields[11:13]))


def read_or_empty(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def resident_kb(pid: int) -> int:
    return _status_kb(pid, "VmRSS:")


def high_water_kb(pid: int) -> int:
    """Peak resident memory of a running process (VmHWM). Not getrusage(): on Linux a child's
    ru_maxrss includes the parent's memory at fork time, here the queued messages."""
    return _status_kb(pid, "VmHWM:")


def _status_kb(pid: int, field: str) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return 0
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith(field)), 0)


def analyze() -> None:
    """Fresh planner statistics after a bulk change, as autovacuum would make them shortly after."""
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("ANALYZE outgoing_messages")


def requeue_all() -> None:
    db.session.execute(sa.update(OutgoingMessage).values(
        status=MessageStatus.QUEUED, attempts=0, sent_at=None, smtp_response=None, next_attempt_at=sa.func.now()))
    db.session.commit()


def main() -> None:
    args = parse_args()
    recreate_database(args.database_url)
    sink = start_sink(args.sink_port)
    app = create_app("development", {"SQLALCHEMY_DATABASE_URI": normalise_database_url(args.database_url)})
    results: dict[str, Any] = {"load_average": os.getloadavg()}
    try:
        with app.app_context():
            db.create_all()
            idle_cpu = idle_worker_cpu_seconds(args.database_url, args.sink_port, args.batch_size)
            results["idle_worker_cpu_seconds"] = round(idle_cpu, 3)
            compiled = compile_mail(newsletter_source(args.newsletter))
            results["queue_per_second"] = round(queue_campaign(compiled, args.messages), 1)
            analyze()
            sample = sample_message(compiled)
            results["message_bytes"] = len(sample[1])
            results["floor_per_second"] = round(floor(sample, args.messages, args.sink_port), 1)
            results["pipelined_floor_per_second"] = round(pipelined_floor(sample, args.messages, args.sink_port), 1)
            results["one_worker"] = run_workers(1, args.database_url, args.sink_port, args.batch_size, sink.pid, idle_cpu)
            requeue_all()
            analyze()
            results["two_workers"] = run_workers(2, args.database_url, args.sink_port, args.batch_size, sink.pid, idle_cpu)
            if args.memory_check:
                db.session.execute(sa.delete(OutgoingMessage))
                db.session.commit()
                queue_campaign(compiled, args.memory_check, first_contact=10**6)
                analyze()
                results["memory_check"] = run_workers(1, args.database_url, args.sink_port, args.batch_size, sink.pid, idle_cpu)
                results["memory_check"]["messages"] = args.memory_check
    finally:
        sink.terminate()
        sink.wait()
    report(args, results)


def report(args: argparse.Namespace, results: dict[str, Any]) -> None:
    floor_rate = results["floor_per_second"]
    one, two = results["one_worker"], results["two_workers"]
    print(f"{args.messages} messages of the {args.newsletter} newsletter, {results['message_bytes']:,} bytes "
          f"({results['message_bytes'] / 1024:.1f} KiB) on the wire, batch size {args.batch_size}")
    print("| run | messages/second | vs smtplib / pipelined floor | peak worker memory (MB) "
          "| CPU ms/message: workers (without startup) / sink / PostgreSQL | host CPU busy |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    pipelined = results["pipelined_floor_per_second"]
    print(f"| pipelined raw-socket floor (one connection, pre-built) | {pipelined:.0f} | {pipelined / floor_rate:.0%} "
          f"| | | |")
    print(f"| smtplib floor (one connection, pre-built) | {floor_rate:.0f} | 100% | | | |")
    rows = [("one worker", one), ("two workers", two)]
    if "memory_check" in results:
        rows.append((f"one worker, {results['memory_check']['messages']} messages", results["memory_check"]))
    for label, run in rows:
        scaling = f" ({run['per_second'] / one['per_second']:.2f}x one)" if run is two else ""
        cpu = run["cpu_ms_per_message"]
        print(f"| {label} | {run['per_second']:.0f} | {run['per_second'] / floor_rate:.0%} "
              f"/ {run['per_second'] / pipelined:.0%}{scaling} | "
              f"{' / '.join(map(str, run['peak_mb']))} | {cpu['workers']:.2f} ({cpu['workers_without_startup']:.2f}; "
              f"system {cpu['workers_system']:.2f}) / "
              f"{cpu['sink']:.2f} / {cpu['postgres']:.2f} | {run['host_busy']:.0%} |")
    print(f"goals (issue 14.3): one worker >= 2,000/s: {one['per_second']:.0f}; two workers >= 1.8x one: "
          f"{two['per_second'] / one['per_second']:.2f}x")
    if "memory_check" in results:
        print(memory_line(results["memory_check"]["rss_mb_by_messages_settled"]))
    print(f"worker startup (an idle worker's CPU, not counted per message): {results['idle_worker_cpu_seconds']:.2f} s")
    print(f"load average before the run: {results['load_average']}")
    print(f"queueing (insert, personalised by the worker): {results['queue_per_second']:.0f} messages/second")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H%M")
    machine = {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
               "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)}
    (out / f"send-{stamp}.json").write_text(json.dumps({"machine": machine, "args": vars(args), "results": results},
                                                       indent=2, default=str))


def memory_line(samples: list[tuple[int, float]]) -> str:
    """Resident memory of the one worker once 20,000 rows were settled, and at the end."""
    early = next(((settled, mb) for settled, mb in samples if settled >= 20_000), None)
    if early is None or not samples:
        return "memory: too few samples (fewer than 20,000 messages or a very short run)"
    (first_settled, first_mb), (last_settled, last_mb) = early, samples[-1]
    return (f"memory (RSS of the one worker): {first_mb} MB after {first_settled:,} messages, "
            f"{last_mb} MB after {last_settled:,}; highest {max(mb for _settled, mb in samples)} MB")


if __name__ == "__main__":
    main()
