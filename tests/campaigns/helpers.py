"""Shared steps of the campaign tests."""
from __future__ import annotations

import io

from flask.testing import FlaskClient
from PIL import Image

from accounts.models import Organisation, Role
from campaigns.models import Campaign
from tests.factories import login, make_user


def form_of(campaign: Campaign, **changes: object) -> dict[str, object]:
    values = {
        "name": campaign.name, "subject": campaign.subject, "preheader": campaign.preheader,
        "sender_name": campaign.sender_name, "sender_address": campaign.sender_address,
        "mjml_source": campaign.mjml_source, "list_id": "", "tag_id": "", "audience_type": "", "municipality": "", "topic": "",
        "event_relation": "", "event_id": "", "actie": "opslaan",
    }
    return values | changes


def signed_in(client: FlaskClient, organisation: Organisation) -> FlaskClient:
    """`client` logged in as a communications officer of `organisation`."""
    login(client, make_user(organisation, Role.COMMUNICATIONS))
    return client


def path_of(url: str) -> str:
    """The path of an absolute link from a mail (BASE_URL is http://localhost in tests)."""
    return url.removeprefix("http://localhost")


def png(size: tuple[int, int] = (40, 20)) -> bytes:
    """A real PNG for the image uploads."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 80, 160)).save(buffer, format="PNG")
    return buffer.getvalue()
