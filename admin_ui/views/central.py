"""Central administration (issue task 8): register a government, record its signed form and
terms of use (acting secretary: with the council minutes), appoint the first local
administrator or restore one when none is left, and keep the application and right catalog,
with each application's SAML metadata and OIDC client registration (issue 12 point 5)."""
from __future__ import annotations

import json

from flask import Blueprint, flash, g, make_response, redirect, render_template, request, url_for

from attribute_authority import catalog, delegation, governments, oidc_clients, sp_metadata

from ..formatting import day
from ..forms import (
    AUTH_LABELS,
    SCOPE_LABELS,
    ApplicationForm,
    AppointForm,
    GovernmentForm,
    GovernmentSearchForm,
    MaxDaysForm,
    MetadataForm,
    OidcClientForm,
    RegistrationForm,
    RightForm,
)
from ..i18n import gettext as _
from ..i18n import language, ngettext
from ..refusal import Refusal, refuse
from ..request_scope import attempt
from ._common import deps, page_number, status_of, today


def government_list():
    form = GovernmentSearchForm()
    found = governments.search(g.db, g.actor, form.q.data or "", today(), page=page_number())
    return render_template("admin/central/governments.html", form=form, page=found)


def government_new():
    form = GovernmentForm()
    message = None
    if form.validate_on_submit():
        government, message = attempt(
            governments.register, g.db, g.actor, form.code.data.strip(), form.name.data,
            form.kind.data, (form.nis_code.data or "").strip() or None,
            (form.kbo_number.data or "").strip() or None, today())
        if message is None:
            flash(_("Bestuur %(name)s is geregistreerd.", name=government.name))
            return redirect(url_for("admin.government", code=government.code))
    return render_template("admin/central/government_new.html", form=form, message=message), \
        status_of(message or form.errors)


def _government_page(code: str, registration=None, appoint=None, message=None):
    on = today()
    government = governments.registered(g.db, g.actor, code, on)
    if registration is None:
        registration = RegistrationForm(formdata=None)
        if government.secretary:
            registration.secretary.data = government.secretary.rrn
        registration.form_signed_on.data = government.form_signed_on
        registration.terms_accepted_on.data = government.terms_accepted_on
        registration.acting.data = government.acting_secretary
        registration.minutes.data = government.council_minutes_ref
    return render_template(
        "admin/central/government.html", government=government,
        missing=governments.missing_registration(government, language()),
        admins=delegation.active_local_admins(g.db, government.id, on),
        registration=registration, appoint=appoint or AppointForm(formdata=None),
        message=message), status_of(message)


def government(code: str):
    return _government_page(code)


def registration(code: str):
    form = RegistrationForm()
    message = None
    if form.validate_on_submit():
        _done, message = attempt(
            governments.record_registration_of, g.db, g.actor, deps().national_register, code,
            form.secretary.data, form.form_signed_on.data, form.terms_accepted_on.data,
            form.acting.data, form.minutes.data, form.reason.data or None, today())
        if message is None:
            flash(_("De registratie is bewaard."))
            return redirect(url_for("admin.government", code=code))
    return _government_page(code, registration=form, message=message or _form_message(form))


def appoint(code: str):
    form = AppointForm()
    message = None
    if form.validate_on_submit():
        grant, message = attempt(
            delegation.appoint_local_admin, g.db, g.actor, code,
            rrn=(form.rrn.data or "").strip() or None, email=(form.email.data or "").strip() or None,
            reason=form.reason.data or None, on=today())
        if message is None:
            flash(_("%(name)s is lokale beheerder tot %(end)s.",
                    name=grant.relation.person.full_name, end=grant.end.isoformat()))
            return redirect(url_for("admin.government", code=code))
    return _government_page(code, appoint=form, message=message or _form_message(form))


def _catalog_page(app_form=None, right_form=None, message=None):
    apps = catalog.applications_page(g.db, g.actor, today(), page=page_number())
    right_form = right_form or RightForm(formdata=None)
    right_form.application.choices = [(a.code, a.code) for a in catalog.applications(g.db)]
    codes = [a.code for a in apps.items]
    metadata = sp_metadata.registered(g.db, codes)
    return render_template("admin/central/catalog.html", page=apps, metadata=metadata,
                           oidc=oidc_clients.registered(g.db, codes),
                           app_form=app_form or ApplicationForm(formdata=None),
                           right_form=right_form, max_form=MaxDaysForm(formdata=None),
                           metadata_form=MetadataForm(formdata=None),
                           message=message), status_of(message)


def catalog_view():
    return _catalog_page()


