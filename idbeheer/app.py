"""The all-in-one WSGI app: health endpoints here, each part mounted as a blueprint."""
from __future__ import annotations

from flask import Flask, jsonify
from sqlalchemy import text

from admin_ui import AdminConfig
from admin_ui import create_blueprint as admin_blueprint
from attribute_authority.db import make_engine, session_factory
from attribute_authority.national_register import FileRegister

from .settings import Settings


def create_app(settings: Settings) -> Flask:
    app = Flask("idbeheer")
    app.config.update(SECRET_KEY=settings.secret_key, MAX_CONTENT_LENGTH=2 * 1024 * 1024)
    engine = make_engine(settings.database_url)
    db = session_factory(engine)
    app.extensions["idbeheer.settings"] = settings
    app.extensions["idbeheer.db"] = db
    app.register_blueprint(admin_blueprint(
        session_factory=db, national_register=FileRegister(),
        config=AdminConfig(base_url=settings.base_url, dev_sign_in=not settings.production,
                           default_language=settings.lang)), url_prefix="/admin")

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz():
        checks = {"database": _check_database(db)}
        ready = all(v == "ok" for v in checks.values())
        return jsonify(status="ready" if ready else "not ready", checks=checks), (200 if ready else 503)

    return app


def _check_database(db) -> str:
    try:
        with db() as session:
            session.execute(text("SELECT 1"))
        return "ok"
    except Exception as exc:  # readiness reports any failure, it never raises
        return f"down: {type(exc).__name__}"
