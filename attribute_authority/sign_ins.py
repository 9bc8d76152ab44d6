"""The sign-in trail (R14): every sign-in attempt, kept so the helpdesk can find it.

The bridge records one row per attempt (who if known, when, how, for which application, the
outcome and a stable reason code); the helpdesk searches it by RRN and a time window and reads
the reason in plain words. Recording never raises for a too-long detail: a refusal must always
leave its trace.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import and_, insert, or_, select
from sqlalchemy.orm import Session

from . import authz, clock, dates, paging
from . import rrn as rrn_rules
from .errors import InvalidInput
from .models import SignInEvent

__all__ = ["OUTCOMES", "Attempt", "record", "search", "flow_rrns", "reason_text", "window_of_days",
           "window_of", "Window"]

# success: the application received an assertion; refused: we rejected a message or a
# request (reason says which check); failed: the person did not get through upstream
# (cancelled, card error) or stopped at a rule (capacity).
OUTCOMES = ("success", "refused", "failed")


@dataclass(frozen=True)
class Attempt:
    outcome: str
    reason: str
    rrn: str | None = None
    method: str | None = None
    application: str | None = None
    capacity: str | None = None
    detail: str | None = None
    at: datetime | None = None
    flow_id: str | None = None
    """The browser flow the attempt belongs to (one browser's attempts share it)."""


def record(session: Session, attempt: Attempt) -> None:
    """Add one attempt to the trail; the caller commits (its own unit of work).

    A Core INSERT on the session's connection, not an ORM object: the bridge writes two rows
    per sign-in, and the ORM's machinery cost more than the statement (bench/sso.py)."""
    if attempt.outcome not in OUTCOMES:
        raise ValueError(f"outcome {attempt.outcome!r} is not one of {OUTCOMES}")
    session.connection().execute(_INSERT, dict(
        at=_utc(attempt.at or clock.now()),
        rrn=attempt.rrn,
        method=attempt.method,
        application=(attempt.application or None) and attempt.application[:60],
        capacity=(attempt.capacity or None) and attempt.capacity[:60],
        outcome=attempt.outcome,
        reason=attempt.reason[:60],
        detail=(attempt.detail or None) and attempt.detail[:500],
        flow_id=(attempt.flow_id or None) and attempt.flow_id[:32],
    ))


_INSERT = insert(SignInEvent)


MAX_WINDOW = timedelta(days=31)


@dataclass(frozen=True)
class Window:
    since: datetime
    until: datetime


def window_of_days(first: date, last: date) -> Window:
    """Whole Brussels days, from the start of `first` to the end of `last`."""
    dates.check(first)
    dates.check(last)
    since = datetime.combine(first, datetime.min.time(), clock.BRUSSELS)
    until = datetime.combine(last + timedelta(days=1), datetime.min.time(), clock.BRUSSELS)
    return Window(since, until)


def window_of(first: date, last: date, since: time | None = None,
              until: time | None = None) -> Window:
    """From `since` (default the day's start) on `first` to `until` on `last`, that minute
    included (default the day's end), Brussels time: "today 10:05–10:20"."""
    start = datetime.combine(first, since or time(0, 0), clock.BRUSSELS)
    if until is None:
        end = datetime.combine(last + timedelta(days=1), time(0, 0), clock.BRUSSELS)
    else:
        end = datetime.combine(last, until, clock.BRUSSELS).replace(second=0, microsecond=0) \
            + timedelta(minutes=1)
    return Window(start, end)


def search(session: Session, actor: authz.Actor, raw_rrn: str | None, window: Window,
           on: date | None = None, page: int = 1, size: int = paging.DEFAULT_SIZE, *,
           application: str | None = None, outcome: str | None = None
           ) -> paging.Page[SignInEvent]:
    """The attempts in the window, newest first: the helpdesk's question. Optionally of one
    person (with the attempts of the same browser flows, which include those that failed
    before the person was identified), one application, one outcome."""
    authz.require_helpdesk(session, actor, on or clock.today())
    if window.until <= window.since:
        raise InvalidInput(detail="het einde van het tijdvenster ligt voor het begin",
                           detail_en="the end of the time window is before its start")
    if window.until - window.since > MAX_WINDOW:
        raise InvalidInput(detail="kies een tijdvenster van hoogstens 31 dagen",
                           detail_en="choose a time window of at most 31 days")
    if outcome is not None and outcome not in OUTCOMES:
        raise InvalidInput(detail=f"resultaat moet een van {', '.join(OUTCOMES)} zijn",
                           detail_en=f"result must be one of {', '.join(OUTCOMES)}")
    in_window = and_(SignInEvent.at >= _utc(window.since), SignInEvent.at < _utc(window.until))
    stmt = select(SignInEvent).where(in_window)
    if raw_rrn:
        rrn = rrn_rules.parse(raw_rrn).rrn
        flows = (select(SignInEvent.flow_id)
                 .where(SignInEvent.rrn == rrn, SignInEvent.flow_id.is_not(None), in_window)
                 .scalar_subquery())
        stmt = stmt.where(or_(SignInEvent.rrn == rrn,
                              and_(SignInEvent.rrn.is_(None), SignInEvent.flow_id.in_(flows))))
    if application:
        stmt = stmt.where(SignInEvent.application == application)
    if outcome:
        stmt = stmt.where(SignInEvent.outcome == outcome)
    stmt = stmt.order_by(SignInEvent.at.desc(), SignInEvent.id.desc())
    return paging.fetch(session, stmt, page, size)


def flow_rrns(session: Session, events: list[SignInEvent]) -> dict[str, str]:
    """{flow id: the RRN that browser flow signed in with}, for the events' flows: what an
    attempt without an RRN is shown with."""
    flows = {e.flow_id for e in events if e.flow_id and e.rrn is None}
    if not flows:
        return {}
    rows = session.execute(
        select(SignInEvent.flow_id, SignInEvent.rrn)
        .where(SignInEvent.flow_id.in_(flows), SignInEvent.rrn.is_not(None))
        .order_by(SignInEvent.at))
    return {flow: rrn for flow, rrn in rows if flow and rrn}


# The bridge's reason codes in plain words for the helpdesk (nl, en). Codes of the SAML
# security layer come prefixed by family (xml_, signature_, saml_), upstream status codes as
# upstream_<status>; a family's words stand in for codes without words of their own.
REASONS: dict[str, tuple[str, str]] = {
    "upstream_signed_in": ("Aangemeld bij de federale aanmeldingsdienst.",
                           "Signed in at the federal sign-in service."),
    "assertion_issued": ("Aangemeld: de toepassing kreeg de aanmelding.",
                         "Signed in: the application received the sign-in."),
    "capacity_declined": ("De persoon koos geen hoedanigheid.", "The person chose no capacity."),
    "capacity_mismatch": ("De toepassing vraagt een andere hoedanigheid dan die van de sessie.",
                          "The application asks for another capacity than the session's."),
    "capacity_switch": ("De persoon wisselde van hoedanigheid en meldt opnieuw aan.",
                        "The person switched capacity and signs in again."),
    "capacity_not_allowed": ("De gekozen hoedanigheid is niet toegelaten voor deze persoon.",
                             "The chosen capacity is not allowed for this person."),
    "no_passive": ("De toepassing vroeg een aanmelding zonder tussenkomst, maar er was geen sessie.",
                   "The application asked for a passive sign-in but there was no session."),
    "upstream_authn_failed": ("Het aanmelden bij de federale dienst is mislukt of geannuleerd.",
                              "Signing in at the federal service failed or was cancelled."),
    "upstream_responder": ("De federale aanmeldingsdienst gaf een fout (bv. kaartlezer).",
                           "The federal sign-in service returned an error (e.g. card reader)."),
    "browser_mismatch": ("Het aanmelden werd in een ander browservenster afgerond dan gestart.",
                         "The sign-in finished in another browser than it started in."),
    "no_authn_context": ("De toepassing vroeg een aanmeldmiddel dat niet gebruikt werd of dat wij niet "
                         "kennen (bv. enkel de eID-kaart, maar aangemeld met token).",
                         "The application asked for a sign-in method that was not used or that we "
                         "do not know (e.g. the eID card only, but signed in with the token)."),
    "unknown_application": ("De toepassing is niet geregistreerd.", "The application is not registered."),
    "wrong_acs": ("De toepassing vroeg een antwoordadres dat niet in haar metadata staat.",
                  "The application asked for a reply address not in its metadata."),
    "expired": ("Het aanmeldbericht was verlopen; vaak een verkeerd ingestelde klok.",
                "The sign-in message had expired; often a wrong clock."),
    "not_yet_valid": ("Het aanmeldbericht was nog niet geldig; vaak een verkeerd ingestelde klok.",
                      "The sign-in message was not yet valid; often a wrong clock."),
    "replayed": ("Het aanmeldbericht werd een tweede keer aangeboden en geweigerd.",
                 "The sign-in message was presented a second time and refused."),
    "unknown_in_response_to": ("Het antwoord hoorde bij geen lopende aanmelding (te laat of dubbel).",
                               "The answer matched no sign-in in progress (too late or twice)."),
    "stale_request": ("De aanmelding duurde te lang; begin opnieuw.",
                      "The sign-in took too long; start again."),
    "invalid_rrn": ("Het rijksregisternummer van de aanmelding was ongeldig.",
                    "The national register number of the sign-in was invalid."),
    "service_unavailable": ("Storing bij ons (sessieopslag of databank onbereikbaar); de persoon "
                            "kreeg de vraag later opnieuw te proberen.",
                            "An outage on our side (session store or database unreachable); the "
                            "person was asked to try again later."),
}
FAMILIES: dict[str, tuple[str, str]] = {
    "xml_": ("Het bericht was geen geldige of toegelaten XML.", "The message was not valid or allowed XML."),
    "signature_": ("Het bericht was niet (juist) ondertekend.", "The message was not (correctly) signed."),
    "saml_": ("Het SAML-bericht werd geweigerd.", "The SAML message was refused."),
    "wrong_": ("Het bericht was voor een andere bestemming bedoeld.",
               "The message was meant for another party."),
    "upstream_": ("De federale aanmeldingsdienst meldde een fout.",
                  "The federal sign-in service reported an error."),
}


def reason_text(code: str, lang: str = "nl") -> str:
    words = REASONS.get(code) or next((w for p, w in FAMILIES.items() if code.startswith(p)), None)
    if words is None:
        return f"Onbekende reden (code {code})." if lang == "nl" else f"Unknown reason (code {code})."
    return words[0] if lang == "nl" else words[1]


def _utc(instant: datetime) -> datetime:
    # SQLite keeps no offset: store and compare every instant in UTC so both backends agree.
    if instant.tzinfo is None:
        raise ValueError("sign-in times are timezone-aware")
    return instant.astimezone(timezone.utc)
