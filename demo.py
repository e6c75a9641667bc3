"""`flask demo load`: a region with three municipalities, users, events and registrations."""
from __future__ import annotations

import click


@click.group("demo", help="Demogegevens.")
def demo_cli() -> None:
    pass
