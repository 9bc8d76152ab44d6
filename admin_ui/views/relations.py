"""Relations to this government: add, edit, end (issue task 4). The end button shows only when
no active or pending grant hangs on the relation, and the service refuses it too (R3)."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, url_for

from attribute_authority import governments, people, relations

from ..forms import ReasonForm, RelationForm
from ..i18n import gettext as _
from ..request_scope import attempt
from ._common import status_of, today


def add(rrn: str):
    person = people.known(g.db, g.actor, rrn, today())
    government = governments.by_code(g.db, g.government)
    form = RelationForm()
    message = None
    if form.validate_on_submit():
        relation, message = attempt(
            relations.add, g.db, g.actor, person.rrn, government.code,
            category=form.category.data, type=form.type.data, email=form.email.data,
            phone=form.phone.data, note=form.note.data, on=today())
        if message is None:
            flash(_("De relatie met %(government)s is toegevoegd. Ken nu een gebruikersrecht toe.",
                    government=government.name))
            return redirect(url_for("admin.grant_add", relation_id=relation.id))
    return render_template("admin/relations/form.html", person=person, government=government,
                           form=form, message=message, relation=None), \
        status_of(message or form.errors)


def edit(relation_id: int):
    relation = relations.get(g.db, g.actor, relation_id, today())
    form = RelationForm(obj=relation)
    message = None
    if form.validate_on_submit():
        _done, message = attempt(
            relations.update, g.db, g.actor, relation.id, category=form.category.data,
            type=form.type.data, email=form.email.data, phone=form.phone.data,
            note=form.note.data, on=today())
        if message is None:
            flash(_("De relatie is bewaard."))
            return redirect(url_for("admin.person", rrn=relation.person.rrn))
    return render_template("admin/relations/form.html", person=relation.person,
                           government=relation.government, form=form, message=message,
                           relation=relation), status_of(message or form.errors)


def end(relation_id: int):
    on = today()
    relation = relations.get(g.db, g.actor, relation_id, on)
    form = ReasonForm()
    message = None
    if form.validate_on_submit():
        _done, message = attempt(relations.end, g.db, g.actor, relation.person.rrn,
                                 relation.government.code, form.reason.data or None, on)
        if message is None:
            flash(_("De relatie is beëindigd."))
            return redirect(url_for("admin.person", rrn=relation.person.rrn))
    return render_template("admin/relations/end.html", relation=relation, form=form,
                           message=message, blocking=relations.blocking_grants(g.db, relation, on)), \
        status_of(message or form.errors)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/people/<rrn>/relations/new", view_func=add, endpoint="relation_add",
                    methods=["GET", "POST"])
    bp.add_url_rule("/relations/<id:relation_id>/edit", view_func=edit, endpoint="relation_edit",
                    methods=["GET", "POST"])
    bp.add_url_rule("/relations/<id:relation_id>/end", view_func=end, endpoint="relation_end",
                    methods=["GET", "POST"])
