"""Health endpoints of the all-in-one app."""
from idbeheer.app import create_app
from idbeheer.settings import from_env


def test_healthz_and_readyz(fresh_url, tmp_path):
    settings = from_env({"IDBEHEER_HOME": str(tmp_path), "IDBEHEER_DATABASE_URL": fresh_url,
                         "IDBEHEER_CERTS_DIR": str(tmp_path / "certs"),
                         "IDBEHEER_METADATA_DIR": str(tmp_path / "metadata")})
    client = create_app(settings).test_client()
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["checks"]["database"] == "ok"


def test_readyz_reports_a_missing_database(tmp_path):
    settings = from_env({"IDBEHEER_HOME": str(tmp_path),
                         "IDBEHEER_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
                         "IDBEHEER_CERTS_DIR": str(tmp_path / "certs"),
                         "IDBEHEER_METADATA_DIR": str(tmp_path / "metadata")})
    ready = create_app(settings).test_client().get("/readyz")
    assert ready.status_code == 503 and ready.json["checks"]["database"].startswith("down")