def application_new():
    form = ApplicationForm()
    message = None
    if form.validate_on_submit():
        xml = _metadata_of(form)
        app, message = attempt(catalog.register_application, g.db, g.actor, form.code.data.strip(),
                               form.name.data, form.capacity.data, today())
        if message is None and xml:
            _stored, message = attempt(catalog.store_metadata, g.db, g.actor, app.code, xml,
                                       deps().config.metadata_dir, today())
        if message is None:
            if xml:
                flash(_("Toepassing %(code)s is geregistreerd, met haar metadata: ze kan meteen "
                        "aanmelden.", code=app.code))
            else:
                flash(_("Toepassing %(code)s is geregistreerd, nog zonder metadata: voeg ze "
                        "toe voor ze kan aanmelden.", code=app.code), "warning")
            return redirect(url_for("admin.catalog"))
    return _catalog_page(app_form=form, message=message or _form_message(form))


def application_metadata(code: str):
    """Replace a registered application's metadata: served from the next request on."""
    form = MetadataForm()
    message = None
    if form.validate_on_submit():
        _stored, message = attempt(catalog.store_metadata, g.db, g.actor, code,
                                   _metadata_of(form) or b"", deps().config.metadata_dir, today(),
                                   reason=(form.reason.data or "").strip() or None)
        if message is None:
            flash(_("De metadata van %(code)s zijn vervangen: ze gelden meteen.", code=code))
            return redirect(url_for("admin.catalog"))
    return _catalog_page(message=message or _form_message(form))


def _metadata_of(form) -> bytes | None:
    """The uploaded file, else the pasted XML, else None."""
    upload = form.metadata_file.data
    if upload and getattr(upload, "filename", ""):
        return upload.read()
    pasted = (form.metadata_xml.data or "").strip()
    return pasted.encode() if pasted else None


def application_oidc(code: str):
    """An application's OIDC client registration and the form that registers or changes it;
    the change holds from the next request on. A generated secret is on this answer only."""
    app, client = oidc_clients.registration_of(g.db, g.actor, code, today())
    form = OidcClientForm() if request.method == "POST" else _oidc_form_of(client)
    form.scopes.choices = [(s, SCOPE_LABELS.get(s, s)) for s in oidc_clients.SCOPES if s != "openid"]
    form.auth.choices = [(k, AUTH_LABELS[k]) for k in AUTH_LABELS if client or k != "keep"]
    message, status = None, 200
    submitted = form.validate_on_submit()
    if submitted and form.version.data != registration_version(client):
        # Sent again (a reload of the answer that showed a new secret), or another central
        # administrator saved in between: nothing is saved over a registration not seen.
        submitted, status = False, 409
        form.version.data = registration_version(client)
        message = _("Deze OIDC-registratie werd gewijzigd nadat u het formulier opende (misschien "
                    "herlaadde u de pagina met het nieuwe geheim): er is niets bewaard, en een "
                    "geheim dat u al kreeg, blijft geldig. Bekijk de registratie hierboven en "
                    "bewaar opnieuw als u nog iets wilt wijzigen.")
    if submitted:
        auth, readable = _client_auth(form)
        if readable:
            done, message = attempt(
                oidc_clients.register_oidc_client, g.db, g.actor, code,
                redirect_uris=_lines(form.redirect_uris.data), auth=auth,
                post_logout_redirect_uris=_lines(form.post_logout_redirect_uris.data),
                backchannel_logout_uri=(form.backchannel_logout_uri.data or "").strip() or None,
                scopes=["openid", *form.scopes.data],
                reason=(form.reason.data or "").strip() or None, on=today())
            if message is None:
                _client, secret = done
                if secret:
                    return _secret_page(app, secret)
                flash(_("De OIDC-registratie van %(code)s is bewaard: ze geldt meteen.", code=code))
                return redirect(url_for("admin.application_oidc", code=code))
    return render_template("admin/central/oidc_client.html", application=app, client=client,
                           auth_kind=client and oidc_clients.auth_kind(client),
                           form=form, message=message or _form_message(form)), \
        status if status != 200 else status_of(message or form.errors)


def registration_version(client) -> str:
    """What the OIDC form carries of the registration it was opened on: its last change."""
    return client.updated_at.isoformat() if client is not None and client.updated_at else ""


def _oidc_form_of(client) -> OidcClientForm:
    """The form as the registration stands (a new client: the service's default scopes)."""
    form = OidcClientForm(formdata=None)
    form.version.data = registration_version(client)
    if client is None:
        form.scopes.data = [s for s in oidc_clients.DEFAULT_SCOPES if s != "openid"]
        form.auth.data = "jwks"
        return form
    form.redirect_uris.data = "\n".join(client.redirect_uris)
    form.post_logout_redirect_uris.data = "\n".join(client.post_logout_redirect_uris)
    form.backchannel_logout_uri.data = client.backchannel_logout_uri or ""
    form.scopes.data = [s for s in client.scopes if s != "openid"]
    form.auth.data = "keep"
    return form


