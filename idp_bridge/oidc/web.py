"""The provider's front doors under /oidc/: parse, call the endpoint, answer JSON. Every
refusal is Authlib's OAuth error rendered as the RFC's JSON, never a 5xx; answers with tokens
or personal data are `no-store`."""
from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Blueprint, Response, jsonify, request
from werkzeug.datastructures import MultiDict

from .discovery import configuration
from .errors import InvalidRequestError, OAuth2Error
from .provider import Provider
from .resources import IntrospectionEndpoint, RightsEndpoint, UserInfoEndpoint
from .token import TokenEndpoint

log = logging.getLogger(__name__)
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def single_values(values: MultiDict, *, repeatable: tuple[str, ...] = ()) -> dict[str, str]:
    """OAuth parameters may not repeat (RFC 6749 3.1); a repeated one is refused."""
    for key in values:
        if key not in repeatable and len(values.getlist(key)) > 1:
            raise InvalidRequestError(description="a parameter is repeated")
    return {k: values[k] for k in values}


def json_answer(body: dict, status: int = 200) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers.update(NO_STORE)
    return response


def oauth_error(exc: OAuth2Error) -> Response:
    status, body, headers = exc()
    log.info("oidc refused %s: %s %s", request.path, body.get("error"), body.get("error_description", ""))
    response = json_answer(body, status)
    for name, value in headers:
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def blueprint(provider: Provider, extra: Callable[[Blueprint], None] | None = None) -> Blueprint:
    bp = Blueprint("oidc", __name__, url_prefix="/oidc")
    token_endpoint, userinfo = TokenEndpoint(), UserInfoEndpoint()
    introspection, rights = IntrospectionEndpoint(), RightsEndpoint()
    discovery = configuration(provider.issuer)

    @bp.get("/.well-known/openid-configuration")
    def openid_configuration():
        return jsonify(discovery)

    @bp.get("/jwks")
    def jwks():
        response = jsonify(provider.keys.jwks())
        response.headers["Cache-Control"] = "public, max-age=300"
        return response

    @bp.post("/token")
    def token():
        form = single_values(request.form)
        return json_answer(token_endpoint(provider, form, request.headers.get("Authorization")))

    @bp.route("/userinfo", methods=["GET", "POST"])
    def userinfo_view():
        return json_answer(userinfo(provider, request.headers.get("Authorization")))

    @bp.post("/introspect")
    def introspect():
        form = single_values(request.form)
        return json_answer(introspection(provider, form, request.headers.get("Authorization")))

    @bp.get("/rights")
    def rights_view():
        args = single_values(request.args, repeatable=("government",))
        return json_answer(rights(provider, args, request.args.getlist("government"),
                                  request.headers.get("Authorization")))

    bp.register_error_handler(OAuth2Error, oauth_error)
    if extra is not None:
        extra(bp)
    return bp
