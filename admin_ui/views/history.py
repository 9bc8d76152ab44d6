"""History (issue task 10): the audit trail of a person and of the government, for the
administrators who may read it."""
from __future__ import annotations

from flask import Blueprint, g, render_template

from attribute_authority import history, people

from ._common import page_number, today


def of_government():
    return render_template("admin/history.html", person=None,
                           page=history.of_government(g.db, g.actor, g.government, today(),
                                                      page=page_number()))


def of_person(rrn: str):
    person = people.visible(g.db, g.actor, rrn, today())
    return render_template("admin/history.html", person=person,
                           page=history.of_person(g.db, g.actor, person.rrn, today(),
                                                  page=page_number()))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/history", view_func=of_government, endpoint="history")
    bp.add_url_rule("/people/<rrn>/history", view_func=of_person, endpoint="person_history")
