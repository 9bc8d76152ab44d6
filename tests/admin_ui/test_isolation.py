"""Tenant isolation on every admin route: the administrator of Nazareth-De Pinte tries every
route and method of the blueprint (read from app.url_map, so new routes are swept too) with the
IDs of Merelbeke-Melle's person, relation, grant and upload job, in the URL and in the form.
Routes that take an ID answer 403 or 404; no route changes relations, grants or the audit
trail, and none shows Merelbeke-Melle's person."""
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import select
from support import AN, BART, FEMKE, MERELBEKE, NAZARETH, actor, counts
from support.admin import post, sign_in, sign_in_answer
from support.sp import citizen

from admin_ui.request_scope import PUBLIC
from attribute_authority import access_requests, bulk, clock, grants, relations, reviews, uploads
from attribute_authority.models import AccessRequest, BulkSelection, Grant, Person, Relation

SKIP = {"admin.sign_out"}  # would end the sweep's own session; covered in test_sign_in
# A person is nobody's tenant: any administrator may relate a known person to their own
# government (someone working for two municipalities, FAQ). That route is checked below to
# touch only the acting government, whatever the form says.
OWN_GOVERNMENT_ONLY = {"admin.relation_add"}
# Looking a number up in the national register shows the register's names to any administrator
# (step 1 of adding a person); that is the register's data, not another government's.
REGISTER_LOOKUP = {"admin.person_add"}


@pytest.fixture
def foreign(db, register):
    """Merelbeke-Melle's objects, an upload job and a bulk grant selection of Merelbeke-Melle."""
    an = actor(db, AN)
    rel = relations.find_open(db, an, BART, MERELBEKE)
    grant = rel.grants[0]
    job = uploads.start(db, an, register, MERELBEKE,
                        "rrn,category,type,email\n88421013756,external,standard,e@x.be\n")
    selection = bulk.open_selection(db, an, MERELBEKE, "demo-app-admin")
    asked = access_requests.submit(db, rel.person_id, MERELBEKE, "demo-app-admin", "nodig")
    review = reviews.start(db, an, MERELBEKE, clock.today() + timedelta(days=10), True)
    db.commit()
    return {"rrn": BART, "relation_id": rel.id, "grant_id": grant.id, "job_id": job.id,
            "selection_id": selection.id, "request_id": asked.id, "review_id": review.id}


def _url(rule, ids) -> str:
    values = {}
    for arg in rule.arguments:
        if arg == "code":
            values[arg] = "demo-app-admin" if "right" in rule.endpoint else MERELBEKE
        else:
            values[arg] = ids[arg]
    return rule.build(values)[1]


def _form(today, ids) -> dict:
    return {"rrn": BART, "relations": str(ids["relation_id"]), "right": "demo-app-admin",
            "step": "confirm", "start": today.isoformat(),
            "end": (today + timedelta(days=5)).isoformat(), "category": "employee",
            "type": "standard", "email": "x@y.be", "phone": "", "government": MERELBEKE,
            "reason": "poging", "language": "fr", "note": "x", "code": MERELBEKE, "name": "x",
            "kind": "other", "secretary": BART, "form_signed_on": today.isoformat(),
            "terms_accepted_on": today.isoformat(), "max_days": "5", "application": "demo-app",
            "capacity": "employee", "q": BART}


def _state(db, ids):
    db.expire_all()
    rel, grant = db.get(Relation, ids["relation_id"]), db.get(Grant, ids["grant_id"])
    selection = db.get(BulkSelection, ids["selection_id"])
    return (counts(db), rel.email, rel.ended_on, rel.category, grant.start, grant.end,
            grant.revoked_on, rel.person.language, selection.all_matching,
            list(selection.relation_ids))


def admin_routes(app):
    return sorted((r for r in app.url_map.iter_rules()
                   if r.endpoint.startswith("admin.")
                   and r.endpoint not in PUBLIC | SKIP | OWN_GOVERNMENT_ONLY),
                  key=lambda r: r.rule)


def test_the_sweep_covers_the_routes_that_take_ids(app):
    with_ids = {r.endpoint for r in admin_routes(app) if r.arguments}
    assert {"admin.person", "admin.relation_edit", "admin.relation_end", "admin.grant_add",
            "admin.grant_extend", "admin.grant_revoke", "admin.upload_job",
            "admin.upload_run", "admin.upload_resume", "admin.person_history",
            "admin.bulk_selection", "admin.bulk_review", "admin.request", "admin.review",
            "admin.review_csv"} <= with_ids


def test_every_route_refuses_another_governments_objects(app, client, db, foreign):
    today = clock.today()
    before = _state(db, foreign)
    swept = 0
    for rule in admin_routes(app):
        for method in sorted(rule.methods & {"GET", "POST"}):
            sign_in(client, FEMKE, NAZARETH)
            url = _url(rule, foreign)
            if method == "GET":
                response = client.get(url, query_string={"rrn": BART, "q": "claes",
                                                         "right": "demo-app-admin"})
            else:
                response = post(client, url, _form(today, foreign))
            where = f"{method} {url}"
            if rule.arguments:
                assert response.status_code in (403, 404), where
            if response.status_code == 200 and rule.endpoint not in REGISTER_LOOKUP:
                assert "Claes" not in response.get_data(as_text=True), where
            assert _state(db, foreign) == before, where
            swept += 1
    assert swept > 30


