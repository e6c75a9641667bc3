"""The public archive: campaigns an officer chose to publish, as a web page without anyone's data."""
from __future__ import annotations

import sqlalchemy as sa

from accounts.models import Organisation
from campaigns.models import Campaign, CampaignStatus
from campaigns.services.campaigns import event_values, mail_context
from core.links import absolute_url
from extensions import db
from mailing.personalise import RenderedMail, check_template

# Launched: its mail is (being) delivered and carries the "view in your browser" link.
PUBLISHED_STATUSES = (CampaignStatus.SENDING, CampaignStatus.PAUSED, CampaignStatus.SENT)
# No reader: the templates fall back to their own greeting ("Beste lezer").
NEUTRAL_CONTACT = {"name": "", "email": "", "municipality": ""}


def set_archived(campaign: Campaign, archived: bool) -> None:
    campaign.public_archive = archived
    db.session.flush()


def archived_campaigns(organisation_id: int) -> list[Campaign]:
    return list(db.session.scalars(
        sa.select(Campaign)
        .where(Campaign.organisation_id == organisation_id, Campaign.public_archive.is_(True),
               Campaign.status.in_(PUBLISHED_STATUSES))
        .order_by(Campaign.launched_at.desc(), Campaign.id.desc())
    ))


def archived_campaign(organisation_id: int, campaign_id: int) -> Campaign | None:
    return db.session.scalar(
        sa.select(Campaign).where(Campaign.id == campaign_id, Campaign.organisation_id == organisation_id,
                                  Campaign.public_archive.is_(True), Campaign.status.in_(PUBLISHED_STATUSES))
    )


def web_version(campaign: Campaign, organisation: Organisation) -> RenderedMail:
    """The mail as everyone got it, without a reader: no name, no personal unsubscribe link (the links go to
    the subscribe page), no tracked links."""
    subscribe_page = absolute_url("newsletter.subscribe", slug=organisation.slug)
    context = mail_context(campaign, organisation, NEUTRAL_CONTACT, subscribe_page, subscribe_page,
                           event_values(campaign)) | {"web_version_url": None}
    return check_template(campaign.mjml_source, context)

