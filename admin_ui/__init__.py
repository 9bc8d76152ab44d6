"""admin_ui: the web app of local and central administrators and the helpdesk.

Server-rendered Flask and Jinja, mounted by the composition root:

    app.register_blueprint(create_blueprint(session_factory=..., national_register=...,
                                            config=AdminConfig(base_url=..., keypairs=...,
                                                               idp_metadata=...)),
                           url_prefix="/admin")
    app.register_blueprint(create_account_blueprint(), url_prefix="/account")

The account pages ("Mijn rechten", /account/) are a second blueprint on the same sign-in and
session: any civil servant the bridge signed in may open them; the admin pages need a role.

Views parse, call an attribute_authority service and render; every rule and authorization check
is in attribute_authority. admin_ui never imports idp_bridge: it signs in through the bridge
over SAML like any target application (see sso.py and auth.py).
"""
from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint
from sqlalchemy.orm import Session, sessionmaker

import uikit
from attribute_authority.mail import Mailer
from attribute_authority.national_register import NationalRegister

from . import i18n, request_scope, session_store, sso
from .config import AdminConfig
from .views import REGISTRARS
from .views._common import RowId
from .views.account import create_blueprint as create_account_blueprint

__all__ = ["AdminConfig", "create_account_blueprint", "create_blueprint"]

JobRunner = Callable[[Callable[[], None]], object]


@dataclass(frozen=True)
class Dependencies:
    session_factory: sessionmaker[Session]
    national_register: NationalRegister
    config: AdminConfig
    run_job: JobRunner
    mailer: Mailer | None = None
    """sends the mails of requests and decisions (R15) after their commit; None: they wait
    for the next `idbeheer notify-expiring`"""


def _background_runner() -> JobRunner:
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="admin-job")
    return executor.submit


def create_blueprint(*, session_factory: sessionmaker[Session],
                     national_register: NationalRegister, config: AdminConfig,
                     run_job: JobRunner | None = None, mailer: Mailer | None = None) -> Blueprint:
    """The admin UI as a blueprint named "admin"; mount it at /admin.

    run_job runs server-side jobs (bulk upload); default a small thread pool. Tests pass their
    own to run a job at a moment they choose."""
    bp = Blueprint("admin", __name__, template_folder="templates", static_folder=str(uikit.STATIC),
                   static_url_path="/static")  # the look shared with the bridge's pages
    deps = Dependencies(session_factory, national_register, config,
                        run_job or _background_runner(), mailer)

    @bp.record_once
    def _setup(state) -> None:
        state.app.extensions["admin_ui"] = deps
        session_store.install(state.app, config)
        state.app.url_map.converters["id"] = RowId  # before the routes that use it
        sso.install(state.app, config)
        i18n.install(state.app, config.default_language)

    request_scope.install(bp)
    for register_routes in REGISTRARS:
        register_routes(bp)
    return bp
