"""`flask events tick`: the lifecycle mail that is due now. Safe to run from cron, twice, or in parallel."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from core.db import each_in_its_own_unit
from core.timeutils import utcnow
from events.services import lifecycle
from events.services.registration import EventBusy
from events.signals import ticked


@click.group("events", help="Bijeenkomsten.")
def events_cli() -> None:
    pass


@events_cli.command("tick", help="Verstuur de herinneringen en nabericht die nu aan de beurt zijn.")
@with_appcontext
def tick() -> None:
    now = utcnow()
    # An event another tick holds (EventBusy) is sent by that tick, or by the next one.
    reminded = sum(each_in_its_own_unit(lifecycle.events_due_for_reminder(now),
                                        lambda event_id: lifecycle.send_reminder(event_id, now), skipping=EventBusy))
    linked = sum(each_in_its_own_unit(lifecycle.events_due_for_online_link(now),
                                      lambda event_id: lifecycle.send_online_link(event_id, now), skipping=EventBusy))
    counts = each_in_its_own_unit(lifecycle.events_due_for_followup(now),
                                  lambda event_id: lifecycle.send_followup(event_id, now), skipping=EventBusy)
    attended, no_shows = sum(count.attended for count in counts), sum(count.no_shows for count in counts)
    click.echo(f"Herinneringen: {reminded}, online links: {linked}, bedankmails: {attended}, gemist-mails: {no_shows}")
    for _receiver, line in ticked.send(current_app._get_current_object(), now=now):
        click.echo(line)
