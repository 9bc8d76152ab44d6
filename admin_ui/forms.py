"""The forms of the admin UI. Every form that changes something carries a CSRF token (FlaskForm);
search forms are GET forms without one. Labels and messages are Dutch source strings."""
from __future__ import annotations

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
    widgets,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from attribute_authority import dates
from attribute_authority.errors import DomainError
from attribute_authority.states import STATES

from .formatting import STATE_LABELS
from .i18n import language
from .i18n import lazy_gettext as _l

REQUIRED = DataRequired(message=_l("Vul dit veld in."))
DATE_MESSAGE = _l("Geef een geldige datum in als dd-mm-jjjj, bijvoorbeeld 15-11-2026.")


class _DayField(DateField):
    """A day as the date picker sends it (ISO) or as people type it (dd-mm-jjjj); a wrong one
    gets the Dutch message in the one date format of the screens."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(str(DATE_MESSAGE)) from None


def _accepted_day(_form, field) -> None:
    """The service's range of days (attribute_authority.dates), as this field's message."""
    if field.data is not None:
        try:
            dates.check(field.data)
        except DomainError as refusal:
            raise ValidationError(refusal.message(language())) from None


def Day(label, *validators, **kw) -> DateField:  # noqa: N802 - a field factory reads like a field
    return _DayField(label, validators=[*(list(validators) or [Optional()]), _accepted_day],
                     format=["%Y-%m-%d", "%d-%m-%Y"], **kw)


class SearchForm(FlaskForm):
    """A GET form: reads request.args, no CSRF token (it changes nothing)."""

    class Meta:
        csrf = False

    def __init__(self, **kw):
        super().__init__(formdata=request.args, **kw)


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class LanguageForm(FlaskForm):
    language = HiddenField()
    next = HiddenField()


class SwitchForm(FlaskForm):
    government = RadioField(_l("Bestuur"), [REQUIRED], choices=[])


class PeopleSearchForm(SearchForm):
    q = StringField(_l("Rijksregisternummer of naam"))


class RrnForm(FlaskForm):
    rrn = StringField(_l("Rijksregister- of BIS-nummer"), [REQUIRED, Length(max=20)],
                      description=_l("11 cijfers; punten, streepjes en spaties mogen."))


class AddPersonForm(FlaskForm):
    rrn = HiddenField(validators=[REQUIRED])
    note = TextAreaField(_l("Interne notitie (optioneel)"), [Length(max=1000)],
                         description=_l("Waarom u deze persoon toevoegt; komt in de historiek."))


class PersonForm(FlaskForm):
    language = SelectField(_l("Taal voor berichten"), choices=[
        ("nl", _l("Nederlands")), ("fr", _l("Frans")), ("de", _l("Duits")), ("en", _l("Engels"))])


CATEGORY_CHOICES = [("employee", _l("Werknemer")), ("external", _l("Externe medewerker"))]
TYPE_CHOICES = [("standard", _l("Standaard")), ("secretary", _l("Secretaris (algemeen directeur)"))]


class RelationForm(FlaskForm):
    category = RadioField(_l("Categorie"), [REQUIRED], choices=CATEGORY_CHOICES, default="employee")
    type = RadioField(_l("Type"), [REQUIRED], choices=TYPE_CHOICES, default="standard")
    email = StringField(_l("E-mailadres"), [REQUIRED, Length(max=254)],
                        description=_l("Hierop krijgt de persoon de verwittiging twee weken "
                                       "voor een recht vervalt."))
    phone = StringField(_l("Telefoonnummer (optioneel)"), [Length(max=40)])
    note = TextAreaField(_l("Interne notitie (optioneel)"), [Length(max=1000)])


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reden (optioneel)"), [Length(max=1000)])


class GrantWizardForm(FlaskForm):
    step = HiddenField(default="right")
    right = RadioField(_l("Gebruikersrecht"), choices=[])
    start = Day(_l("Begindatum"))
    end = Day(_l("Einddatum"))
    # The end the page last proposed: an end left at it follows a moved start (issue 13 p. 4).
    proposed_end = Day(None, widget=widgets.HiddenInput())
    reason = TextAreaField(_l("Reden (optioneel)"), [Length(max=1000)])


class ExtendForm(FlaskForm):
    step = HiddenField(default="check")
    start = Day(_l("Nieuwe begindatum"), REQUIRED)
    end = Day(_l("Nieuwe einddatum"), REQUIRED)
    reason = TextAreaField(_l("Reden (optioneel)"), [Length(max=1000)])


class GrantSearchForm(SearchForm):
    """A filter left out (first open, a dashboard link) means "alle", not an invalid choice."""

    at = Day(_l("Referentiedatum"))
    state = SelectField(_l("Status"), default="",
                        choices=[("", _l("alle"))] + [(s, STATE_LABELS[s]) for s in STATES])
    right = SelectField(_l("Recht"), choices=[], default="")
    category = SelectField(_l("Categorie"), default="",
                           choices=[("", _l("alle"))] + CATEGORY_CHOICES)
    rrn = StringField(_l("Rijksregisternummer"))


class BulkFilterForm(SearchForm):
    right = SelectField(_l("Gebruikersrecht"), choices=[])
    category = SelectField(_l("Categorie"), choices=[("", _l("alle"))] + CATEGORY_CHOICES)
    type = SelectField(_l("Type"), choices=[("", _l("alle"))] + TYPE_CHOICES)


class BulkGrantForm(FlaskForm):
    step = HiddenField(default="check")
    count = IntegerField(widget=widgets.HiddenInput(), validators=[Optional()])
    start = Day(_l("Begindatum"))
    end = Day(_l("Einddatum"))
    reason = TextAreaField(_l("Reden (optioneel)"), [Length(max=1000)])


class UploadForm(FlaskForm):
    file = FileField(_l("CSV-bestand"), [FileRequired(_l("Kies een bestand."))],
                     description=_l("Kolommen: rrn, category, type, email, phone, note."))


class GovernmentForm(FlaskForm):
    code = StringField(_l("Bestuurscode"), [REQUIRED, Length(max=40)])
    name = StringField(_l("Naam"), [REQUIRED, Length(max=200)])
    kind = SelectField(_l("Soort"), choices=[
        ("municipality", _l("gemeente")), ("ocmw", _l("OCMW")), ("province", _l("provincie")),
        ("police", _l("politiezone")), ("other", _l("ander"))])
    nis_code = StringField(_l("NIS-code (optioneel)"), [Length(max=5)])
    kbo_number = StringField(_l("KBO-nummer (optioneel)"), [Length(max=10)],
                             description=_l("10 cijfers; de gewone schrijfwijze met punten "
                                            "(0263.867.412) mag."),
                             filters=[lambda v: "".join(v.split()).replace(".", "") if v else v])


class RegistrationForm(FlaskForm):
    secretary = StringField(_l("Rijksregisternummer van de secretaris of griffier"), [REQUIRED])
    form_signed_on = Day(_l("Datum van het ondertekende registratieformulier"), REQUIRED)
    terms_accepted_on = Day(_l("Datum van de ondertekende gebruiksvoorwaarden"), REQUIRED)
    acting = BooleanField(_l("Waarnemend secretaris"))
    minutes = StringField(_l("Notulen van de raad (verplicht voor een waarnemend secretaris)"),
                          [Length(max=200)])
    reason = TextAreaField(_l("Reden (optioneel)"), [Length(max=1000)])


class AppointForm(FlaskForm):
    rrn = StringField(_l("Rijksregisternummer (leeg: de geregistreerde secretaris)"))
    email = StringField(_l("E-mailadres (nodig als er nog geen relatie is)"), [Length(max=254)],
                        filters=[lambda v: v.strip() if v else v])
    reason = TextAreaField(_l("Reden (optioneel)"), [Length(max=1000)])


class ApplicationForm(FlaskForm):
    code = StringField(_l("Toepassingscode"), [REQUIRED, Length(max=60)])
    name = StringField(_l("Naam"), [REQUIRED, Length(max=200)])
    capacity = SelectField(_l("Hoedanigheid"), choices=[
        ("employee", _l("medewerker")), ("citizen", _l("burger")), ("any", _l("beide"))])
    metadata_file = FileField(_l("SAML-metadata (XML-bestand)"),
                              description=_l("Het bestand dat de toepassing publiceert; of "
                                             "plak de XML hieronder."))
    metadata_xml = TextAreaField(_l("of plak de SAML-metadata"), [Length(max=500_000)])


class MetadataForm(FlaskForm):
    """New SAML metadata for a registered application (a new key, new endpoints)."""

    metadata_file = FileField(_l("Nieuwe SAML-metadata (XML-bestand)"),
                              description=_l("Het bestand dat de toepassing nu publiceert; of "
                                             "plak de XML hieronder."))
    metadata_xml = TextAreaField(_l("of plak de SAML-metadata"), [Length(max=500_000)])
    reason = StringField(_l("Reden (optioneel)"), [Length(max=500)])


# What each scope releases (DESIGN.md "OpenID Connect"); which scopes exist is the service's
# (oidc_clients.SCOPES), the view offers those.
SCOPE_LABELS = {
    "profile": _l("profile: voornaam en familienaam"),
    "rrn": _l("rrn: het rijksregisternummer (alleen voor een toepassing die het nodig heeft)"),
    "capacity": _l("capacity: hoedanigheid (burger of medewerker) en bestuur"),
    "rights": _l("rights: de rechten van deze toepassing die nu gelden"),
}
AUTH_LABELS = {
    "keep": _l("Behoud de huidige aanmelding van de client"),
    "jwks": _l("private_key_jwt met deze JWKS (plak ze of kies een JSON-bestand)"),
    "jwks_uri": _l("private_key_jwt met de JWKS op een https-adres (JWKS URI)"),
    "secret": _l("client_secret_basic met een nieuw geheim (vervangt een vorig geheim)"),
    "public": _l("Publieke client, zonder geheim (browser- of mobiele app; PKCE S256 verplicht)"),
}


class OidcClientForm(FlaskForm):
    """A catalog application's registration as an OIDC client; the view sets the choices
    (`keep` only for an application that is already one) and the service checks the values."""

    redirect_uris = TextAreaField(_l("Redirect URI's"), [Length(max=20_000)],
                                  description=_l("Eén per regel, exact zoals de toepassing ze "
                                                 "stuurt: https, of http alleen naar localhost."))
    post_logout_redirect_uris = TextAreaField(
        _l("Redirect URI's na afmelden (optioneel)"), [Length(max=20_000)],
        description=_l("Eén per regel; alleen hierheen stuurt afmelden de browser terug."))
    backchannel_logout_uri = StringField(
        _l("Back-channel logout URI (optioneel)"), [Length(max=500)],
        description=_l("Hier meldt de brug een afmelding aan de toepassing, server tot server."))
    scopes = SelectMultipleField(_l("Scopes die de toepassing mag vragen (openid altijd)"),
                                 choices=[], option_widget=widgets.CheckboxInput(),
                                 widget=widgets.ListWidget(prefix_label=False))
    auth = RadioField(_l("Aanmelding van de client bij het token-endpoint"), [REQUIRED], choices=[])
    jwks_file = FileField(_l("JWKS als JSON-bestand"),
                          description=_l("Alleen de publieke sleutels; of plak de JSON hieronder."))
    jwks_json = TextAreaField(_l("of plak de JWKS (JSON)"), [Length(max=100_000)])
    jwks_uri = StringField(_l("JWKS URI"), [Length(max=500)])
    reason = StringField(_l("Reden (optioneel)"), [Length(max=500)])
    # The registration as it stood when the form was opened (views.central.registration_version):
    # a POST over a newer one (sent again by a reload, or another administrator's change) saves
    # nothing.
    version = HiddenField(validators=[Length(max=64)])


class RightForm(FlaskForm):
    application = SelectField(_l("Toepassing"), choices=[])
    code = StringField(_l("Rechtcode"), [REQUIRED, Length(max=100)])
    name = StringField(_l("Naam"), [REQUIRED, Length(max=200)])
    max_days = IntegerField(_l("Maximale geldigheid (dagen)"),
                            [REQUIRED, NumberRange(1, 3660, _l("Tussen 1 en 3660 dagen."))])


class MaxDaysForm(FlaskForm):
    max_days = IntegerField(_l("Maximale geldigheid (dagen)"),
                            [REQUIRED, NumberRange(1, 3660, _l("Tussen 1 en 3660 dagen."))])


OUTCOME_LABELS = {"success": _l("gelukt"), "refused": _l("geweigerd"), "failed": _l("mislukt")}
METHOD_LABELS = {"eid": _l("eID-kaart"), "token": _l("federaal token")}


class SignInSearchForm(SearchForm):
    """The helpdesk's question: a time window (days and, if known, times of day), optionally
    a person, an application, an outcome (R14)."""

    rrn = StringField(_l("Rijksregisternummer (optioneel)"))
    first = Day(_l("Van (dag)"))
    since = TimeField(_l("vanaf (uur, optioneel)"), [Optional()])
    last = Day(_l("Tot en met (dag)"))
    until = TimeField(_l("tot en met (uur, optioneel)"), [Optional()])
    application = SelectField(_l("Toepassing"), choices=[], default="")
    outcome = SelectField(_l("Resultaat"), default="", choices=[("", _l("alle"))] + [
        (code, label) for code, label in OUTCOME_LABELS.items()])


class HistoryFilterForm(SearchForm):
    rrn = StringField(_l("Over wie (rijksregisternummer)"))
    action = SelectField(_l("Wat"), choices=[("", _l("alle"))], default="")
    first = Day(_l("Van (dag)"))
    last = Day(_l("Tot en met (dag)"))


class GovernmentSearchForm(SearchForm):
    q = StringField(_l("Naam of code"))


class DecideRequestForm(FlaskForm):
    """Approve (the grant form, prefilled from the request) or refuse with a reason (R15)."""

    start = Day(_l("Begindatum"), REQUIRED)
    end = Day(_l("Einddatum (tot en met)"), REQUIRED)
    reason = TextAreaField(_l("Reden"), [Length(max=1000)])
    refusal = TextAreaField(_l("Reden van de weigering"), [Length(max=1000)],
                            description=_l("De aanvrager krijgt deze reden per e-mail."))


class RequestInboxForm(SearchForm):
    status = SelectField(_l("Status"), choices=[], validate_choice=False)


class StartReviewForm(FlaskForm):
    deadline = Day(_l("Uiterste datum (tot en met)"), REQUIRED)
    auto_revoke = BooleanField(_l("Herroep wat op de uiterste datum niet bevestigd is"))


class ReviewFilterForm(SearchForm):
    application = SelectField(_l("Toepassing"), choices=[], validate_choice=False)
    category = SelectField(_l("Categorie"), choices=[], validate_choice=False)
    decision = SelectField(_l("Beoordeling"), choices=[], validate_choice=False)


class AccountRequestForm(FlaskForm):
    """A civil servant asks for a right or its extension (R15), from Mijn rechten or from the
    link an application shows (/account/request?app=…)."""

    right = RadioField(_l("Recht"), [REQUIRED], choices=[], validate_choice=False)
    government = SelectField(_l("Bestuur"), [REQUIRED], choices=[], validate_choice=False,
                             description=_l("Het bestuur waarvoor u het recht nodig heeft; zijn "
                                            "lokale beheerders beslissen."))
    motivation = TextAreaField(_l("Waarom heeft u dit recht nodig?"), [REQUIRED, Length(max=2000)],
                               description=_l("De lokale beheerder leest dit bij uw aanvraag."))
    email = StringField(_l("Uw e-mailadres op het werk"), [Length(max=254)],
                        description=_l("Nodig omdat u nog geen relatie met dit bestuur heeft: "
                                       "hierop krijgt u het antwoord en later de verwittigingen."))


class AccountSwitchForm(FlaskForm):
    government = HiddenField(validators=[REQUIRED])
    next = HiddenField()
