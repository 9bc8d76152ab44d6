"""Issue 13 point 15: the header names the government and the signed-in person; the central
administrator's home is not a local dashboard of "vlaanderen"; a single search hit opens the
person."""
import html

from support import AN, BART, DINA, MERELBEKE
from support.admin import sign_in


def text(response):
    return html.unescape(response.get_data(as_text=True))


def test_header_names_the_person_and_the_government(client):
    sign_in(client, AN, MERELBEKE)
    page = text(client.get(f"/admin/people/{BART}"))
    header = page.split('<header class="top">')[1].split("</header>")[0]
    assert "An Peeters, voor Merelbeke-Melle" in header and "44088" not in header


def test_central_administrator_home_is_the_governments(client):
    sign_in(client, DINA, "vlaanderen")
    home = client.get("/admin/")
    assert home.status_code == 302 and home.location.endswith("/admin/central/governments")


def test_a_single_search_hit_opens_the_person(client):
    sign_in(client, AN, MERELBEKE)
    one = client.get(f"/admin/people?q={BART}")
    assert one.status_code == 302 and one.location.endswith(f"/admin/people/{BART}")
    many = client.get("/admin/people?q=a")
    assert many.status_code == 200


def test_an_unknown_address_is_a_404_in_the_admin_ui_s_look(client):
    """#13.16: the framework's bare 404 page had no landmarks; ours has the header, the main
    content and the way back. Real routes still match first."""
    sign_in(client, AN, MERELBEKE)
    missing = client.get("/admin/no-such/page")
    page = text(missing)
    assert missing.status_code == 404 and '<main id="content"' in page
    assert "Deze pagina bestaat niet" in page and 'href="/admin/"' in page
    assert client.get("/admin/static/look.css").status_code == 200
    assert client.get(f"/admin/people/{BART}").status_code == 200
