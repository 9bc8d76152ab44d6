"""The start page of the government the administrator acts for (issue task 2); the central
administrator's start is the governments they register, not a dashboard of "vlaanderen"; the
header names the government and the signed-in person (issue 13 point 15)."""
from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, url_for

from attribute_authority import access_requests, authz, governments, history, overview, people

from ..i18n import gettext as _
from ._common import today


def home():
    if not (g.roles.local or g.roles.central):
        return redirect(url_for("admin.sign_in_trail"))
    if g.roles.central and g.government == authz.CENTRAL_GOVERNMENT:
        return redirect(url_for("admin.governments"))
    o = overview.of_government(g.db, g.actor, g.government, today())
    return render_template("admin/home.html", overview=o, names=history.names_of(g.db, o.recent),
                           ending_within=overview.ENDING_WITHIN_DAYS,
                           open_requests=access_requests.open_count(g.db, g.actor, today()))


def header() -> dict:
    """Who is signed in, for which government (None as citizen), by name (computed only when
    a page asks); the account pages show the same header."""
    def signed_in() -> dict | None:
        if not g.get("rrn") or g.get("db") is None:
            return None
        government = None
        if g.government:
            government = governments.names_of(g.db, {g.government}).get(g.government, g.government)
        person = people.name_of(g.db, g.actor.person_id) if g.get("actor") else ""
        return {"government": government, "person": person or g.get("signed_in_name") or g.rrn}
    return {"signed_in": signed_in}


def unknown_page(path: str):
    """An address under the admin UI that is no page: a 404 in the admin UI's look, with the
    way back, rather than the framework's bare page (every real route matches first)."""
    return render_template("admin/refused.html", status=404,
                           message=_("Deze pagina bestaat niet. Controleer het adres of ga terug "
                                     "naar de startpagina.")), 404


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/", view_func=home)
    bp.add_url_rule("/<path:path>", view_func=unknown_page)
    bp.context_processor(header)
