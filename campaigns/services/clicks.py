"""Click tracking (off unless a campaign switches it on): signed redirects per link of the campaign."""
from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from campaigns import tokens
from campaigns.models import Campaign, SubjectTest, TrackedLink
from extensions import db

CLICK_SALT = "campaign-click"


def register_links(campaign: Campaign, urls: Iterable[str]) -> dict[str, str]:
    """Stores the campaign's links; returns {original URL: redirect URL} to put in every mail."""
    redirects = {}
    for position, url in enumerate(sorted(set(urls))):
        db.session.add(TrackedLink(campaign_id=campaign.id, position=position, url=url))
        redirects[url] = _redirect_url({"c": campaign.id, "p": position})
    db.session.flush()
    return redirects


def variant_redirects(campaign: Campaign, redirects: dict[str, str], variant: str) -> dict[str, str]:
    """The launch's redirects for one subject of a subject test: each token also names the variant."""
    positions = {link.url: link.position for link in link_clicks(campaign)}
    return {url: _redirect_url({"c": campaign.id, "p": positions[url], "v": variant})
            for url in redirects if url in positions}


def _redirect_url(payload: dict[str, object]) -> str:
    return tokens.public_url(f"/nieuwsbrief/klik/{tokens.make_token(CLICK_SALT, payload)}")


def follow(token: str) -> str:
    """Counts the click and returns where it leads; raises TokenInvalid for anything not stored."""
    payload = tokens.read_token(CLICK_SALT, token)
    if not isinstance(payload.get("p"), int):
        raise tokens.TokenInvalid
    link = db.session.get(TrackedLink, (payload["c"], payload["p"]))
    if link is None:
        raise tokens.TokenInvalid
    db.session.execute(sa.update(TrackedLink).where(TrackedLink.campaign_id == link.campaign_id,
                                                    TrackedLink.position == link.position)
                       .values(clicks=TrackedLink.clicks + 1).execution_options(synchronize_session=False))
    if payload.get("v") in ("a", "b"):
        counted = SubjectTest.clicks_a if payload["v"] == "a" else SubjectTest.clicks_b
        db.session.execute(sa.update(SubjectTest).where(SubjectTest.campaign_id == link.campaign_id)
                           .values({counted: counted + 1}).execution_options(synchronize_session=False))
    return link.url


def link_clicks(campaign: Campaign) -> list[TrackedLink]:
    return list(db.session.scalars(sa.select(TrackedLink).where(TrackedLink.campaign_id == campaign.id)
                                   .order_by(TrackedLink.position)))
