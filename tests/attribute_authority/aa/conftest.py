"""One all-in-one server (idbeheer.app.create_app, demo mode) over real HTTP on a loopback
port, with its own seeded database, keys and metadata folder, shared by the AA tests.
Replay protection runs on the test Redis (db 15)."""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from support.aa import ServerThread, TargetApp, free_port, target_app

from attribute_authority import demo
from attribute_authority.aa.keys import AaKeys, load_aa_keys
from attribute_authority.db import make_engine, session_factory, upgrade
from idbeheer.app import create_app
from idbeheer.settings import Settings, from_env

REDIS_URL = os.environ.get("IDBEHEER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@dataclass
class AaServer:
    base_url: str
    settings: Settings
    app: object
    db: object
    keys: AaKeys
    demo: TargetApp

    @property
    def soap_url(self) -> str:
        return f"{self.base_url}/aa/soap"

    @property
    def sp_dir(self) -> Path:
        return self.settings.metadata_dir / "sp"

    def post(self, body: bytes, **headers: str) -> requests.Response:
        return requests.post(self.soap_url, data=body, timeout=10,
                             headers={"Content-Type": "text/xml; charset=utf-8", **headers})


@pytest.fixture(scope="session")
def aa_server(databases, register, tmp_path_factory) -> Iterator[AaServer]:
    url = databases.new()
    upgrade(url)
    engine = make_engine(url)
    factory = session_factory(engine)
    with factory() as session, session.begin():
        demo.seed(session, register)
    with _serve(tmp_path_factory.mktemp("aa"), url, factory) as server:
        yield server
    engine.dispose()


@pytest.fixture(scope="session")
def aa_server_one_signature(databases, register, tmp_path_factory) -> Iterator[AaServer]:
    """A second all-in-one server, configured to sign the Assertion only
    (IDBEHEER_AA_SIGN_RESPONSE=false); its own keys, metadata folder and demo-app, so its own
    database too (the database is the SP registry: one demo-app per database)."""
    url = databases.seeded(register)
    engine = make_engine(url)
    with _serve(tmp_path_factory.mktemp("aa1"), url, session_factory(engine),
                IDBEHEER_AA_SIGN_RESPONSE="false") as server:
        yield server
    engine.dispose()


@contextmanager
def _serve(home: Path, url: str, factory, **env: str) -> Iterator[AaServer]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    settings = from_env({
        "IDBEHEER_HOME": str(home), "IDBEHEER_DATABASE_URL": url,
        "IDBEHEER_CERTS_DIR": str(home / "certs"), "IDBEHEER_METADATA_DIR": str(home / "metadata"),
        "IDBEHEER_BASE_URL": base_url, "IDBEHEER_REDIS_URL": REDIS_URL, **env,
    })
    app = create_app(settings)
    keys = load_aa_keys(settings.certs_dir, generate_dev=True)
    demo_app = target_app(settings.certs_dir, base_url, "demo-app")
    with ServerThread(app, port):
        yield AaServer(base_url, settings, app, factory, keys, demo_app)


@pytest.fixture(scope="session")
def demo_sp(aa_server, tmp_path_factory):
    """pysaml2's client side as demo-app."""
    from support.aa_pysaml2 import client

    certs = aa_server.settings.certs_dir
    return client(aa_server.base_url, aa_server.demo.entity_id, certs / "demo-app.key",
                  certs / "demo-app.crt", tmp_path_factory.mktemp("pysaml2"))
