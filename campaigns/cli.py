"""`flask campaigns ...` commands."""
from __future__ import annotations

import click
from flask.cli import AppGroup

campaigns_cli = AppGroup("campaigns", help="E-mailcampagnes.")


@campaigns_cli.command("tick")
def tick_command() -> None:
    """Launches every scheduled campaign that is due, marks sent the campaigns whose last message was
    settled (when the worker could not), finishes contact imports that are queued or lost their runner,
    and deletes uploads never imported (run it every minute, e.g. from cron)."""
    from campaigns.services import ab_test, import_jobs
    from campaigns.services.sending import finish_sent, launch_due
    from core.db import unit_of_work

    for campaign_id, outcome in launch_due():
        click.echo(f"campaign {campaign_id}: {outcome}")
    for campaign_id, outcome in ab_test.decide_due():
        click.echo(f"campaign {campaign_id}: {outcome}")
    with unit_of_work():
        finished = finish_sent()
    for campaign_id in finished:
        click.echo(f"campaign {campaign_id}: sent")
    for import_id, status in import_jobs.resume_due():
        click.echo(f"contact import {import_id}: {status}")
    with unit_of_work():
        removed = import_jobs.remove_abandoned()
    if removed:
        click.echo(f"contact imports never mapped, deleted: {removed}")
