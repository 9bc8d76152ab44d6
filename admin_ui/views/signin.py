"""Sign-in, sign-out, language and the switch between governments (issue task 1)."""
from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for

from attribute_authority import authz

from .. import auth, i18n
from ..forms import DevSignInForm, LanguageForm, SwitchForm
from ..request_scope import attempt
from ._common import deps, status_of, today


def sign_in():
    return auth.start_sign_in(request.args.get("next"))


def dev_sign_in():
    """Stand-in for the bridge's SAML sign-in, in demo and test mode only."""
    if not deps().config.dev_sign_in:
        abort(404)
    form = DevSignInForm()
    message = None
    if form.validate_on_submit():
        target, message = attempt(auth.complete_sign_in, {
            auth.RRN_ATTRIBUTE: [form.rrn.data.strip()],
            auth.GOVERNMENT_ATTRIBUTE: [form.government.data.strip()]})
        if message is None:
            return redirect(target)
    return render_template("admin/dev_sign_in.html", form=form, message=message), \
        status_of(message or form.errors)


def sign_out():
    auth.sign_out()
    return redirect(url_for("admin.signed_out"))


def signed_out():
    return render_template("admin/signed_out.html")


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
        auth.switch_government(form.government.data)
        return redirect(url_for("admin.home"))
    form.government.data = form.government.data or g.government
    return render_template("admin/switch.html", form=form), \
        status_of(form.errors if request.method == "POST" else None)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/sign-in", view_func=sign_in)
    bp.add_url_rule("/sign-in/dev", view_func=dev_sign_in, methods=["GET", "POST"])
    bp.add_url_rule("/sign-out", view_func=sign_out, methods=["POST"])
    bp.add_url_rule("/signed-out", view_func=signed_out)
    bp.add_url_rule("/language", view_func=language, methods=["POST"])
    bp.add_url_rule("/switch", view_func=switch, methods=["GET", "POST"])
