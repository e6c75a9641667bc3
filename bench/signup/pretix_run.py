"""pretix's order flow on one hot free event, for a side-by-side figure (used by run.py --pretix).

pretix is installed from PyPI into its own virtualenv outside the repository
(`python3 -m venv /work/pretix-venv && /work/pretix-venv/bin/pip install pretix gunicorn`); nothing
of it is committed. This module writes a pretix.cfg (PostgreSQL database `<bench db>_pretix`; no
Celery, so pretix runs its tasks in the request, as a small installation does), migrates (the
database is kept between runs: pretix's migrations take minutes), creates one organiser, one free
event with one admission product and a quota of 500, starts pretix under gunicorn (the same
workers x threads as the Weerbaar run) and drives the real order flow with N concurrent clients,
each a browser session: event page -> add to cart -> checkout questions (e-mail) -> confirm -> the
order page. Afterwards it counts the sold positions against the quota.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import psycopg
import requests

PORT = 5056
QUOTA = 500
WORK = Path(os.environ.get("PRETIX_BENCH_DIR", "/tmp/weerbaar-bench-pretix"))

SETUP = """
from datetime import timedelta
from django.utils.timezone import now
from pretix.base.models import Organizer, Event, Item, Quota
slug = "bench" + str(Organizer.objects.count())
organizer = Organizer.objects.create(name="Bench", slug=slug)
event = Event.objects.create(organizer=organizer, name="Drukke workshop", slug="workshop", currency="EUR",
                             date_from=now() + timedelta(days=7), live=True)
item = Item.objects.create(event=event, name="Toegang", default_price=0, admission=True)
quota = Quota.objects.create(event=event, name="Plaatsen", size=QUOTA)
quota.items.add(item)
event.settings.set("payment_free__enabled", True)
print("ITEM", item.pk, slug, event.pk)
""".replace("QUOTA", str(QUOTA))


def _config(database: str) -> Path:
    WORK.mkdir(exist_ok=True)
    (WORK / "data").mkdir(exist_ok=True)
    path = WORK / "pretix.cfg"
    path.write_text(f"""[pretix]
instance_name=pretix bench
url=http://127.0.0.1:{PORT}
currency=EUR
datadir={WORK / 'data'}

[database]
backend=postgresql
name={database}
user=postgres
host=127.0.0.1
port=5432

[redis]
location=redis://127.0.0.1:6379/5
sessions=true

[mail]
from=bench@example.org
host=127.0.0.1
port=2527
""")
    return path


def _ensure_database(url: str, name: str) -> None:
    admin = urlparse(url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def _pretix(venv: Path, env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    result = subprocess.run([str(venv / "bin" / "python"), "-m", "pretix", *args], env=env, cwd=WORK,
                            input=stdin, capture_output=True, text=True, check=True)
    return result.stdout


def _order(base: str, item: int) -> bool:
    """One buyer's whole flow; True when an order page was reached."""
    with requests.Session() as browser:
        page = browser.get(f"{base}/", timeout=60)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if token is None:
            return False
        csrf = {"csrfmiddlewaretoken": token.group(1)}
        browser.post(f"{base}/cart/add", data=csrf | {f"item_{item}": "1"}, timeout=60)
        questions = browser.get(f"{base}/checkout/start", timeout=60)
        if "/checkout/questions/" not in questions.url:
            return False
        n = threading.get_ident()
        browser.post(questions.url, data=csrf | {"email": f"koper{n}-{time.monotonic_ns()}@example.org"},
                     timeout=60)
        done = browser.post(f"{base}/checkout/confirm/", data=csrf, timeout=60)
        return "/order/" in done.url


def _drive(base: str, item: int, clients: int, duration: int) -> dict[str, float]:
    stop_at = time.monotonic() + duration
    done: list[float] = []
    failed = [0]
    lock = threading.Lock()

    def client() -> None:
        while time.monotonic() < stop_at:
            started = time.monotonic()
            try:
                ok = _order(base, item)
            except requests.RequestException:
                ok = False
            with lock:
                if ok:
                    done.append(time.monotonic() - started)
                else:
                    failed[0] += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies = sorted(done)
    return {
        "orders": len(done), "failed_flows": failed[0], "seconds": round(elapsed, 1),
        "per_second": round(len(done) / elapsed, 2),
        "p50_ms": round(1000 * latencies[len(latencies) // 2], 0) if latencies else None,
        "p99_ms": round(1000 * latencies[int(len(latencies) * 0.99)], 0) if latencies else None,
    }


def run(venv: Path, weerbaar_url: str, clients: int, duration: int, workers: int = 4, threads: int = 4) -> dict:
    if not (venv / "bin" / "pretix").exists() and not (venv / "bin" / "python").exists():
        return {"skipped": f"no pretix virtualenv at {venv}"}
    name = os.environ.get("PRETIX_BENCH_DATABASE") or urlparse(weerbaar_url).path.lstrip("/") + "_pretix"
    _ensure_database(weerbaar_url, name)
    env = os.environ | {"PRETIX_CONFIG_FILE": str(_config(name))}
    _pretix(venv, env, "migrate", "--noinput")
    if not list(venv.glob("lib/python3*/site-packages/pretix/static.dist/CACHE")):  # compressed once per install
        _pretix(venv, env, "rebuild")
    item_id, slug, event_id = re.search(r"ITEM (\d+) (\S+) (\d+)", _pretix(venv, env, "shell", stdin=SETUP)).groups()  # type: ignore[union-attr]
    # pretix mails the order confirmation in the request (no Celery): a local sink takes it.
    sink = subprocess.Popen(["/usr/sbin/smtp-sink", "127.0.0.1:2527", "1000"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    server = subprocess.Popen([str(venv / "bin" / "gunicorn"), "pretix.wsgi", "-b", f"127.0.0.1:{PORT}",
                               "-w", str(workers), "--threads", str(threads), "-k", "gthread", "--timeout", "120"],
                              env=env, cwd=WORK, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(600):
            try:
                requests.get(f"http://127.0.0.1:{PORT}/robots.txt", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.2)
        driven = _drive(f"http://127.0.0.1:{PORT}/{slug}/workshop", int(item_id), clients, duration)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=90)
        except subprocess.TimeoutExpired:  # flows still in flight on a loaded host
            server.kill()
            server.wait()
        sink.terminate()
    with psycopg.connect(urlparse(weerbaar_url)._replace(path=f"/{name}").geturl()) as connection:
        sold = connection.execute(
            "SELECT count(*) FROM pretixbase_orderposition p JOIN pretixbase_order o ON o.id = p.order_id"
            " WHERE o.event_id = %s AND o.status IN ('p', 'n') AND NOT p.canceled", (int(event_id),)).fetchone()[0]
    return driven | {"quota": QUOTA, "positions_sold": sold, "oversold": sold > QUOTA}
