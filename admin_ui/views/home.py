"""The start page of the government the administrator acts for (issue task 2)."""
from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, url_for

from attribute_authority import access_requests, overview

from ._common import today


def home():
    if not (g.roles.local or g.roles.central):
        return redirect(url_for("admin.sign_in_trail"))
    return render_template("admin/home.html",
                           overview=overview.of_government(g.db, g.actor, g.government, today()),
                           ending_within=overview.ENDING_WITHIN_DAYS,
                           open_requests=access_requests.open_count(g.db, g.actor, today()))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/", view_func=home)
