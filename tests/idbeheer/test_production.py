"""Production mode refuses unsafe settings; observability endpoints."""
import json
import logging

import pytest

from idbeheer.app import create_app
from idbeheer.keys import service_keys
from idbeheer.observability import JsonFormatter, RequestIdFilter
from idbeheer.settings import ConfigurationRefused, from_env

SAFE = {
    "IDBEHEER_MODE": "production",
    "IDBEHEER_BASE_URL": "https://idbeheer.example.be",
    "IDBEHEER_SECRET_KEY": "x" * 40,
    "IDBEHEER_DATABASE_URL": "postgresql+psycopg://idbeheer@db/idbeheer",
    "IDBEHEER_REDIS_URL": "redis://127.0.0.1:6379/15",
    "IDBEHEER_SMTP_URL": "smtp://127.0.0.1:25",
}


@pytest.mark.parametrize("change,complaint", [
    ({"IDBEHEER_BASE_URL": "http://idbeheer.example.be"}, "https"),
    ({"IDBEHEER_SECRET_KEY": ""}, "IDBEHEER_SECRET_KEY must be set"),
    ({"IDBEHEER_SECRET_KEY": "short"}, "at least 32"),
    ({"IDBEHEER_SMTP_URL": ""}, "IDBEHEER_SMTP_URL"),
    ({"IDBEHEER_REDIS_URL": ""}, "IDBEHEER_REDIS_URL"),
])
def test_production_refuses_unsafe_settings(tmp_path, change, complaint):
    env = {**SAFE, "IDBEHEER_HOME": str(tmp_path), **change}
    with pytest.raises(ConfigurationRefused, match=complaint):
        create_app(from_env(env))


def test_production_refuses_dev_keys_and_missing_keys(tmp_path):
    env = {**SAFE, "IDBEHEER_HOME": str(tmp_path), "IDBEHEER_CERTS_DIR": str(tmp_path / "certs")}
    with pytest.raises(ConfigurationRefused, match="required"):
        service_keys(from_env(env), "aa", "aa")
    service_keys(from_env({**env, "IDBEHEER_MODE": "demo"}), "aa", "aa")  # generates dev keys
    with pytest.raises(ConfigurationRefused, match="development key"):
        service_keys(from_env(env), "aa", "aa")


def test_staged_next_key_is_offered_for_rollover(tmp_path):
    env = {"IDBEHEER_HOME": str(tmp_path), "IDBEHEER_CERTS_DIR": str(tmp_path / "certs")}
    settings = from_env(env)
    service_keys(settings, "aa-next", "next")
    keys = service_keys(settings, "aa", "aa")
    assert len(keys) == 2 and keys[0].cert_pem != keys[1].cert_pem


def test_metrics_and_request_id(fresh_url, tmp_path):
    settings = from_env({"IDBEHEER_HOME": str(tmp_path), "IDBEHEER_DATABASE_URL": fresh_url})
    client = create_app(settings).test_client()
    answer = client.get("/healthz", headers={"X-Request-ID": "abc12345-req"})
    assert answer.headers["X-Request-ID"] == "abc12345-req"
    assert client.get("/healthz", headers={"X-Request-ID": "<script>"}).headers["X-Request-ID"] != "<script>"
    body = client.get("/metrics").get_data(as_text=True)
    assert "idbeheer_http_request_seconds_bucket" in body and 'endpoint="healthz"' in body


def test_the_metrics_token_setting_reaches_metrics(fresh_url, tmp_path):
    settings = from_env({"IDBEHEER_HOME": str(tmp_path), "IDBEHEER_DATABASE_URL": fresh_url,
                         "IDBEHEER_METRICS_TOKEN": "scrape-me"})
    assert "scrape-me" not in repr(settings)
    client = create_app(settings).test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer scrape-me"}).status_code == 200


def test_sign_in_requests_are_timed_and_logged_too(fresh_url, tmp_path, caplog):
    """The bridge is mounted beside the Flask app, not inside it: its requests still get a
    request id, a timing metric and an access line, never with the SAML message."""
    settings = from_env({"IDBEHEER_HOME": str(tmp_path), "IDBEHEER_DATABASE_URL": fresh_url})
    client = create_app(settings).test_client()
    with caplog.at_level(logging.INFO, logger="idbeheer.access"):
        refused = client.get("/idp/sso?SAMLRequest=notbase64", headers={"X-Request-ID": "bridge-req-01"})
    assert refused.status_code == 400 and refused.headers["X-Request-ID"] == "bridge-req-01"
    record = next(r for r in caplog.records if r.name == "idbeheer.access")
    RequestIdFilter().filter(record)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["endpoint"] == "bridge.sso" and entry["status"] == 400
    assert "notbase64" not in json.dumps(entry)
    body = client.get("/metrics").get_data(as_text=True)
    assert 'endpoint="bridge.sso"' in body


def test_readyz_checks_redis_when_configured(fresh_url, tmp_path):
    settings = from_env({"IDBEHEER_HOME": str(tmp_path), "IDBEHEER_DATABASE_URL": fresh_url,
                         "IDBEHEER_REDIS_URL": "redis://127.0.0.1:1/0"})
    ready = create_app(settings).test_client().get("/readyz")
    assert ready.status_code == 503 and ready.json["checks"]["redis"].startswith("down")


def test_json_log_lines_carry_no_query_string(fresh_url, tmp_path, caplog):
    settings = from_env({"IDBEHEER_HOME": str(tmp_path), "IDBEHEER_DATABASE_URL": fresh_url})
    client = create_app(settings).test_client()
    with caplog.at_level(logging.INFO, logger="idbeheer.access"):
        client.get("/healthz?SAMLRequest=secret&rrn=85073003328")
    record = next(r for r in caplog.records if r.name == "idbeheer.access")
    RequestIdFilter().filter(record)
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["endpoint"] == "healthz" and entry["status"] == 200
    assert "85073003328" not in line and "SAMLRequest" not in line
