"""The Effect dashboard with many small held events: how long small-number suppression takes.

Usage: .venv/bin/python bench/effect/run.py [--events 20 60 150 400 1000] [--organisations 10]

For each count: a fresh SQLite database (the cost is in Python and FLINT, not in the queries) with
that many held events spread over the organisations, both audiences and three years, each with 1–8
attendees answering as the demo data does (`effect.demo.answer_for_event`: many events end up with
fewer than 5 answers). Then times `results.effect.load_region` over the dashboard's periods (what
every dashboard, CSV and print view computes) and one GET of /beheer/resultaten/ as the regional
admin (the decision then kept), beside a GET of /healthz in the same run. `load_region_cpu_s` is
the process CPU time of the first `load_region` (what the goal is about; wall time on a shared host
is not). Prints JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from core.timeutils import utcnow  # noqa: E402
from effect.demo import answer_for_event  # noqa: E402
from events.models import Audience  # noqa: E402
from extensions import db  # noqa: E402
from results import effect  # noqa: E402
from results.views import _periods  # noqa: E402
from tests.factories import login, make_event, make_organisation, make_registration, make_user  # noqa: E402


def one_run(events: int, organisations: int) -> dict[str, float | int]:
    folder = tempfile.mkdtemp(prefix="bench-effect-")
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/effect.db", "RATELIMIT_ENABLED": False})
    with app.app_context():
        db.create_all()
        chance = random.Random(events)
        made = [make_organisation(name=f"Gemeente {n}") for n in range(organisations)]
        for n in range(events):
            event = make_event(chance.choice(made), starts_at=utcnow() - timedelta(days=chance.randint(3, 1000)),
                               audience=chance.choice([Audience.CITIZENS, Audience.SMES]))
            attendees = [make_registration(event, checked_in_at=event.starts_at) for _ in range(chance.randint(1, 8))]
            answer_for_event(event, attendees, n)
        db.session.commit()
        started, cpu = time.perf_counter(), time.process_time()
        region = effect.load_region(_periods())
        suppression, suppression_cpu = time.perf_counter() - started, time.process_time() - cpu
        started = time.perf_counter()
        effect.load_region(_periods())  # the same answers again: the decision kept in this process
        again = time.perf_counter() - started
        hidden = sum(len(keys) for keys in region.hidden.values())
        admin = make_user(regional_admin=True)
        client = app.test_client()
        login(client, admin)
        started = time.perf_counter()
        assert client.get("/healthz").status_code == 200
        health = time.perf_counter() - started
        started = time.perf_counter()
        assert client.get("/beheer/resultaten/").status_code == 200
        dashboard = time.perf_counter() - started
    return {"events": events, "load_region_s": round(suppression, 3), "load_region_cpu_s": round(suppression_cpu, 3),
            "load_region_again_s": round(again, 3),
            "dashboard_get_s": round(dashboard, 3), "healthz_get_s": round(health, 4), "hidden_figures": hidden}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, nargs="+", default=[20, 60, 150, 400, 1000])
    parser.add_argument("--organisations", type=int, default=10)
    arguments = parser.parse_args()
    results = [one_run(count, arguments.organisations) for count in arguments.events]
    print(json.dumps({"load_average": os.getloadavg(), "runs": results}, indent=2))


if __name__ == "__main__":
    main()
