"""Contacts with their consent, lists, and campaigns with their audience definition."""
from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from accounts.models import User
from core.sql import enum_type
from core.timeutils import UTCDateTime, utcnow
from extensions import db


class ContactAudience(enum.StrEnum):
    CITIZEN = "citizen"
    SME = "sme"


class ContactStatus(enum.StrEnum):
    UNCONFIRMED = "unconfirmed"
    SUBSCRIBED = "subscribed"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"
    COMPLAINED = "complained"


# The statuses a campaign may still reach one day: an unsubscribe (or an erasure) changes only these;
# a bounced or complained address keeps what it is.
STILL_MAILABLE = (ContactStatus.SUBSCRIBED, ContactStatus.UNCONFIRMED)


class ConsentSource(enum.StrEnum):
    SUBSCRIBE_FORM = "subscribe_form"
    EVENT_SIGNUP = "event_signup"
    IMPORT = "import"
    # The person confirmed a confirmation mail that an admin sent again.
    ADMIN_RESEND = "admin_resend"


class Topic(enum.StrEnum):
    PHISHING = "phishing"
    PASSWORDS = "passwords"
    FRAUD = "fraud"
    BUSINESS = "business"
    EVENTS = "events"


class CampaignStatus(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    PAUSED = "paused"
    SENT = "sent"
    CANCELLED = "cancelled"


class DeliveryStatus(enum.StrEnum):
    """What became of one recipient's mail (the delivery log); derived, never stored."""

    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    BOUNCED = "bounced"
    UNSUBSCRIBED = "unsubscribed"
    NOT_SENT = "not_sent"  # paused or cancelled


class EventRelation(enum.StrEnum):
    REGISTERED = "registered"
    ATTENDED = "attended"
    ABSENT = "absent"


list_memberships = sa.Table(
    "contact_list_memberships",
    db.metadata,
    sa.Column("list_id", sa.ForeignKey("contact_lists.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("contact_id", sa.ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True, index=True),
)


def new_link_token() -> str:
    return secrets.token_urlsafe(24)


class Contact(db.Model):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    # Stored lower-cased and stripped: one contact per address per organisation.
    email: Mapped[str] = mapped_column(sa.String(254))
    name: Mapped[str | None] = mapped_column(sa.String(200))
    audience: Mapped[ContactAudience | None] = mapped_column(enum_type(ContactAudience, "contact_audience"))
    municipality: Mapped[str | None] = mapped_column(sa.String(100))
    status: Mapped[ContactStatus] = mapped_column(
        enum_type(ContactStatus, "contact_status"), default=ContactStatus.UNCONFIRMED
    )
    # The secret of the confirmation link that is still open; cleared when used (one-time).
    confirm_nonce: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribed_campaign_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="SET NULL")
    )
    bounced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The secret of the contact's unsubscribe and preference links (stored, so that a launch
    # builds 100,000 links in SQL instead of signing each one in Python).
    link_token: Mapped[str] = mapped_column(sa.String(32), unique=True, default=new_link_token)

    topics: Mapped[list[ContactTopic]] = relationship(cascade="all, delete-orphan", order_by="ContactTopic.topic")
    consents: Mapped[list[ConsentRecord]] = relationship(
        back_populates="contact", cascade="all, delete-orphan", order_by="ConsentRecord.given_at"
    )
    lists: Mapped[list[ContactList]] = relationship(secondary=list_memberships, back_populates="contacts")
    tags: Mapped[list[ContactTag]] = relationship(secondary="contact_tag_memberships", order_by="ContactTag.name")

    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "email"),
        # The audience count: with the id, counting subscribed contacts (and joining them to a list's
        # members) is an index-only scan; the municipality as `audiences.conditions` compares it.
        sa.Index("ix_contacts_organisation_status_id", "organisation_id", "status", "id"),
        sa.Index("ix_contacts_organisation_municipality", "organisation_id",
                 sa.func.lower(sa.column("municipality")).label("lower_municipality")),
        # The contacts page searches for a part of the address or name (`LIKE '%...%'`): trigram
        # indexes on PostgreSQL (pg_trgm) find it among a million contacts without reading them all.
        sa.Index("ix_contacts_email_trigram", "email", postgresql_using="gin",
                 postgresql_ops={"email": "gin_trgm_ops"}),
        sa.Index("ix_contacts_name_trigram", sa.func.lower(sa.column("name")).label("lower_name"),
                 postgresql_using="gin", postgresql_ops={"lower_name": "gin_trgm_ops"}),
    )

    @property
    def topic_values(self) -> list[Topic]:
        return [row.topic for row in self.topics]


