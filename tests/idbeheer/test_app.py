"""Health endpoints of the all-in-one app."""
from idbeheer.app import create_app
from idbeheer.settings import from_env


def _env(tmp_path, url):
    return {"IDBEHEER_HOME": str(tmp_path), "IDBEHEER_DATABASE_URL": url,
            "IDBEHEER_CERTS_DIR": str(tmp_path / "certs"),
            "IDBEHEER_METADATA_DIR": str(tmp_path / "metadata")}


def test_healthz_and_readyz(fresh_url, tmp_path):
    settings = from_env(_env(tmp_path, fresh_url))
    client = create_app(settings).test_client()
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["checks"]["database"] == "ok"


def test_readyz_reports_a_missing_database(tmp_path):
    settings = from_env(_env(tmp_path, "postgresql+psycopg://nobody@127.0.0.1:1/none"))
    ready = create_app(settings).test_client().get("/readyz")
    assert ready.status_code == 503 and ready.json["checks"]["database"].startswith("down")
