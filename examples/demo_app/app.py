"""demo-app's web pages: the signed-in person asks the attribute authority which rights of
demo-app they hold now (optionally in some governments), asked exactly as a real application
would: a signed AttributeQuery over HTTP.

Only for the signed-in person, and only about themselves: the AA answers demo-app about anyone
registered, so a page that forwarded any national register number would tell every visitor
who holds which right where.

Sign-in and sign-out through the bridge (SAML Web SSO and single logout, `sso.py`): /login,
the assertion consumer POST /acs, /me (the released attributes beside what the attribute
authority answers now), POST /logout and the single-logout endpoint /slo.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import urllib.error
from html import escape
from urllib.parse import urlencode

from flask import Flask, Response, request, session

from samlkit.replay import OneTimeStore

from . import aa_client
from .registration import demo_keypair, entity_id, sp_metadata
from .sso import register_sso, signed_in_user

_PAGE = """<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>demo-app</title>
<style>body{{font-family:sans-serif;max-width:46em;margin:2em auto}}label{{display:block;margin:.5em 0}}
code{{background:#eee;padding:0 .2em}}</style></head><body>
<main><h1>demo-app</h1>
{body}
</main></body></html>"""
_ANONYMOUS = """<p>Meld u eerst aan: demo-app vraagt de attribuutautoriteit alleen naar de rechten
van wie aangemeld is.</p>
<p><a href="login">Aanmelden via lb-idbeheer (eID of federaal token)</a></p>"""
_FORM = """<p>Aangemeld als <code>{rrn}</code> (<a href="me">uw aanmelding</a>). Vraag aan de
attribuutautoriteit van lb-idbeheer welke rechten van <code>demo-app</code> u nu heeft (een
ondertekende SAML AttributeQuery over SOAP).</p>
<form method="post">
<label>Bestuur (optioneel, meerdere gescheiden door komma's)
<input name="government" value="{government}"></label>
<button type="submit">Vraag mijn rechten op</button>
</form>
{result}"""

_ADMIN_RIGHT = "demo-app-admin"
_ADMIN = """<p>U heeft het recht <code>{right}</code> in bestuur <code>{government}</code>, volgens
de attribuutautoriteit nu: welkom in het beheer van demo-app.</p><p><a href="./">Terug</a></p>"""
_NO_ACCESS = """<h2>Geen toegang</h2>
<p>Voor het beheer van demo-app heeft u het recht <code>{right}</code> nodig{where}. U heeft het
nu niet.</p>
<p><a href="{request}">Vraag het recht aan bij uw lokale beheerder</a> (u meldt eerst aan bij
lb-idbeheer; uw lokale beheerder krijgt de aanvraag).</p>
<p><a href="./">Terug</a></p>"""

# What the form may send on to the AA: an RRN is 11 digits, a government code is the NIS
# code, "ocmw-" + one, or a word such as "vlaanderen" (anything else, a NUL byte among it,
# cannot go into an XML query and is refused here).
_GOVERNMENT = re.compile(r"[a-z0-9-]{1,40}")


def create_app(*, base_url: str, certs_dir: str | os.PathLike[str], secret_key: str | None = None,
               replay: OneTimeStore | None = None, fetch=None) -> Flask:
    """demo-app, to be mounted at BASE/demo-app (its entityID is BASE/demo-app/metadata).

    `secret_key` signs its session cookie, `replay` remembers used message IDs (see
    sso.register_sso); `fetch(url) -> bytes` reads the bridge's metadata (default: HTTP)."""
    base = base_url.rstrip("/")
    me = entity_id(base)
    keypair = demo_keypair(certs_dir)
    aa_soap, aa_metadata = f"{base}/aa/soap", f"{base}/aa/metadata"
    app = Flask("demo_app")
    authority: list[aa_client.Authority] = []

    @app.get("/metadata")
    def metadata_view() -> Response:
        return Response(sp_metadata(base, keypair, dt.datetime.now(dt.UTC)),
                        mimetype="application/samlmetadata+xml")

    @app.route("/", methods=["GET", "POST"])
    def rights_page() -> tuple[str, int]:
        user = signed_in_user(session)
        if user is None:
            # Refused before anything is read or asked: no lookups for anonymous visitors.
            return _PAGE.format(body=_ANONYMOUS), 401 if request.method == "POST" else 200
        government = request.form.get("government", "").strip()
        result, status = "", 200
        if request.method == "POST":
            governments = [g.strip() for g in government.split(",") if g.strip()] or None
            if not all(_GOVERNMENT.fullmatch(g) for g in governments or []):
                result, status = "<p>Een bestuurscode is bijvoorbeeld 44088 of ocmw-44088.</p>", 400
            else:
                result = _ask(user["rrn"][0], governments)
        body = _FORM.format(rrn=escape(user["rrn"][0]), government=escape(government), result=result)
        return _PAGE.format(body=body), status

    @app.get("/beheer")
    def admin_page() -> tuple[str, int]:
        """demo-app's own administration, for holders of demo-app-admin in the capacity's
        government, asked live (R8). Anyone else gets the "no access" page with the link to
        lb-idbeheer's request page, as DESIGN.md's contract names it."""
        user = signed_in_user(session)
        if user is None:
            return _PAGE.format(body=_ANONYMOUS), 401
        government = (user.get("government") or [""])[0]
        answer = _query(user["rrn"][0], [government] if government else None)
        if isinstance(answer, str):  # no usable answer: say so, it is no "no access"
            return _PAGE.format(body=answer), 503
        if answer.status == "Success" and f"{_ADMIN_RIGHT}@{government}" in answer.rights:
            return _PAGE.format(body=_ADMIN.format(right=_ADMIN_RIGHT, government=escape(government))), 200
        link = f"{base}/account/request?" + urlencode(
            {"app": "demo-app", "right": _ADMIN_RIGHT, **({"government": government} if government else {})})
        where = f" in bestuur <code>{escape(government)}</code>" if government else ""
        return _PAGE.format(body=_NO_ACCESS.format(right=_ADMIN_RIGHT, where=where,
                                                   request=escape(link))), 403

    def _query(rrn: str, governments: list[str] | None) -> aa_client.Answer | str:
        """The AA's answer, or a sentence saying why there is none."""
        query_id, envelope = aa_client.build_query(me, aa_soap, rrn, keypair.key_pem,
                                                   keypair.cert_pem, governments)
        try:
            if not authority:
                authority.append(aa_client.read_aa_metadata(aa_client.fetch(aa_metadata)))
            return aa_client.read_answer(aa_client.post(aa_soap, envelope), query_id, me,
                                         authority[0])
        except urllib.error.HTTPError as exc:
            return f"<p>De attribuutautoriteit weigerde de vraag: HTTP {exc.code}.</p>"
        except (urllib.error.URLError, ValueError) as exc:
            return f"<p>Geen bruikbaar antwoord: {escape(str(exc))}</p>"

    def _ask(rrn: str, governments: list[str] | None) -> str:
        answer = _query(rrn, governments)
        if isinstance(answer, str):
            return answer
        if answer.status != "Success":
            return (f"<p>Status <code>{escape(answer.status)}</code>"
                    f"{': ' + escape(answer.message) if answer.message else ''}</p>")
        if not answer.rights:
            return "<p>Status <code>Success</code>: geen rechten.</p>"
        items = "".join(f"<li><code>{escape(v)}</code></li>" for v in answer.rights)
        return f"<p>Status <code>Success</code>, rechten:</p><ul>{items}</ul>"

    register_sso(app, base_url=base, entity_id=me, keypair=keypair, secret_key=secret_key,
                 replay=replay, ask_aa=_ask, **({"fetch": fetch} if fetch else {}))
    return app
