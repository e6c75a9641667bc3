"""`flask mailing ...` commands."""
from __future__ import annotations

import click


@click.group("mailing", help="Uitgaande e-mail.")
def mailing_cli() -> None:
    pass
