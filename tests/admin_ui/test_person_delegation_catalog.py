"""Issue 13 points 8, 9, 10: the person page says why a relation cannot end yet (R3) and which
rights to revoke first; delegation does not offer to appoint who already is local
administrator, and shows until when; lowering a maximum says longer grants stay valid."""
import html
import re

from support import AN, BART, DINA, MERELBEKE
from support.admin import post, sign_in

from attribute_authority import grants


def text(response):
    return html.unescape(response.get_data(as_text=True))


def test_end_relation_is_shown_disabled_with_the_reason_and_the_rights(client, db):
    sign_in(client, AN, MERELBEKE)
    [held] = grants.search(db, grants.authz.EVERYTHING, grants.GrantFilter(rrn=BART))
    page = text(client.get(f"/admin/people/{BART}"))
    button = re.search(r'<button[^>]*disabled[^>]*aria-describedby="(end-why-\d+)"[^>]*>'
                       r'Beëindig relatie</button>', page)
    assert button, "Beëindig relatie is shown, disabled"
    why = page.split(f'id="{button[1]}"')[1].split("</div>")[0]
    assert "Herroep eerst dit recht" in why and held.right.name in why
    assert f"/admin/grants/{held.id}/revoke" in why


def test_delegation_does_not_offer_to_appoint_a_local_administrator_again(client, db):
    sign_in(client, AN, MERELBEKE)
    page = text(client.get("/admin/delegation"))
    an_grant = grants.search(db, grants.authz.EVERYTHING, grants.GrantFilter(
        rrn=AN, right="idbeheer-local-admin"))[0]
    until = an_grant.end.strftime("%d-%m-%Y")
    assert f"An Peeters</a>, tot en met {until}" in page
    row = next(r for r in page.split("<tr>") if "An Peeters" in r and "<td>" in r)
    assert "Maak lokale beheerder" not in row and f"Al lokale beheerder, tot en met {until}" in row
    bart = next(r for r in page.split("<tr>") if "Bart Claes" in r)
    assert "Maak lokale beheerder" in bart


def test_lowering_a_maximum_lists_the_longer_grants_that_stay_valid(client, db):
    sign_in(client, DINA, "vlaanderen")
    done = post(client, "/admin/central/catalog/rights/demo-app-reader/max-days",
                {"max_days": "30"})
    assert done.status_code == 302
    page = text(client.get(done.location))
    assert "blijft geldig tot haar einddatum" in page or "blijven geldig tot hun einddatum" in page
    assert "Bart Claes bij Merelbeke-Melle, tot en met" in page
