"""The subject test (A/B): the split at launch and the winner after the waiting time.

At launch `sending.launch` writes every recipient's row as always (subject A), then `split()`
re-marks them in one UPDATE over a random order: the first half of the test share keeps subject A,
the second half gets subject B, and the rest is held back (cancelled, marked `HELD_MARK`; the worker
never claims it, and pause and resume leave it alone). Test rows carry their own copy of the mail
template, whose sign-up links name the variant (`bron=campagne-12-a` / `-b`), so each sign-up counts
for the subject that brought it.

`decide_due()` (from `flask campaigns tick`) picks the winner by sign-ups for the campaign's events,
or, for a campaign without events that tracks clicks, by clicks (the test rows' click redirects name
the variant, `clicks.follow` counts them per variant); a tie, nought to nought included, goes to
subject A, the campaign's own. It then gives the held rows the winning subject and queues them.
Every contact has exactly one row (UNIQUE(campaign_id, contact_id)), and a row only ever changes
subject while it is held, so nobody gets two mails or both subjects. The decision takes the
campaign's row lock and checks `decided_at` under it: a second tick at the same moment waits, then
finds it decided (tests/campaigns/test_ab_test.py, on PostgreSQL; its negative control switches the
lock off with SUBJECT_TEST_LOCK_ENABLED and sees the tick decide twice).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from campaigns.models import Campaign, CampaignStatus, SubjectTest
from campaigns.services import clicks
from campaigns.services.campaigns import CampaignError, ensure_editable, source_tag
from core.db import unit_of_work
from core.sql import lock_row
from core.timeutils import utcnow
from events.models import Event, Registration, RegistrationStatus
from extensions import db
from mailing.models import MailTemplate, MessageStatus, OutgoingMessage

HELD_MARK = "subject test: waiting for the winner"
VARIANTS = ("a", "b")


class SubjectsEqual(CampaignError):
    pass


@dataclass(frozen=True)
class TestSettings:
    subject_b: str
    test_percent: int
    wait_minutes: int


@dataclass(frozen=True)
class VariantResult:
    variant: str
    subject: str
    recipients: int
    sent: int
    signups: int
    clicks: int


@dataclass(frozen=True)
class TestResult:
    test: SubjectTest
    variants: list[VariantResult]
    waiting: int  # held rows still waiting for the winner
    criterion: str  # 'signups' or 'clicks': what decides (or decided)

    @property
    def decide_at(self):  # noqa: ANN201 (a datetime or None)
        started = self.test.started_at
        return started + timedelta(minutes=self.test.wait_minutes) if started else None


def subject_test_of(campaign: Campaign) -> SubjectTest | None:
    return db.session.get(SubjectTest, campaign.id)


def set_test(campaign: Campaign, settings: TestSettings | None) -> None:
    """Sets or (None) removes the test of a campaign that is not yet sent."""
    ensure_editable(campaign)
    existing = subject_test_of(campaign)
    if settings is None:
        if existing is not None:
            db.session.delete(existing)
        db.session.flush()
        return
    if settings.subject_b.strip() == campaign.subject.strip():
        raise SubjectsEqual(_("Onderwerp B moet anders zijn dan onderwerp A."))
    test = existing or SubjectTest(campaign_id=campaign.id)
    test.subject_b = settings.subject_b.strip()
    test.test_percent = settings.test_percent
    test.wait_minutes = settings.wait_minutes
    db.session.add(test)
    db.session.flush()


def variant_tag(campaign: Campaign, variant: str) -> str:
    return f"{source_tag(campaign)}-{variant}"


def source_tags(campaign: Campaign) -> list[str]:
    """Every `bron` a sign-up through this campaign may carry."""
    return [source_tag(campaign), *(variant_tag(campaign, variant) for variant in VARIANTS)]


def _variant_template(campaign: Campaign, template: MailTemplate, variant: str) -> MailTemplate:
    """A copy of the launch's template whose event sign-up links name the variant."""
    plain, tagged = f"bron={source_tag(campaign)}", f"bron={variant_tag(campaign, variant)}"
    shared = dict(template.shared)
    shared["events"] = [{**event, "signup_url": str(event.get("signup_url", "")).replace(plain, tagged)}
                        if isinstance(event, dict) else event for event in shared.get("events") or []]
    redirects = clicks.variant_redirects(campaign, template.redirects, variant) if template.redirects else {}
    copy = MailTemplate(organisation_id=template.organisation_id, source_hash=template.source_hash,
                        source=template.source, html_source=template.html_source, text_source=template.text_source,
                        shared=shared, redirects=redirects)
    db.session.add(copy)
    db.session.flush()
    return copy


