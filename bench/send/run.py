"""Sending throughput: the outbox worker against a bare smtplib floor, into Postfix's smtp-sink.

Usage: .venv/bin/python bench/send/run.py [--messages 20000] [--database-url URL] [--memory-check 100000]

Needs PostgreSQL and `/usr/sbin/smtp-sink` (`apt-get install postfix`; the Postfix daemon itself
is not used, and no mail leaves the machine: smtp-sink listens on loopback and discards).
In one run it:
1. recreates the database (dropped first) and queues N copies of the demo newsletter
   (bench/render/newsletter.mjml in the standard layout) as a campaign launch does: each row
   references the compiled template and carries its recipient's values; the worker personalises;
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
from bench.render.run import BRANDING, NEWSLETTER, newsletter_context  # noqa: E402
from config import normalise_database_url  # noqa: E402
from extensions import db  # noqa: E402
from mailing.message import build_message  # noqa: E402
from mailing.models import MailTemplate, MessageKind, MessageStatus, OutgoingMessage  # noqa: E402
from mailing.outbox import new_message_id  # noqa: E402
from mailing.personalise import compile_mail, personalise, source_hash, to_plain, wrap_in_layout  # noqa: E402

SINK = "/usr/sbin/smtp-sink"
SENDER = "nieuws@weerbaar.example"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/weerbaar_bench_send")
    parser.add_argument("--sink-port", type=int, default=2526)
    parser.add_argument("--batch-size", type=int, default=500)
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


def queue_campaign(count: int, first_contact: int = 1) -> float:
    """Inserts `count` rows as a campaign launch does (a template reference and each recipient's
    plain values; the worker personalises); returns messages/second."""
    compiled = compile_mail(wrap_in_layout(NEWSLETTER.read_text()))
    started = time.perf_counter()
    shared = {name: value for name, value in newsletter_context(first_contact).items() if name != "contact"}
    template = MailTemplate(source_hash=source_hash(compiled.source), source=compiled.source,
                            html_source=compiled.html_source, text_source=compiled.text_source,
                            shared=to_plain(shared), redirects={})
    db.session.add(template)
    db.session.flush()
    rows: list[dict[str, Any]] = []
    for contact in range(first_contact, first_contact + count):
        context = newsletter_context(contact)
        rows.append({
            "kind": MessageKind.CAMPAIGN, "template": "newsletter", "campaign_id": first_contact,
            "contact_id": contact, "to_address": f"contact{contact}@ontvanger.example",
            "to_name": f"Anna{contact} de Vries", "from_address": SENDER, "from_name": BRANDING.name,
            "subject": "Nieuwsbrief Digitaal Weerbaar: acht tips", "text_body": "", "template_id": template.id,
            "context": {"contact": context["contact"], "unsubscribe_url": context["unsubscribe_url"]},
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


def sample_message() -> tuple[str, bytes]:
    """(recipient, the personalised message as the worker builds it) of one queued row."""
    sample = db.session.scalars(sa.select(OutgoingMessage).limit(1)).one()
    compiled = compile_mail(wrap_in_layout(NEWSLETTER.read_text()))
    return sample.to_address, build_message(sample, bodies=personalise(compiled, newsletter_context(sample.contact_id)))


def floor(count: int, port: int) -> tuple[float, int]:
    """A bare smtplib loop: the same number of identical pre-built messages over one connection
    (smtplib waits for each of MAIL, RCPT, DATA and the content: four round trips a message)."""
    recipient, data = sample_message()
    connection = smtplib.SMTP("127.0.0.1", port)
    started = time.perf_counter()
    for _ in range(count):
        connection.sendmail(SENDER, [recipient], data)
    elapsed = time.perf_counter() - started
    connection.quit()
    return count / elapsed, len(data)


def pipelined_floor(count: int, port: int) -> float:
    """The same pre-built messages over a raw socket with PIPELINING as the worker uses it: the
    content of message N and the envelope of N+1 in one write, then their four replies read, so
    one round trip a message and no more (what the duplicate window allows). No parsing beyond
    counting reply lines: the ceiling of one connection for a sender that waits for each 250."""
    _recipient, data = sample_message()
    envelope = f"MAIL FROM:<{SENDER}>\r\nRCPT TO:<{_recipient}>\r\nDATA\r\n".encode("ascii")
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


def run_workers(processes: int, database_url: str, port: int, batch_size: int, sink_pid: int) -> dict[str, Any]:
    environment = os.environ | {
        "FLASK_APP": "app:create_app", "FLASK_CONFIG": "development",
        "DATABASE_URL": database_url, "MAIL_TRANSPORT": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port),
    }
    command = [sys.executable, "-m", "flask", "mailing", "worker", "--once", "--batch-size", str(batch_size)]
    before = cpu_snapshot(sink_pid)
    workers = [subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL) for _ in range(processes)]
    peak_kb, worker_user, worker_system = wait_for(workers)
    after = cpu_snapshot(sink_pid)
    first, last, sent = db.session.execute(
        sa.select(sa.func.min(OutgoingMessage.sent_at), sa.func.max(OutgoingMessage.sent_at), sa.func.count())
        .where(OutgoingMessage.status == MessageStatus.SENT)
    ).one()
    per_message_ms = {name: round((after[name] - before[name]) * 1000 / sent, 3) for name in ("sink", "postgres")}
    return {"sent": sent, "per_second": round((sent - 1) / (last - first).total_seconds(), 1),
            "peak_mb": [round(kb / 1024, 1) for kb in peak_kb],
            "cpu_ms_per_message": {"workers": round((sum(worker_user) + sum(worker_system)) * 1000 / sent, 3),
                                   "workers_system": round(sum(worker_system) * 1000 / sent, 3)} | per_message_ms,
            "host_busy": round(1 - (after["idle"] - before["idle"]) / (after["total"] - before["total"]), 3)}


def wait_for(workers: list[subprocess.Popen]) -> tuple[list[int], list[float], list[float]]:
    """Waits for the workers; returns each one's peak memory (kB), user and system CPU time (s, from wait4)."""
    peak_kb, user_seconds, system_seconds = [0] * len(workers), [0.0] * len(workers), [0.0] * len(workers)
    pending = dict(enumerate(workers))
    while pending:
        for index, worker in list(pending.items()):
            peak_kb[index] = max(peak_kb[index], high_water_kb(worker.pid))
            pid, status, usage = os.wait4(worker.pid, os.WNOHANG)
            if pid:
                if os.waitstatus_to_exitcode(status) != 0:
                    raise RuntimeError(f"worker {pid} failed: {os.waitstatus_to_exitcode(status)}")
                user_seconds[index], system_seconds[index] = usage.ru_utime, usage.ru_stime
                worker.returncode = 0
                del pending[index]
        time.sleep(0.1)
    return peak_kb, user_seconds, system_seconds


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


