"""`flask accounts create-admin`: the first regional admin."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from accounts.models import User
from extensions import db
from tests.factories import login, make_user

PASSWORD = "een lang beheerderswachtwoord"


def create_admin(app: Flask, email: str, password: str = PASSWORD):
    runner = app.test_cli_runner()
    return runner.invoke(args=["accounts", "create-admin", "--email", email, "--name", "Regio Beheer",
                               "--password", password])


def users() -> list[User]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(User)))


def test_create_admin_makes_a_regional_admin_who_can_log_in(app: Flask) -> None:
    result = create_admin(app, " Beheer@Regio.example ")
    assert result.exit_code == 0, result.output
    (user,) = users()
    assert user.email == "beheer@regio.example" and user.is_regional_admin
    assert user.password_hash.startswith("$argon2id$")
    client = app.test_client()
    login(client, user, PASSWORD)
    assert client.get("/beheer/organisaties/").status_code == 200


def test_create_admin_refuses_a_short_password(app: Flask) -> None:
    result = create_admin(app, "beheer@regio.example", "kort")
    assert result.exit_code != 0
    assert "minstens 12 tekens" in result.output
    assert users() == []


def test_create_admin_refuses_an_email_that_exists(app: Flask) -> None:
    existing = make_user(email="beheer@regio.example")
    result = create_admin(app, "BEHEER@regio.example")
    assert result.exit_code != 0
    assert "bestaat al" in result.output
    assert [user.id for user in users()] == [existing.id]
    assert not users()[0].is_regional_admin
