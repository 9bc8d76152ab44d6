"""The dev_eid pages: metadata, the sign-in form, single logout."""
from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request

import uikit
from attribute_authority.national_register import FileRegister, NationalRegister
from samlkit.bindings import decode_redirect, post_form, redirect_url
from samlkit.errors import SamlSecurityError

from ..errors import BridgeRefusal
from .idp import DevEid

METHODS = {"eid": "eID-kaart", "token": "federaal token"}
OUTCOMES = {"ok": "Aanmelden lukt", "cancel": "Gebruiker annuleert", "card_error": "Kaartfout"}


def blueprint(dev_eid: DevEid, register: NationalRegister, max_bytes: int) -> Blueprint:
    bp = Blueprint("dev_eid", __name__, url_prefix="/dev-eid", template_folder="templates",
                   static_folder=str(uikit.STATIC), static_url_path="/static")

    def persons():
        return register.all() if isinstance(register, FileRegister) else []

    def offered(handle: str) -> dict[str, str]:
        """The methods the bridge asked for (RequestedAuthnContext), as the federal IdP shows."""
        allowed = dev_eid.methods(handle)
        return {k: v for k, v in METHODS.items() if k in allowed}

    @bp.get("/metadata")
    def metadata():
        return Response(dev_eid.metadata(dev_eid.clock()), mimetype="application/samlmetadata+xml")

    @bp.get("/sso")
    def sso():
        try:
            handle = dev_eid.accept_request(decode_redirect(request.query_string, "SAMLRequest",
                                                            max_bytes))
        except (SamlSecurityError, BridgeRefusal) as exc:
            return Response(f"dev_eid weigert deze aanvraag: {exc}", 400, mimetype="text/plain")
        return render_template("dev_eid/signin.html", handle=handle, persons=persons(),
                               methods=offered(handle), outcomes=OUTCOMES)

    @bp.post("/sso")
    def sso_answer():
        method = request.form.get("method", "eid")
        outcome = request.form.get("outcome", "ok")
        if method not in METHODS or outcome not in OUTCOMES:
            abort(400)
        record = register.lookup(request.form.get("rrn", ""))
        if record is None and outcome == "ok":
            handle = request.form.get("handle", "")
            return render_template("dev_eid/signin.html", handle=handle,
                                   persons=persons(), methods=offered(handle), outcomes=OUTCOMES,
                                   error="Dit rijksregisternummer kent het testregister niet."), 400
        try:
            acs, xml, relay_state = dev_eid.answer(request.form.get("handle", ""), record, method,
                                                   outcome)
        except BridgeRefusal as exc:
            return Response(f"dev_eid: {exc.detail}", 400, mimetype="text/plain")
        return post_form(acs, "SAMLResponse", xml, relay_state)

    @bp.get("/slo")
    def slo():
        try:
            location, xml, relay_state = dev_eid.logout_response(
                decode_redirect(request.query_string, "SAMLRequest", max_bytes))
        except (SamlSecurityError, BridgeRefusal) as exc:
            return Response(f"dev_eid weigert deze afmelding: {exc}", 400, mimetype="text/plain")
        return redirect(redirect_url(location, "SAMLResponse", xml, relay_state, dev_eid.keypair))

    return bp


def for_bridge(deps) -> Blueprint:
    """dev_eid serving the bridge of `deps` as its upstream IdP: its pages, and its metadata
    written into the bridge's metadata/upstream/ (called by the composition root, and by tests,
    in demo/test mode only; the bridge itself knows nothing of it)."""
    from samlkit.spmetadata import write_if_changed

    from .idp import TrustedSp

    config, keys = deps.config, deps.keys
    sp = TrustedSp(config.url("/sp/metadata"), config.url("/sp/acs"), config.url("/sp/slo"),
                   [keys.sp.certificate], [k.certificate for k in keys.sp_decryption])
    dev_eid = DevEid(config.base_url, keys.dev_eid, deps.store,
                     lambda entity_id: sp if entity_id == sp.entity_id else None, deps.clock,
                     encrypt=config.dev_eid_encrypts)
    write_if_changed(deps.metadata_dir / "upstream" / "dev-eid.xml", dev_eid.metadata())
    return blueprint(dev_eid, deps.register, config.max_message_bytes)
