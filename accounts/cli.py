"""`flask accounts ...` commands."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from accounts import privacy, tokens
from accounts.models import User
from accounts.services import find_user_by_email, set_password
from core.addresses import normalise_email
from core.db import unit_of_work
from extensions import db


@click.group("accounts", help="Beheer van gebruikers.")
def accounts_cli() -> None:
    pass


@accounts_cli.command("create-admin", help="Maak een regionale beheerder (ziet alle organisaties).")
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.password_option()
@with_appcontext
def create_admin(email: str, name: str, password: str) -> None:
    if len(password) < 12:
        raise click.BadParameter("het wachtwoord moet minstens 12 tekens hebben", param_hint="password")
    if find_user_by_email(email) is not None:
        raise click.ClickException(f"er bestaat al een gebruiker met {email}")
    with unit_of_work():
        user = User(email=normalise_email(email), name=name.strip(), is_regional_admin=True)
        set_password(user, password)
        db.session.add(user)
    click.echo(f"Regionale beheerder {user.email} aangemaakt.")


@accounts_cli.command("link", help="Druk een werkende link af waarmee iemand zijn wachtwoord kiest. Zulke links "
                                    "staan nergens opgeslagen, ook niet in de mailcatcher van de ontwikkelomgeving.")
@click.argument("email")
@with_appcontext
def password_link(email: str) -> None:
    user = find_user_by_email(email)
    if user is None or not user.active:
        raise click.ClickException(f"geen actieve gebruiker met {email}")
    click.echo(tokens.mint_password_reset(tokens.password_reset_link(user).args))


@click.group("privacy", help="Privacy (AVG): bewaartermijnen.")
def privacy_cli() -> None:
    pass


@privacy_cli.command("purge", help="Anonimiseer gegevens van wat langer geleden eindigde dan de bewaartermijn "
                                    "van de organisatie.")
@click.option("--dry-run", is_flag=True, help="Tel alleen; verander niets.")
@with_appcontext
def purge(dry_run: bool) -> None:
    with unit_of_work() as work:
        counts = privacy.purge()
        if dry_run:
            work.discard()
    verb = "zou anonimiseren" if dry_run else "geanonimiseerd"
    for name, count in counts.items():
        click.echo(f"{name}: {count} {verb}")
