"""The start page of the government the administrator acts for (issue task 2)."""
from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, url_for

from attribute_authority import history, overview

from ._common import today


def home():
    if not (g.roles.local or g.roles.central):
        return redirect(url_for("admin.sign_in_trail"))
    o = overview.of_government(g.db, g.actor, g.government, today())
    return render_template("admin/home.html", overview=o, names=history.names_of(g.db, o.recent),
                           ending_within=overview.ENDING_WITHIN_DAYS)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/", view_func=home)
