"""CSRF sweep: with protection on, every POST route of the URL map refuses a request without a token.

Public and admin routes alike, sent by a signed-in regional admin with a valid session (so a 400 is
the missing token's doing, not a missing login). Routes exempted with `csrf.exempt` (the RFC 8058
one-click unsubscribe, protected by its own signed token) are read from Flask-WTF, not listed here.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from extensions import csrf
from tests.factories import PASSWORD, make_user
from tests.test_permission_matrix import PARAMETERS, World, build_world, post_data, snapshot

# Public routes carry these; the CSRF check runs before the view looks at them.
PUBLIC_PARAMETERS = {"token": lambda world: "een-token", "slug": lambda world: world.event.slug}


def csrf_token(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def is_exempt(app: Flask, rule: Rule) -> bool:
    view = app.view_functions[rule.endpoint]
    blueprint = app.blueprints.get(rule.endpoint.rpartition(".")[0])
    return f"{view.__module__}.{view.__name__}" in csrf._exempt_views or blueprint in csrf._exempt_blueprints


def post_rules(app: Flask) -> list[Rule]:
    return sorted((rule for rule in app.url_map.iter_rules() if "POST" in rule.methods and not is_exempt(app, rule)),
                  key=lambda rule: rule.rule)


def url_for_rule(rule: Rule, world: World) -> str:
    fillers = PARAMETERS | PUBLIC_PARAMETERS
    unknown = rule.arguments - fillers.keys()
    assert not unknown, f"{rule.rule}: add <{', '.join(sorted(unknown))}> to the parameter tables"
    return rule.build({name: fillers[name](world) for name in rule.arguments}, append_unknown=False)[1]


def test_every_post_without_a_csrf_token_is_400_and_changes_nothing(app: Flask, app_with: Callable[..., Flask]) -> None:
    # Its own app: each request gets a fresh app context, so the token is not cached across the login.
    protected = app_with(WTF_CSRF_ENABLED=True)
    client = protected.test_client()
    world = build_world()
    admin = make_user(regional_admin=True)
    token = csrf_token(client, "/beheer/inloggen")
    assert client.post("/beheer/inloggen", data={"email": admin.email, "password": PASSWORD,
                                                 "csrf_token": token}).status_code == 302

    failures = []
    for rule in post_rules(app):
        url = url_for_rule(rule, world)
        before = snapshot()
        response = client.post(url, data=post_data(world))
        if response.status_code != 400:
            failures.append(f"POST {url} without a token: {response.status_code}")
        elif snapshot() != before:
            failures.append(f"POST {url} without a token changed data")

    assert failures == []
    assert len(post_rules(app)) > 20
    # The same session with its token gets through: the 400s above were the missing token's doing.
    assert client.post("/taal", data={"lang": "en", "next": "/beheer/",
                                      "csrf_token": csrf_token(client, "/beheer/")}).status_code == 302


def test_only_the_one_click_unsubscribe_the_bounce_webhook_and_the_embedded_form_are_exempt_from_csrf(
        app: Flask) -> None:
    """Each has its own proof: a signed token in the link, an HMAC of the body, the own Origin and a signed
    form token (tests/campaigns/test_embedded_subscribe.py)."""
    exempt = {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods and is_exempt(app, rule)}
    assert exempt == {"newsletter.unsubscribe", "webhooks.bounce", "newsletter_embed.subscribe"}
