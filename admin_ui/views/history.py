"""History (issue task 10, issue 13 point 13): the audit trail of a person and of the
government, naming the person each change was about and the administrator who made it, with
the periods before and after; the government's history filtered by person, action and days."""
from __future__ import annotations

from flask import Blueprint, g, render_template, request

from attribute_authority import history, people
from attribute_authority import rrn as rrn_rules
from attribute_authority.errors import DomainError

from ..formatting import ACTION_LABELS
from ..forms import HistoryFilterForm
from ..i18n import language
from ._common import page_number, today


def of_government():
    form = HistoryFilterForm()
    form.action.choices = [("", form.action.choices[0][1])] + list(ACTION_LABELS.items())
    flt, status = history.HistoryFilter(), 200
    if request.args and form.validate():
        rrn = None
        if form.rrn.data:
            try:
                rrn = rrn_rules.parse(form.rrn.data).rrn
            except DomainError as refusal:
                form.rrn.errors.append(refusal.message(language()))
        if not form.errors:
            flt = history.HistoryFilter(rrn=rrn, action=form.action.data or None,
                                        first=form.first.data, last=form.last.data)
    if form.errors:
        return render_template("admin/history.html", person=None, page=None, names=None,
                               form=form), 422
    page = history.of_government(g.db, g.actor, g.government, today(), page=page_number(),
                                 flt=flt)
    return render_template("admin/history.html", person=None, page=page, form=form,
                           names=history.names_of(g.db, page.items)), status


def of_person(rrn: str):
    person = people.visible(g.db, g.actor, rrn, today())
    page = history.of_person(g.db, g.actor, person.rrn, today(), page=page_number())
    return render_template("admin/history.html", person=person, page=page, form=None,
                           names=history.names_of(g.db, page.items))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/history", view_func=of_government, endpoint="history")
    bp.add_url_rule("/people/<rrn>/history", view_func=of_person, endpoint="person_history")
