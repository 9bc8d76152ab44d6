"""People: search, detail, add from the national register, edit, align (issue task 3).
A person is never deleted."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from attribute_authority import history, people, relations
from attribute_authority import rrn as rrn_rules
from attribute_authority.states import state_of

from ..forms import ActionForm, AddPersonForm, PeopleSearchForm, PersonForm, RrnForm
from ..i18n import gettext as _
from ..request_scope import attempt
from ._common import deps, page_number, status_of, today


def search():
    form = PeopleSearchForm()
    query = (form.q.data or "").strip()
    found = people.search(g.db, g.actor, query, today(), page=page_number())
    if query and found.total == 1 and page_number() == 1:  # one hit: open the person
        return redirect(url_for("admin.person", rrn=found.items[0].rrn))
    hint = None
    if query and not found.total and rrn_rules.is_valid(query):
        known = people.find(g.db, query)
        hint = "relate" if known else "add"
    return render_template("admin/people/search.html", form=form, page=found, query=query,
                           hint=hint, normalized=rrn_rules.normalize(query))


def add():
    """Step 1: the number. Step 2 (POST): what the register says, an optional note, confirm."""
    form = RrnForm()
    message = None
    if request.method == "GET" and request.args.get("rrn"):
        form.rrn.data = request.args["rrn"]
    if form.validate_on_submit():
        record, message = attempt(people.preview, g.db, g.actor, deps().national_register,
                                  form.rrn.data, today())
        if message is None:
            existing = people.find(g.db, record.rrn)
            confirm = AddPersonForm(formdata=None, rrn=record.rrn)
            return render_template("admin/people/add_confirm.html", record=record,
                                   existing=existing, form=confirm)
    return render_template("admin/people/add.html", form=form, message=message), \
        status_of(message or form.errors)


def add_confirm():
    form = AddPersonForm()
    if not form.validate_on_submit():
        return redirect(url_for("admin.person_add"))
    result, message = attempt(people.add, g.db, g.actor, deps().national_register,
                              form.rrn.data, today(), reason=form.note.data)
    if message:
        return render_template("admin/people/add.html", form=RrnForm(formdata=None, rrn=form.rrn.data),
                               message=message), 422
    person, created = result
    flash(_("%(name)s is toegevoegd.", name=person.full_name) if created
          else _("%(name)s was al gekend.", name=person.full_name))
    return redirect(url_for("admin.relation_add", rrn=person.rrn))


def detail(rrn: str):
    on = today()
    person = people.visible(g.db, g.actor, rrn, on)
    rels = relations.of_person(g.db, g.actor, person, on)
    blocking = {r.id: relations.blocking_grants(g.db, r, on) for r in rels}
    events = history.of_person(g.db, g.actor, person.rrn, on, size=10)
    return render_template("admin/people/detail.html", person=person, relations=rels,
                           blocking=blocking, state_of=lambda gr: state_of(gr, on),
                           events=events, names=history.names_of(g.db, events.items),
                           action=ActionForm())


def edit(rrn: str):
    person = people.visible(g.db, g.actor, rrn, today())
    form = PersonForm(obj=person)
    message = None
    if form.validate_on_submit():
        _done, message = attempt(people.set_language, g.db, g.actor, rrn, form.language.data, today())
        if message is None:
            flash(_("De gegevens zijn bewaard."))
            return redirect(url_for("admin.person", rrn=person.rrn))
    return render_template("admin/people/edit.html", person=person, form=form, message=message), \
        status_of(message or form.errors)


def align(rrn: str):
    _done, message = attempt(people.align, g.db, g.actor, deps().national_register, rrn, today())
    flash(message or _("De gegevens zijn gelijkgezet met het rijksregister."),
          "error" if message else "info")
    return redirect(url_for("admin.person", rrn=rrn_rules.normalize(rrn)))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/people", view_func=search, endpoint="people")
    bp.add_url_rule("/people/new", view_func=add, endpoint="person_add", methods=["GET", "POST"])
    bp.add_url_rule("/people/new/confirm", view_func=add_confirm, endpoint="person_add_confirm",
                    methods=["POST"])
    bp.add_url_rule("/people/<rrn>", view_func=detail, endpoint="person")
    bp.add_url_rule("/people/<rrn>/edit", view_func=edit, endpoint="person_edit",
                    methods=["GET", "POST"])
    bp.add_url_rule("/people/<rrn>/align", view_func=align, endpoint="person_align",
                    methods=["POST"])
