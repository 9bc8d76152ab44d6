"""Grants: the three-step wizard of the FAQ (right, period, reason, then confirm), extend,
revoke, and the search by reference date and state with CSV export (issue task 5)."""
from __future__ import annotations

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for

from attribute_authority import catalog, grants, relations
from attribute_authority.csv_export import csv_text
from attribute_authority.errors import GrantTooLong
from attribute_authority.grants import GrantFilter

from ..formatting import day
from ..forms import ExtendForm, GrantSearchForm, GrantWizardForm, ReasonForm
from ..i18n import gettext as _
from ..request_scope import attempt
from ._common import page_number, status_of, today


def add(relation_id: int):
    """One URL, four steps; each POST re-checks everything the earlier steps decided."""
    on = today()
    relation = relations.get(g.db, g.actor, relation_id, on)
    rights = {r.code: r for r in catalog.rights_for(g.db, relation.government)}
    form = GrantWizardForm()
    form.right.choices = [(code, _("%(name)s (%(code)s, hoogstens %(days)s dagen)", name=r.name,
                                   code=code, days=r.max_days)) for code, r in rights.items()]

    def show(step: str, message: str | None = None):
        form.step.data = step
        right = rights.get(form.right.data)
        pending = step != "right" and form.start.data is not None and form.start.data > on
        shortened = None
        if right and step != "right" and form.start.data and form.end.data:
            days = (form.end.data - form.start.data).days
            if days < right.max_days:
                shortened = {"days": days, "max": right.max_days}
        return render_template("admin/grants/wizard.html", form=form, relation=relation,
                               right=right, step=step, message=message, pending=pending,
                               shortened=shortened), \
            status_of(message or (form.errors if request.method == "POST" else None))

    if request.method == "GET":
        if request.args.get("right") not in rights:
            return show("right")
        form.right.data, asked = request.args["right"], "right"
    elif form.right.data not in rights:
        return show("right", _("Kies een gebruikersrecht."))
    elif not form.validate_on_submit():
        return show(form.step.data if form.step.data in ("period", "reason", "confirm") else "right")
    else:
        asked = form.step.data
    right = rights[form.right.data]
    if asked == "right":
        period = grants.plan_new(right, None, None, on)
        form.start.data, form.end.data = period.start, period.end
        form.proposed_end.data = period.end
        return show("period")
    if asked == "period" and form.start.data and form.end.data == form.proposed_end.data:
        # The end was left as proposed: it moves with the start, to the maximum (R4).
        form.end.data = form.proposed_end.data = grants.max_end(form.start.data, right.max_days)
        form.end.raw_data = form.proposed_end.raw_data = None  # show the moved end, not the typed
    if request.form.get("back") == "period":
        return show("period")
    period, message = attempt(grants.plan_new, right, form.start.data, form.end.data, on)
    if message or asked == "period":
        return show("period" if message else "reason", message)
    if asked == "reason":
        return show("confirm")
    grant, message = attempt(grants.add, g.db, g.actor, relation.person.rrn, relation.government.code,
                             right.code, start=period.start, end=period.end,
                             reason=form.reason.data or None, on=on)
    if message:
        return show("confirm", message)
    flash(_("Het recht %(right)s is toegekend van %(start)s tot en met %(end)s.", right=right.name,
            start=day(grant.start), end=day(grant.end)))
    return redirect(url_for("admin.person", rrn=relation.person.rrn))


