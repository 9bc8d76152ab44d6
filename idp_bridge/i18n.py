"""Dutch by default, English on request, through Flask-Babel (the same way as admin_ui/i18n.py).

The source strings are Dutch; translations/en/LC_MESSAGES/messages.po holds the English. The
.po is the only catalog in git: it is compiled in memory when this module is imported, so
there is no .mo to build or forget. tests/idp_bridge/test_bridge_i18n.py extracts every
marked string of the bridge's code and templates and fails when the English catalog misses one
(`python scripts/catalog.py idp_bridge` updates the .po).

The language of a request (`choose`): the person's own choice through the page's language
link (`?lang=en|nl`, kept in the bridge session), else the language the waiting application
asked its sign-in's pages in (OIDC `ui_locales`: `asked_by_application`), else the
PrefLanguage of the upstream sign-in (anything but "en" is Dutch; after the session ended,
that of the session that ended, so that its signed-out page speaks the language its other
pages spoke, until a new sign-in), else (no session, or no PrefLanguage sent) the
browser's Accept-Language best match between nl and en, else Dutch.
dev_eid, the test stand-in of the federal IdP, stays Dutch.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from babel import support
from flask import Flask, g, request, session
from flask_babel import Babel

import i18nkit as po_catalogs

DIRECTORY = Path(__file__).parent / "translations"
DOMAIN = "messages"
DEFAULT = "nl"
LANGUAGES = {"nl": "Nederlands", "en": "English"}
SESSION_KEY = "language"
FLOW_KEY = "flow_language"  # the application's ui_locales, for the sign-in it started
ENDED_KEY = "ended_language"  # the PrefLanguage of the session that ended
# Pages that show the same thing when asked again with GET (without a SAML message).
_REPEATABLE = ("/idp/capacity", "/idp/slo")


def compile_catalogs() -> dict[str, support.Translations]:
    return po_catalogs.compile_catalogs(DIRECTORY, DOMAIN)


domain = po_catalogs.PoDomain(DIRECTORY, DOMAIN)
gettext = domain.gettext
lazy_gettext = domain.lazy_gettext


def language() -> str:
    return g.get("bridge_language") or DEFAULT


def choose() -> str:
    """The language of this request (see the module's docstring); `?lang=` is remembered."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        session[SESSION_KEY] = asked
        return asked
    chosen = session.get(SESSION_KEY)
    if chosen in LANGUAGES:
        return chosen
    asked_by_app = session.get(FLOW_KEY)
    if asked_by_app in LANGUAGES:
        return asked_by_app
    person = session.get("person")
    language = person.get("language") if person else session.get(ENDED_KEY)
    if language:
        return "en" if language == "en" else "nl"
    return request.accept_languages.best_match(list(LANGUAGES), default=DEFAULT) or DEFAULT


def asked_by_application(tags: str | None) -> None:
    """A new sign-in request: the languages its application asked the pages in (OIDC
    `ui_locales`, BCP 47 tags by preference, e.g. "en-GB fr"); the first we speak holds for
    this sign-in, below the person's own choice. A request asking none we speak (and every
    SAML request) forgets the previous application's."""
    primary = (tag.split("-", 1)[0].lower() for tag in (tags or "").split()[:20])
    wanted = next((tag for tag in primary if tag in LANGUAGES), None)
    if wanted is not None:
        session[FLOW_KEY] = wanted
    elif FLOW_KEY in session:
        del session[FLOW_KEY]
    else:
        return
    g.bridge_language = choose()


def switch_link() -> dict[str, str]:
    """The page's link to the other language. A page that a GET shows again links to itself;
    a page answering a POST or a one-time SAML message cannot be shown again, so its link
    leads to the bridge's own page for the session (the capacity or status page), or, without
    a session, to the sign-out page that says so."""
    other = "en" if language() == "nl" else "nl"
    if request.method == "GET" and request.path in _REPEATABLE and \
            not ({"SAMLRequest", "SAMLResponse"} & set(request.args)):
        path = request.path
    else:
        path = "/idp/capacity" if session.get("person") else "/idp/slo"
    return {"href": f"{path}?{urlencode({'lang': other})}", "lang": other,
            "label": LANGUAGES[other]}


def install(app: Flask) -> None:
    """Babel for the bridge app: the locale is the request's chosen language."""
    babel = Babel(app, default_locale=DEFAULT, default_domain=DOMAIN,
                  locale_selector=lambda: g.get("bridge_language") or DEFAULT)
    babel.domain_instance = domain  # the templates' _() too: the in-memory catalogs

    @app.before_request
    def _language() -> None:
        g.bridge_language = choose()

    app.context_processor(lambda: {"current_language": language(), "language_switch": switch_link()})
