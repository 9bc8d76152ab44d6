"""How values read on a page: days, instants in Brussels time, grant states and audit actions
in the administrator's language."""
from __future__ import annotations

from datetime import date, datetime, timezone

from attribute_authority import clock

from .i18n import lazy_gettext as _l

# The FAQ's words (issue 13 point 12): toegekend, herroepen, in afwachting.
STATE_LABELS = {"pending": _l("in afwachting"), "active": _l("toegekend"),
                "expired": _l("verlopen"), "revoked": _l("herroepen")}
ACTION_LABELS = {
    "person.added": _l("persoon toegevoegd"), "person.aligned": _l("gelijkgezet met rijksregister"),
    "person.changed": _l("persoon gewijzigd"), "relation.added": _l("relatie toegevoegd"),
    "relation.changed": _l("relatie gewijzigd"), "relation.ended": _l("relatie beëindigd"),
    "grant.added": _l("recht toegekend"), "grant.extended": _l("recht verlengd"),
    "grant.revoked": _l("recht herroepen"), "government.registered": _l("bestuur geregistreerd"),
    "government.registration": _l("registratie bewaard"),
    "application.registered": _l("toepassing geregistreerd"),
    "application.changed": _l("toepassing gewijzigd"),
    "application.metadata": _l("metadata van de toepassing bewaard"), "right.added": _l("recht toegevoegd"),
    "right.changed": _l("recht gewijzigd"), "governments.loaded": _l("besturen ingeladen"),
    "oidc_client.registered": _l("OIDC-client geregistreerd"),
    "oidc_client.changed": _l("OIDC-client gewijzigd"),
}
CATEGORY_LABELS = {"employee": _l("werknemer"), "external": _l("externe medewerker")}
TYPE_LABELS = {"standard": _l("standaard"), "secretary": _l("secretaris")}
CAPACITY_LABELS = {"employee": _l("voor medewerkers"), "citizen": _l("voor burgers"),
                   "any": _l("voor medewerkers en burgers")}


def day(value: date | datetime | None) -> str:
    """A day as the screens show it; an instant (a stored `created_at`) by the Brussels day it
    falls on, not UTC's (at 00:30 in Brussels it is still yesterday in UTC)."""
    if isinstance(value, datetime):
        value = clock.local_day(value)
    return value.strftime("%d-%m-%Y") if value else "–"


def iso_day(value: str | None) -> str:
    """A day kept as ISO text (audit before/after) as the screens show days."""
    return day(date.fromisoformat(value[:10])) if value else "–"


def when(value: datetime | None) -> str:
    if value is None:
        return "–"
    if value.tzinfo is None:  # SQLite hands back naive UTC
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(clock.BRUSSELS).strftime("%d-%m-%Y %H:%M")


def helpers() -> dict:
    return {
        "day": day, "when": when, "iso_day": iso_day,
        "state_label": lambda s: STATE_LABELS.get(s, s),
        "action_label": lambda a: ACTION_LABELS.get(a, a),
        "category_label": lambda c: CATEGORY_LABELS.get(c, c),
        "type_label": lambda t: TYPE_LABELS.get(t, t),
        "capacity_label": lambda c: CAPACITY_LABELS.get(c, c),
    }