def extend(grant_id: int):
    """Check the new period first; too long: say so and offer to start today (FAQ); a future
    start: warn that the grant is pending until then (R6); then confirm."""
    on = today()
    grant = grants.get(g.db, g.actor, grant_id, on)
    form = ExtendForm()
    message = offer = plan = None
    step = "check"
    if request.method == "GET":
        form.start.data, form.end.data = grant.start, grant.end
    elif form.validate_on_submit():
        plan, message = attempt(grants.plan_extension, g.db, g.actor, grant.id, form.start.data,
                                form.end.data, on)
        if isinstance(g.get("refused"), GrantTooLong):
            latest = grants.max_end(on, grant.right.max_days)
            offer = {"start": on, "end": min(form.end.data, latest)}
            message = _("Deze verlenging is te lang: %(right)s mag hoogstens %(days)s dagen "
                        "lopen vanaf de nieuwe begindatum, dus tot en met %(max_end)s. Schuif "
                        "de begindatum op (bijvoorbeeld naar vandaag) of kies een vroegere "
                        "einddatum.", right=grant.right.name, days=grant.right.max_days,
                        max_end=day(grants.max_end(form.start.data, grant.right.max_days)))
        elif message is None and request.form.get("edit"):
            step = "check"  # "Wijzig de periode": back to the form with what was typed
        elif message is None and form.step.data == "confirm":
            plan = grants.extend(g.db, g.actor, grant.id, plan.start, plan.end,
                                 form.reason.data or None, on)
            flash(_("Het recht loopt nu van %(start)s tot en met %(end)s.", start=day(plan.start),
                    end=day(plan.end)))
            if plan.pending:
                flash(_("Let op: het recht is pas toegekend vanaf %(start)s; tot dan heeft "
                        "%(person)s er geen toegang mee.", start=day(plan.start),
                        person=grant.relation.person.full_name), "warning")
            return redirect(url_for("admin.person", rrn=grant.relation.person.rrn))
        elif message is None:
            step = "confirm"
            if plan.pending:
                latest = grants.max_end(on, grant.right.max_days)
                offer = {"start": on, "end": min(form.end.data, latest)}
    form.step.data = step
    return render_template("admin/grants/extend.html", grant=grant, form=form, message=message,
                           offer=offer, plan=plan, step=step), \
        status_of(message or (form.errors if request.method == "POST" else None))


def revoke(grant_id: int):
    on = today()
    grant = grants.get(g.db, g.actor, grant_id, on)
    form = ReasonForm()
    message = None
    if form.validate_on_submit():
        _done, message = attempt(grants.revoke, g.db, g.actor, grant.id, form.reason.data or None, on)
        if message is None:
            flash(_("Het recht is herroepen."))
            return redirect(url_for("admin.person", rrn=grant.relation.person.rrn))
    return render_template("admin/grants/revoke.html", grant=grant, form=form, message=message,
                           state=grants.state_of(grant, on)), status_of(message or form.errors)


def _search_filter() -> tuple[GrantSearchForm, GrantFilter, object]:
    form = GrantSearchForm()
    form.right.choices = [("", _("alle"))] + [(r.code, r.code) for r in catalog.all_rights(g.db)]
    form.validate()
    flt = GrantFilter(rrn=(form.rrn.data or "").strip() or None,
                      government=None if g.roles.central else g.government,
                      state=form.state.data or None, right=form.right.data or None,
                      category=form.category.data or None)
    return form, flt, form.at.data or today()


def search():
    form, flt, on = _search_filter()
    if form.errors:  # a bad date or choice: say so, and list nothing rather than today's
        return render_template("admin/grants/search.html", form=form, page=None, on=None,
                               state_of=None), 422
    found = grants.search_for(g.db, g.actor, flt, on, page=page_number())
    return render_template("admin/grants/search.html", form=form, page=found, on=on,
                           state_of=lambda gr: grants.state_of(gr, on))


def export():
    _form, flt, on = _search_filter()
    rows = grants.export_for(g.db, g.actor, flt, on)
    columns = ["id", "rrn", "name", "government", "right", "category", "start", "end", "state",
               "revoked_on", "reason"]
    return Response(csv_text(columns, rows), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=rechten-{on.isoformat()}.csv"})


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/relations/<int:relation_id>/grants/new", view_func=add, endpoint="grant_add",
                    methods=["GET", "POST"])
    bp.add_url_rule("/grants/<int:grant_id>/extend", view_func=extend, endpoint="grant_extend",
                    methods=["GET", "POST"])
    bp.add_url_rule("/grants/<int:grant_id>/revoke", view_func=revoke, endpoint="grant_revoke",
                    methods=["GET", "POST"])
    bp.add_url_rule("/grants", view_func=search, endpoint="grants")
    bp.add_url_rule("/grants.csv", view_func=export, endpoint="grants_csv")


