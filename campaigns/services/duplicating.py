"""A copy of a campaign to start the next one from (last month's newsletter)."""
from __future__ import annotations

from flask_babel import gettext as _

from campaigns.models import Campaign, CampaignStatus
from extensions import db

# What a copy takes over: content, audience and sender. Never its statistics (outbox rows,
# clicks, sign-ups are the original's), its schedule or its state: the copy is a new draft.
COPIED = ("template_key", "subject", "preheader", "sender_name", "sender_address", "mjml_source",
          "rendered_html", "rendered_text", "list_id", "audience_type", "municipality", "topic", "event_id",
          "event_relation", "tag_id", "track_clicks", "visual_body")


def duplicate_campaign(original: Campaign) -> Campaign:
    copy = Campaign(organisation_id=original.organisation_id, name=_("Kopie van %(name)s", name=original.name)[:200],
                    status=CampaignStatus.DRAFT, event_ids=list(original.event_ids or []),
                    **{name: getattr(original, name) for name in COPIED})
    db.session.add(copy)
    db.session.flush()
    return copy
