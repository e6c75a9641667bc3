"""`flask events tick`: the lifecycle mail that is due now. Safe to run from cron, twice, or in parallel."""
from __future__ import annotations

import click
from blinker import Namespace
from flask import current_app
from flask.cli import with_appcontext

from core.db import unit_of_work
from core.timeutils import utcnow
from events.services import lifecycle
from events.services.registration import EventBusy

signals = Namespace()
# Sent with `now` at the end of every tick; a receiver (effect: the follow-up surveys) does its own
# due work in its own transactions and answers with a line for the output.
ticked = signals.signal("events-ticked")


@click.group("events", help="Bijeenkomsten.")
def events_cli() -> None:
    pass


@events_cli.command("tick", help="Verstuur de herinneringen en nabericht die nu aan de beurt zijn.")
@with_appcontext
def tick() -> None:
    now = utcnow()
    reminded = attended = no_shows = 0
    for event_id in lifecycle.events_due_for_reminder(now):
        try:
            with unit_of_work():
                reminded += lifecycle.send_reminder(event_id, now)
        except EventBusy:  # another tick holds this event; it sends, or the next tick does
            pass
    for event_id in lifecycle.events_due_for_followup(now):
        try:
            with unit_of_work():
                count = lifecycle.send_followup(event_id, now)
        except EventBusy:
            continue
        attended += count.attended
        no_shows += count.no_shows
    click.echo(f"Herinneringen: {reminded}, bedankmails: {attended}, gemist-mails: {no_shows}")
    for _receiver, line in ticked.send(current_app._get_current_object(), now=now):
        click.echo(line)
