"""`flask campaigns ...` commands."""
from __future__ import annotations

import click
from flask.cli import AppGroup

campaigns_cli = AppGroup("campaigns", help="E-mailcampagnes.")


@campaigns_cli.command("tick")
def tick_command() -> None:
    """Launches every scheduled campaign that is due, finishes contact imports that are queued or lost
    their runner, and deletes uploads never imported (run it every minute, e.g. from cron)."""
    from campaigns.services import import_jobs
    from campaigns.services.sending import launch_due
    from extensions import db

    for campaign_id, outcome in launch_due():
        click.echo(f"campaign {campaign_id}: {outcome}")
    for import_id, status in import_jobs.resume_due():
        click.echo(f"contact import {import_id}: {status}")
    removed = import_jobs.remove_abandoned()
    db.session.commit()
    if removed:
        click.echo(f"contact imports never mapped, deleted: {removed}")
