"""Issue 13 point 11: a central administrator registers an application with its metadata,
uploaded or pasted (checked by the server's own SP metadata reader), instead of being told to
put a file on the server."""
import html
import io

from support import DINA
from support.admin import build_app, key_pair, post, sign_in
from support.bridge import sp_metadata_xml


def text(response):
    return html.unescape(response.get_data(as_text=True))


def _metadata(code):
    return sp_metadata_xml(f"https://{code}.example.be/saml", f"https://{code}.example.be/acs",
                           f"https://{code}.example.be/slo", key_pair(code))


def test_pasted_metadata_is_checked_and_stored(seeded_url, register, tmp_path):
    app = build_app(seeded_url, register, metadata_dir=tmp_path)
    client = app.test_client()
    sign_in(client, DINA, "vlaanderen")
    form = text(client.get("/admin/central/catalog"))
    assert 'enctype="multipart/form-data"' in form and 'name="metadata_xml"' in form
    done = post(client, "/admin/central/catalog/applications", {
        "code": "bibliotheek", "name": "Bibliotheek", "capacity": "employee",
        "metadata_xml": _metadata("bibliotheek")})
    assert done.status_code == 302, text(done)
    assert (tmp_path / "sp" / "bibliotheek.xml").read_text().startswith("<")
    page = text(client.get(done.location))
    assert "metadata/sp/" not in page and "met haar metadata" in page
    app.extensions["test.engine"].dispose()


def test_uploaded_file_works_and_bad_metadata_is_refused_clearly(seeded_url, register, tmp_path):
    app = build_app(seeded_url, register, metadata_dir=tmp_path)
    client = app.test_client()
    sign_in(client, DINA, "vlaanderen")
    bad = post(client, "/admin/central/catalog/applications", {
        "code": "kapot", "name": "Kapot", "capacity": "employee",
        "metadata_xml": "<EntityDescriptor>geen metadata</EntityDescriptor>"})
    assert bad.status_code == 422 and "De metadata van kapot zijn geweigerd" in text(bad)
    assert not (tmp_path / "sp" / "kapot.xml").exists()
    assert "kapot" not in text(client.get("/admin/central/catalog")).split("<h2>")[1]
    upload = post(client, "/admin/central/catalog/applications", {
        "code": "parkeren", "name": "Parkeren", "capacity": "employee",
        "metadata_file": (io.BytesIO(_metadata("parkeren").encode()), "parkeren.xml")})
    assert upload.status_code == 302, text(upload)
    assert (tmp_path / "sp" / "parkeren.xml").exists()
    app.extensions["test.engine"].dispose()