def high_water_kb(pid: int) -> int:
    """Peak resident memory of a running process (VmHWM). Not getrusage(): on Linux a child's
    ru_maxrss includes the parent's memory at fork time, here the queued messages."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return 0
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0)


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
            results["queue_per_second"] = round(queue_campaign(args.messages), 1)
            analyze()
            results["floor_per_second"], results["message_bytes"] = floor(args.messages, args.sink_port)
            results["pipelined_floor_per_second"] = round(pipelined_floor(args.messages, args.sink_port), 1)
            results["one_worker"] = run_workers(1, args.database_url, args.sink_port, args.batch_size, sink.pid)
            requeue_all()
            analyze()
            results["two_workers"] = run_workers(2, args.database_url, args.sink_port, args.batch_size, sink.pid)
            if args.memory_check:
                db.session.execute(sa.delete(OutgoingMessage))
                db.session.commit()
                queue_campaign(args.memory_check, first_contact=10**6)
                analyze()
                results["memory_check"] = run_workers(1, args.database_url, args.sink_port, args.batch_size, sink.pid)
                results["memory_check"]["messages"] = args.memory_check
    finally:
        sink.terminate()
        sink.wait()
    report(args, results)


def report(args: argparse.Namespace, results: dict[str, Any]) -> None:
    floor_rate = results["floor_per_second"]
    one, two = results["one_worker"], results["two_workers"]
    print(f"{args.messages} messages of {results['message_bytes'] / 1024:.1f} KB, batch size {args.batch_size}")
    print("| run | messages/second | vs smtplib / pipelined floor | peak worker memory (MB) "
          "| CPU ms/message: workers / sink / PostgreSQL | host CPU busy |")
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
              f"{' / '.join(map(str, run['peak_mb']))} | {cpu['workers']:.2f} (system {cpu['workers_system']:.2f}) / "
              f"{cpu['sink']:.2f} / {cpu['postgres']:.2f} | {run['host_busy']:.0%} |")
    print(f"load average before the run: {results['load_average']}")
    print(f"queueing (insert, personalised by the worker): {results['queue_per_second']:.0f} messages/second")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H%M")
    machine = {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
               "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)}
    (out / f"send-{stamp}.json").write_text(json.dumps({"machine": machine, "args": vars(args), "results": results},
                                                       indent=2, default=str))


if __name__ == "__main__":
    main()
