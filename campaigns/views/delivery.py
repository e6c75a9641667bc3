"""The delivery log of a campaign: every recipient, what became of the mail, searchable, as CSV."""
from __future__ import annotations

from flask import Blueprint, Response, render_template, request, stream_with_context
from werkzeug.wrappers import Response as BaseResponse

from campaigns.labels import DELIVERY_STATUS_LABELS
from campaigns.models import Campaign, DeliveryStatus
from campaigns.services import delivery
from core import audit
from core.paging import requested_page
from core.permissions import Permission, requires, scoped_or_404

blueprint = Blueprint("campaign_delivery", __name__, url_prefix="/beheer/campagnes")


def _filters() -> tuple[str | None, DeliveryStatus | None]:
    status = request.args.get("status", "")
    search = request.args.get("zoek", "").strip()[:254] or None
    return search, DeliveryStatus(status) if status in DeliveryStatus._value2member_map_ else None


@blueprint.route("/<int:campaign_id>/bezorging")
@requires(Permission.MANAGE_CAMPAIGNS)
def log(campaign_id: int) -> str:
    campaign = scoped_or_404(Campaign, campaign_id, Permission.MANAGE_CAMPAIGNS)
    search, status = _filters()
    listed = requested_page(lambda page: delivery.delivery_page(campaign, search, status, page), delivery.PAGE_SIZE)
    audit.record("campaign.delivery_viewed", "campaign", campaign.id, organisation_id=campaign.organisation_id)
    return render_template("campaigns/delivery.html", campaign=campaign, search=search, status=status,
                           counts=delivery.status_counts(campaign), **listed.context("deliveries"))


@blueprint.route("/<int:campaign_id>/bezorging.csv")
@requires(Permission.MANAGE_CAMPAIGNS)
def export(campaign_id: int) -> BaseResponse:
    campaign = scoped_or_404(Campaign, campaign_id, Permission.MANAGE_CAMPAIGNS)
    search, status = _filters()
    audit.record("campaign.delivery_exported", "campaign", campaign.id, organisation_id=campaign.organisation_id)
    labels = {value: str(label) for value, label in DELIVERY_STATUS_LABELS.items()}
    rows = delivery.delivery_csv(campaign.id, campaign.organisation_id, search, status, labels)
    response = Response(stream_with_context(rows), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="bezorging-campagne-{campaign.id}.csv"'
    return response
