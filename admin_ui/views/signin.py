"""Sign-in, sign-out, language and the switch between governments (issue task 1)."""
from __future__ import annotations

import logging

from flask import Blueprint, Response, g, redirect, render_template, request, session, url_for

from attribute_authority import authz
from samlkit.errors import SamlSecurityError
from samlkit.sp_client import SignInDeclined

from .. import auth, i18n, sso
from ..forms import LanguageForm, SwitchForm
from ..refusal import Refusal, refuse
from ._common import status_of, today

log = logging.getLogger(__name__)


def sign_in():
    return auth.start_sign_in(request.args.get("next"))


def metadata():
    """The SP metadata the bridge registers as metadata/sp/idbeheer.xml."""
    return Response(sso.metadata(), mimetype="application/samlmetadata+xml")


def acs():
    """The bridge's answer: only a verified assertion, for us, now, in answer to this browser's
    request, used once, makes a session; anything else is a 4xx and no session."""
    try:
        signed_in = sso.accept(request.form)
    except SignInDeclined as declined:
        log.info("sign-in declined by the bridge: %s", declined)
        return _refused(401, i18n.gettext(
            "Aanmelden is niet gelukt of werd geannuleerd. U kunt opnieuw aanmelden."))
    except SamlSecurityError as refusal:
        log.warning("sign-in answer refused: %s", refusal)
        return _refused(400, i18n.gettext(
            "Dit aanmeldbericht kunnen we niet aanvaarden. Meld opnieuw aan."))
    return redirect(auth.complete_sign_in(signed_in.attributes, signed_in.state,
                                          sso.bridge_session(signed_in)), 303)


def _refused(status: int, message: str, reason: str | None = None):
    refuse(Refusal(status, reason or "sign_in_refused"))
    return render_template("admin/refused.html", status=status, message=message,
                           sign_in=True, reason=reason), status


def sign_out():
    """"Afmelden" (a POST with the form token): the admin session ends, then the bridge's
    session with a signed LogoutRequest, and with it every application it signed the person
    in to. On a shared computer the next person must not get a silent sign-in as this one."""
    ended = auth.sign_out()
    to_bridge = sso.sign_out_url(ended) or sso.bridge_sign_out_url()
    return redirect(to_bridge or url_for("admin.signed_out"))


def slo():
    """The bridge's single-logout messages (HTTP-Redirect): its answer to our LogoutRequest,
    or its own LogoutRequest when the person signed out elsewhere or switched capacity, which
    ends this browser's admin session only if it names the NameID that session was signed in
    with. Each is verified before anything changes; anything else is a 400 page that changes
    nothing."""
    try:
        if "SAMLResponse" in request.args:
            answer = sso.accept_logout_answer(request.query_string)
            if answer.partial:
                log.warning("bridge logout answer: %s", answer.status)
            return redirect(url_for("admin.signed_out", partial="1" if answer.partial else None), 303)
        if "SAMLRequest" in request.args:
            # A request about another sign-in (one captured and opened in another
            # administrator's browser) is refused: it ends nobody's session here.
            asked = sso.accept_bridge_logout(request.query_string, ours=auth.may_end)
            auth.sign_out(keep_pending_sign_in=True)
            return redirect(sso.answer_bridge_logout(asked))
    except SamlSecurityError as refusal:
        log.warning("single-logout message refused: %s", refusal)
        return _refused(400, i18n.gettext("Dit afmeldbericht kunnen we niet aanvaarden."),
                        refusal.reason)
    return _refused(400, i18n.gettext("Dit afmeldbericht kunnen we niet aanvaarden."), "no_message")


def signed_out():
    return render_template("admin/signed_out.html", partial=request.args.get("partial") == "1")


def language():
    form = LanguageForm()
    if form.validate_on_submit() and form.language.data in i18n.LANGUAGES:
        session["admin_language"] = form.language.data
    return redirect(auth.safe_return_to(form.next.data))


def switch():
    form = SwitchForm()
    choices = authz.capacities(g.db, g.actor.person_id, today())
    form.government.choices = [(gov.code, f"{gov.name} ({gov.code})") for gov in choices]
    if form.validate_on_submit():
        if form.government.data == g.government:
            return redirect(url_for("admin.home"))
        # Another government is another capacity: the bridge asks for a fresh sign-in (R13).
        return auth.start_sign_in(url_for("admin.home"), government=form.government.data)
    form.government.data = form.government.data or g.government
    return render_template("admin/switch.html", form=form), \
        status_of(form.errors if request.method == "POST" else None)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/sign-in", view_func=sign_in)
    bp.add_url_rule("/metadata", view_func=metadata)
    bp.add_url_rule("/acs", view_func=acs, methods=["POST"])
    bp.add_url_rule("/sign-out", view_func=sign_out, methods=["POST"])
    bp.add_url_rule("/slo", view_func=slo)
    bp.add_url_rule("/signed-out", view_func=signed_out)
    bp.add_url_rule("/language", view_func=language, methods=["POST"])
    bp.add_url_rule("/switch", view_func=switch, methods=["GET", "POST"])
