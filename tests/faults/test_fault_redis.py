"""Redis stopped under a running app, then started again on the same port.

While it is down: the attribute authority keeps answering (its replay check falls back to this
process's memory, counted in /metrics), sign-in answers a Dutch 503 page that asks to try
again later (never a 500), /readyz reports Redis down. Once it is back: everything works
again without a restart, and replay IDs are shared again."""
import time

import requests
from sqlalchemy import func, select
from support import AN, BART, MERELBEKE, free_port
from support.aa import ServerThread, envelope, query, read, signed, target_app
from support.bridge import TestSp, attributes_of, sign_in_over_http

from attribute_authority.models import SignInEvent
from idbeheer.app import create_app
from idbeheer.settings import from_env
from samlkit.keys import ensure_dev_keypair


def test_redis_outage_and_recovery(private_redis, databases, register, tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = from_env({
        "IDBEHEER_HOME": str(tmp_path), "IDBEHEER_DATABASE_URL": databases.seeded(register),
        "IDBEHEER_REDIS_URL": private_redis.url, "IDBEHEER_BASE_URL": base,
        "IDBEHEER_CERTS_DIR": str(tmp_path / "certs"),
        "IDBEHEER_METADATA_DIR": str(tmp_path / "metadata")})
    app = create_app(settings)
    demo_app = target_app(settings.certs_dir, base, "demo-app")  # the key the shipped demo-app has
    http = requests.Session()

    def ask(rrn: str, query_id: str | None = None):
        q = signed(query(demo_app.entity_id, rrn, query_id=query_id), demo_app.keypair)
        started = time.perf_counter()
        answer = http.post(f"{base}/aa/soap", data=envelope(q), timeout=10,
                           headers={"Content-Type": "text/xml; charset=utf-8"})
        return answer, time.perf_counter() - started

    def fresh_sp() -> TestSp:
        keypair = ensure_dev_keypair(tmp_path / "keys", "fault-app", "fault test application")
        sp = TestSp("fault-app", settings.metadata_dir, keypair, http.get(f"{base}/idp/metadata").content,
                    tmp_path, idp_entity_id=f"{base}/idp/metadata")
        app.extensions["idbeheer.sp_registry"].reload()  # as after `idbeheer app register`
        return sp

    def replay_fallbacks() -> float:
        for line in http.get(f"{base}/metrics").text.splitlines():
            if line.startswith("idbeheer_replay_fallback_total "):
                return float(line.split()[1])
        return 0.0

    with ServerThread(app, port):
        # Healthy: a sign-in and a query.
        sp = fresh_sp()
        signed_in = requests.Session()
        attributes = attributes_of(sign_in_over_http(signed_in, base, sp, AN, MERELBEKE))
        assert attributes["rrn"] == [AN] and attributes["government"] == [MERELBEKE]
        answer, _ = ask(BART)
        assert read(answer.content).rights == ["demo-app-reader@44088"]
        fallbacks_before = replay_fallbacks()

        private_redis.stop()

        # The AA keeps answering, fast, and still refuses a replay it has seen itself.
        answer, took = ask(BART, query_id="_during-outage")
        assert answer.status_code == 200 and read(answer.content).rights == ["demo-app-reader@44088"]
        assert took < 3, took
        answer, took = ask(BART)
        assert answer.status_code == 200 and read(answer.content).statuses == ["Success"]
        assert took < 1, took  # Redis is not tried again within the retry interval
        replayed, _ = ask(BART, query_id="_during-outage")
        assert read(replayed.content).statuses == ["Requester", "RequestDenied"]
        assert replay_fallbacks() >= fallbacks_before + 2

        # Sign-in: a clear page asking to try again later, whether or not the browser has a session.
        for browser, path in ((requests.Session(), sp.login_url()), (signed_in, "/idp/capacity")):
            started = time.perf_counter()
            page = browser.get(base + path, allow_redirects=False)
            assert page.status_code == 503, (path, page.status_code, page.text[:500])
            assert "Probeer later opnieuw" in page.text and "storing" in page.text
            assert page.headers["Retry-After"] and time.perf_counter() - started < 5
        ready = http.get(f"{base}/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["redis"].startswith("down")
        with app.extensions["idbeheer.db"]() as session:  # the helpdesk can see it (R14)
            assert session.scalar(select(func.count()).where(
                SignInEvent.reason == "service_unavailable")) == 2

        private_redis.start()  # same port, empty: every session is gone, nothing else

        deadline = time.monotonic() + 10
        while http.get(f"{base}/readyz").status_code != 200:
            assert time.monotonic() < deadline, "not ready after Redis came back"
            time.sleep(0.2)
        attributes = attributes_of(sign_in_over_http(requests.Session(), base, fresh_sp(), AN, MERELBEKE))
        assert attributes["rrn"] == [AN]
        time.sleep(2.1)  # past the AA's retry interval: it uses Redis again
        answer, _ = ask(BART, query_id="_after-outage")
        assert read(answer.content).rights == ["demo-app-reader@44088"]
        for query_id in ("_after-outage", "_during-outage"):  # shared again; outage IDs kept
            replayed, _ = ask(BART, query_id=query_id)
            assert read(replayed.content).statuses == ["Requester", "RequestDenied"], query_id
        after = replay_fallbacks()
        ask(BART)
        assert replay_fallbacks() == after  # no longer falling back
