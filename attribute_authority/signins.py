"""The sign-in trail read back (R14): the helpdesk finds a person's attempts from an RRN and a
time window, with the reason in plain words. The bridge writes the rows (model SignInEvent)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import authz, clock, paging
from . import rrn as rrn_rules
from .errors import InvalidInput
from .models import SignInEvent

MAX_WINDOW = timedelta(days=31)

# Reason codes the bridge records, in plain words for the helpdesk (nl, en).
REASONS: dict[str, tuple[str, str]] = {
    "ok": ("Aangemeld.", "Signed in."),
    "cancelled": ("De persoon heeft het aanmelden afgebroken.", "The person cancelled the sign-in."),
    "upstream_error": ("De federale aanmeldingsdienst gaf een fout terug.",
                       "The federal sign-in service returned an error."),
    "bad_signature": ("Het antwoord van de aanmeldingsdienst was niet (juist) ondertekend.",
                      "The answer of the sign-in service was not (correctly) signed."),
    "expired": ("Het aanmeldbericht was verlopen; vaak een verkeerd ingestelde klok.",
                "The sign-in message had expired; often a wrong clock."),
    "replayed": ("Het aanmeldbericht werd een tweede keer aangeboden en geweigerd.",
                 "The sign-in message was presented a second time and refused."),
    "unknown_person": ("Het rijksregisternummer is niet gekend in het gebruikersbeheer.",
                       "The national register number is not known to the service."),
    "no_relation": ("De persoon heeft geen open relatie met een bestuur.",
                    "The person has no open relation with a government."),
    "no_rights": ("De persoon heeft geen actief recht voor deze toepassing.",
                  "The person holds no active right for this application."),
    "capacity_mismatch": ("De toepassing vraagt een andere hoedanigheid dan die van de sessie.",
                          "The application asks for another capacity than the session's."),
    "capacity_refused": ("De persoon koos geen hoedanigheid of koos er een die niet mag.",
                         "The person chose no capacity or one that is not allowed."),
    "unknown_application": ("De toepassing is niet geregistreerd.",
                            "The application is not registered."),
    "session_expired": ("De sessie was verlopen (inactiviteit of maximale duur).",
                        "The session had expired (idle or absolute lifetime)."),
    "method_not_allowed": ("Het gebruikte aanmeldmiddel is niet toegelaten.",
                           "The sign-in method used is not allowed."),
}


def reason_text(code: str, lang: str = "nl") -> str:
    words = REASONS.get(code)
    if words is None:
        return (f"Onbekende reden (code {code})." if lang == "nl"
                else f"Unknown reason (code {code}).")
    return words[0] if lang == "nl" else words[1]


@dataclass(frozen=True)
class Window:
    since: datetime
    until: datetime


def window_of_days(first: date, last: date) -> Window:
    """Whole Brussels days, from the start of `first` to the end of `last`."""
    since = datetime.combine(first, datetime.min.time(), clock.BRUSSELS)
    until = datetime.combine(last + timedelta(days=1), datetime.min.time(), clock.BRUSSELS)
    return Window(since, until)


def search(session: Session, actor: authz.Actor, raw_rrn: str, window: Window,
           on: date | None = None, page: int = 1,
           size: int = paging.DEFAULT_SIZE) -> paging.Page[SignInEvent]:
    """A person's sign-in attempts in the window, latest first."""
    authz.require_helpdesk(session, actor, on or clock.today())
    rrn = rrn_rules.parse(raw_rrn).rrn
    if window.until <= window.since:
        raise InvalidInput(detail="het einde van het tijdvenster ligt voor het begin")
    if window.until - window.since > MAX_WINDOW:
        raise InvalidInput(detail="kies een tijdvenster van hoogstens 31 dagen")
    stmt = (select(SignInEvent)
            .where(SignInEvent.rrn == rrn, SignInEvent.at >= window.since,
                   SignInEvent.at < window.until)
            .order_by(SignInEvent.at.desc(), SignInEvent.id.desc()))
    return paging.fetch(session, stmt, page, size)
