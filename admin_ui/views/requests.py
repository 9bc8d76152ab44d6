"""The local administrator's inbox of access requests (R15): approve with the grant form
prefilled from the request, or refuse with a reason; the requester is mailed either way."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from attribute_authority import access_requests, grants
from attribute_authority.access_requests import STATUS_NL

from ..formatting import day
from ..forms import DecideRequestForm, RequestInboxForm
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..request_scope import attempt
from ._common import deliver_mail, page_number, status_of, today

STATUS_LABELS = {"open": _l("in afwachting"), "approved": _l("goedgekeurd"),
                 "refused": _l("geweigerd"), "expired": _l("verlopen")}
KIND_LABELS = {"grant": _l("nieuw recht"), "extension": _l("verlenging"),
               "relation": _l("toevoegen aan het bestuur")}
assert set(STATUS_LABELS) == set(STATUS_NL)


def inbox():
    form = RequestInboxForm()
    form.status.choices = list(STATUS_LABELS.items())
    status = form.status.data if form.status.data in STATUS_LABELS else "open"
    form.status.data = status
    page = access_requests.inbox(g.db, g.actor, status, page=page_number(), on=today())
    return render_template("admin/requests/inbox.html", form=form, page=page, status=status,
                           status_labels=STATUS_LABELS, kind_labels=KIND_LABELS)


def decide(request_id: int):
    on = today()
    asked = access_requests.get(g.db, g.actor, request_id, on)
    form = DecideRequestForm()
    message = None
    if asked.status == "open" and request.method == "GET":
        fill, message = attempt(access_requests.prefill, g.db, g.actor, request_id, on)
        if fill is not None:
            form.start.data, form.end.data, form.reason.data = fill.start, fill.end, fill.reason
    elif request.method == "POST":
        if request.form.get("action") == "refuse":
            done, message = attempt(access_requests.refuse, g.db, g.actor, request_id,
                                    form.refusal.data or "", on=on)
            if done is not None:
                deliver_mail()
                flash(_("De aanvraag is geweigerd; %(person)s krijgt een e-mail met uw reden.",
                        person=asked.person.full_name))
                return redirect(url_for("admin.requests"))
        elif form.validate_on_submit():
            done, message = attempt(access_requests.approve, g.db, g.actor, request_id,
                                    start=form.start.data, end=form.end.data,
                                    reason=form.reason.data or None, on=on)
            if done is not None:
                deliver_mail()
                granted = done.result_grant
                flash(_("De aanvraag is goedgekeurd: %(right)s is toegekend van %(start)s tot en "
                        "met %(end)s.", right=asked.right.name, start=day(granted.start),
                        end=day(granted.end)))
                return redirect(url_for("admin.requests"))
    limit = grants.max_end(form.start.data, asked.right.max_days) if form.start.data else None
    return render_template("admin/requests/decide.html", asked=asked, form=form, message=message,
                           limit=limit, status_labels=STATUS_LABELS, kind_labels=KIND_LABELS), \
        status_of(message or (form.errors if request.method == "POST" else None))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/requests", view_func=inbox, endpoint="requests")
    bp.add_url_rule("/requests/<id:request_id>", view_func=decide, endpoint="request",
                    methods=["GET", "POST"])