def _client_auth(form) -> tuple[oidc_clients.ClientAuth | None, bool]:
    """(the chosen authentication, None to keep the current one; whether it could be read):
    a missing JWKS or JWKS URI, or a JWKS that is no JSON, is an error of its field."""
    choice = form.auth.data
    if choice == "keep":
        return None, True
    if choice in ("secret", "public"):
        return oidc_clients.ClientAuth(new_secret=choice == "secret", public=choice == "public"), True
    if choice == "jwks_uri":
        uri = (form.jwks_uri.data or "").strip()
        if not uri:
            form.jwks_uri.errors.append(_("Vul de JWKS URI in, of kies een andere aanmelding."))
            return None, False
        return oidc_clients.ClientAuth(jwks_uri=uri), True
    upload = form.jwks_file.data
    text = upload.read() if upload and getattr(upload, "filename", "") else \
        (form.jwks_json.data or "").strip()
    if not text:
        form.jwks_json.errors.append(_("Plak de JWKS of kies een JSON-bestand, of kies een andere "
                                       "aanmelding."))
        return None, False
    try:
        return oidc_clients.ClientAuth(jwks=json.loads(text)), True
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError too
        form.jwks_json.errors.append(_("De JWKS is geen leesbare JSON. Plak de JWKS die de "
                                       "toepassing publiceert, met haar publieke sleutels, "
                                       "zoals {\"keys\": [...]}."))
        return None, False


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _secret_page(app, secret: str):
    """The one answer that holds the new secret: never cached, never shown again."""
    response = make_response(render_template("admin/central/oidc_secret.html", application=app,
                                              secret=secret))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def right_new():
    form = RightForm()
    form.application.choices = [(a.code, a.code) for a in catalog.applications(g.db)]
    message = None
    if form.validate_on_submit():
        right, message = attempt(catalog.add_right, g.db, g.actor, form.code.data.strip(),
                                 form.application.data, form.name.data, form.max_days.data, today())
        if message is None:
            flash(_("Recht %(code)s is toegevoegd.", code=right.code))
            return redirect(url_for("admin.catalog"))
    return _catalog_page(right_form=form, message=message or _form_message(form))


def right_max_days(code: str):
    form = MaxDaysForm()
    message = None
    if form.validate_on_submit():
        right, message = attempt(catalog.set_max_days, g.db, g.actor, code, form.max_days.data, today())
        if message is None:
            flash(_("Recht %(code)s mag nu hoogstens %(days)s dagen duren.", code=right.code,
                    days=right.max_days))
            longer = catalog.longer_grants(g.db, right, today())
            if longer:
                names = "; ".join(_("%(name)s bij %(government)s, tot en met %(day)s",
                                    name=gr.relation.person.full_name,
                                    government=gr.relation.government.name, day=day(gr.end))
                                  for gr in longer)
                flash(ngettext("%(num)s bestaande toekenning loopt langer en blijft geldig tot "
                               "haar einddatum (ze wordt niet ingekort): %(list)s.",
                               "%(num)s bestaande toekenningen lopen langer en blijven geldig "
                               "tot hun einddatum (ze worden niet ingekort): %(list)s.",
                               len(longer), list=names), "warning")
            return redirect(url_for("admin.catalog"))
    return _catalog_page(message=message or _form_message(form))


def _form_message(form) -> str | None:
    if not form.errors:
        return None
    refuse(Refusal(422, "form_errors"))
    return _("Het formulier is niet volledig of niet juist ingevuld; zie de velden hieronder.")


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/central/governments", view_func=government_list, endpoint="governments")
    bp.add_url_rule("/central/governments/new", view_func=government_new, endpoint="government_new",
                    methods=["GET", "POST"])
    bp.add_url_rule("/central/governments/<code>", view_func=government, endpoint="government")
    bp.add_url_rule("/central/governments/<code>/registration", view_func=registration,
                    endpoint="government_registration", methods=["POST"])
    bp.add_url_rule("/central/governments/<code>/appoint", view_func=appoint,
                    endpoint="government_appoint", methods=["POST"])
    bp.add_url_rule("/central/catalog", view_func=catalog_view, endpoint="catalog")
    bp.add_url_rule("/central/catalog/applications", view_func=application_new,
                    endpoint="application_new", methods=["POST"])
    bp.add_url_rule("/central/catalog/applications/<code>/metadata",
                    view_func=application_metadata, endpoint="application_metadata",
                    methods=["POST"])
    bp.add_url_rule("/central/catalog/applications/<code>/oidc", view_func=application_oidc,
                    endpoint="application_oidc", methods=["GET", "POST"])
    bp.add_url_rule("/central/catalog/rights", view_func=right_new, endpoint="right_new",
                    methods=["POST"])
    bp.add_url_rule("/central/catalog/rights/<code>/max-days", view_func=right_max_days,
                    endpoint="right_max_days", methods=["POST"])


