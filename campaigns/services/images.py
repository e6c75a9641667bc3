"""Images for campaigns: uploaded per organisation, checked by their bytes, served to mail clients.

The type is what Pillow reads in the bytes, never the file name or the browser's word; only
PNG, JPEG, GIF and WebP (no SVG: it can carry script). Stills are saved again without their
metadata (a phone photo's EXIF holds where it was taken); an animated GIF is kept as it was.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from campaigns.models import CampaignImage
from campaigns.services.campaigns import CampaignError
from core.links import absolute_url
from extensions import db

CONTENT_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
MAX_PIXELS = 40_000_000  # a small file can still unpack to gigabytes (a "decompression bomb")


class ImageRefused(CampaignError):
    """The upload is not an image we accept; `str(error)` says why (Dutch)."""


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    content_type: str
    width: int
    height: int


def check_image(data: bytes) -> CheckedImage:
    """The bytes as stored: refused unless they are a PNG, JPEG, GIF or WebP within the limits."""
    max_bytes = current_app.config["CAMPAIGN_IMAGE_MAX_BYTES"]
    if not data:
        raise ImageRefused(_("Het bestand is leeg."))
    if len(data) > max_bytes:
        raise ImageRefused(_("De afbeelding is groter dan %(size)s MB.", size=f"{max_bytes / 1_000_000:g}"))
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            width, height = image.size
            if kind not in CONTENT_TYPES:
                raise ImageRefused(_("Alleen PNG, JPEG, GIF en WebP zijn mogelijk."))
            if width * height > MAX_PIXELS:
                raise ImageRefused(_("De afbeelding heeft te veel beeldpunten."))
            image.verify()
        return CheckedImage(_without_metadata(data, kind), CONTENT_TYPES[kind], width, height)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise ImageRefused(_("Dit bestand is geen afbeelding die we kunnen lezen.")) from error


def _without_metadata(data: bytes, kind: str) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        if getattr(image, "is_animated", False):
            return data
        still = ImageOps.exif_transpose(image)
        output = io.BytesIO()
        still.save(output, format=kind, **({"quality": 90} if kind in ("JPEG", "WEBP") else {}))
        return output.getvalue()


def store_image(organisation_id: int, filename: str, data: bytes, uploaded_by_id: int | None) -> CampaignImage:
    checked = check_image(data)
    image = CampaignImage(organisation_id=organisation_id, filename=(filename or "afbeelding")[-200:],
                          content_type=checked.content_type, width=checked.width, height=checked.height,
                          size=len(checked.data), data=checked.data, uploaded_by_id=uploaded_by_id)
    db.session.add(image)
    db.session.flush()
    return image


def images_of(organisation_id: int, limit: int = 200) -> list[CampaignImage]:
    return list(db.session.scalars(
        sa.select(CampaignImage).where(CampaignImage.organisation_id == organisation_id)
        .order_by(CampaignImage.created_at.desc(), CampaignImage.id.desc()).limit(limit)
    ))


def image_by_token(token: str) -> CampaignImage | None:
    return db.session.scalar(sa.select(CampaignImage).where(CampaignImage.token == token)
                             .options(sa.orm.undefer(CampaignImage.data)))


def image_url(image: CampaignImage) -> str:
    """The stable absolute address a mail client loads the image from."""
    return absolute_url("campaign_images.serve", token=image.token, extension=EXTENSIONS[image.content_type])
