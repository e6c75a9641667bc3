"""The standard questions of the evaluation, the knowledge check and the follow-up, in our own words.

Answers store the keys below, never the labels: a reworded label changes no stored answer, and the
results show every answer in the reader's language.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from events.models import Audience

MEASURES: dict[str, LazyString] = {
    "two_step": _l("Tweestapsverificatie aanzetten op mijn belangrijkste accounts"),
    "password_manager": _l("Een wachtwoordmanager gaan gebruiken"),
    "backups": _l("Back-ups maken die los van mijn computer staan"),
    "updates": _l("Updates meteen installeren, of automatisch laten installeren"),
    "verify_payment": _l("Een betaalverzoek eerst controleren door zelf te bellen"),
    "report_phishing": _l("Verdachte berichten melden (bijvoorbeeld aan de Fraudehelpdesk)"),
    "incident_plan": _l("Een plan maken voor wat we doen bij een cyberincident"),
    "staff_instructions": _l("Medewerkers uitleggen hoe ze oplichting herkennen"),
}
BUSINESS_MEASURES = ("incident_plan", "staff_instructions")

INCIDENTS: dict[str, LazyString] = {
    "phishing": _l("Een phishingbericht (mail of sms) waarop ik heb gereageerd"),
    "helpdesk_fraud": _l("Oplichting door een nep-helpdesk of nep-bankmedewerker"),
    "whatsapp_fraud": _l("WhatsApp-fraude (een 'bekende' die om geld vroeg)"),
    "webshop_fraud": _l("Een nepwebwinkel: betaald en niets gekregen"),
    "hacked_account": _l("Een gehackt account (mail, sociale media, WhatsApp)"),
    "invoice_fraud": _l("Factuur- of CEO-fraude (een valse factuur of betaalopdracht)"),
    "ransomware": _l("Gijzelsoftware (ransomware)"),
}
REPORTED: dict[str, LazyString] = {
    "police": _l("Bij de politie"),
    "bank": _l("Bij de bank"),
}


@dataclass(frozen=True)
class KnowledgeQuestion:
    key: str
    text: LazyString
    options: tuple[LazyString, ...]
    correct: int


KNOWLEDGE: dict[str, KnowledgeQuestion] = {question.key: question for question in (
    KnowledgeQuestion(
        "bank_sms",
        _l("U krijgt een sms van 'uw bank': uw pas verloopt, verleng hem via de link. Wat doet u?"),
        (_l("Op de link klikken en de gegevens invullen"),
         _l("Niet klikken, en zo nodig zelf de bank bellen op het nummer achter op uw pas"),
         _l("Terug-sms'en met uw pasnummer, dan weet de bank wie u bent")),
        1,
    ),
    KnowledgeQuestion(
        "two_step",
        _l("Wat doet tweestapsverificatie?"),
        (_l("Het maakt uw wachtwoord twee keer zo lang"),
         _l("Naast uw wachtwoord is er een tweede bewijs nodig, zoals een code op uw telefoon"),
         _l("Het verandert uw wachtwoord elke maand vanzelf")),
        1,
    ),
    KnowledgeQuestion(
        "new_number",
        _l("Een familielid appt vanaf een nieuw nummer en vraagt of u vandaag iets wilt betalen. Wat is het verstandigst?"),
        (_l("Meteen betalen: het is familie"),
         _l("Om een foto vragen als bewijs"),
         _l("Eerst bellen naar het oude, bekende nummer")),
        2,
    ),
    KnowledgeQuestion(
        "offline_backup",
        _l("Waarom bewaart u een back-up die niet steeds aan de computer vastzit?"),
        (_l("Zodat gijzelsoftware die back-up niet ook versleutelt"),
         _l("Omdat een back-up dan sneller gaat"),
         _l("Dat maakt niet uit, elke back-up is even veilig")),
        0,
    ),
    KnowledgeQuestion(
        "updates",
        _l("Wanneer installeert u een update van uw telefoon of computer?"),
        (_l("Zo snel mogelijk nadat hij klaarstaat"),
         _l("Pas als het apparaat trager wordt"),
         _l("Liever nooit: updates brengen virussen mee")),
        0,
    ),
)}
# A knowledge check has at least this many questions, and at most all of the bank's five.
MIN_KNOWLEDGE = 3


def default_measures(audience: Audience) -> list[str]:
    """Every measure for businesses; the ones for people at home otherwise."""
    if audience == Audience.SMES:
        return list(MEASURES)
    return [key for key in MEASURES if key not in BUSINESS_MEASURES]


def knowledge_options(key: str) -> list[SelectChoice]:
    return [SelectChoice(str(index), option) for index, option in enumerate(KNOWLEDGE[key].options)]
