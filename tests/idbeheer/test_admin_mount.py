"""The all-in-one app mounts the admin UI at /admin; production has no stand-in sign-in."""
from idbeheer.app import create_app
from idbeheer.settings import from_env


def test_admin_ui_is_mounted_at_admin(fresh_url, tmp_path):
    settings = from_env({"IDBEHEER_HOME": str(tmp_path), "IDBEHEER_DATABASE_URL": fresh_url})
    client = create_app(settings).test_client()
    first = client.get("/admin/people")
    assert first.status_code == 302 and first.location.endswith("/admin/sign-in/dev")
    assert client.get("/admin/sign-in/dev").status_code == 200


def test_production_offers_no_stand_in_sign_in(fresh_url, tmp_path):
    settings = from_env({"IDBEHEER_HOME": str(tmp_path), "IDBEHEER_DATABASE_URL": fresh_url,
                         "IDBEHEER_MODE": "production", "IDBEHEER_SECRET_KEY": "x" * 40})
    client = create_app(settings).test_client()
    assert client.get("/admin/sign-in/dev").status_code == 404
    assert client.get("/admin/").status_code == 503  # until the bridge's SAML sign-in plugs in
