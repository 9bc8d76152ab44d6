"""Delegation (issue task 7): a local administrator makes another person of the government a
local administrator, through the grant wizard with idbeheer-local-admin chosen (R9)."""
from __future__ import annotations

from flask import Blueprint, g, render_template

from attribute_authority import authz, delegation, relations

from ._common import page_number, today


def overview():
    on = today()
    return render_template("admin/delegation.html",
                           admins=delegation.local_admins_of(g.db, g.actor, g.government, on),
                           page=relations.of_government(g.db, g.actor, g.government, on,
                                                        page=page_number()),
                           right=authz.LOCAL_ADMIN_RIGHT)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/delegation", view_func=overview, endpoint="delegation")
