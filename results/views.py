"""The results dashboard, its CSV and its printable form (the same page, with print CSS)."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

from flask import Blueprint, Response, render_template, request
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from accounts.models import Organisation
from core.csvutils import BOM, csv_line
from core.permissions import Permission, organisation_ids_for, organisations_for, requires
from core.timeutils import to_local, utcnow
from effect.catalogue import INCIDENTS, KNOWLEDGE, MEASURES, REPORTED
from events.labels import AUDIENCE_LABELS, KIND_LABELS
from results import effect, services
from selfhelp import services as selfhelp

blueprint = Blueprint("results", __name__, url_prefix="/beheer/resultaten")
YEARS_BACK = 4


@dataclass(frozen=True)
class Scope:
    organisation_ids: list[int]
    organisation: Organisation | None  # one chosen organisation, or None for all the user may see
    period: services.Period
    period_key: str  # "12" for the last twelve months, or a year


def _scope() -> Scope:
    organisations = organisations_for(current_user, Permission.VIEW_RESULTS)
    chosen = next((o for o in organisations if str(o.id) == request.args.get("organisatie")), None)
    ids = [chosen.id] if chosen else organisation_ids_for(current_user, Permission.VIEW_RESULTS)
    years = _years()
    key = request.args.get("periode", "")
    if key in {str(year) for year in years}:
        return Scope(ids, chosen, services.calendar_year(int(key)), key)
    return Scope(ids, chosen, services.last_twelve_months(), "12")


def _years() -> list[int]:
    this_year = to_local(utcnow()).year
    return list(range(this_year, this_year - YEARS_BACK, -1))


def _periods() -> dict[str, tuple]:
    """Every period the dashboard offers: suppression is decided over all of them at once."""
    offered = {"12": services.last_twelve_months()} | {str(year): services.calendar_year(year) for year in _years()}
    return {key: (period.start, period.end) for key, period in offered.items()}


def _effect(scope: Scope) -> effect.EffectReport:
    return effect.report(effect.load_region(_periods()), scope.organisation_ids, scope.period_key)


def _month_label(row: services.Row) -> str:
    year, month = row.key.split("-")
    return format_date(date(int(year), int(month), 1), "MMM y")


@dataclass(frozen=True)
class Labels:
    month: Callable[[services.Row], str] = _month_label
    audience: Callable[[services.Row], str] = lambda row: str(AUDIENCE_LABELS[row.key])
    kind: Callable[[services.Row], str] = lambda row: str(KIND_LABELS[row.key])
    organisation: Callable[[services.Row], str] = lambda row: row.label


LABELS = Labels()


@blueprint.route("/")
@requires(Permission.VIEW_RESULTS)
def dashboard() -> str:
    scope = _scope()
    figures = services.results(scope.organisation_ids, scope.period)
    return render_template(
        "results/dashboard.html",
        scope=scope,
        results=figures,
        organisations=organisations_for(current_user, Permission.VIEW_RESULTS),
        years=_years(),
        labels=LABELS,
        peak=_peak(figures.by_month),
        peak_of=_peak,
        effect=_effect(scope),
        selfhelp_views=_selfhelp_views(scope),
    )


def _selfhelp_views(scope: Scope) -> list[selfhelp.PageViews]:
    start, end = to_local(scope.period.start).date(), to_local(scope.period.end).date()
    return selfhelp.views_per_page(scope.organisation_ids, start, end)


def _peak(rows: list[services.Row]) -> int:
    """The longest bar's value (at least 1, so empty charts divide safely)."""
    return max([row.figures.registered for row in rows] + [1])


@blueprint.route("/resultaten.csv")
@requires(Permission.VIEW_RESULTS)
def export() -> Response:
    scope = _scope()
    figures = services.results(scope.organisation_ids, scope.period)
    response = Response(_csv(figures, _effect(scope)), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="resultaten.csv"'
    return response


def _csv(figures: services.Results, effect_report: effect.EffectReport) -> Iterator[str]:
    yield BOM + csv_line([_("Onderdeel"), _("Naam"), _("Bijeenkomsten"), _("Aangemeld"), _("Bereikt (aanwezig)"),
                       _("Opkomst (%)")])
    yield csv_line(_cells(_("Totaal"), _("Alles"), figures.total))
    sections = [
        (_("Doelgroep"), figures.by_audience, LABELS.audience),
        (_("Soort"), figures.by_kind, LABELS.kind),
        (_("Maand"), figures.by_month, lambda row: row.key),
        (_("Organisatie"), figures.by_organisation, LABELS.organisation),
    ]
    for section, rows, label in sections:
        for row in rows:
            yield csv_line(_cells(section, label(row), row.figures))
    yield csv_line([])
    yield csv_line([_("Campagne"), _("Naam"), _("Verzonden"), _("Aanmeldingen"), _("Aanwezig")])
    for funnel in figures.funnel:
        yield csv_line([_("Campagne"), funnel.campaign, str(funnel.sent), str(funnel.signups), str(funnel.attended)])
    yield csv_line([])
    yield from _effect_csv(effect_report)


EFFECT_COLUMNS = ("responses", "satisfaction", "usefulness", "before", "after")


def _effect_csv(report: effect.EffectReport) -> Iterator[str]:
    """The Effect part as shown: a suppressed figure is "< 5" here too (results.suppression)."""
    yield csv_line([_("Effect"), _("Naam"), _("Antwoorden"), _("Respons (%)"), _("Tevredenheid (1-5)"),
                    _("Nut (1-5)"), _("Kennis vooraf goed (%)"), _("Kennis na afloop goed (%)")])
    sections = [(_("Totaal"), [report.total], lambda line: _("Alles")),
                (_("Doelgroep"), report.by_audience, lambda line: str(AUDIENCE_LABELS[line.key])),
                (_("Organisatie"), report.by_organisation, lambda line: line.label),
                (_("Bijeenkomst"), report.by_event, lambda line: line.label)]
    for section, lines, label in sections:
        for line in lines:
            yield csv_line([section, label(line), line.figures("responses").display, line.response_rate(),
                            *(line.figures(metric).display for metric in EFFECT_COLUMNS[1:])])
    yield csv_line([])
    yield csv_line([_("Vraag"), _("Naam"), _("Vooraf goed (%)"), _("Na afloop goed (%)")])
    for key, question in KNOWLEDGE.items():
        yield csv_line([_("Kennisvraag"), str(question.text), report.total.figures(f"before:{key}").display,
                        report.total.figures(f"after:{key}").display])
    yield csv_line([_("Maatregel"), _("Naam"), _("Van plan (%)"), _("Gedaan bij vervolgvraag (%)")])
    for key, label in MEASURES.items():
        yield csv_line([_("Maatregel"), str(label), report.total.figures(f"intent:{key}").display,
                        report.total.figures(f"action:{key}").display])
    yield csv_line([_("Meegemaakt"), _("Naam"), _("Aandeel (%)")])
    for key, label in INCIDENTS.items():
        yield csv_line([_("Meegemaakt"), str(label), report.total.figures(f"experienced:{key}").display])
    for key, label in REPORTED.items():
        yield csv_line([_("Gemeld"), str(label), report.total.figures(f"reported:{key}").display])


def _cells(section: str, name: str, figures: services.Figures) -> list[str]:
    rate = "" if figures.rate is None else f"{figures.rate * 100:.0f}"
    return [section, name, str(figures.sessions), str(figures.registered), str(figures.attended), rate]
