"""`observed`: a plain WSGI endpoint gets what Flask views get from `install`."""
import logging

from werkzeug.test import Client

from idbeheer.observability import observed


def test_an_unexpected_error_is_a_logged_500_without_details(caplog):
    def broken(environ, start_response):
        raise RuntimeError("secret detail")

    reply = Client(observed(broken, "broken")).post("/x")
    assert reply.status_code == 500 and b"secret" not in reply.data
    assert reply.headers["X-Request-ID"]
    (error,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert error.exc_info and error.endpoint == "broken"
