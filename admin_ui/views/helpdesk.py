"""The helpdesk's sign-in trail (issue task 9, R14): a person's attempts from an RRN and a time
window, the reason in plain words. For the helpdesk right and central administrators."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, g, render_template, request

from attribute_authority import authz, sign_ins

from ..forms import SignInSearchForm
from ..i18n import language
from ..request_scope import attempt
from ._common import page_number, status_of, today


def sign_in_trail():
    authz.require_helpdesk(g.db, g.actor, today())
    form = SignInSearchForm()
    page, message = None, None
    if not request.args:
        form.first.data, form.last.data = today() - timedelta(days=1), today()
    elif form.validate() and form.rrn.data:
        window = sign_ins.window_of_days(form.first.data or today(), form.last.data or today())
        page, message = attempt(sign_ins.search, g.db, g.actor, form.rrn.data, window, today(),
                                page=page_number())
    return render_template("admin/helpdesk.html", form=form, page=page, message=message,
                           reason=lambda code: sign_ins.reason_text(code, language())), \
        status_of(message)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/helpdesk/sign-ins", view_func=sign_in_trail, endpoint="sign_in_trail")
