"""The government's report ("rapport/controleer"): who holds which right until when, what ends
soon, as a page and as a CSV that streams (issue 14, point 4)."""
from __future__ import annotations

from flask import Blueprint, g, render_template

from attribute_authority import grants, overview
from attribute_authority.states import state_of

from ..i18n import lazy_gettext as _l
from ._common import page_number, streamed_csv, today

COLUMNS = (("rrn", _l("Rijksregisternummer")), ("name", _l("Naam")), ("right", _l("Recht")),
           ("category", _l("Categorie")), ("start", _l("Van")), ("end", _l("Tot en met")),
           ("reason", _l("Reden")))


def page():
    on = today()
    active = grants.report_page(g.db, g.actor, g.government, on, page=page_number())
    government, ending = overview.ending_soon(g.db, g.actor, g.government, on)
    return render_template("admin/report.html", page=active, government=government,
                           ending_soon=ending,
                           ending_within=overview.ENDING_WITHIN_DAYS,
                           state_of=lambda grant: state_of(grant, on))


def export():
    on, actor, government = today(), g.actor, g.government
    columns = [(key, str(header)) for key, header in COLUMNS]
    return streamed_csv(columns, lambda session: grants.report_rows(session, actor, government, on),
                        f"rapport-{government}-{on.isoformat()}.csv")


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/report", view_func=page, endpoint="report")
    bp.add_url_rule("/report.csv", view_func=export, endpoint="report_csv")
