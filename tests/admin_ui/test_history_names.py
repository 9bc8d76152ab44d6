"""Issue 13 point 13: the history names the person a change was about and the administrator
who made it, shows periods before and after, and filters by person, action and days."""
import html
from datetime import timedelta

from support import AN, BART, CHRIS, MERELBEKE
from support.admin import post, sign_in

from attribute_authority import clock, grants


def text(response):
    return html.unescape(response.get_data(as_text=True))


def _extend_bart(client, db):
    today = clock.today()
    grant = grants.search(db, grants.authz.EVERYTHING, grants.GrantFilter(rrn=BART))[0]
    old = (grant.start, grant.end)
    new_end = today + timedelta(days=300)
    assert post(client, f"/admin/grants/{grant.id}/extend", {
        "step": "confirm", "start": today.isoformat(), "end": new_end.isoformat(),
        "reason": "project"}).status_code == 302
    return old, (today, new_end)


def test_history_names_people_and_shows_the_period_before_and_after(client, db):
    sign_in(client, AN, MERELBEKE)
    (old_start, old_end), (new_start, new_end) = _extend_bart(client, db)
    page = text(client.get("/admin/history?action=grant.extended"))
    row = next(r for r in page.split("<tbody>")[1].split("<tr>") if "recht verlengd" in r)
    assert "Bart Claes" in row and "An Peeters" in row and AN not in row
    assert (f"periode van {old_start:%d-%m-%Y} tot en met {old_end:%d-%m-%Y} naar "
            f"{new_start:%d-%m-%Y} tot en met {new_end:%d-%m-%Y}") in row


def test_history_filters_by_person_action_and_days(client, db):
    sign_in(client, AN, MERELBEKE)
    _extend_bart(client, db)
    today = clock.today()
    only_chris = text(client.get(f"/admin/history?rrn={CHRIS}"))
    assert "Chris Maes" in only_chris and "Bart Claes" not in only_chris.split("<tbody>")[1]
    extended = text(client.get("/admin/history?action=grant.extended")).split("<tbody>")[1]
    assert "recht verlengd" in extended and "recht toegekend" not in extended
    later = (today + timedelta(days=1)).isoformat()
    none = text(client.get(f"/admin/history?first={later}")).split("<tbody>")[1]
    assert "Geen wijzigingen." in none
    bad = client.get("/admin/history?rrn=123")
    assert bad.status_code == 422 and 'aria-invalid="true"' in text(bad)