def test_bulk_selection_with_a_guessed_relation_id_changes_nothing(client, db, foreign):
    today = clock.today()
    sign_in(client, FEMKE, NAZARETH)
    own = relations.find_open(db, actor(db, FEMKE), "75120512328", NAZARETH)
    before = _state(db, foreign)
    ids = [str(own.id), str(foreign["relation_id"])]
    response = client.post("/admin/bulk/grant", data={
        "csrf_token": _token(client), "right": "demo-app-admin", "page": "1", "shown": ids,
        "relations": ids, "action": "review"})
    assert response.status_code == 422
    mine = bulk.open_selection(db, actor(db, FEMKE), NAZARETH, "demo-app-admin")
    db.commit()
    for path, data in ((f"/admin/bulk/grant/{mine.id}", {"page": "1", "shown": ids,
                                                          "relations": ids}),
                       (f"/admin/bulk/grant/{foreign['selection_id']}/review", {
                           "step": "commit", "count": "0", "start": today.isoformat(),
                           "end": (today + timedelta(days=5)).isoformat()})):
        response = client.post(path, data={"csrf_token": _token(client), **data})
        assert response.status_code in (404, 422), path
    db.expire_all()
    assert db.get(BulkSelection, mine.id).relation_ids == []
    assert _state(db, foreign) == before
    assert not grants.search(db, grants.authz.EVERYTHING,
                             grants.GrantFilter(government=NAZARETH, right="demo-app-admin"))


def test_relating_a_known_person_touches_only_the_acting_government(client, db, foreign):
    sign_in(client, FEMKE, NAZARETH)
    before = _state(db, foreign)
    response = post(client, f"/admin/people/{BART}/relations/new", {
        "government": MERELBEKE, "category": "external", "type": "standard", "email": "b@x.be"})
    assert response.status_code == 302
    added = relations.find_open(db, actor(db, FEMKE), BART, NAZARETH)
    assert added.government.code == NAZARETH
    relations_before, grants_before, _audit = before[0]
    assert _state(db, foreign)[0][:2] == (relations_before + 1, grants_before)
    assert _state(db, foreign)[1:] == before[1:]


def _token(client):
    from support.admin import csrf
    return csrf(client, "/admin/signed-out")


# -- the account pages (/account/): one person's own, whoever else's ids a request carries ------

def account_routes(app):
    return sorted((r for r in app.url_map.iter_rules() if r.endpoint.startswith("account.")),
                  key=lambda r: r.rule)


def _account_state(db, ids):
    """What the sweep's person (Femke) may not change: everything of Merelbeke-Melle, and
    any request not her own."""
    db.expire_all()
    others = db.scalars(select(AccessRequest.id, AccessRequest.status)
                        .join(AccessRequest.person).where(Person.rrn != FEMKE)
                        .order_by(AccessRequest.id)).all()
    return _state(db, ids)[1:], others


def test_the_account_sweep_covers_every_account_route(app):
    assert {r.endpoint for r in account_routes(app)} == {
        "account.home", "account.request", "account.switch"}


@pytest.mark.parametrize("capacity", ["employee", "citizen"])
def test_every_account_route_shows_and_changes_only_the_signed_in_persons_own(
        app, client, db, foreign, capacity):
    """Femke (Nazareth-De Pinte) opens every account route with Bart's RRN, relation, grant
    and request ids and Merelbeke-Melle in the query and the form: no page shows Bart or his
    request, nothing of his or of Merelbeke-Melle changes; what she files is her own."""
    today = clock.today()
    before = _account_state(db, foreign)
    query = {"rrn": BART, "person": BART, "person_id": str(foreign["relation_id"]),
             "relation_id": str(foreign["relation_id"]), "grant_id": str(foreign["grant_id"]),
             "request_id": str(foreign["request_id"]), "app": "demo-app",
             "right": "demo-app-admin", "government": MERELBEKE}
    form = {**_form(today, foreign), "motivation": "poging", "request_id": str(foreign["request_id"])}
    swept = 0
    for rule in account_routes(app):
        for method in sorted(rule.methods & {"GET", "POST"}):
            if capacity == "citizen":
                sign_in_answer(client, FEMKE, NAZARETH, attributes=citizen(FEMKE))
            else:
                sign_in(client, FEMKE, NAZARETH)
            url = rule.build({})[1]
            if method == "GET":
                response = client.get(url, query_string=query)
            else:
                response = post(client, url + "?" + urlencode(query), form)
            where = f"{method} {url}"
            assert response.status_code < 500, where
            page = response.get_data(as_text=True)
            assert "Claes" not in page and "Bart" not in page, where
            if method == "POST" and rule.endpoint == "account.switch":
                assert response.status_code == 404, where  # not a government of hers
            assert _account_state(db, foreign) == before, where
            swept += 1
    assert swept == 4
    mine = db.scalars(select(AccessRequest).join(AccessRequest.person)
                      .where(Person.rrn == FEMKE)).all()
    assert [(r.government.code, r.kind) for r in mine] == [(MERELBEKE, "relation")]
