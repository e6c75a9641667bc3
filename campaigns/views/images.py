"""Campaign images: upload and list in the editor (per organisation), and the public address that
mail clients load them from (an unguessable token; mail clients cannot log in)."""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from campaigns.models import Campaign, SavedTemplate
from campaigns.services import images
from core.db import Refused
from core.permissions import Permission, public, requires, scoped_or_404

blueprint = Blueprint("campaign_images", __name__)
# An image is an image: never a page, never a script, whatever anyone makes of its bytes.
IMAGE_CSP = "default-src 'none'; sandbox"


def _organisation_id(campaign_id: int) -> int:
    return scoped_or_404(Campaign, campaign_id, Permission.MANAGE_CAMPAIGNS).organisation_id


@blueprint.route("/beheer/campagnes/<int:campaign_id>/afbeeldingen")
@requires(Permission.MANAGE_CAMPAIGNS)
def index(campaign_id: int) -> Response:
    """The organisation's earlier uploads, for the editor's image picker."""
    listed = images.images_of(_organisation_id(campaign_id))
    return jsonify(data=[{"src": images.image_url(image), "name": image.filename} for image in listed])


@blueprint.post("/beheer/campagnes/<int:campaign_id>/afbeeldingen")
@requires(Permission.MANAGE_CAMPAIGNS)
def upload(campaign_id: int) -> Response:
    """The editor's upload (GrapesJS asset manager: files in `files`, the answer `{data: [...]}`)."""
    return _upload(_organisation_id(campaign_id))


@blueprint.post("/beheer/campagnes/sjablonen/<int:template_id>/afbeeldingen")
@requires(Permission.MANAGE_CAMPAIGNS)
def upload_for_template(template_id: int) -> Response:
    """The same upload from the editor of an own template: the image joins the organisation's images."""
    return _upload(scoped_or_404(SavedTemplate, template_id, Permission.MANAGE_CAMPAIGNS).organisation_id)


def _upload(organisation_id: int) -> Response:
    files = request.files.getlist("files") or request.files.getlist("files[]")  # GrapesJS names them files[]
    if not files:
        raise Refused(_refused, _("Kies een afbeelding."))
    stored = []
    for file in files[:10]:
        try:
            stored.append(images.store_image(organisation_id, file.filename or "", file.read(), current_user.id))
        except images.ImageRefused as error:
            raise Refused(_refused, str(error)) from error
    return jsonify(data=[{"src": images.image_url(image), "name": image.filename} for image in stored])


def _refused(message: str) -> tuple[Response, int]:
    return jsonify(error=message), 400


@blueprint.route("/nieuwsbrief/afbeelding/<token>.<extension>")
@public
def serve(token: str, extension: str) -> Response:
    image = images.image_by_token(token)
    if image is None or images.EXTENSIONS[image.content_type] != extension:
        abort(404)
    response = Response(image.data, mimetype=image.content_type)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"  # the token names one upload
    response.headers["Content-Security-Policy"] = IMAGE_CSP
    response.headers["Content-Disposition"] = "inline"
    # Mail clients and their image proxies load it from anywhere.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response