sa.event.listen(Contact.__table__, "before_create",
                sa.DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"))


class ContactTopic(db.Model):
    __tablename__ = "contact_topics"

    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    topic: Mapped[Topic] = mapped_column(enum_type(Topic, "contact_topic"), primary_key=True)


class ConsentRecord(db.Model):
    """Proof of consent: when, which text the person agreed to, and how it reached us."""

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    text_version: Mapped[str] = mapped_column(sa.String(40))
    source: Mapped[ConsentSource] = mapped_column(enum_type(ConsentSource, "consent_source"))
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))

    contact: Mapped[Contact] = relationship(back_populates="consents")


class TrackedLink(db.Model):
    """A link of a launched campaign that goes through /nieuwsbrief/klik/<token>: the redirect can
    only ever lead to a URL stored here, and counts clicks per link (not who clicked)."""

    __tablename__ = "campaign_links"

    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(sa.String(2000))
    clicks: Mapped[int] = mapped_column(default=0)


class _ContactGroup:
    """What a list and a tag share: a named group of one organisation's contacts, the name unique in
    it (`campaigns.services.groups` serves both)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[sa.UniqueConstraint]:  # a constraint per table, not one shared
        return (sa.UniqueConstraint("organisation_id", "name"),)


class ContactList(_ContactGroup, db.Model):
    __tablename__ = "contact_lists"

    name: Mapped[str] = mapped_column(sa.String(200))

    contacts: Mapped[list[Contact]] = relationship(secondary=list_memberships, back_populates="lists")


class Campaign(db.Model):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    template_key: Mapped[str] = mapped_column(sa.String(50))
    subject: Mapped[str] = mapped_column(sa.String(200), default="")
    preheader: Mapped[str] = mapped_column(sa.String(200), default="")
    sender_name: Mapped[str] = mapped_column(sa.String(200))
    sender_address: Mapped[str] = mapped_column(sa.String(254))
    mjml_source: Mapped[str] = mapped_column(sa.Text)
    # The last source that rendered without errors, with sample values: the preview keeps it
    # while the author's current source is half-typed.
    rendered_html: Mapped[str | None] = mapped_column(sa.Text)
    rendered_text: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[CampaignStatus] = mapped_column(
        enum_type(CampaignStatus, "campaign_status"), default=CampaignStatus.DRAFT
    )
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    launched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why the campaign paused itself (too many hard bounces); empty when an officer paused it.
    paused_reason: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # The audience: every condition that is set must hold (no condition: every subscriber).
    list_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contact_lists.id", ondelete="SET NULL"))
    audience_type: Mapped[ContactAudience | None] = mapped_column(enum_type(ContactAudience, "campaign_audience"))
    municipality: Mapped[str | None] = mapped_column(sa.String(100))
    topic: Mapped[Topic | None] = mapped_column(enum_type(Topic, "campaign_topic"))
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("events.id", ondelete="SET NULL"))
    event_relation: Mapped[EventRelation | None] = mapped_column(enum_type(EventRelation, "campaign_event_relation"))
    tag_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contact_tags.id", ondelete="SET NULL"))
    # Events listed in an invitation, in this order.
    event_ids: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    # Off by default (privacy): when on, links go through signed redirects counted per link, not per person.
    track_clicks: Mapped[bool] = mapped_column(default=False)
    # Opt-in: once sent, the mail is shown without personal data in the organisation's public archive.
    public_archive: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # The content sections as the visual editor made them (campaigns.services.editor); the layout
    # around them is the organisation's and is added by the server. None: written in raw MJML.
    visual_body: Mapped[str | None] = mapped_column(sa.Text)

    contact_list: Mapped[ContactList | None] = relationship()

    @property
    def editable(self) -> bool:
        return self.status in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED)


class SubjectTest(db.Model):
    """A subject test (A/B) of a campaign: at launch a test share of the recipients is split between
    the campaign's subject (A) and `subject_b`; the rest waits, and once `wait_minutes` have passed
    `flask campaigns tick` sends the subject with more sign-ups (or clicks) to them (campaigns.services.ab_test)."""

    __tablename__ = "campaign_subject_tests"

    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    subject_b: Mapped[str] = mapped_column(sa.String(200))
    test_percent: Mapped[int] = mapped_column()
    wait_minutes: Mapped[int] = mapped_column()
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    winner: Mapped[str | None] = mapped_column(sa.String(1))
    # The test rows' own templates (their sign-up links name the variant), set at the split.
    template_a_id: Mapped[int | None] = mapped_column(sa.ForeignKey("mail_templates.id", ondelete="SET NULL"))
    template_b_id: Mapped[int | None] = mapped_column(sa.ForeignKey("mail_templates.id", ondelete="SET NULL"))
    signups_a: Mapped[int | None] = mapped_column()
    signups_b: Mapped[int | None] = mapped_column()
    # Clicks on tracked links per variant (their redirects name it), and what decided: 'signups'
    # for a campaign with events, 'clicks' for one without events that tracks clicks.
    clicks_a: Mapped[int] = mapped_column(default=0, server_default="0")
    clicks_b: Mapped[int] = mapped_column(default=0, server_default="0")
    decided_by: Mapped[str | None] = mapped_column(sa.String(10))

    __table_args__ = (
        sa.CheckConstraint("test_percent BETWEEN 2 AND 50", name="test_percent_range"),
        sa.CheckConstraint("wait_minutes BETWEEN 10 AND 10080", name="wait_minutes_range"),
        sa.CheckConstraint("winner IN ('a', 'b')", name="winner_a_or_b"),
    )


tag_memberships = sa.Table(
    "contact_tag_memberships",
    db.metadata,
    sa.Column("tag_id", sa.ForeignKey("contact_tags.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("contact_id", sa.ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class ContactTag(_ContactGroup, db.Model):
    """A label an admin puts on contacts for segments ("pilot Noord", "ondernemersvereniging")."""

    __tablename__ = "contact_tags"

    name: Mapped[str] = mapped_column(sa.String(50))


class ImportStatus(enum.StrEnum):
    UPLOADED = "uploaded"  # parsed and stored; the columns are not chosen yet
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ContactImport(db.Model):
    """One CSV import of contacts, from upload to report (`campaigns.services.import_jobs`).

    The file is kept in the row rather than on a disk: whichever machine runs the import (a thread
    of the web process that took the upload, or `flask campaigns tick` elsewhere) reads it from the
    database, and deleting the row or clearing `data` removes the personal data with it. It is
    cleared as soon as the import ends; an upload that is never mapped goes after a day.
    """

    __tablename__ = "contact_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[ImportStatus] = mapped_column(enum_type(ImportStatus, "import_status"), default=ImportStatus.UPLOADED)
    filename: Mapped[str] = mapped_column(sa.String(100))
    # Deferred: the progress page and its JSON poll never load the file.
    data: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    # Field name -> column index in the file, as chosen on the mapping page.
    mapping: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    list_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contact_lists.id", ondelete="SET NULL"))
    total_rows: Mapped[int] = mapped_column(default=0)
    # Rows whose contacts are committed; a resumed import continues from here.
    processed_rows: Mapped[int] = mapped_column(default=0)
    # The counts of `importing.ImportReport` and its first invalid and duplicate lines, as far as processed.
    report: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    error: Mapped[str | None] = mapped_column(sa.String(500))
    # The runner holding the import (a random token per claim) and how often it was claimed.
    runner: Mapped[str | None] = mapped_column(sa.String(32))
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Renewed with every chunk; a running import whose heartbeat is stale lost its runner.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.Index("ix_contact_imports_organisation_created", "organisation_id", "created_at"),
        sa.Index("ix_contact_imports_status", "status"),
        sa.CheckConstraint("processed_rows <= total_rows", name="processed_within_total"),
    )

    @property
    def percent(self) -> int:
        return 100 * self.processed_rows // self.total_rows if self.total_rows else 100

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)


class CampaignImage(db.Model):
    """An image an officer uploaded for the organisation's mails (campaigns.services.images).

    Kept in the database, not on a disk: every web process on every machine serves it, a backup
    holds it, and it goes with its organisation. Served publicly (a mail client cannot log in) under
    an unguessable token, so the list of one organisation's images is only seen in its admin.
    """

    __tablename__ = "campaign_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    token: Mapped[str] = mapped_column(sa.String(32), unique=True, default=new_link_token)
    filename: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(50))
    width: Mapped[int]
    height: Mapped[int]
    size: Mapped[int]
    # Deferred: the list of images never loads their bytes.
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.Index("ix_campaign_images_organisation_created", "organisation_id", "created_at"),
        sa.CheckConstraint("size > 0", name="image_not_empty"),
    )


class SavedTemplate(db.Model):
    """An organisation's own campaign template: a campaign's content (its composed source and, when
    made in the visual editor, its stored body) kept to start new campaigns from. The layout with the
    footer is not in it to lose: a visual body is composed into the layout again for each campaign."""

    __tablename__ = "campaign_saved_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    mjml_source: Mapped[str] = mapped_column(sa.Text)
    visual_body: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("organisation_id", "name"),)
