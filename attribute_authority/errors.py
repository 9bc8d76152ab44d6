"""Domain errors: each says what went wrong in the domain's words, in Dutch (default) and
English. Front doors map them to their own answer: a form message, a SAML status, a CLI line."""
from __future__ import annotations

import re
from typing import Any, ClassVar

_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def _shown(value: Any) -> Any:
    """A day in a message reads dd-mm-jjjj, as on every screen (services pass ISO days)."""
    if isinstance(value, str) and (m := _ISO_DAY.match(value)):
        return f"{m[3]}-{m[2]}-{m[1]}"
    return value


class DomainError(Exception):
    """A refused request. `code` is stable (logs, tests); `nl`/`en` are message templates.
    A parameter in Dutch words has its English beside it, `<name>_en` (`NotFound(what="Recht",
    what_en="Right", key=...)`): the English message uses it in place of `<name>`.
    tests/attribute_authority/test_errors_english.py fails on a Dutch text without one."""

    code: ClassVar[str] = "refused"
    nl: ClassVar[str] = "Deze handeling is geweigerd."
    en: ClassVar[str] = "This action was refused."

    def __init__(self, **params: Any) -> None:
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str = "nl") -> str:
        template = self.nl if lang == "nl" else self.en
        values = dict(self.params)
        if lang != "nl":
            values.update({k[:-3]: v for k, v in self.params.items() if k.endswith("_en")})
        return template.format(**{k: _shown(v) for k, v in values.items()})


class NotFound(DomainError):
    code = "not_found"
    nl = "{what} '{key}' bestaat niet of u heeft er geen toegang toe."
    en = "{what} '{key}' does not exist or you have no access to it."


class InvalidInput(DomainError):
    """Input a rule refuses, the why given in both languages: `InvalidInput(detail="…Dutch…",
    detail_en="…English…")`. Subclasses with their own templates take their own parameters.
    tests/attribute_authority/test_errors_english.py fails on a call without `detail_en`."""

    code = "invalid_input"
    nl = "Ongeldige invoer: {detail}"
    en = "Invalid input: {detail}"


class InvalidDate(DomainError):
    code = "invalid_date"
    nl = "'{text}' is geen datum van de vorm JJJJ-MM-DD."
    en = "'{text}' is not a date of the form YYYY-MM-DD."


class DateOutOfRange(DomainError):
    code = "date_out_of_range"
    nl = "De datum {day} ligt buiten het aanvaarde bereik: van {earliest} tot en met {latest}."
    en = "The date {day} is outside the accepted range: from {earliest} to {latest}."


class InvalidRrn(DomainError):
    code = "invalid_rrn"
    nl = "'{rrn}' is geen geldig rijksregister- of BIS-nummer ({why})."
    en = "'{rrn}' is not a valid national register or BIS number ({why})."


class UnknownInNationalRegister(DomainError):
    code = "unknown_in_register"
    nl = "Het rijksregister kent geen persoon met nummer {rrn}."
    en = "The national register knows no person with number {rrn}."


class NotAdministratorOf(DomainError):
    code = "not_administrator"
    nl = "U bent geen lokale beheerder van {government}. Vraag een beheerder van dat bestuur."
    en = "You are not a local administrator of {government}. Ask an administrator of that government."


class NotCentralAdministrator(DomainError):
    code = "not_central_administrator"
    nl = "Alleen een centrale beheerder mag dit doen."
    en = "Only a central administrator may do this."


class NotHelpdesk(DomainError):
    code = "not_helpdesk"
    nl = "Alleen de helpdesk of een centrale beheerder mag het aanmeldspoor inkijken."
    en = "Only the helpdesk or a central administrator may read the sign-in trail."


class RelationExists(DomainError):
    code = "relation_exists"
    nl = "{person} heeft al een open relatie met {government}. Pas die relatie aan."
    en = "{person} already has an open relation with {government}. Edit that relation instead."


class NoOpenRelation(DomainError):
    code = "no_open_relation"
    nl = "{person} heeft geen open relatie met {government}. Maak eerst een relatie aan."
    en = "{person} has no open relation with {government}. Create a relation first."


class RelationHasGrants(DomainError):
    code = "relation_has_grants"
    nl = ("De relatie kan niet beëindigd worden: er hangen nog {count} rechten aan "
          "die toegekend of in afwachting zijn. Herroep die eerst.")
    en = ("The relation cannot be ended: {count} active or pending rights still hang on it. "
          "Revoke them first.")


class GrantTooLong(DomainError):
    code = "grant_too_long"
    nl = ("De periode is te lang: recht {right} mag hoogstens {max_days} dagen duren, dus tot "
          "uiterlijk {max_end}. Kies een vroegere einddatum.")
    en = ("The period is too long: right {right} may last at most {max_days} days, so until "
          "{max_end} at the latest. Choose an earlier end date.")


class EndBeforeStart(DomainError):
    code = "end_before_start"
    nl = "De einddatum {end} ligt voor de begindatum {start}."
    en = "The end date {end} is before the start date {start}."


class GrantNotChangeable(DomainError):
    code = "grant_not_changeable"
    nl = "Dit recht is {state} en kan niet meer {action} worden."
    en = "This grant is {state} and can no longer be {action}."


class RightNotForGovernment(DomainError):
    code = "right_not_for_government"
    nl = "Het recht {right} kan niet toegekend worden bij {government}."
    en = "The right {right} cannot be granted in {government}."


class CatalogConflict(DomainError):
    """`CatalogConflict(detail="…Dutch…", detail_en="…English…")`."""

    code = "catalog_conflict"
    nl = "{detail}"
    en = "{detail}"


class RegistrationIncomplete(DomainError):
    code = "registration_incomplete"
    nl = ("{government} kan nog geen eerste lokale beheerder krijgen: {missing}. "
          "Registreer eerst het ondertekende formulier en de gebruiksvoorwaarden.")
    en = ("{government} cannot get a first local administrator yet: {missing}. "
          "Record the signed form and terms of use first.")


class LocalAdminStillPresent(DomainError):
    code = "local_admin_present"
    nl = ("{government} heeft nog een actieve lokale beheerder; die kan zelf nieuwe beheerders "
          "aanduiden.")
    en = ("{government} still has an active local administrator, who can appoint new "
          "administrators.")


class EmptySelection(DomainError):
    code = "empty_selection"
    nl = "Er is niemand geselecteerd."
    en = "Nobody is selected."


class BadClientUri(InvalidInput):
    """A URI of an OIDC client registration (redirect, logout, JWKS) that we will not call."""

    nl = ("Ongeldige invoer: {what} '{uri}' moet een absolute https-URL zijn zonder #fragment "
          "(http alleen naar localhost); verbeter het adres.")
    en = ("Invalid input: {what} '{uri}' must be an absolute https URL without a #fragment "
          "(http only towards localhost); correct the address.")


class NoRedirectUri(InvalidInput):
    nl = "Ongeldige invoer: een OIDC-client heeft minstens één redirect URI nodig; geef er een op."
    en = "Invalid input: an OIDC client needs at least one redirect URI; give one."


class BadJwksUri(BadClientUri):
    """The client's JWKS URI: https only, even towards localhost (the keys must not be altered)."""

    nl = ("Ongeldige invoer: {what} '{uri}' moet een absolute https-URL zijn zonder #fragment; "
          "verbeter het adres.")
    en = ("Invalid input: {what} '{uri}' must be an absolute https URL without a #fragment; "
          "correct the address.")
