"""Delegation (issue task 7): a local administrator makes another person of the government a
local administrator, through the grant wizard with idbeheer-local-admin chosen (R9)."""
from __future__ import annotations

from flask import Blueprint, g, render_template

from attribute_authority import authz, delegation, relations

from ._common import page_number, today


def overview():
    """Who is local administrator until when; "Maak lokale beheerder" only for the others."""
    on = today()
    admin_grants = delegation.local_admin_grants_of(g.db, g.actor, g.government, on)
    return render_template("admin/delegation.html", admin_grants=admin_grants,
                           admin_until={gr.relation_id: gr.end for gr in admin_grants},
                           page=relations.of_government(g.db, g.actor, g.government, on,
                                                        page=page_number()),
                           right=authz.LOCAL_ADMIN_RIGHT)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/delegation", view_func=overview, endpoint="delegation")
