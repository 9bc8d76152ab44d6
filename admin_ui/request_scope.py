"""What every admin request goes through, in order: language, one unit of work, the CSRF
check on every POST, the sign-in check; and how refusals become answers.

The unit of work is opened before the view and committed at one place, `_commit`, when the
answer is not an error; a refused request rolls back, so it changes nothing."""
from __future__ import annotations

from flask import Blueprint, current_app, g, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from wtforms import ValidationError

from attribute_authority.errors import (
    DomainError,
    NotAdministratorOf,
    NotCentralAdministrator,
    NotFound,
    NotHelpdesk,
)

from . import auth, formatting, i18n, session_store
from .refusal import Refusal, refuse

# Signing out needs no live session: after an idle timeout "Afmelden" still ends the bridge's.
# An address that is no page is a 404 for anyone, without a sign-in first (it shows nothing).
PUBLIC = {"admin.sign_in", "admin.metadata", "admin.acs", "admin.language", "admin.static",
          "admin.signed_out", "admin.sign_out", "admin.slo", "admin.unknown_page"}
# The bridge's answer is a cross-application POST without our form token; what protects it is
# the signed assertion answering a request this browser's session made (sso.py).
NO_CSRF = {"admin.acs"}
FORBIDDEN = (NotAdministratorOf, NotCentralAdministrator, NotHelpdesk)


def install(bp: Blueprint, guard=auth.require_administrator) -> None:
    """The hooks on `bp`; `guard` admits a request to an endpoint outside PUBLIC (the admin
    pages need a role, the account pages only a signed-in person)."""
    def check_sign_in():
        return None if request.endpoint in PUBLIC else guard()

    bp.before_request(session_store.refuse_while_down)
    bp.before_request(_language)
    bp.before_request(_refuse_nul)
    bp.before_request(_open_unit_of_work)
    bp.before_request(_check_csrf)
    bp.before_request(check_sign_in)
    bp.after_request(_commit)
    bp.teardown_request(_close)
    bp.register_error_handler(DomainError, _refused)
    bp.register_error_handler(CSRFError, _csrf_refused)
    bp.context_processor(lambda: {"current_language": i18n.language(),
                                  "languages": i18n.LANGUAGES, "csrf_token": generate_csrf,
                                  "home_url": _home_url,
                                  "account_pages": "account" in current_app.blueprints,
                                  **formatting.helpers()})


def _language() -> None:
    g.ui_language = session.get("admin_language") or \
        current_app.extensions["admin_ui"].config.default_language
    i18n.domain.as_default()


def _refuse_nul():
    """No field of ours holds a NUL character, and PostgreSQL's text cannot store one (the
    driver refuses it with an error): one clear 400 for any request that carries one, in the
    query, the form or the path (/admin/people/%00/edit)."""
    path_values = [(k, v) for k, v in (request.view_args or {}).items() if isinstance(v, str)]
    values = (*path_values, *request.args.items(multi=True), *request.form.items(multi=True))
    if any("\x00" in key or "\x00" in value for key, value in values):
        refuse(Refusal(400, "nul_character"))
        return render_template("admin/refused.html", status=400, message=i18n.gettext(
            "Het formulier bevat een ongeldig teken (NUL). Verbeter de invoer en probeer "
            "opnieuw.")), 400
    return None


def _home_url() -> str:
    """Where "back to the start" leads: the admin start page for an administrator, Mijn
    rechten for everyone else signed in."""
    roles = g.get("roles")
    if (roles is None or not roles.any) and "account" in current_app.blueprints:
        return url_for("account.home")
    return url_for("admin.home")


def _open_unit_of_work() -> None:
    g.db = current_app.extensions["admin_ui"].session_factory()


def _check_csrf() -> None:
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and request.endpoint not in NO_CSRF:
        try:
            validate_csrf(request.form.get("csrf_token"))
        except ValidationError as problem:
            raise CSRFError(str(problem)) from None


def _commit(response):
    db = g.get("db")
    if db is not None:
        if response.status_code < 400 and not g.get("refused"):
            db.commit()
            for job in g.pop("after_commit", ()):
                job()
        else:
            db.rollback()
    return response


def _close(_exc) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


def _refused(refusal: DomainError):
    refuse(refusal)
    status = 404 if isinstance(refusal, NotFound) else 403 if isinstance(refusal, FORBIDDEN) else 422
    return render_template("admin/refused.html", message=refusal.message(i18n.language()),
                           status=status), status


def _csrf_refused(problem: CSRFError):
    refuse(problem)
    return render_template("admin/refused.html", status=400, message=i18n.gettext(
        "Het formulier is verlopen of niet afkomstig van deze site. Laad de pagina opnieuw "
        "en probeer het nog eens.")), 400


def after_commit(job) -> None:
    """Run `job` once this request's unit of work is committed (never after a rollback)."""
    g.setdefault("after_commit", []).append(job)


def attempt(fn, *args, **kwargs):
    """Call a service for a form: (result, None), or (None, message) when the domain refuses
    for a reason the administrator can fix in the form. Authorization and not-found refusals
    are not form messages: they become 403/404 answers. The refusal itself is `g.refused`."""
    try:
        return fn(*args, **kwargs), None
    except (NotFound, *FORBIDDEN):
        raise
    except DomainError as refusal:
        g.db.rollback()
        refuse(refusal)
        return None, refusal.message(i18n.language())
