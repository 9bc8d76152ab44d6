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


def _registry_state(app, code):
    from attribute_authority import sp_metadata
    from attribute_authority.models import ApplicationMetadata

    with app.extensions["test.db"]() as session:
        row = session.get(ApplicationMetadata, code)
        return sp_metadata.registry_version(session), row and (row.entity_id, row.xml, row.source)


def test_registered_metadata_is_in_the_database_and_can_be_replaced(seeded_url, register,
                                                                    tmp_path):
    """Issue 11 point 2: the catalog page writes the registry's database copy (the version
    moves, so every server serves it at the next request) and replaces it, audited."""
    from sqlalchemy import select

    from attribute_authority.models import AuditEvent

    app = build_app(seeded_url, register, metadata_dir=tmp_path)
    client = app.test_client()
    sign_in(client, DINA, "vlaanderen")
    version, _ = _registry_state(app, "bibliotheek")
    post(client, "/admin/central/catalog/applications", {
        "code": "bibliotheek", "name": "Bibliotheek", "capacity": "employee",
        "metadata_xml": _metadata("bibliotheek")})
    after_register, row = _registry_state(app, "bibliotheek")
    assert after_register == version + 1 and row[2] == "register"
    assert row[0] == "https://bibliotheek.example.be/saml"
    page = text(client.get("/admin/central/catalog"))
    assert "SAML-metadata van https://bibliotheek.example.be/saml" in page
    assert 'action="/admin/central/catalog/applications/bibliotheek/metadata"' in page

    renewed = _metadata("bibliotheek").replace(
        _metadata("bibliotheek").split("<ds:X509Certificate>")[1].split("<")[0],
        sp_metadata_xml("x", "x", "x", key_pair("bibliotheek-2")).split(
            "<ds:X509Certificate>")[1].split("<")[0])
    done = post(client, "/admin/central/catalog/applications/bibliotheek/metadata", {
        "metadata_file": (io.BytesIO(renewed.encode()), "bibliotheek.xml"),
        "reason": "nieuwe sleutel"})
    assert done.status_code == 302, text(done)
    assert "zijn vervangen" in text(client.get(done.location))
    replaced, row = _registry_state(app, "bibliotheek")
    assert replaced == after_register + 1 and row[1] == renewed.encode()
    assert (tmp_path / "sp" / "bibliotheek.xml").read_text() == renewed
    with app.extensions["test.db"]() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "application.metadata")
                                .order_by(AuditEvent.id.desc())).first()
    assert event.actor_rrn == DINA and event.reason == "nieuwe sleutel"
    assert event.before["sha256"] != event.after["sha256"]
    assert event.before["entity_id"] == event.after["entity_id"]

    bad = post(client, "/admin/central/catalog/applications/bibliotheek/metadata",
               {"metadata_xml": "<md:EntityDescriptor"})
    assert bad.status_code == 422 and "De metadata van bibliotheek zijn geweigerd" in text(bad)
    empty = post(client, "/admin/central/catalog/applications/bibliotheek/metadata", {})
    assert empty.status_code == 422
    assert _registry_state(app, "bibliotheek") == (replaced, row)
    stolen = post(client, "/admin/central/catalog/applications/idbeheer/metadata",
                  {"metadata_xml": renewed})  # another application's entityID
    assert stolen.status_code == 422 and "bibliotheek" in text(stolen)
    assert _registry_state(app, "bibliotheek") == (replaced, row)
    app.extensions["test.engine"].dispose()
