"""The helpdesk's sign-in trail (R14, issue 13 point 3): attempts in a time window (days and
times of day), optionally of one person, one application, one outcome; an attempt that failed
before identification is shown with the RRN its browser flow signed in with; reason, outcome,
method and capacity in plain words. For the helpdesk right and central administrators."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, g, render_template, request

from attribute_authority import authz, catalog, governments, sign_ins

from ..forms import METHOD_LABELS, OUTCOME_LABELS, SignInSearchForm
from ..i18n import gettext as _
from ..i18n import language
from ..request_scope import attempt
from ._common import page_number, status_of, today


def sign_in_trail():
    authz.require_helpdesk(g.db, g.actor, today())
    form = SignInSearchForm()
    apps = {a.code: a.name for a in catalog.applications(g.db)}
    form.application.choices = [("", _("alle"))] + list(apps.items())
    page, message, linked, capacities = None, None, {}, {}
    if not request.args:
        form.first.data, form.last.data = today() - timedelta(days=1), today()
    elif form.validate():
        window = sign_ins.window_of(form.first.data or today(), form.last.data or today(),
                                    form.since.data, form.until.data)
        page, message = attempt(sign_ins.search, g.db, g.actor, form.rrn.data or None, window,
                                today(), page=page_number(),
                                application=form.application.data or None,
                                outcome=form.outcome.data or None)
        if page is not None:
            linked = sign_ins.flow_rrns(g.db, page.items)
            capacities = _capacity_names({e.capacity for e in page.items})
    return render_template(
        "admin/helpdesk.html", form=form, page=page, message=message, linked=linked,
        reason=lambda code: sign_ins.reason_text(code, language()),
        outcome_label=lambda code: OUTCOME_LABELS.get(code, code),
        method_label=lambda code: METHOD_LABELS.get(code, code) if code else "–",
        app_label=lambda code: apps.get(code, code) if code else "–",
        capacity_label=lambda code: capacities.get(code, code) if code else "–"), \
        status_of(message or (form.errors if request.args else None))


def _capacity_names(codes: set[str | None]) -> dict[str, str]:
    """A capacity in words: "burger", or "medewerker van <bestuur>"."""
    names = {"citizen": _("burger")}
    wanted = {c for c in codes if c and c != "citizen"}
    for code, name in governments.names_of(g.db, wanted).items():
        names[code] = _("medewerker van %(government)s", government=name)
    return names


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/helpdesk/sign-ins", view_func=sign_in_trail, endpoint="sign_in_trail")
