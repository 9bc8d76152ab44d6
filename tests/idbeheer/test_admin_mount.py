"""The all-in-one app mounts the admin UI at /admin (demo mode: with the stand-in sign-in)."""
from idbeheer.app import create_app
from idbeheer.settings import from_env


def test_admin_ui_is_mounted_at_admin(fresh_url, tmp_path):
    settings = from_env({"IDBEHEER_HOME": str(tmp_path), "IDBEHEER_DATABASE_URL": fresh_url})
    client = create_app(settings).test_client()
    first = client.get("/admin/people")
    assert first.status_code == 302 and first.location.endswith("/admin/sign-in/dev")
    assert client.get("/admin/sign-in/dev").status_code == 200
