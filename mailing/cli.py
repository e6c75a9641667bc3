"""`flask mailing ...` commands."""
from __future__ import annotations

import click
from flask.cli import AppGroup

mailing_cli = AppGroup("mailing", help="Uitgaande e-mail.")


@mailing_cli.command("worker")
@click.option("--batch-size", default=100, show_default=True, help="Rows claimed at a time.")
@click.option("--once", is_flag=True, help="Stop when nothing is due instead of waiting for more.")
@click.option("--poll-interval", default=2.0, show_default=True, help="Seconds between looks at an empty queue.")
def worker_command(batch_size: int, once: bool, poll_interval: float) -> None:
    """Sends the outbox through MAIL_TRANSPORT. SIGTERM finishes the message in hand and exits."""
    from mailing.worker import run_worker

    sent = run_worker(once=once, batch_size=batch_size, poll_seconds=poll_interval, handle_signals=True)
    click.echo(f"{sent} sent")
