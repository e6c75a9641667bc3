"""The Effect figures: response, satisfaction, knowledge before and after, intent against action,
and what people ran into, per organisation, audience and event, with small numbers suppressed.

Suppression is decided once over the whole region and every period the dashboard offers
(`results.suppression.protect`), so that no page, CSV or print of any organisation or period shows
a figure that, together with another page's, gives away one from fewer than 5 answers. A page then
shows its slice of that one decision.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

import sqlalchemy as sa

from accounts.models import Organisation
from core.timeutils import utcnow
from effect.catalogue import INCIDENTS, KNOWLEDGE, MEASURES, REPORTED, default_measures
from effect.models import EffectResponse, EffectSettings
from events.models import Audience, Event, EventStatus, Registration, RegistrationStatus
from extensions import db
from results.suppression import protect

# (name, kind): a count shows the number, a share a percentage, a mean a score out of 5
METRIC_KINDS: dict[str, str] = {"responses": "count", "satisfaction": "mean", "usefulness": "mean",
                                "before": "share", "after": "share"}


@dataclass(frozen=True)
class Figure:
    """One shown number: made from `base` answers; `value` None when there were none."""

    base: int
    value: float | None
    kind: str
    suppressed: bool = False

    @property
    def display(self) -> str:
        if self.suppressed:
            return "< 5"
        if self.value is None:
            return "–"
        if self.kind == "count":
            return str(int(self.value))
        if self.kind == "mean":
            return f"{self.value:.1f}".replace(".", ",")
        return f"{self.value * 100:.0f}%"

    @property
    def share(self) -> float | None:
        """The value as a fraction for a bar, or None when it is not shown."""
        if self.suppressed or self.value is None:
            return None
        return self.value / 5 if self.kind == "mean" else self.value if self.kind == "share" else None


@dataclass(frozen=True)
class EventAtom:
    id: int
    title: str
    organisation_id: int
    audience: str
    starts_at: datetime
    attended: int


@dataclass
class Tally:
    """Sum of the values and number of answers, per metric, of one event."""

    sums: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, metric: str, value: float) -> None:
        self.sums[metric] += value
        self.counts[metric] += 1


def metric_names() -> list[str]:
    """Every metric: the overview, knowledge pooled and per question, intent and action per measure,
    the experience questions."""
    names = ["responses", "satisfaction", "usefulness", "before", "after"]
    names += [f"before:{key}" for key in KNOWLEDGE] + [f"after:{key}" for key in KNOWLEDGE]
    names += [f"intent:{key}" for key in MEASURES] + [f"action:{key}" for key in MEASURES]
    names += ["consent"] + [f"experienced:{key}" for key in INCIDENTS] + [f"reported:{key}" for key in REPORTED]
    return names


def kind_of(metric: str) -> str:
    return METRIC_KINDS.get(metric.split(":")[0], "count" if metric == "consent" else "share")


def _tally(response: sa.Row, offered: list[str], tally: Tally) -> None:
    if response.evaluated_at is not None:
        tally.add("responses", 1)
        tally.add("satisfaction", response.satisfaction)
        tally.add("usefulness", response.usefulness)
        for key in offered:
            tally.add(f"intent:{key}", key in (response.intentions or []))
    for moment, answers in (("before", response.knowledge_before), ("after", response.knowledge_after)):
        answered = {key: option for key, option in (answers or {}).items() if key in KNOWLEDGE}
        for key, option in answered.items():
            tally.add(f"{moment}:{key}", option == KNOWLEDGE[key].correct)
        if answered:
            tally.add(moment, sum(option == KNOWLEDGE[key].correct for key, option in answered.items()) / len(answered))
    if response.followed_up_at is not None:
        for key in response.intentions or []:
            tally.add(f"action:{key}", key in (response.actions or []))
    if response.experience_consent:
        tally.add("consent", 1)
        for key in INCIDENTS:
            tally.add(f"experienced:{key}", key in (response.experienced or []))
        if response.experienced:
            for key in REPORTED:
                tally.add(f"reported:{key}", key in (response.reported or []))


@dataclass
class Region:
    """Every held event since `since` with its tallies, and the suppression decided over all of it."""

    events: dict[int, EventAtom]
    tallies: dict[int, Tally]
    periods: dict[str, tuple[datetime, datetime]]
    organisation_ids: list[int]
    names: dict[int, str] = field(default_factory=dict)
    groups: dict[tuple, frozenset[int]] = field(default_factory=dict)
    hidden: dict[str, frozenset[tuple]] = field(default_factory=dict)

    def figure(self, metric: str, atoms: Iterable[int], key: tuple | None) -> Figure:
        atoms = list(atoms)
        count = sum(self.tallies[atom].counts.get(metric, 0) for atom in atoms if atom in self.tallies)
        total = sum(self.tallies[atom].sums.get(metric, 0.0) for atom in atoms if atom in self.tallies)
        kind = kind_of(metric)
        value = None if count == 0 else float(count) if kind == "count" else total / count
        hidden = key is None or key in self.hidden[metric]
        return Figure(count, value, kind, suppressed=bool(count) and hidden)


def load_region(periods: dict[str, tuple[datetime, datetime]]) -> Region:
    """Held events of every organisation in any of `periods`, and their answers: three queries."""
    since = min(start for start, _end in periods.values())
    names = dict(db.session.execute(sa.select(Organisation.id, Organisation.name)).all())
    confirmed_present = sa.and_(Registration.status == RegistrationStatus.CONFIRMED, Registration.checked_in_at.is_not(None))
    event_rows = db.session.execute(
        sa.select(Event.id, Event.title, Event.organisation_id, Event.audience, Event.starts_at,
                  sa.func.count(Registration.id).filter(confirmed_present).label("attended"))
        .outerjoin(Registration, Registration.event_id == Event.id)
        .where(Event.status == EventStatus.PUBLISHED, Event.ends_at <= utcnow(), Event.starts_at >= since)
        .group_by(Event.id, Event.title, Event.organisation_id, Event.audience, Event.starts_at)
    )
    events = {row.id: EventAtom(row.id, row.title, row.organisation_id, row.audience.value, row.starts_at, row.attended)
              for row in event_rows}
    offered = _offered_measures(events)
    tallies: dict[int, Tally] = defaultdict(Tally)
    responses = db.session.execute(sa.select(EffectResponse).where(EffectResponse.event_id.in_(list(events))))
    for (response,) in responses:
        _tally(response, offered[response.event_id], tallies[response.event_id])
    region = Region(events, dict(tallies), periods, sorted(names), names)
    region.groups = _groups(region)
    structure = tuple(sorted(region.groups.items(), key=repr))
    for metric in metric_names():
        answers = tuple(sorted((event_id, tally.counts[metric]) for event_id, tally in region.tallies.items()
                               if tally.counts.get(metric)))
        region.hidden[metric] = _decided(structure, answers) if answers else frozenset()
    return region


@lru_cache(maxsize=128)
def _decided(structure: tuple[tuple[tuple, frozenset[int]], ...], answers: tuple[tuple[int, int], ...]) -> frozenset[tuple]:
    """The figures to hide for these answers per event: the same inputs give the same decision, so
    it is kept per process (many metrics share their answers, and the dashboard, its CSV, its print
    view and every organisation's slice ask again) until an answer or an event changes."""
    return frozenset(protect(dict(structure), dict(answers)))


def _offered_measures(events: dict[int, EventAtom]) -> dict[int, list[str]]:
    chosen = dict(db.session.execute(sa.select(EffectSettings.event_id, EffectSettings.measures)
                                     .where(EffectSettings.event_id.in_(list(events)))).all())
    return {event_id: [key for key in (chosen.get(event_id) or default_measures(Audience(event.audience)))
                       if key in MEASURES] for event_id, event in events.items()}


def _groups(region: Region) -> dict[tuple, frozenset[int]]:
    groups: dict[tuple, set[int]] = defaultdict(set)
    for event in region.events.values():
        groups[("event", event.id)].add(event.id)
        for period, (start, end) in region.periods.items():
            if start <= event.starts_at < end:
                for key in (("total", period), ("audience", period, event.audience),
                            ("organisation", period, event.organisation_id),
                            ("org_audience", period, event.organisation_id, event.audience)):
                    groups[key].add(event.id)
    return {key: frozenset(atoms) for key, atoms in groups.items()}


@dataclass(frozen=True)
class Line:
    """One row of a split: a label and its figures by metric."""

    key: str
    label: str
    figures: Callable[[str], Figure]
    attended: int = 0

    def response_rate(self) -> str:
        """Answers per attendee, hidden exactly when the number of answers is."""
        responses = self.figures("responses")
        if responses.suppressed or not responses.base or not self.attended:
            return responses.display if responses.suppressed else "–"
        return f"{min(responses.base / self.attended, 1) * 100:.0f}%"


@dataclass
class EffectReport:
    total: Line
    by_audience: list[Line]
    by_organisation: list[Line]
    by_event: list[Line]

    @property
    def has_answers(self) -> bool:
        return self.total.figures("responses").base > 0

    def _rows(self, labels: dict[str, object], first: str, second: str | None) -> list[tuple[str, Figure, Figure | None]]:
        figures = self.total.figures
        return [(str(label), figures(f"{first}:{key}"), figures(f"{second}:{key}") if second else None)
                for key, label in labels.items()]

    def knowledge_rows(self) -> list[tuple[str, Figure, Figure | None]]:
        return self._rows({key: question.text for key, question in KNOWLEDGE.items()}, "before", "after")

    def measure_rows(self) -> list[tuple[str, Figure, Figure | None]]:
        return self._rows(dict(MEASURES), "intent", "action")

    def incident_rows(self) -> list[tuple[str, Figure, Figure | None]]:
        return self._rows(dict(INCIDENTS), "experienced", None)

    def reported_rows(self) -> list[tuple[str, Figure, Figure | None]]:
        return self._rows(dict(REPORTED), "reported", None)


def report(region: Region, organisation_ids: list[int], period: str) -> EffectReport:
    """The slice of `region` for these organisations and this period."""
    start, end = region.periods[period]
    chosen = set(organisation_ids)
    events = [event for event in region.events.values()
              if event.organisation_id in chosen and start <= event.starts_at < end]
    whole = chosen >= set(region.organisation_ids)

    def attended(atoms: list[int]) -> int:
        return sum(region.events[atom].attended for atom in atoms)

    def scope_line(audience: str | None) -> Line:
        atoms = [event.id for event in events if audience is None or event.audience == audience]
        if whole:
            keys = [("total", period) if audience is None else ("audience", period, audience)]
        else:
            keys = [("organisation", period, o) if audience is None else ("org_audience", period, o, audience)
                    for o in sorted(chosen)]
        present = [key for key in keys if key in region.groups]
        return Line(audience or "total", audience or "", lambda metric: _union(region, metric, atoms, present),
                    attended(atoms))

    def of(key: tuple, atoms: list[int]) -> Callable[[str], Figure]:
        return lambda metric: region.figure(metric, atoms, key)

    by_organisation = []
    for organisation_id in sorted(chosen):
        atoms = [event.id for event in events if event.organisation_id == organisation_id]
        if atoms:
            key = ("organisation", period, organisation_id)
            by_organisation.append(Line(str(organisation_id), region.names[organisation_id], of(key, atoms),
                                        attended(atoms)))
    return EffectReport(
        total=scope_line(None),
        by_audience=[scope_line(audience.value) for audience in Audience],
        by_organisation=by_organisation,
        by_event=[Line(str(event.id), event.title, of(("event", event.id), [event.id]), event.attended)
                  for event in sorted(events, key=lambda event: (event.starts_at, event.id))],
    )


def _union(region: Region, metric: str, atoms: list[int], keys: list[tuple]) -> Figure:
    """A figure over several protected figures: shown only when each of them is (then it adds no information)."""
    if not keys:
        return region.figure(metric, [], ("union",))
    figure = region.figure(metric, atoms, keys[0] if len(keys) == 1 else ("union",))
    if len(keys) == 1:
        return figure
    parts_hidden = any(region.figure(metric, region.groups[key], key).suppressed for key in keys)
    return Figure(figure.base, figure.value, figure.kind, suppressed=bool(figure.base) and parts_hidden)
