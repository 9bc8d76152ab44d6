"""The all-in-one WSGI app: health endpoints here, each part mounted as a blueprint (or, for
the bridge, demo-app and the AA's SOAP endpoint, as a WSGI app in front of Flask)."""
from __future__ import annotations

import datetime as dt
import hashlib

import redis
from flask import Flask, jsonify
from sqlalchemy import text
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.middleware.proxy_fix import ProxyFix

from admin_ui import AdminConfig, create_account_blueprint
from admin_ui import create_blueprint as admin_blueprint
from admin_ui.auth import APPLICATION as ADMIN_APPLICATION
from admin_ui.sso import registration_metadata
from attribute_authority.db import make_engine, query_engine, session_factory
from attribute_authority.national_register import FileRegister
from attribute_authority.sp_metadata import DatabaseSource
from idp_bridge.dev_eid.web import for_bridge as dev_eid_for
from idp_bridge.mount import mount
from idp_bridge.oidc.rights_door import rights_wsgi, token_wsgi
from idp_bridge.pairwise import PairwiseNameIds
from idp_bridge.web import create_bridge_app
from samlkit.keys import KeyPair
from samlkit.spmetadata import SpRegistry, write_if_changed

from . import observability, rate_limits
from .aa_mount import aa_front_door, one_time_store
from .bridge import bridge_deps
from .keys import service_keys
from .security_headers import with_security_headers
from .settings import Settings, refuse_unsafe
from .shared_state import redis_client


def create_app(settings: Settings) -> Flask:
    refuse_unsafe(settings)
    app = Flask("idbeheer")
    observability.install(app, metrics_token=settings.metrics_token, production=settings.production)
    app.config.update(SECRET_KEY=settings.secret_key, MAX_CONTENT_LENGTH=2 * 1024 * 1024)
    engine = make_engine(settings.database_url)
    db = session_factory(engine)
    app.extensions["idbeheer.settings"] = settings
    app.extensions["idbeheer.db"] = db
    shared = redis_client(settings.redis_url) if settings.redis_url else None
    app.extensions["idbeheer.redis"] = shared
    # Registration files of the service's own SPs are in place before the registry reads them.
    admin_keys = admin_registration(settings)
    if not settings.production:
        from examples.demo_app import ensure_demo_app

        ensure_demo_app(settings.metadata_dir, settings.certs_dir, settings.base_url)
    # The database is the registry's source of truth (every worker, every node); the files of
    # metadata/sp/ are imported into it at the first request and whenever one changes.
    registry = SpRegistry(DatabaseSource(db, settings.metadata_dir))
    app.extensions["idbeheer.sp_registry"] = registry
    store = one_time_store(settings, shared)
    bridge = bridge_deps(settings, db, registry, store, shared)
    # The AA answers queries about the pairwise NameIDs the bridge issued.
    resolver = PairwiseNameIds(bridge.config.name_id_secret)
    rights_engine = query_engine(settings.database_url)  # the AA's and /oidc/rights' one statement
    aa = aa_front_door(settings, rights_engine, registry, store=store,
                       resolver=resolver)
    app.register_blueprint(aa.blueprint)
    stand_in = [dev_eid_for(bridge)] if bridge.config.dev_eid else []  # demo mode: the upstream
    bridge_app = create_bridge_app(bridge, stand_in)
    observability.install_request_hooks(bridge_app, prefix="bridge.")  # mounted beside Flask
    # The admin UI and demo-app read the bridge's IdP metadata as any application would; in
    # one process they get it from the bridge object rather than over HTTP from themselves.
    bridge_metadata = bridge_app.extensions["idp_bridge"].idp_metadata
    # Every Flask app of the composition with the prefix it is mounted at: what serves which
    # URL, read from their url_maps (the route fuzz test covers new routes without a list).
    mounted: list[tuple[str, Flask]] = [("", app), ("", bridge_app)]
    app.extensions["idbeheer.mounted"] = mounted
    if not settings.production:
        from examples.demo_app import create_app as demo_app
        from examples.demo_app.oidc_app import create_oidc_app as demo_oidc_app
        from examples.demo_app.registration import demo_oidc_keypair

        demo = demo_app(base_url=settings.base_url, certs_dir=settings.certs_dir,
                        secret_key=_derived(settings, "demo-app"), replay=store,
                        fetch=lambda _url: bridge_metadata())
        mounted.append(("/demo-app", demo))
        # demo-app again, speaking OpenID Connect (client demo-app, registered by `idbeheer
        # run`); its calls to the provider go through this app in-process, like the metadata.
        demo_oidc = demo_oidc_app(base_url=settings.base_url,
                                  keypair=demo_oidc_keypair(settings.certs_dir),
                                  secret_key=_derived(settings, "demo-app-oidc"), store=store,
                                  http=in_process_http(app))
        mounted.append(("/demo-app-oidc", demo_oidc))
        app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {  # type: ignore[method-assign]
            "/demo-app": demo, "/demo-app-oidc": demo_oidc})
    app.wsgi_app = mount(app.wsgi_app, bridge_app)  # type: ignore[method-assign]
    # The AttributeQuery, the hot path, skips Flask's per-request work (context, session,
    # hooks), about a tenth of an answer's CPU when it signs once; same logs and metrics.
    # Likewise /oidc/rights, the OIDC counterpart of the AttributeQuery, and /oidc/token (the
    # same endpoints as the bridge's Flask routes).
    hot_paths = {"/aa/soap": observability.observed(aa.soap, "aa.soap_view")}
    provider = bridge_app.extensions.get("idp_bridge.oidc")
    if provider is not None:
        hot_paths["/oidc/rights"] = observability.observed(rights_wsgi(provider, rights_engine),
                                                            "oidc.rights_view")
        hot_paths["/oidc/token"] = observability.observed(token_wsgi(provider), "oidc.token")
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, hot_paths)  # type: ignore[method-assign]
    app.wsgi_app = rate_limits.install(app.wsgi_app, settings)  # type: ignore[method-assign]
    app.wsgi_app = with_security_headers(app.wsgi_app,  # type: ignore[method-assign,assignment]
                                         production=settings.production)
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    app.register_blueprint(admin_blueprint(
        session_factory=db, national_register=FileRegister(), mailer=settings.mailer(),
        config=AdminConfig(
            base_url=settings.base_url, keypairs=admin_keys, idp_metadata=bridge_metadata,
            replay=store, default_language=settings.lang, metadata_dir=settings.metadata_dir,
            session_backend=admin_session_backend(settings, shared),
            idle_timeout=dt.timedelta(minutes=settings.session_idle_minutes),
            absolute_lifetime=dt.timedelta(minutes=settings.session_lifetime_minutes))),
        url_prefix="/admin")
    app.register_blueprint(create_account_blueprint(), url_prefix="/account")

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz():
        checks = {"database": _check_database(db)}
        if shared is not None:
            checks["redis"] = _check_redis(shared)
        ready = all(v == "ok" for v in checks.values())
        return jsonify(status="ready" if ready else "not ready", checks=checks), (200 if ready else 503)

    return app


