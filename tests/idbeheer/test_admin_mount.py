"""The all-in-one app mounts the admin UI at /admin; signing in goes to the bridge."""
from idbeheer.app import create_app
from idbeheer.settings import from_env


def test_admin_ui_is_mounted_at_admin_and_signs_in_at_the_bridge(fresh_url, tmp_path):
    settings = from_env({"IDBEHEER_HOME": str(tmp_path), "IDBEHEER_DATABASE_URL": fresh_url,
                         "IDBEHEER_METADATA_DIR": str(tmp_path / "metadata"),
                         "IDBEHEER_CERTS_DIR": str(tmp_path / "certs")})
    client = create_app(settings).test_client()
    first = client.get("/admin/people")
    assert first.status_code == 302 and first.location.startswith("http://localhost:8000/idp/sso?")
    assert client.get("/admin/sign-in/dev").status_code == 404
    assert (tmp_path / "metadata" / "sp" / "idbeheer.xml").exists()
