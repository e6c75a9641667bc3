"""Render time per MJML template: the demo newsletter and the event mails.

Usage: .venv/bin/python bench/render/run.py [--repeat 30]

For each template: validation + MJML to HTML (what a live preview or a new template version
costs; the worker never pays it per recipient thanks to the cache), and personalisation of the
cached HTML and text for one recipient (what every message costs). Medians, printed as a
Markdown table and saved to bench/results/render-<date>.json.
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from mailing.personalise import Branding, compile_mail, compose, personalise, wrap_in_layout  # noqa: E402
from mailing.rendering import mjml_to_html  # noqa: E402

NEWSLETTER = Path(__file__).with_name("newsletter.mjml")
EVENT_MAILS = ["registration_confirmed", "registration_waitlisted", "registration_promoted",
               "registration_cancelled", "already_registered", "event_cancelled"]
BRANDING = Branding(name="Gemeente Weerbaar", colour="#154273", sender_address="nieuws@weerbaar.example",
                    privacy_contact="privacy@weerbaar.example", privacy_url="https://weerbaar.example/privacy")


def newsletter_context(n: int) -> dict[str, Any]:
    return {
        "branding": BRANDING,
        "contact": {"id": n, "first_name": f"Anna{n}"},
        "unsubscribe_url": f"https://weerbaar.example/afmelden/{n:08d}",
        "events": [{"date": f"{day} december", "title": f"Veilig online {day}", "place": "Stadhuis",
                    "url": f"https://weerbaar.example/evenementen/{day}"} for day in range(1, 6)],
    }


def event_context(n: int) -> dict[str, Any]:
    starts_at = datetime(2026, 12, 9, 18, 30, tzinfo=timezone.utc)
    event = SimpleNamespace(title="Veilig online bankieren", starts_at=starts_at, ends_at=starts_at + timedelta(hours=2),
                            venue_name="Stadhuis", venue_address="Markt 1", cancellation_reason="Spreker ziek.")
    registration = SimpleNamespace(name=f"Anna {n}", status="confirmed", checkin_code=f"K{n:07d}",
                                   door_code_shown=f"K{n:03d}-{n:04d}")
    return {"registration": registration, "event": event, "branding": BRANDING,
            "manage_url": f"https://weerbaar.example/aanmelding/{n}", "event_url": "https://weerbaar.example/e/1",
            "extra_paragraphs": ["Neem uw eigen laptop mee."]}


def median_ms(action: Callable[[], object], repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def measure(name: str, source: str, context: Callable[[int], dict[str, Any]], repeat: int) -> dict[str, Any]:
    compiled = compile_mail(source)
    counter = iter(range(10**9))
    mail = personalise(compiled, context(0))
    return {
        "template": name,
        "mjml_to_html_ms": round(median_ms(lambda: mjml_to_html(source), repeat), 2),
        "personalise_ms": round(median_ms(lambda: personalise(compiled, context(next(counter))), repeat * 10), 3),
        "html_kb": round(len(mail.html.encode()) / 1024, 1),
        "text_kb": round(len(mail.text.encode()) / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    app = create_app("testing")
    with app.app_context():
        results = [measure("newsletter (demo)", wrap_in_layout(NEWSLETTER.read_text()), newsletter_context, args.repeat)]
        results += [measure(name, compose(f"mail/events/{name}.mjml"), event_context, args.repeat) for name in EVENT_MAILS]
    print("| template | MJML to HTML (ms) | personalise (ms) | HTML (KB) | text (KB) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for row in results:
        print(f"| {row['template']} | {row['mjml_to_html_ms']} | {row['personalise_ms']} | {row['html_kb']} | {row['text_kb']} |")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H%M")
    machine = {"python": platform.python_version(), "machine": platform.machine(), "processor": platform.processor()}
    (out / f"render-{stamp}.json").write_text(json.dumps({"machine": machine, "results": results}, indent=2))


if __name__ == "__main__":
    main()
