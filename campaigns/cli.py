"""`flask campaigns ...` commands."""
from __future__ import annotations

import click
from flask.cli import AppGroup

campaigns_cli = AppGroup("campaigns", help="E-mailcampagnes.")


@campaigns_cli.command("tick")
def tick_command() -> None:
    """Launches every scheduled campaign that is due (run it every minute, e.g. from cron)."""
    from campaigns.services.sending import launch_due

    for campaign_id, outcome in launch_due():
        click.echo(f"campaign {campaign_id}: {outcome}")