def split(campaign: Campaign) -> None:
    """Right after the launch wrote the rows (same transaction): test share to A and B, the rest held."""
    test = subject_test_of(campaign)
    if test is None:
        return
    total = db.session.scalar(sa.select(sa.func.count()).where(OutgoingMessage.campaign_id == campaign.id)) or 0
    in_test = min(total, max(2, round(total * test.test_percent / 100)))
    in_a = in_test // 2 + in_test % 2
    template_id = db.session.scalar(sa.select(OutgoingMessage.template_id)
                                    .where(OutgoingMessage.campaign_id == campaign.id).limit(1))
    if template_id is None:
        return
    template = db.session.get_one(MailTemplate, template_id)
    template_a, template_b = (_variant_template(campaign, template, variant) for variant in VARIANTS)
    ranked = (sa.select(OutgoingMessage.id, sa.func.row_number().over(order_by=sa.func.random()).label("n"))
              .where(OutgoingMessage.campaign_id == campaign.id).subquery())
    in_b = sa.and_(ranked.c.n > in_a, ranked.c.n <= in_test)
    held = ranked.c.n > in_test
    db.session.execute(
        sa.update(OutgoingMessage).where(OutgoingMessage.id == ranked.c.id).values(
            subject=sa.case((in_b, sa.literal(test.subject_b)), else_=OutgoingMessage.subject),
            template_id=sa.case((ranked.c.n <= in_a, template_a.id), (in_b, template_b.id),
                                else_=OutgoingMessage.template_id),
            status=sa.case((held, sa.literal(MessageStatus.CANCELLED.value)), else_=OutgoingMessage.status),
            last_error=sa.case((held, sa.literal(HELD_MARK)), else_=OutgoingMessage.last_error),
        ).execution_options(synchronize_session=False))
    test.template_a_id, test.template_b_id = template_a.id, template_b.id
    test.started_at = utcnow()
    db.session.flush()


def criterion(campaign: Campaign) -> str:
    """What picks the winner: sign-ups for the campaign's events; clicks when it has no events to
    sign up for and tracks clicks (without either, sign-ups: nought to nought, so A)."""
    return "clicks" if campaign.track_clicks and not campaign.event_ids else "signups"


def signups(campaign: Campaign, variant: str) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Registration).join(Event)
        .where(Registration.source == variant_tag(campaign, variant),
               Registration.status != RegistrationStatus.CANCELLED,
               Event.organisation_id == campaign.organisation_id)) or 0


def decide(campaign_id: int) -> str | None:
    """Picks the winner and queues the held rows with its subject; None when not (yet) to decide."""
    if current_app.config.get("SUBJECT_TEST_LOCK_ENABLED", True):
        campaign = lock_row(Campaign, campaign_id, busy=lambda: CampaignError(_("Er wordt al iets met deze campagne gedaan.")))
    else:  # only for the negative control in tests/campaigns/test_ab_test.py
        campaign = db.session.get_one(Campaign, campaign_id)
    test = db.session.get(SubjectTest, campaign_id, populate_existing=True)
    if test is None or test.started_at is None or test.decided_at is not None:
        return None
    if campaign.status != CampaignStatus.SENDING or utcnow() < test.started_at + timedelta(minutes=test.wait_minutes):
        return None  # paused or cancelled: a paused campaign is decided once it is resumed
    test.signups_a, test.signups_b = signups(campaign, "a"), signups(campaign, "b")
    test.decided_by = criterion(campaign)
    counts = (test.signups_a, test.signups_b) if test.decided_by == "signups" else (test.clicks_a, test.clicks_b)
    test.winner = "b" if counts[1] > counts[0] else "a"  # a tie goes to A, the campaign's own subject
    test.decided_at = utcnow()
    subject = test.subject_b if test.winner == "b" else campaign.subject
    db.session.execute(
        sa.update(OutgoingMessage)
        .where(OutgoingMessage.campaign_id == campaign_id, OutgoingMessage.status == MessageStatus.CANCELLED,
               OutgoingMessage.last_error == HELD_MARK)
        .values(status=MessageStatus.QUEUED, subject=subject, last_error=None, next_attempt_at=utcnow())
        .execution_options(synchronize_session=False))
    db.session.flush()
    return test.winner


def decide_due() -> list[tuple[int, str]]:
    """Every test whose waiting time is over, each in its own transaction."""
    due = db.session.scalars(sa.select(SubjectTest.campaign_id).where(
        SubjectTest.started_at.is_not(None), SubjectTest.decided_at.is_(None))).all()
    outcomes = []
    for campaign_id in due:
        try:
            with unit_of_work():
                winner = decide(campaign_id)
        except CampaignError as error:
            outcomes.append((campaign_id, f"subject test skipped: {error}"))
            continue
        if winner:
            outcomes.append((campaign_id, f"subject test decided: {winner.upper()} goes to the rest"))
    return outcomes


def result(campaign: Campaign) -> TestResult | None:
    test = subject_test_of(campaign)
    if test is None:
        return None
    counts = dict(db.session.execute(
        sa.select(OutgoingMessage.template_id, sa.func.count()).where(OutgoingMessage.campaign_id == campaign.id)
        .group_by(OutgoingMessage.template_id)).all())
    sent = dict(db.session.execute(
        sa.select(OutgoingMessage.template_id, sa.func.count())
        .where(OutgoingMessage.campaign_id == campaign.id, OutgoingMessage.status == MessageStatus.SENT)
        .group_by(OutgoingMessage.template_id)).all())
    waiting = db.session.scalar(sa.select(sa.func.count()).where(
        OutgoingMessage.campaign_id == campaign.id, OutgoingMessage.last_error == HELD_MARK)) or 0
    templates = {"a": test.template_a_id, "b": test.template_b_id}
    variants = [VariantResult(variant, campaign.subject if variant == "a" else test.subject_b,
                              counts.get(templates[variant], 0), sent.get(templates[variant], 0),
                              signups(campaign, variant), test.clicks_a if variant == "a" else test.clicks_b)
                for variant in VARIANTS]
    return TestResult(test, variants, waiting, test.decided_by or criterion(campaign))
