"""PostgreSQL restarted under load: requests fail cleanly during the restart and succeed
after it, without restarting the app. The load is /readyz and signed AttributeQueries: while
the database is down the AA answers 503 with a SOAP Fault (the client retries), never a 500
or a stack trace."""
import threading
import time
from collections import Counter

import requests
from lxml import etree
from support import BART, free_port, seeded
from support.aa import NS, envelope, query, read, signed, target_app
from werkzeug.serving import make_server

from idbeheer.app import create_app
from idbeheer.settings import from_env


def test_app_survives_a_postgres_restart(private_postgres, register, tmp_path):
    seeded(private_postgres.url, register)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = from_env({"IDBEHEER_HOME": str(tmp_path), "IDBEHEER_DATABASE_URL": private_postgres.url,
                         "IDBEHEER_BASE_URL": base, "IDBEHEER_CERTS_DIR": str(tmp_path / "certs"),
                         "IDBEHEER_METADATA_DIR": str(tmp_path / "metadata")})
    server = make_server("127.0.0.1", port, create_app(settings), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    demo_app = target_app(settings.certs_dir, base, "demo-app")  # the key the shipped demo-app has
    seen: Counter = Counter()
    stop = threading.Event()

    def readiness(http: requests.Session) -> str:
        return f"readyz {http.get(f'{base}/readyz', timeout=10).status_code}"

    def attribute_query(http: requests.Session) -> str:
        q = signed(query(demo_app.entity_id, BART), demo_app.keypair)
        answer = http.post(f"{base}/aa/soap", data=envelope(q), timeout=10,
                           headers={"Content-Type": "text/xml; charset=utf-8"})
        if answer.status_code == 200 and read(answer.content).rights == ["demo-app-reader@44088"]:
            return "aa ok"
        fault = etree.fromstring(answer.content).xpath("//soap:Fault/faultstring/text()",
                                                       namespaces=NS)
        if answer.status_code == 503 and fault and "temporarily unavailable" in fault[0] \
                and answer.headers.get("Retry-After"):
            return "aa unavailable"
        return f"aa {answer.status_code} {answer.text[:300]}"

    def load(ask):
        with requests.Session() as http:
            while not stop.is_set():
                seen[ask(http)] += 1

    workers = [threading.Thread(target=load, args=(kind,))
               for kind in (readiness, readiness, attribute_query, attribute_query)]
    for w in workers:
        w.start()
    try:
        time.sleep(0.5)
        private_postgres.stop("fast")
        time.sleep(1.0)
        during = Counter(seen)
        private_postgres.start()
        time.sleep(1.5)
    finally:
        stop.set()
        for w in workers:
            w.join(15)
        server.shutdown()
    # Failed cleanly while the database was down, and only so: never a 500, never a hang.
    assert during["readyz 503"] > 0 and during["aa unavailable"] > 0, during
    assert set(seen) <= {"readyz 200", "readyz 503", "aa ok", "aa unavailable"}, seen
    # And served again after the restart.
    assert seen["readyz 200"] > during["readyz 200"] and seen["aa ok"] > during["aa ok"], (during, seen)


def test_first_query_after_a_postgres_restart_is_answered(private_postgres, register, tmp_path):
    """The AA does not ping the database before each query: the read itself finds the pooled
    connection that the restart killed and is retried once on a fresh one, so the first query
    after the restart gets its rights, not a 503."""
    seeded(private_postgres.url, register)
    settings = from_env({"IDBEHEER_HOME": str(tmp_path), "IDBEHEER_DATABASE_URL": private_postgres.url,
                         "IDBEHEER_BASE_URL": "http://aa.test", "IDBEHEER_CERTS_DIR": str(tmp_path / "certs"),
                         "IDBEHEER_METADATA_DIR": str(tmp_path / "metadata")})
    client = create_app(settings).test_client()
    demo_app = target_app(settings.certs_dir, settings.base_url, "demo-app")

    def ask():
        q = signed(query(demo_app.entity_id, BART), demo_app.keypair)
        return client.post("/aa/soap", data=envelope(q), content_type="text/xml")

    assert read(ask().data).rights == ["demo-app-reader@44088"]  # a pooled connection now
    private_postgres.stop("fast")
    private_postgres.start()
    answer = ask()
    assert answer.status_code == 200 and read(answer.data).rights == ["demo-app-reader@44088"]
