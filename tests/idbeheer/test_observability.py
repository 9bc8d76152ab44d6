"""`observed`: a plain WSGI endpoint gets what Flask views get from `install`; who may read
/metrics."""
import logging

import pytest
from flask import Flask
from werkzeug.test import Client

from idbeheer.observability import install, observed


def test_an_unexpected_error_is_a_logged_500_without_details(caplog):
    def broken(environ, start_response):
        raise RuntimeError("secret detail")

    reply = Client(observed(broken, "broken")).post("/x")
    assert reply.status_code == 500 and b"secret" not in reply.data
    assert reply.headers["X-Request-ID"]
    (error,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert error.exc_info and error.endpoint == "broken"


def _metrics_app(**kwargs) -> Flask:
    app = Flask("metrics-test")
    install(app, **kwargs)
    return app


@pytest.mark.parametrize("production", [False, True])
def test_with_a_token_metrics_need_it_as_bearer(production):
    client = _metrics_app(metrics_token="s3cret-token", production=production).test_client()
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic s3cret-token"},
                    {"Authorization": "Bearer s3cret-tokenX"}, {"Authorization": "Bearer é"}):
        refused = client.get("/metrics", headers=headers)
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
        assert b"idbeheer_" not in refused.data
    served = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    assert served.status_code == 200 and b"idbeheer_http_request_seconds" in served.data


def test_production_without_a_token_does_not_serve_metrics(caplog):
    client = _metrics_app(metrics_token=None, production=True).test_client()
    assert client.get("/metrics").status_code == 404
    assert any("IDBEHEER_METRICS_TOKEN" in r.getMessage() for r in caplog.records)


def test_the_embedded_default_without_a_token_keeps_metrics_open():
    served = _metrics_app().test_client().get("/metrics")
    assert served.status_code == 200 and b"idbeheer_http_request_seconds" in served.data