def admin_registration(settings: Settings) -> tuple[KeyPair, ...]:
    """The admin UI as an SP of the bridge: its keys (generated in demo mode, provided in
    production) and, in demo mode, its registration metadata/sp/idbeheer.xml (in production the
    operator places that file, as for any application)."""
    keys = tuple(service_keys(settings, "admin", "lb-idbeheer admin UI (dev)"))
    if not settings.production:
        base = settings.base_url
        write_if_changed(settings.metadata_dir / "sp" / f"{ADMIN_APPLICATION}.xml",
                         registration_metadata(AdminConfig(base_url=base, keypairs=keys)))
    return keys


def admin_session_backend(settings: Settings, shared: redis.Redis | None) -> tuple[str, object]:
    """Admin sessions beside the bridge's: Redis when configured, else files in the data folder."""
    if shared is not None:
        return "redis", shared
    from cachelib import FileSystemCache

    return "cachelib", FileSystemCache(str(settings.home / "admin_sessions"), threshold=10_000)


def in_process_http(app: Flask):
    """An HTTP client for demo-app's OIDC calls (discovery, JWKS, token, userinfo, rights)
    that hands each request to `app` itself, through all its middleware: one process serving
    itself over loopback would need a second free thread for every call."""
    from werkzeug.test import Client

    def call(method: str, url: str, form=None, headers=None) -> tuple[int, bytes]:
        answer = Client(app).open(url, method=method, data=form, headers=dict(headers or {}))
        return answer.status_code, answer.get_data()

    return call


def _derived(settings: Settings, purpose: str) -> str:
    return hashlib.sha256(f"{purpose}:{settings.secret_key}".encode()).hexdigest()


def _check_database(db) -> str:
    try:
        with db() as session:
            session.execute(text("SELECT 1"))
        return "ok"
    except Exception as exc:  # readiness reports any failure, it never raises
        return f"down: {type(exc).__name__}"


def _check_redis(client: redis.Redis) -> str:
    try:
        client.ping()
        return "ok"
    except redis.RedisError as exc:
        return f"down: {type(exc).__name__}"
