"""Issue 13, points 4, 6 and 7: the grant wizard's default end follows a moved start and a
shortened period is said before confirming; extension guidance; the rights search's form."""
import html
import re
from datetime import timedelta

from support import AN, BART, MERELBEKE, actor
from support.admin import post, sign_in

from attribute_authority import clock, grants, relations
from attribute_authority.models import Grant


def text(response):
    return html.unescape(response.get_data(as_text=True))


def hidden(page: str, name: str) -> str:
    return re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page)[1]


def wizard(client, relation_id, **data):
    return post(client, f"/admin/relations/{relation_id}/grants/new", data)


def test_moving_the_start_moves_the_proposed_end_to_the_maximum(client, db):
    today = clock.today()
    sign_in(client, AN, MERELBEKE)
    rel = relations.find_open(db, actor(db, AN), BART, MERELBEKE)
    period = text(wizard(client, rel.id, step="right", right="demo-app-admin"))
    proposed = hidden(period, "proposed_end")
    assert proposed == (today + timedelta(days=90)).isoformat()
    start = today + timedelta(days=39)
    reason = text(wizard(client, rel.id, step="period", right="demo-app-admin",
                         start=start.isoformat(), end=proposed, proposed_end=proposed))
    assert hidden(reason, "end") == (start + timedelta(days=90)).isoformat()
    assert "korter dan het maximum" not in reason


def test_a_typed_earlier_end_stays_and_the_shortened_period_is_said(client, db):
    today = clock.today()
    sign_in(client, AN, MERELBEKE)
    rel = relations.find_open(db, actor(db, AN), BART, MERELBEKE)
    proposed = (today + timedelta(days=90)).isoformat()
    end = today + timedelta(days=51)
    reason = text(wizard(client, rel.id, step="period", right="demo-app-admin",
                         start=today.isoformat(), end=end.isoformat(), proposed_end=proposed))
    assert hidden(reason, "end") == end.isoformat()
    confirm = text(wizard(client, rel.id, step="reason", right="demo-app-admin",
                          start=today.isoformat(), end=end.isoformat()))
    assert "deze periode duurt 51 dagen, korter dan het maximum van 90 dagen" in confirm
    back = text(wizard(client, rel.id, step="confirm", back="period", right="demo-app-admin",
                       start=today.isoformat(), end=end.isoformat()))
    assert 'name="start"' in back and end.strftime("%Y-%m-%d") in back
    assert "Bevestig toekenning" not in back


def _bart_grant(db):
    return grants.search(db, grants.authz.EVERYTHING, grants.GrantFilter(rrn=BART))[0]


def test_extension_too_long_says_to_move_the_start(client, db):
    today = clock.today()
    sign_in(client, AN, MERELBEKE)
    grant = _bart_grant(db)
    page = text(post(client, f"/admin/grants/{grant.id}/extend", {
        "step": "check", "start": grant.start.isoformat(),
        "end": (today + timedelta(days=400)).isoformat()}))
    assert "Kies een vroegere einddatum" not in page
    assert "Schuif de begindatum op" in page and "Begin vandaag" in page


def test_future_start_warning_says_access_stops_and_offers_today(client, db):
    today = clock.today()
    sign_in(client, AN, MERELBEKE)
    grant = _bart_grant(db)
    start = today + timedelta(days=10)
    page = text(post(client, f"/admin/grants/{grant.id}/extend", {
        "step": "check", "start": start.isoformat(),
        "end": (start + timedelta(days=30)).isoformat()}))
    assert "vanaf vandaag tot die dag geen toegang meer" in page
    assert "Begin vandaag" in page and hidden(page.split('id="pending-warning"')[1], "start") \
        == today.isoformat()


def test_change_the_period_keeps_what_was_typed(client, db):
    today = clock.today()
    sign_in(client, AN, MERELBEKE)
    grant = _bart_grant(db)
    start, end = today + timedelta(days=2), today + timedelta(days=200)
    back = post(client, f"/admin/grants/{grant.id}/extend", {
        "step": "confirm", "edit": "1", "start": start.isoformat(), "end": end.isoformat(),
        "reason": "project loopt door"})
    assert back.status_code == 200
    page = text(back)
    assert f'value="{start.isoformat()}"' in page and f'value="{end.isoformat()}"' in page
    assert "project loopt door" in page and "Bevestig verlenging" not in page
    db.expire_all()
    assert db.get(Grant, grant.id).end == grant.end  # nothing changed


def test_rights_search_first_open_and_dashboard_links_have_no_errors(client):
    sign_in(client, AN, MERELBEKE)
    for url in ("/admin/grants", "/admin/grants?state=active", "/admin/grants?state=pending"):
        page = text(client.get(url))
        assert "Ongeldige keuze" not in page and "Not a valid choice" not in page, url
        assert 'aria-invalid' not in page, url
    page = text(client.get("/admin/grants"))
    options = re.findall(r'<option[^>]*value="(\w*)"[^>]*>([^<]*)</option>', page)
    labels = dict(options)
    assert labels["pending"] == "in afwachting" and labels["active"] == "toegekend"
    assert labels["revoked"] == "herroepen"


def test_rights_search_bad_date_shows_the_error_and_no_results(client):
    sign_in(client, AN, MERELBEKE)
    response = client.get("/admin/grants?at=31-02-2026&state=active")
    page = text(response)
    assert response.status_code == 422
    assert "dd-mm-jjjj" in page and 'aria-invalid="true"' in page
    assert "Claes" not in page
    assert "Claes" in text(client.get(f"/admin/grants?at={clock.today():%d-%m-%Y}&state=active"))
