"""An organisation's own campaign templates: kept from a campaign, listed beside the shipped library
when a new campaign starts, renamed and deleted. Only the organisation's own are ever found."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from accounts.models import Organisation
from campaigns.models import Campaign, SavedTemplate
from campaigns.services.campaigns import LIBRARY, CampaignError, create_campaign
from campaigns.services.editor import save_raw_template, save_visual
from extensions import db
from mailing.personalise import compose

OWN_KEY = "eigen"  # Campaign.template_key of a campaign started from an own template
CHOICE_PREFIX = f"{OWN_KEY}-"  # the new-campaign form's value for an own template: eigen-<id>


class NameTaken(CampaignError):
    pass


def templates_for(organisation_id: int) -> list[SavedTemplate]:
    return list(db.session.scalars(sa.select(SavedTemplate).where(SavedTemplate.organisation_id == organisation_id)
                                   .order_by(SavedTemplate.name, SavedTemplate.id)))


def choice_of(template: SavedTemplate) -> str:
    return f"{CHOICE_PREFIX}{template.id}"


def chosen(organisation_id: int, choice: str) -> SavedTemplate | None:
    """The organisation's own template a form value names; None for a shipped one or another's."""
    if not choice.startswith(CHOICE_PREFIX) or not choice[len(CHOICE_PREFIX):].isdigit():
        return None
    template = db.session.get(SavedTemplate, int(choice[len(CHOICE_PREFIX):]))
    return template if template is not None and template.organisation_id == organisation_id else None


def _ensure_free(organisation_id: int, name: str, template_id: int | None = None) -> None:
    taken = db.session.scalar(sa.select(SavedTemplate.id).where(
        SavedTemplate.organisation_id == organisation_id, SavedTemplate.name == name,
        SavedTemplate.id != (template_id or 0)))
    if taken is not None:
        raise NameTaken(_("Er is al een sjabloon met de naam “%(name)s”.", name=name))


def save_from_campaign(campaign: Campaign, name: str) -> SavedTemplate:
    """The campaign's content as a new template of its organisation (not its subject, audience or sender)."""
    _ensure_free(campaign.organisation_id, name)
    template = SavedTemplate(organisation_id=campaign.organisation_id, name=name, mjml_source=campaign.mjml_source,
                             visual_body=campaign.visual_body)
    db.session.add(template)
    db.session.flush()
    return template


def create_from_library(organisation: Organisation, name: str, template_key: str) -> SavedTemplate:
    """A new template of the organisation from a shipped one ("blank" is starting from scratch); it
    goes through the raw save, so a shipped design the visual editor can make opens in it."""
    if template_key not in LIBRARY:
        raise CampaignError(_("Kies een van de sjablonen."))
    _ensure_free(organisation.id, name)
    source = compose(f"mail/campaigns/library/{template_key}.mjml")
    template = SavedTemplate(organisation_id=organisation.id, name=name, mjml_source=source)
    db.session.add(template)
    db.session.flush()
    save_raw_template(template, source)
    return template


def rename(template: SavedTemplate, name: str) -> None:
    _ensure_free(template.organisation_id, name, template.id)
    template.name = name
    db.session.flush()


def delete(template: SavedTemplate) -> None:
    """Campaigns started from it keep their content: they hold a copy."""
    db.session.delete(template)
    db.session.flush()


def start_campaign(organisation: Organisation, name: str, template: SavedTemplate) -> Campaign:
    """A new draft with the template's content. A visual one goes through the visual editor's save, so
    its layout, footer and event blocks (with this campaign's attribution) are composed afresh."""
    campaign = create_campaign(organisation, name, OWN_KEY, source=template.mjml_source)
    if template.visual_body is not None:
        save_visual(campaign, template.visual_body)
    return campaign
