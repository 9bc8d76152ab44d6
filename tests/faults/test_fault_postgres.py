"""PostgreSQL restarted under load: requests fail cleanly during the restart and succeed
after it, without restarting the app."""
import threading
import time
from collections import Counter

import requests
from werkzeug.serving import make_server

from attribute_authority.db import upgrade
from idbeheer.app import create_app
from idbeheer.settings import from_env


def test_app_survives_a_postgres_restart(private_postgres, tmp_path):
    upgrade(private_postgres.url)
    settings = from_env({"IDBEHEER_HOME": str(tmp_path), "IDBEHEER_DATABASE_URL": private_postgres.url,
                         "IDBEHEER_CERTS_DIR": str(tmp_path / "certs"),
                         "IDBEHEER_METADATA_DIR": str(tmp_path / "metadata")})
    server = make_server("127.0.0.1", 0, create_app(settings), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    seen: Counter = Counter()
    stop = threading.Event()

    def load():
        with requests.Session() as http:
            while not stop.is_set():
                seen[http.get(f"{base}/readyz", timeout=10).status_code] += 1

    workers = [threading.Thread(target=load) for _ in range(4)]
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
    assert during[503] > 0, during          # failed cleanly while the database was down
    assert set(seen) <= {200, 503}, seen    # never a 500, never a hung request
    assert seen[200] > during[200]          # and served again after the restart
