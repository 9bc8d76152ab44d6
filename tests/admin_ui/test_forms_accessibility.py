"""Issue 13 point 14: unique ids (every field has its label), radio buttons inside their
labels, field errors marked on the field, the KBO number in its dotted form, a clear message
for an empty e-mail address when appointing."""
import html
import re
from collections import Counter

from sqlalchemy import select
from support import AN, DINA, HANNE, MERELBEKE
from support.admin import post, sign_in

from attribute_authority import clock
from attribute_authority.models import Government


def text(response):
    return html.unescape(response.get_data(as_text=True))


def assert_ids_unique_and_labelled(page: str):
    ids = Counter(re.findall(r'\sid="([^"]+)"', page))
    assert [i for i, n in ids.items() if n > 1] == []
    for field_id in re.findall(r'<(?:input|select|textarea)(?![^>]*type="(?:hidden|submit)")'
                               r'[^>]*\sid="([^"]+)"', page):
        assert f'for="{field_id}"' in page or re.search(
            rf'<label>\s*<input[^>]*id="{field_id}"', page), field_id


def test_government_and_catalog_pages_have_unique_ids_and_labels(client):
    sign_in(client, DINA, "vlaanderen")
    for url in ("/admin/central/governments/pz-nowhere", "/admin/central/catalog"):
        response = client.get(url)
        if response.status_code == 404:
            continue
        assert_ids_unique_and_labelled(text(response))
    assert_ids_unique_and_labelled(text(client.get(f"/admin/central/governments/{MERELBEKE}")))


def test_radio_buttons_sit_inside_their_labels(client, db):
    sign_in(client, AN, MERELBEKE)
    page = text(client.get(f"/admin/people/{HANNE}/relations/new"))
    if "Categorie" not in page:  # Hanne must be known first
        from support import actor

        from attribute_authority import people
        from attribute_authority.national_register import FileRegister
        people.add(db, actor(db, AN), FileRegister(), HANNE)
        db.commit()
        page = text(client.get(f"/admin/people/{HANNE}/relations/new"))
    radios = re.findall(r'<label>\s*<input[^>]*type="radio"[^>]*>\s*[^<]+</label>', page)
    assert len(radios) == 4, page


def test_a_field_error_marks_the_field(client):
    sign_in(client, AN, MERELBEKE)
    page = text(client.get("/admin/grants?at=99-99-9999"))
    assert re.search(r'<input[^>]*aria-describedby="at-error"[^>]*aria-invalid="true"', page) or \
        re.search(r'<input[^>]*aria-invalid="true"[^>]*aria-describedby="at-error"', page)
    assert 'id="at-error"' in page


def test_kbo_number_in_its_dotted_form_is_accepted(client, db):
    sign_in(client, DINA, "vlaanderen")
    made = post(client, "/admin/central/governments/new", {
        "code": "pz-rupel", "name": "Politiezone Rupel", "kind": "police", "nis_code": "",
        "kbo_number": "0263.867.412"})
    assert made.status_code == 302, text(made)
    gov = db.scalars(select(Government).where(Government.code == "pz-rupel")).one()
    assert gov.kbo_number == "0263867412"


def test_appoint_with_an_empty_email_says_to_fill_it_in(client):
    today = clock.today()
    sign_in(client, DINA, "vlaanderen")
    post(client, "/admin/central/governments/new", {
        "code": "pz-leie", "name": "Politiezone Leie", "kind": "police", "nis_code": "",
        "kbo_number": ""})
    post(client, "/admin/central/governments/pz-leie/registration", {
        "secretary": HANNE, "form_signed_on": today.isoformat(),
        "terms_accepted_on": today.isoformat()})
    refused = post(client, "/admin/central/governments/pz-leie/appoint", {"email": "  "})
    page = text(refused)
    assert refused.status_code == 422
    assert "'' is geen geldig e-mailadres" not in page and "vul een e-mailadres in" in page
    post(client, "/admin/language", {"language": "en", "next": "/admin/"})
    page = text(post(client, "/admin/central/governments/pz-leie/appoint", {"email": "  "}))
    assert "Invalid input: fill in an e-mail address: that is where the person is notified" in page
    assert "vul een e-mailadres in" not in page
