"""POST /aa/soap is served by a plain WSGI endpoint routed before the all-in-one Flask app:
no Flask request work per query, the same request id, access line and metrics as a view."""
import logging

import requests
from support import BART
from support.aa import envelope, query, read, signed

from idbeheer.observability import RequestIdFilter


def _body(aa_server) -> bytes:
    return envelope(signed(query(aa_server.demo.entity_id, BART), aa_server.demo.keypair))


def test_queries_skip_flask(aa_server):
    flask_requests = []
    aa_server.app.before_request_funcs.setdefault(None, []).append(
        lambda: flask_requests.append(1))
    try:
        assert read(aa_server.post(_body(aa_server)).content).rights == ["demo-app-reader@44088"]
        assert flask_requests == []
        assert requests.get(f"{aa_server.base_url}/aa/metadata", timeout=10).status_code == 200
        assert flask_requests == [1]
    finally:
        aa_server.app.before_request_funcs[None].pop()


def test_request_id_access_line_and_metrics(aa_server, caplog):
    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(RequestIdFilter())  # as configure_logging does: at emit time
    reply = aa_server.post(envelope(query(aa_server.demo.entity_id, BART)),
                           **{"X-Request-ID": "aa-request-0001"})
    assert reply.headers["X-Request-ID"] == "aa-request-0001"
    refused = next(r for r in caplog.records if getattr(r, "event", "") == "aa.query_refused")
    access = next(r for r in caplog.records if r.name == "idbeheer.access")
    assert refused.request_id == access.request_id == "aa-request-0001"
    assert (access.endpoint, access.status, access.method) == ("aa.soap_view", 200, "POST")
    assert aa_server.post(_body(aa_server), **{"X-Request-ID": "<bad>"}).headers[
        "X-Request-ID"] != "<bad>"
    metrics = aa_server.app.test_client().get("/metrics").get_data(as_text=True)
    assert 'idbeheer_http_request_seconds_count{endpoint="aa.soap_view",status="200"}' in metrics


def test_only_post(aa_server):
    reply = requests.get(aa_server.soap_url, timeout=10)
    assert reply.status_code == 405 and reply.headers["Allow"] == "POST"


def test_chunked_body_without_content_length(aa_server):
    body = _body(aa_server)
    reply = requests.post(aa_server.soap_url, data=iter([body[:100], body[100:]]), timeout=10,
                          headers={"Content-Type": "text/xml"})
    assert read(reply.content).rights == ["demo-app-reader@44088"]


def test_request_id_filter_outside_requests():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
    assert RequestIdFilter().filter(record) and record.request_id is None
