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


@mailing_cli.command("bounce")
@click.option("--recipient", default=None, help="The address it was delivered to (Postfix: ${original_recipient}).")
def bounce_command(recipient: str | None) -> None:
    """Reads one bounce, complaint or other mail on stdin (a Postfix pipe) and processes it.

    Exits 0 also for mail it leaves alone (logged), so that the relay never bounces a bounce."""
    import sys

    from flask import current_app

    from core.db import unit_of_work
    from mailing.bounces import process_bytes

    raw = sys.stdin.buffer.read(current_app.config["MAIL_BOUNCE_MAX_BYTES"] + 1)
    with unit_of_work():
        outcome = process_bytes(raw, "pipe", recipient=recipient)
    click.echo(outcome.reason)


@mailing_cli.command("bounces")
def bounces_command() -> None:
    """Reads the bounce mailbox (MAIL_BOUNCE_IMAP_*): processes bounces and complaints, leaves the rest."""
    from flask import current_app
    from imap_tools import MailboxLoginError

    from mailing.imap import read_mailbox

    if not current_app.config["MAIL_BOUNCE_IMAP_HOST"]:
        raise click.ClickException("MAIL_BOUNCE_IMAP_HOST is niet ingesteld.")
    try:
        run = read_mailbox(current_app.config)
    except MailboxLoginError as error:
        raise click.ClickException(f"Inloggen op de bounce-mailbox mislukt: {error}") from error
    except OSError as error:
        raise click.ClickException(f"De bounce-mailbox is niet bereikbaar: {error}") from error
    click.echo(f"{run.recorded} recorded, {run.duplicates} already known, {run.left_alone} left alone")


@mailing_cli.command("check-relay")
@click.option("--to", "recipient", default=None, help="Send a test message to this address.")
def check_relay_command(recipient: str | None) -> None:
    """Connects to the relay (SMTP_*) as the worker would and reports in Dutch: STARTTLS, certificate,
    AUTH, PIPELINING and, with --to, a test message. Exits 1 when the worker could not send."""
    from flask import current_app

    from mailing.relay_check import OUTCOME_LABELS, STEP_LABELS, RelaySettings, check_relay

    report = check_relay(RelaySettings.from_config(current_app.config), recipient)
    click.echo(f"Relay {report.host}:{report.port} (SMTP_SECURITY={report.security})")
    for finding in report.findings:
        click.echo(f"[{OUTCOME_LABELS[finding.outcome]}] {STEP_LABELS[finding.step]}: {finding.summary}")
        if finding.relay_answer:
            click.echo(f"        relay: {finding.relay_answer}")
    if not report.passed:
        raise SystemExit(1)
